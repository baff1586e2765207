"""The booking as an iCalendar (RFC 5545) event, built with the icalendar library.

Times are in the activity's zone (the merchant's; a booking has no other) with its
VTIMEZONE, so calendars show the local start wherever the reader is. A booking without a
start time is an all-day event (DTEND is the day after the last day, as RFC 5545 wants).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from models import Booking, Merchant, utcnow
from services.reminders.schedule import zone

PRODID = "-//paylink//booking//EN"


def _span(booking: Booking, merchant: Merchant) -> tuple[date | datetime, date | datetime]:
    last_day = booking.end_date or booking.date
    if booking.start_time is None:
        return booking.date, last_day + timedelta(days=1)
    tz = zone(merchant.timezone) or zone("UTC")
    start = datetime.combine(booking.date, booking.start_time, tzinfo=tz)
    if booking.end_time is not None:
        end = datetime.combine(last_day, booking.end_time, tzinfo=tz)
        if end > start:
            return start, end
    return start, start + timedelta(hours=1)  # no end given: an hour, so it shows


def booking_ics(booking: Booking, merchant: Merchant) -> bytes:
    """One VEVENT in a VCALENDAR: activity, start and end, place, confirmation code."""
    # Loaded on the first .ics (a few MB per process), as fpdf2 is for receipts.
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    start, end = _span(booking, merchant)
    event = Event()
    event.add("uid", f"{booking.uuid}@paylink")
    event.add("dtstamp", utcnow().replace(tzinfo=zone("UTC")))
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", f"{booking.activity} ({merchant.name})")
    details = [f"Booking confirmation code: {booking.confirmation_code}",
               f"Participants: {booking.participants}"]
    if merchant.support_email:
        details.append(f"Questions: {merchant.support_email}")
    event.add("description", "\n".join(details))
    if merchant.address:
        event.add("location", merchant.address)
    event.add("status", "CANCELLED" if booking.status == "canceled" else "CONFIRMED")
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()
