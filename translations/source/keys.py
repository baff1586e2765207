"""Short names for paylink's customer messages: each locale's file maps these to its text.

scripts/translations.py checks this list against ``pybabel extract`` (a new message needs a
key here and a text in every locale) and writes translations/<locale>/LC_MESSAGES/.
"""

KEYS = {
    # the pay page
    "description": "Secure payment for your booking",
    "language": "Language",
    "change": "Change",
    "until": "until %(date)s",
    "details": "Booking details",
    "total": "Total",
    "already_paid": "Already paid",
    "due_now": "Due now",
    "title_paid": "Paid",
    "pay_amount": "Pay %(amount)s",
    "invoice": "Invoice",
    "state_open": "open",
    "state_paid": "paid",
    "state_closed": "closed",
    "state_canceled": "canceled",
    "state_no_balance": "no balance",
    "state_slot": "slot unavailable",
    "state_unavailable": "unavailable",
    "agreements": "Agreements",
    "accept": "I accept the %(title)s",
    "read": "Read the %(title)s",
    "amount_now": "Amount to pay now",
    "between": "Between %(minimum)s and %(maximum)s.",
    "add_tip": "Add a tip",
    "no_tip": "No tip",
    "other": "Other",
    "tip_amount": "Tip amount",
    "card_details": "Card details",
    "bank_tab": "Your bank's page opened in a new tab.",
    "open_again": "Open it again",
    "secure": "Payments are processed securely by Stripe. Your card details never reach "
              "%(merchant)s.",
    "received": "Payment received — thank you!",
    "amount_paid": "Amount paid:",
    "confirmation_number": "Payment confirmation number:",
    "confirmation_code": "Booking confirmation code:",
    "is_paid": "This booking is paid — thank you!",
    # pay.js
    "no_stripe": "The secure card form could not load. Check your connection and reload "
                 "the page.",
    "enter_between": "Enter an amount between %(minimum)s and %(maximum)s.",
    "not_completed": "Your payment was not completed.",
    "failed": "Your payment could not be completed. Please try again.",
    "offline": "We could not reach the server. Check your connection and try again; you "
               "will not be charged twice.",
    # why a link cannot be paid, and the pay flow's answers
    "deleted": "This payment link has been deleted.",
    "already": "This invoice has already been paid.",
    "closed": "This invoice has been closed and no longer takes payments.",
    "expired": "This payment link has expired.",
    "canceled": "This booking has been canceled, so there is nothing to pay.",
    "no_balance": "There is no balance due on this booking.",
    "slot": "Sorry, this time slot is no longer available.",
    "merchant_unavailable": "This merchant cannot take payments right now.",
    "pending": "A payment is already being processed for this invoice.",
    "processing": "Your payment is processing. We will email you when it completes.",
    "page_expired": "This page has expired. Please reload it and try again.",
    "details_missing": "Payment details are missing. Please enter your card again.",
    "details_invalid": "Payment details are invalid. Please enter your card again.",
    "declined": "Your card was declined.",
    "not_started": "The payment could not be started. Please re-enter your card.",
    "unreachable": "We could not reach the payment processor. Please try again.",
    "unreachable_twice": "We could not reach the payment processor. Please try again in a "
                         "moment; you will not be charged twice.",
    "auth_incomplete": "Authentication was not completed. Please try again.",
    # a plural: each locale gives a list, one text per plural form of its language
    "cooldown": ("Too many declined attempts. Please wait %(num)d minute and try again.",
                 "Too many declined attempts. Please wait %(num)d minutes and try again."),
    "excess": "This booking had already been paid when your payment went through, so "
              "%(amount)s of it has been refunded to your card. Nothing more is due.",
    # error pages
    "err_404_title": "Link not found",
    "err_429_title": "Please slow down",
    "err_title": "Something went wrong",
    "err_400": "The request could not be understood.",
    "err_403": "You are not allowed to do that.",
    "err_404": "This page does not exist. The link may have expired or been deleted.",
    "err_405": "That method is not allowed here.",
    "err_413": "The request is too large.",
    "err_429": "Too many attempts. Please wait a moment and try again.",
    "err_500": "Something went wrong on our side. Nothing was charged; please try again.",
    "err_503": "The service is briefly unavailable. Please try again in a moment.",
    # emails and their subjects
    "subject_invoice": "%(merchant)s: %(amount)s due for %(activity)s",
    "subject_receipt": "%(merchant)s: payment received, thank you",
    "subject_confirmed": "%(merchant)s: your booking is confirmed (%(code)s)",
    "subject_expired": "%(merchant)s: your unpaid booking was canceled",
    "hello": "Hello %(name)s,",
    "is_due": "%(amount)s is due for %(activity)s on %(when)s.",
    "open_link": "Or open this link: %(url)s",
    "pay_here": "Pay here: %(url)s",
    "booking_code": "Booking %(code)s",
    "questions": "Questions? Write to %(email)s.",
    "confirmed": "Your booking for %(activity)s on %(when)s is confirmed.",
    "expired_mail": "Your booking for %(activity)s on %(when)s was not paid by its deadline, "
                    "so it has been canceled and its payment link no longer works.",
    "nothing_charged": "Nothing was charged. Contact %(merchant)s to book again.",
    "thanks": "Thank you: we received your payment of %(amount)s.",
    "thanks_tip": "Thank you: we received your payment of %(amount)s (including a %(tip)s "
                  "tip).",
    "balance": "Balance still due: %(amount)s",
    # the invoice SMS (services.messaging.segments): keep it short and GSM-7 where possible
    "sms": "%(merchant)s: %(amount)s due for %(activity)s. Pay: %(url)s",
    "sms_short": "%(amount)s due. Pay: %(url)s",
    # due dates and reminders (services.reminders)
    "due_by": "Due by %(when)s.",
    "due_by_label": "Due by %(when)s",
    "reminder_intro": "A reminder: %(amount)s is due for %(activity)s on %(when)s.",
    "subject_reminder": "Reminder from %(merchant)s: %(amount)s due for %(activity)s",
    # the receipt email, its attachments and the pay page's downloads (services.documents)
    "card": "Card:",
    "amount": "Amount:",
    "tip": "Tip:",
    "participants": ("%(num)d participant", "%(num)d participants"),
    "attached": "Your receipt (PDF) and the booking for your calendar (.ics) are attached.",
    "download_receipt": "Download receipt (PDF)",
    "add_calendar": "Add to calendar (.ics)",
    # the reminder SMS (services.messaging.segments): short, GSM-7 where the invoice SMS is
    "sms_reminder": "%(merchant)s: reminder, %(amount)s due. Pay: %(url)s",
    "sms_reminder_short": "Reminder: %(amount)s due. Pay: %(url)s",
}
