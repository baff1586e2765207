"""Files handed to the customer: the PDF receipt and the booking's iCalendar event."""
