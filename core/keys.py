"""The development defaults of the personal-data keys, derived from SECRET_KEY (config/settings.py
uses them when PII_ENCRYPTION_KEYS or PII_HMAC_KEY is not set; the deploy check in core/checks.py
warns when they are in use). No Django imports: the settings module imports this."""

import base64
import hashlib

ENCRYPTION = "pii-encryption"
LOOKUP = "pii-lookup"


def derived_key(purpose: str, secret_key: str) -> str:
    """A urlsafe-base64 32-byte key (a valid Fernet key) for ``purpose`` from ``secret_key``."""
    digest = hashlib.sha256(f"{purpose}:{secret_key}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()
