"""English (United Kingdom): British spelling where it differs."""

BASE = "en"
T = {
    "state_canceled": "cancelled",
    "canceled": "This booking has been cancelled, so there is nothing to pay.",
    "subject_expired": "%(merchant)s: your unpaid booking was cancelled",
    "expired_mail": "Your booking for %(activity)s on %(when)s was not paid by its deadline, "
                    "so it has been cancelled and its payment link no longer works.",
    "processing": "Your payment is being processed. We will email you when it completes.",
}
