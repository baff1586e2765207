"""Messages that are never lost: the outbox (written with the change that causes it), what
gets queued (notifications), the worker that drains it, and delivery by email, SMS and
merchant webhooks (with the SSRF-safe outbound HTTP client)."""
