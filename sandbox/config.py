"""Runtime knobs of the sandbox, changed by `POST /_sandbox/config` or `start_sandbox(**config)`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass
class Config:
    webhook_url: str | None = None
    webhook_secret: str = "whsec_sandbox"  # noqa: S105 (a placeholder, not a credential)
    # Connect endpoint: events of connected accounts (they carry `account`), signed with
    # their own secret; sent to webhook_url when no Connect URL is set.
    connect_webhook_url: str | None = None
    connect_webhook_secret: str = "whsec_sandbox_connect"  # noqa: S105 (a placeholder)
    webhooks_enabled: bool = True
    webhook_delay_ms: int = 0  # wait before the first delivery attempt
    webhook_retry_base_ms: int = 500  # backoff: base, 2*base, 4*base ... (Stripe: hours)
    webhook_max_attempts: int = 5
    latency_ms: int = 0  # sleep before answering every /v1 call (a slow Stripe)
    fail_mode: str | None = None  # "503": every /v1 call answers 503 api_error

    def update(self, values: dict[str, Any]) -> None:
        known = {f.name for f in fields(self)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown config keys: {sorted(unknown)}")
        if values.get("fail_mode") not in (None, "503"):
            raise ValueError("fail_mode must be null or '503'")
        for name in ("webhook_url", "connect_webhook_url"):
            url = values.get(name)
            if url is not None and not str(url).startswith(("http://", "https://")):
                raise ValueError(f"{name} must be an http(s) URL")
        for key, value in values.items():
            setattr(self, key, value)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
