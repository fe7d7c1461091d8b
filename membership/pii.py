"""Identity-document numbers at rest.

A database dump must not expose ID numbers, yet the front desk must find a member by one and
two members of a tenant may not share one. So each number is kept three ways:

* ``id_number_encrypted``: Fernet (AES-128-CBC + HMAC-SHA256) ciphertext, for the rare screen
  that reveals the full number to a role allowed to see it. Keys come from
  ``settings.PII_ENCRYPTION_KEYS``; the first encrypts, all decrypt (``MultiFernet``), which is
  how keys are rotated.
* ``id_number_digest``: HMAC-SHA256 over the tenant id and the normalised number with
  ``settings.PII_HMAC_KEY``: exact lookup and the per-tenant uniqueness constraint use it.
  Without the key a dump cannot be brute-forced through the (small) space of valid ID numbers,
  and the tenant id in the input keeps one person's rows in two tenants from being linked.
* ``id_number_last4``: the masked form shown on screen.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings

_SEPARATORS = re.compile(r"[\s\-]+")


def normalise_id_number(value: str) -> str:
    """Upper-case, without spaces or dashes: how a number is compared and digested."""
    return _SEPARATORS.sub("", value or "").upper()


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _keys() -> tuple[str, ...]:
    return tuple(settings.PII_ENCRYPTION_KEYS)


def encrypt(value: str) -> str:
    return _fernet(_keys()).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet(_keys()).decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    """Re-encrypt ``token`` under the first (newest) key."""
    return _fernet(_keys()).rotate(token.encode()).decode()


def id_digest(tenant_id: int, value: str) -> str:
    normalised = normalise_id_number(value)
    message = f"{tenant_id}:{normalised}".encode()
    return hmac.new(settings.PII_HMAC_KEY.encode(), message, hashlib.sha256).hexdigest()


def mask(last4: str) -> str:
    return f"****{last4}" if last4 else ""
