"""Posting primitives: the only code that changes balances, lots and debt.

Every function here runs inside the caller's transaction with the account row locked
(``lock_account``); lots of an account change only under that lock (the expiry job takes the
account locks first too), so the lot queries need no locks of their own and two postings to one
account never interleave.
"""

import datetime
import hashlib
import json

from django.core.exceptions import ValidationError
from django.db.models import Case, F, Q, Sum, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import tenancy

from .models import Allocation, LedgerEntry, Lot, PointsAccount


class PointsError(ValidationError):
    """A posting refused for a reason the user can act on."""


class InsufficientPoints(PointsError):
    pass


class IdempotencyConflict(PointsError):
    pass


class OwnAccount(PointsError):
    pass


def fingerprint(*parts) -> str:
    payload = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def same_or_conflict(existing, print_: str):
    """Return ``existing`` when it was posted with the same content, refuse otherwise."""
    if existing.fingerprint and existing.fingerprint != print_:
        raise IdempotencyConflict(
            _("This idempotency key was already used for a different posting."),
            code="idempotency_conflict",
        )
    return existing


def local_today() -> datetime.date:
    return tenancy.current_tenant().local_now().date()


def lock_account(member) -> PointsAccount:
    """The member's account, created if missing, locked for this transaction."""
    locked = PointsAccount.objects.select_for_update(of=("self",)).filter(member=member)
    account = locked.first()
    if account is None:
        PointsAccount.objects.bulk_create(
            [PointsAccount(tenant_id=member.tenant_id, member=member)], ignore_conflicts=True
        )
        account = locked.first()
    return account


def save_account(account: PointsAccount) -> None:
    account.updated_at = timezone.now()
    PointsAccount.objects.filter(pk=account.pk).update(
        balance=account.balance, debt=account.debt, updated_at=account.updated_at
    )


def new_entry(account: PointsAccount, **fields) -> LedgerEntry:
    entry = LedgerEntry(
        tenant_id=account.tenant_id, account=account, member_id=account.member_id, **fields
    )
    entry.save(force_insert=True)
    return entry


def credit(
    account: PointsAccount,
    entry: LedgerEntry,
    *,
    earned_on: datetime.date,
    expires_at: datetime.date | None,
    source: str,
) -> Lot | None:
    """Book ``entry.points`` (> 0) as a new lot; outstanding debt is settled from it first."""
    points = entry.points
    settled = min(account.debt, points)
    lot = Lot(
        tenant_id=account.tenant_id,
        account=account,
        entry=entry,
        points=points,
        remaining=points - settled,
        earned_at=earned_on,
        expires_at=expires_at,
        source=source[:300],
    )
    lot.save(force_insert=True)
    if settled:
        Allocation.objects.create(tenant_id=account.tenant_id, entry=entry, lot=lot, points=settled)
    account.debt -= settled
    account.balance += points - settled
    return lot


def spendable_lots(account: PointsAccount, today: datetime.date, prefer: list[int] = ()):
    """Valid lots in spending order: lots of the ``prefer`` entries first (a refund takes back
    the very points its purchase earned), then the oldest-expiring."""
    lots = Lot.objects.filter(account=account, remaining__gt=0).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=today)
    )
    order = [F("expires_at").asc(nulls_last=True), "id"]
    if prefer:
        order.insert(0, Case(When(entry_id__in=prefer, then=0), default=1))
    return lots.order_by(*order)


def debit(
    account: PointsAccount,
    entry: LedgerEntry,
    *,
    today: datetime.date,
    allow_debt: bool = False,
    prefer: list[int] = (),
) -> int:
    """Take ``-entry.points`` from the oldest-expiring valid lots. Without ``allow_debt`` a
    shortfall is refused; with it, the shortfall becomes recorded debt. Returns the debt added."""
    wanted = -entry.points
    taken_from: list[tuple[Lot, int]] = []
    still = wanted
    if account.balance > 0:
        for lot in spendable_lots(account, today, prefer).only("id", "remaining"):
            take = min(lot.remaining, still)
            taken_from.append((lot, take))
            still -= take
            if not still:
                break
    if still and not allow_debt:
        raise InsufficientPoints(
            _("Not enough points: %(wanted)s wanted, %(available)s available.")
            % {"wanted": wanted, "available": wanted - still},
            code="insufficient_points",
        )
    if taken_from:
        Allocation.objects.bulk_create(
            [
                Allocation(tenant_id=account.tenant_id, entry=entry, lot=lot, points=take)
                for lot, take in taken_from
            ]
        )
        for lot, take in taken_from:
            lot.remaining -= take
        Lot.objects.bulk_update([lot for lot, _take in taken_from], ["remaining"])
    account.balance -= wanted - still
    account.debt += still
    return still


def restore_plan(
    from_entries: list[int], points: int, *, today: datetime.date
) -> list[tuple[Lot, int]]:
    """Which lots get back up to ``points`` that ``from_entries`` took from them: the very lots,
    so the points keep their original expiry (latest-expiring first). Points whose lot has
    expired meanwhile are not given back: they would have expired anyway."""
    if points <= 0:
        return []
    taken = (
        Allocation.objects.filter(entry_id__in=from_entries)
        .values("lot_id")
        .annotate(net=Sum("points"))
        .filter(net__gt=0)
    )
    net_by_lot = {row["lot_id"]: row["net"] for row in taken}
    lots = (
        Lot.objects.filter(pk__in=net_by_lot)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=today))
        .order_by(F("expires_at").desc(nulls_first=True), "-id")
    )
    plan: list[tuple[Lot, int]] = []
    left = points
    for lot in lots:
        give = min(net_by_lot[lot.pk], lot.points - lot.remaining, left)
        if give > 0:
            plan.append((lot, give))
            left -= give
        if not left:
            break
    return plan


def apply_restore(account: PointsAccount, entry: LedgerEntry, plan: list[tuple[Lot, int]]) -> None:
    """Give the planned points back to their lots (``entry.points`` must be their sum);
    outstanding debt is settled from them first, like from any credit."""
    settle = min(account.debt, entry.points)
    allocations = []
    for lot, give in plan:
        keep = min(give, settle)
        settle -= keep
        lot.remaining += give - keep
        allocations.append(
            Allocation(tenant_id=account.tenant_id, entry=entry, lot=lot, points=keep - give)
        )
    if allocations:
        Allocation.objects.bulk_create(allocations)
        Lot.objects.bulk_update([lot for lot, _give in plan], ["remaining"])
    settled = min(account.debt, entry.points)
    account.debt -= settled
    account.balance += entry.points - settled
