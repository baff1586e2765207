"""Merchants: API keys, settings (embed origins, webhooks, branding colours), console users
and sign-in, and the console's own services (search, booking detail, Send Invoice)."""
