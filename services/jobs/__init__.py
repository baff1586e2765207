"""The periodic work in one place: auto-expire, reminders, the outbox."""
