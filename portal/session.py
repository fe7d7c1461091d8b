"""Who is signed in to the member portal.

A member's sign-in lives in the ordinary Django session, under one key per tenant, beside (and
independent of) a staff sign-in. It stores the member's id and a keyed hash of the credential's
password hash, as Django's own ``SESSION_HASH`` does for staff: changing or resetting the
password ends every other session of that member.

It also stores when the member was last seen (``seen``, refreshed at most once a minute so a
page view does not always write the session): after ``settings.PORTAL_IDLE_TIMEOUT`` seconds
(30 minutes) without a request the sign-in ends, as a shared phone left on a table should.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import ngettext

from core import tenancy
from membership.models import Member, MemberCredential, MemberStatus

_KEY = "portal:{tenant_id}"
_SEEN_EVERY = 60  # seconds between refreshes of the last-seen time


def _key() -> str:
    return _KEY.format(tenant_id=tenancy.current_tenant().pk)


def _password_hash(credential: MemberCredential) -> str:
    return salted_hmac("portal.session", credential.password, algorithm="sha256").hexdigest()


def _entry(member_id: int, credential: MemberCredential) -> dict:
    return {"member": member_id, "hash": _password_hash(credential), "seen": int(time.time())}


def sign_in(request, member: Member, credential: MemberCredential) -> None:
    """Start a member session (a new session key, so a planted one is useless)."""
    request.session.cycle_key()
    request.session[_key()] = _entry(member.pk, credential)
    request.member = member
    request.member_credential = credential


def refresh(request, credential: MemberCredential) -> None:
    """Keep this session valid after the member changed their own password."""
    request.session.cycle_key()
    request.session[_key()] = _entry(credential.member_id, credential)
    request.member_credential = credential


def sign_out(request) -> None:
    request.session.pop(_key(), None)
    request.session.cycle_key()
    request.member = None


def signed_in_member(request) -> tuple[Member, MemberCredential] | tuple[None, None]:
    """The active tenant's member signed in on this request, with their credential."""
    data = request.session.get(_key())
    if not isinstance(data, dict):
        return None, None
    now = int(time.time())
    seen = data.get("seen")
    if not isinstance(seen, int) or now - seen > settings.PORTAL_IDLE_TIMEOUT:
        request.session.pop(_key(), None)
        minutes = settings.PORTAL_IDLE_TIMEOUT // 60
        messages.info(
            request,
            ngettext(
                "For your safety you were signed out after %(minutes)d minute without activity.",
                "For your safety you were signed out after %(minutes)d minutes without activity.",
                minutes,
            )
            % {"minutes": minutes},
            fail_silently=True,
        )
        return None, None
    member = (
        Member.objects.filter(pk=data.get("member")).exclude(status=MemberStatus.TERMINATED).first()
    )
    credential = (
        MemberCredential.objects.filter(member=member).first() if member is not None else None
    )
    if credential is None or not constant_time_compare(
        data.get("hash", ""), _password_hash(credential)
    ):
        request.session.pop(_key(), None)
        return None, None
    if now - seen >= _SEEN_EVERY:
        request.session[_key()] = {**data, "seen": now}
    return member, credential
