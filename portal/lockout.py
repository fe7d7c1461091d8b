"""Sign-in lockout and code limits: the numbers, and who is counted (see docs/portal.md).

Failures are counted per *account*, that is the identifier as typed, normalised (a phone number
in E.164, else an ID number without separators), whether or not a member has it, so the answer
never tells whether a number is a member's; and per *address* (``core.ratelimit.client_address``).
Keys hold a keyed digest of the identifier, never the number itself. Every lock ends by itself.
"""

from __future__ import annotations

import datetime
import math

from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import ngettext

from core import ratelimit, signin
from core.signin import SignInRule
from membership import pii
from membership.selectors import normalise_phone

WINDOW = 15 * 60
LOCKOUT = 15 * 60
ACCOUNT_FAILURES = 5  # failed sign-ins of one account within WINDOW lock it for LOCKOUT
ADDRESS_FAILURES = 20  # failed sign-ins from one address within WINDOW lock the address
# One-time codes: per identifier asked for, per recipient actually sent to, per address.
CODE_LIMITS = [(1, 60), (5, 3600), (10, 86400)]
CODE_ADDRESS_LIMITS = [(10, 3600), (30, 86400)]
CODE_CHECK_ADDRESS_LIMITS = [(30, WINDOW)]  # code entries from one address
# A signed-in member re-entering their password (change password, erasure request): a stolen
# session must not become a way to guess it.
PASSWORD_CHECK_LIMITS = [(10, WINDOW)]


def normalise_identifier(value: str) -> str:
    value = (value or "").strip()
    return normalise_phone(value) or pii.normalise_id_number(value)


def _digest(identifier: str) -> str:
    value = normalise_identifier(identifier)
    return salted_hmac("portal.lockout", value, algorithm="sha256").hexdigest()[:32]


# The shared sign-in lockout (core.signin) with the portal's numbers, per tenant.
SIGN_IN = SignInRule(
    "portal",
    account_failures=ACCOUNT_FAILURES,
    address_failures=ADDRESS_FAILURES,
    window=WINDOW,
    lockout=LOCKOUT,
)


def account_key(identifier: str) -> str:
    return SIGN_IN.account_key(_digest(identifier))


def begin_sign_in(request, identifier: str) -> ratelimit.Attempt:
    """Count a sign-in before its password is checked (``core.signin.begin``): falsy with
    ``retry_after`` while the account or the address is locked."""
    return signin.begin(SIGN_IN, request, _digest(identifier))


def sign_in_succeeded(attempt: ratelimit.Attempt) -> None:
    """A successful sign-in: forget the account's failures, give the address its slot back."""
    signin.succeeded(SIGN_IN, attempt)


def reset_account_key(key: str) -> None:
    """A successful password reset: forget the failures and end the lock of the account the
    code was asked for (the member proved they hold the phone or e-mail on file)."""
    ratelimit.reset(key)


def member_identifiers(member) -> list[str]:
    """The accounts a signed-in member signs in with: their phone and their ID number (two
    accounts, see ``account_key``). The ID number is decrypted only to derive its key: it is
    neither shown nor stored, so this is not a reveal."""
    identifiers = [str(member.phone)] if member.phone else []
    if member.id_number_encrypted:
        identifiers.append(member.reveal_id_number())
    return identifiers


def begin_password_check(request, member) -> ratelimit.Attempt:
    """A signed-in member confirms a sensitive step (the data download) with their password:
    counted before the check as a sign-in of each of their accounts and once of the address
    (``core.signin.begin``), so a session left open cannot be used to guess the password faster
    than the sign-in page allows, not even by parallel requests. A right password is
    ``sign_in_succeeded``."""
    return signin.begin(SIGN_IN, request, *map(_digest, member_identifiers(member)))


def take_code_request(request, identifier: str) -> ratelimit.Decision:
    return ratelimit.take_all(
        [
            (f"portal:code:identifier:{_digest(identifier)}", CODE_LIMITS),
            (f"portal:code:address:{ratelimit.client_address(request)}", CODE_ADDRESS_LIMITS),
        ]
    )


def take_code_send(recipient: str) -> ratelimit.Decision:
    """The same limits on the phone or address a code goes to (a member reachable by phone and
    by ID number must not get twice the messages). Refused silently: the page stays neutral."""
    return ratelimit.take(f"portal:code:recipient:{_digest(recipient)}", CODE_LIMITS)


def take_code_check(request) -> ratelimit.Decision:
    return ratelimit.take(
        f"portal:code:check:{ratelimit.client_address(request)}", CODE_CHECK_ADDRESS_LIMITS
    )


def take_password_check(member) -> ratelimit.Decision:
    return ratelimit.take(f"portal:password-check:{member.pk}", PASSWORD_CHECK_LIMITS)


def try_again(seconds: int) -> str:
    """'Please try again in 15 minutes, after 14:35.' in the active language and tenant time."""
    minutes = max(1, math.ceil(seconds / 60))
    at = timezone.localtime(timezone.now() + datetime.timedelta(seconds=seconds))
    if at.second or at.microsecond:  # "after 14:36" for 14:35:20: never earlier than the end
        at = at.replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)
    return ngettext(
        "Please try again in %(minutes)d minute, after %(time)s.",
        "Please try again in %(minutes)d minutes, after %(time)s.",
        minutes,
    ) % {"minutes": minutes, "time": at.strftime("%H:%M")}
