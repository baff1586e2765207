"""Due dates and reminders: the merchant's schedule, the claims, the invoice timeline."""
