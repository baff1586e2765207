"""Extension objects only; the factory calls init_app on each."""

from flask_mail import Mail

mail = Mail()
