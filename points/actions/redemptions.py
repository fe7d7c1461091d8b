"""Redemptions of rewards: the posting, and the steps of ``workflow.REDEMPTION`` (approve,
reject, hand over, cancel); a rejected or cancelled redemption gives its points back to their
lots (an entry that ``reverses`` the redemption's) and its stock."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actors import actor_of
from membership import pii
from membership.models import Member, MemberStatus

from .. import ledger, workflow
from ..ledger import InvalidTransition, PointsError, fingerprint
from ..models import (
    Coupon,
    EntryKind,
    LedgerEntry,
    Reason,
    Redemption,
    RedemptionStatus,
    Reward,
    RewardKind,
)
from ._common import check_not_own, claim, refusal
from .coupons import issue_coupon
from .idempotency import check_key, post_once


def _check_identity(member: Member, id_number: str) -> None:
    given = pii.normalise_id_number(id_number or "")
    if not given or not member.id_number_digest:
        raise PointsError(_("This reward needs an ID check."), code="id_check_failed")
    if len(given) == 4:
        ok = given.upper() == member.id_number_last4.upper()
    else:
        ok = pii.id_digest(member.tenant_id, given) == member.id_number_digest
    if not ok:
        raise PointsError(_("The ID number does not match the member."), code="id_check_failed")


def do_redeem_reward(
    member: Member,
    reward: Reward,
    *,
    idempotency_key: str,
    actor=None,
    id_number: str = "",
    store=None,
) -> Redemption:
    key = check_key(idempotency_key)
    print_ = fingerprint("redeem", member.pk, reward.pk)
    check_not_own(member, actor)
    if member.status != MemberStatus.ACTIVE:
        raise PointsError(_("Only active members can redeem points."), code="inactive_member")

    def post():
        fresh = Reward.objects.get(pk=reward.pk)
        if not fresh.is_active:
            raise PointsError(_("This reward is not available."), code="unavailable")
        if fresh.requires_id_check:
            _check_identity(member, id_number)
        account = ledger.lock_account(member)
        if fresh.stock is not None:
            taken = Reward.objects.filter(pk=fresh.pk, stock__gt=0).update(stock=F("stock") - 1)
            if not taken:
                raise PointsError(_("This reward is out of stock."), code="out_of_stock")
        redemption = Redemption(
            tenant_id=member.tenant_id,
            member=member,
            reward=fresh,
            points=fresh.points_cost,
            status=(
                RedemptionStatus.PENDING if fresh.requires_approval else RedemptionStatus.APPROVED
            ),
            store=store,
            id_checked=fresh.requires_id_check,
            idempotency_key=key,
            fingerprint=print_,
            actor=actor_of(actor).user,
        )
        redemption.save(force_insert=True)
        today = ledger.local_today()
        entry = ledger.new_entry(
            account,
            kind=EntryKind.REDEEM,
            reason=Reason.REWARD,
            points=-fresh.points_cost,
            redemption=redemption,
            note=str(fresh)[:300],
            idempotency_key=f"redeem:{key}",
            actor=actor_of(actor).user,
            effective_on=today,
        )
        ledger.debit(account, entry, today=today)
        ledger.save_account(account)
        if redemption.status == RedemptionStatus.APPROVED and fresh.kind == RewardKind.COUPON:
            issue_coupon(redemption)
        return redemption

    return post_once(Redemption, key, print_, post)


@transaction.atomic
def do_decide_redemption(redemption: Redemption, *, approve: bool, actor) -> Redemption:
    check_not_own(redemption.member, actor)
    target = RedemptionStatus.APPROVED if approve else RedemptionStatus.REJECTED
    claim(
        redemption,
        workflow.REDEMPTION,
        target,
        decided_by=actor_of(actor).user,
        decided_at=timezone.now(),
    )
    if approve:
        if redemption.reward.kind == RewardKind.COUPON:
            issue_coupon(redemption)
    else:
        _give_back(redemption, actor)
    redemption.refresh_from_db()
    return redemption


@transaction.atomic
def do_fulfil_redemption(redemption: Redemption, *, actor) -> Redemption:
    claim(redemption, workflow.REDEMPTION, RedemptionStatus.FULFILLED, fulfilled_at=timezone.now())
    redemption.refresh_from_db()
    return redemption


@transaction.atomic
def do_cancel_redemption(redemption: Redemption, *, actor, note: str = "") -> Redemption:
    if Coupon.objects.filter(redemption=redemption, used_at__isnull=False).exists():
        raise InvalidTransition(_("A coupon of this redemption was already used."), field="status")
    claim(redemption, workflow.REDEMPTION, RedemptionStatus.CANCELLED, note=note[:300])
    Coupon.objects.filter(redemption=redemption, used_at__isnull=True).update(
        used_at=timezone.now(), used_by=actor_of(actor).user
    )
    _give_back(redemption, actor)
    redemption.refresh_from_db()
    return redemption


def do_transition_redemption(
    redemption: Redemption, target: str, *, actor, note: str = ""
) -> Redemption:
    """Move ``redemption`` to ``target`` by the step's own action (the API's one endpoint for
    all of them); a target no step leads to is refused as the table refuses any other."""
    if target in (RedemptionStatus.APPROVED, RedemptionStatus.REJECTED):
        approve = target == RedemptionStatus.APPROVED
        return do_decide_redemption(redemption, approve=approve, actor=actor)
    if target == RedemptionStatus.FULFILLED:
        return do_fulfil_redemption(redemption, actor=actor)
    if target == RedemptionStatus.CANCELLED:
        return do_cancel_redemption(redemption, actor=actor, note=note)
    raise refusal(redemption, target)


def _give_back(redemption: Redemption, actor) -> None:
    """Return a redemption's points to the lots they came from, and its stock."""
    account = ledger.lock_account(redemption.member)
    today = ledger.local_today()
    spent = (
        LedgerEntry.objects.filter(redemption=redemption, kind=EntryKind.REDEEM)
        .values_list("pk", flat=True)
        .first()
    )
    if ledger.give_back(
        account,
        spent,
        redemption.points,
        today=today,
        reason=Reason.REWARD_RETURNED,
        redemption=redemption,
        idempotency_key=f"redeem-return:{redemption.pk}",
        actor=actor_of(actor).user,
    ):
        ledger.save_account(account)
    Reward.objects.filter(pk=redemption.reward_id, stock__isnull=False).update(stock=F("stock") + 1)
