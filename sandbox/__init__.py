"""An offline Stripe: the subset of the Stripe API and Stripe.js that paylink uses.

The app talks to it only through the real `stripe` SDK over HTTP (base address override) and the
pay page loads the Stripe.js double from `/v3/`. See `sandbox.testing.start_sandbox`.
"""

from sandbox.server import create_app

__all__ = ["create_app"]
