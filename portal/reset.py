"""Password reset by a one-time code sent through the notification outbox.

A code is 6 digits, valid ``CODE_TTL``, good for ``MAX_TRIES`` wrong entries, used once; a newer
code replaces the older one. Only a keyed hash is stored (``ResetCode``). The code goes to the
phone on file, or the e-mail when there is no phone, whichever identifier the member typed; the
outbox message declares it secret, so its text is replaced by ``******`` once sent.
"""

from __future__ import annotations

import dataclasses
import datetime
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from core import tenancy
from membership.actions import do_set_member_password
from membership.models import Member, MemberCredential, MemberStatus
from membership.selectors import members_by_id_number, members_by_phone, reach
from notifications.outbox import do_enqueue_message

from . import lockout
from .models import ResetCode

CODE_TTL = datetime.timedelta(minutes=10)
MAX_TRIES = 5
CODE_DIGITS = 6


def member_for_identifier(identifier: str) -> Member | None:
    """The member of the active tenant who may reset with ``identifier`` (phone or ID number):
    not terminated, with portal credentials."""
    member = members_by_phone(identifier).first() if identifier else None
    if member is None and identifier:
        member = members_by_id_number(identifier).first()
    if member is None or member.status == MemberStatus.TERMINATED:
        return None
    if not MemberCredential.objects.filter(member=member).exists():
        return None
    return member


def _hash(member_id: int, code: str) -> str:
    tenant_id = tenancy.current_tenant().pk
    return salted_hmac(
        "portal.reset_code", f"{tenant_id}:{member_id}:{code}", algorithm="sha256"
    ).hexdigest()


@transaction.atomic
def do_issue_reset_code(member: Member, *, language: str | None = None) -> ResetCode | None:
    """Replace the member's code by a new one and write its message to the outbox, in one
    transaction. None when the member cannot be reached or their recipient is over its limits
    (the caller answers the same either way)."""
    to = reach(member)
    if to is None:
        return None
    if language:  # the language of the page the member asked on
        to = dataclasses.replace(to, language=language)
    if not lockout.take_code_send(to.recipient):
        return None
    # One live code per member: lock the member row so two requests (by phone and by ID number)
    # replace each other's code in turn instead of colliding on the unique constraint.
    Member.objects.select_for_update().filter(pk=member.pk).first()
    ResetCode.objects.filter(member=member).delete()
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    now = timezone.now()
    row = ResetCode.objects.create(
        member=member, code_hash=_hash(member.pk, code), created_at=now, expires_at=now + CODE_TTL
    )
    do_enqueue_message(
        template="portal_reset_code",
        to=to,
        context={"code": code, "minutes": int(CODE_TTL.total_seconds() // 60)},
        dedupe_key=f"portal_reset_code:{row.pk}",
        member_id=member.pk,
    )
    return row


def do_reset_password_with_code(
    member: Member, code: str, password: str
) -> MemberCredential | None:
    """Set ``password`` if ``code`` is the member's live code; None otherwise (a wrong code
    counts a try). The code is used up with the change, in one transaction."""
    with transaction.atomic():
        row = ResetCode.objects.select_for_update().filter(member=member).first()
        if row is None or row.expires_at <= timezone.now() or row.tries >= MAX_TRIES:
            return None
        if not constant_time_compare(row.code_hash, _hash(member.pk, code)):
            row.tries += 1
            row.save(update_fields=["tries"])
            return None
        row.delete()
        return do_set_member_password(member, password)
