"""One lockout for every sign-in form: staff (/accounts/login/), the platform admin (/platform/),
the tenant admin (/t/<tenant>/admin/) and the member portal (/m/<tenant>/login/).

A sign-in is counted *before* its password is checked (``core.ratelimit.attempt``): the attempt
takes a slot in the failure window of its account and of its address in one atomic step, and a
locked account or address is refused without the password being looked at. So N attempts in
parallel cannot get more than the limit's worth of password checks, and the attempt that takes
the last slot locks the key for everyone else while its own password is checked. A successful
sign-in forgets the account's failures and gives its slot on the address back; a failed one
simply keeps its slot.

``STAFF`` holds for every form that signs in a Django user (staff and superusers share one
username space): its counters are kept outside any tenant, so the platform admin, the staff
sign-in and every tenant's admin sign-in share them. The portal's rule (``portal.lockout``) is
per tenant, as members are.
"""

from __future__ import annotations

import contextlib
import math
import unicodedata
from dataclasses import dataclass

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.crypto import salted_hmac
from django.utils.translation import ngettext

from . import ratelimit, tenancy


@dataclass(frozen=True)
class SignInRule:
    """``account_failures`` failed sign-ins of one account, or ``address_failures`` from one
    address, within ``window`` seconds lock it for ``lockout`` seconds."""

    name: str  # the counters' key prefix: "<name>:signin:account:…"
    account_failures: int
    address_failures: int
    window: int
    lockout: int
    across_tenants: bool = False  # one counter for every tenant (Django users are not per tenant)

    def account_key(self, account: str) -> str:
        return f"{self.name}:signin:account:{account}"

    def address_key(self, request) -> str:
        return f"{self.name}:signin:address:{ratelimit.client_address(request)}"

    def scope(self):
        return tenancy.outside_tenants() if self.across_tenants else contextlib.nullcontext()


STAFF = SignInRule(
    "staff",
    account_failures=5,
    address_failures=20,
    window=15 * 60,
    lockout=15 * 60,
    across_tenants=True,
)


def begin(rule: SignInRule, request, *accounts: str) -> ratelimit.Attempt:
    """Count a sign-in of ``accounts`` (digests or normalised identifiers, never personal data
    in clear; usually one, several when a signed-in member confirms with their password and
    every account they sign in with must count it) from the request's address, before its
    password is checked. Refused (falsy, with ``retry_after``) while any is locked: do not check
    the password then. When allowed and the password is wrong, ``locks`` says whether this
    attempt locked (seconds, else 0)."""
    limits = [
        ratelimit.FailureLimit(
            rule.account_key(account), rule.account_failures, rule.window, rule.lockout
        )
        for account in accounts
    ]
    limits.append(
        ratelimit.FailureLimit(
            rule.address_key(request), rule.address_failures, rule.window, rule.lockout
        )
    )
    with rule.scope():
        return ratelimit.attempt(limits)


def succeeded(rule: SignInRule, attempt: ratelimit.Attempt) -> None:
    """The password was right: forget the accounts' failures (and their locks) and give the
    address its slot back (the address is the last slot ``begin`` took)."""
    *accounts, address = (limit.key for limit, _start in attempt.slots)
    with rule.scope():
        for account in accounts:
            ratelimit.reset(account)
        ratelimit.release(attempt, [address])


def staff_account(username: str) -> str:
    """A username's counter: a keyed digest of it as the sign-in form reads it (NFKC: a name in
    full-width letters signs in as the plain one), lower-cased, whether or not a user has it,
    so no spelling of a name gets a counter of its own and the answer never tells."""
    name = unicodedata.normalize("NFKC", (username or "").strip()).lower()
    return salted_hmac("core.staff-sign-in", name, algorithm="sha256").hexdigest()[:32]


def locked_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many failed sign-ins. Please try again in %(minutes)d minute.",
        "Too many failed sign-ins. Please try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


class LockoutFormMixin:
    """For Django's ``AuthenticationForm`` and its subclasses: the sign-in is counted under
    ``STAFF`` before ``authenticate`` runs, refused unchecked while locked, and a wrong password
    that takes the last slot is answered with the lock. ``locked`` holds the message (the
    view answers 429 with it)."""

    locked = ""

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is None or not password:  # nothing will be checked
            return super().clean()
        attempt = begin(STAFF, self.request, staff_account(username))
        if not attempt:
            self._lock(attempt.retry_after)
        try:
            cleaned = super().clean()
        except ValidationError:
            if attempt.locks:
                self._lock(attempt.locks)
            raise
        succeeded(STAFF, attempt)
        return cleaned

    def _lock(self, seconds: int):
        self.locked = locked_message(seconds)
        raise ValidationError(self.locked, code="locked")


class StaffAuthenticationForm(LockoutFormMixin, AuthenticationForm):
    pass


class AdminLockoutAuthenticationForm(LockoutFormMixin, AdminAuthenticationForm):
    pass


def locked_status(response):
    """Answer 429 when a sign-in page was rendered for a locked sign-in."""
    form = (getattr(response, "context_data", None) or {}).get("form")
    if getattr(form, "locked", ""):
        response.status_code = 429
    return response
