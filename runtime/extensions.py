"""Extension objects only; the factory calls init_app on each."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_mail import Mail
from flask_wtf.csrf import CSRFProtect

mail = Mail()
# Storage comes from RATELIMIT_STORAGE_URI (memory:// by default, redis:// across processes).
limiter = Limiter(key_func=get_remote_address)
# The console's forms only (WTF_CSRF_CHECK_DEFAULT off): the pay flow signs its own tokens.
csrf = CSRFProtect()
# Catalogs in translations/ (committed with their .mo); the selector is blueprints.language.
babel = Babel()
