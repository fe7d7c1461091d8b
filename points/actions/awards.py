"""Points without a purchase (a task, a referral, an adopted suggestion, a complaint's
compensation, an opening balance), and the credit posting adjustments share."""

import datetime

from django.utils.translation import gettext as _

from core.actors import actor_of
from core.money import MAX_POINTS
from membership.models import Member

from .. import ledger
from ..ledger import PointsError, fingerprint
from ..models import AWARD_REASONS, EntryKind, LedgerEntry
from ._common import UNSET, expiry_for
from .idempotency import check_key, post_once


def do_award_points(
    member: Member,
    *,
    reason: str,
    points: int,
    idempotency_key: str,
    actor=None,
    note: str = "",
    earned_on: datetime.date | None = None,
    expires_at=UNSET,
) -> LedgerEntry:
    """Points without a purchase: a task, a referral, an adopted suggestion, a complaint's
    compensation or an opening balance (which may carry its original dates)."""
    key = check_key(idempotency_key)
    if reason not in AWARD_REASONS:
        raise PointsError(_("Unknown reason for an award."), code="invalid_reason")
    if not 0 < points <= MAX_POINTS:
        raise PointsError(
            _("An award is from 1 to %(max)s points.") % {"max": MAX_POINTS}, field="points"
        )
    print_ = fingerprint(
        "award",
        member.pk,
        reason,
        points,
        note,
        earned_on,
        None if expires_at is UNSET else expires_at,
    )
    return post_credit(
        member,
        kind=EntryKind.EARN,
        reason=reason,
        points=points,
        key=key,
        print_=print_,
        actor=actor,
        note=note,
        earned_on=earned_on,
        expires_at=expires_at,
        source=f"{reason}: {note}" if note else str(reason),
    )


def post_credit(
    member, *, kind, reason, points, key, print_, actor, note, earned_on, expires_at, source
) -> LedgerEntry:
    """One entry of ``points`` (> 0) and its lot, once per ``key``."""

    def post():
        account = ledger.lock_account(member)
        today = ledger.local_today()
        on = earned_on or today
        entry = ledger.new_entry(
            account,
            kind=kind,
            reason=reason,
            points=points,
            note=note[:300],
            idempotency_key=key,
            fingerprint=print_,
            actor=actor_of(actor).user,
            effective_on=on,
        )
        ledger.credit(
            account,
            entry,
            earned_on=on,
            expires_at=expiry_for(member, on) if expires_at is UNSET else expires_at,
            source=source,
        )
        ledger.save_account(account)
        return entry

    return post_once(LedgerEntry, key, print_, post)
