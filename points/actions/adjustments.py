"""Manual adjustments: posted at once up to the tenant's threshold, otherwise waiting for a
manager's approval (``do_decide_adjustment``); the steps are ``workflow.ADJUSTMENT``."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actors import actor_of
from core.money import MAX_POINTS
from membership.models import Member

from .. import ledger, workflow
from ..ledger import PointsError, fingerprint
from ..models import AdjustmentRequest, AdjustmentStatus, EntryKind, LedgerEntry, Reason
from ..selectors import rules_snapshot
from ._common import UNSET, check_not_own, claim
from .awards import post_credit
from .idempotency import check_key, post_once


def do_request_adjustment(
    member: Member, *, points: int, reason: str, idempotency_key: str, actor
) -> AdjustmentRequest:
    """A manual adjustment: posted at once up to the tenant's threshold, otherwise waiting for a
    manager's approval (``do_decide_adjustment``)."""
    key = check_key(idempotency_key)
    reason = (reason or "").strip()
    if not reason:
        raise PointsError(_("A manual adjustment needs a reason."), code="reason_required")
    if not points:
        raise PointsError(_("An adjustment of 0 points changes nothing."), field="points")
    if abs(points) > MAX_POINTS:
        raise PointsError(
            _("An adjustment is at most %(max)s points either way.") % {"max": MAX_POINTS},
            field="points",
        )
    check_not_own(member, actor)
    reason = reason[:300]
    print_ = fingerprint("adjustment", member.pk, points, reason)

    def post():
        request = AdjustmentRequest.objects.create(
            member=member,
            points=points,
            reason=reason,
            requested_by=actor_of(actor).user,
            idempotency_key=key,
            fingerprint=print_,
        )
        if abs(points) <= rules_snapshot().settings.adjustment_approval_threshold:
            _decide(request, AdjustmentStatus.APPROVED, actor)
        return request

    return post_once(AdjustmentRequest, key, print_, post)


@transaction.atomic
def do_decide_adjustment(request: AdjustmentRequest, *, approve: bool, actor) -> AdjustmentRequest:
    check_not_own(request.member, actor)
    if actor is not None and request.requested_by_id == actor.pk:
        raise PointsError(_("An adjustment needs another person's approval."))
    _decide(request, AdjustmentStatus.APPROVED if approve else AdjustmentStatus.REJECTED, actor)
    request.refresh_from_db()
    return request


def _decide(request: AdjustmentRequest, target: str, actor) -> None:
    """Claim the step (a request decided meanwhile is refused); an approval posts the entry."""
    claim(
        request,
        workflow.ADJUSTMENT,
        target,
        decided_by=actor_of(actor).user,
        decided_at=timezone.now(),
    )
    if target == AdjustmentStatus.APPROVED:
        _post_entry(request, actor)


def _post_entry(request: AdjustmentRequest, actor) -> LedgerEntry:
    common = {
        "kind": EntryKind.ADJUST,
        "reason": Reason.MANUAL,
        "key": f"adjust:{request.pk}",
        "print_": "",
        "actor": actor,
        "note": request.reason,
    }
    if request.points > 0:
        return post_credit(
            request.member,
            points=request.points,
            earned_on=None,
            expires_at=UNSET,
            source=f"adjustment: {request.reason}",
            **common,
        )
    return _post_debit(request.member, points=-request.points, **common)


def _post_debit(member, *, kind, reason, points, key, print_, actor, note) -> LedgerEntry:
    def post():
        account = ledger.lock_account(member)
        today = ledger.local_today()
        entry = ledger.new_entry(
            account,
            kind=kind,
            reason=reason,
            points=-points,
            note=note[:300],
            idempotency_key=key,
            fingerprint=print_,
            actor=actor_of(actor).user,
            effective_on=today,
        )
        ledger.debit(account, entry, today=today)
        ledger.save_account(account)
        return entry

    return post_once(LedgerEntry, key, print_, post)
