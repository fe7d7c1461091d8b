"""Posting primitives: the only code that changes balances, lots and debt.

Every function here runs inside the caller's transaction with the account row locked
(``lock_account``); lots of an account change only under that lock (the expiry job takes the
account locks first too), so the lot queries need no locks of their own and two postings to one
account never interleave.
"""

import datetime
import hashlib
import json

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Case, F, Q, Sum, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import tenancy
from core.db import prepared_cursor
from core.exceptions import Conflict, DomainError, Forbidden, Unprocessable
from core.money import MAX_BALANCE

from .models import Allocation, EntryKind, LedgerEntry, Lot, PointsAccount, PurchaseLine


class PointsError(DomainError):
    """A posting refused for a reason the user can act on (400 unless a subclass says: the
    subclasses take their status from the core error they also are)."""


class InsufficientPoints(PointsError, Conflict):
    default_code = "insufficient_points"


class IdempotencyConflict(PointsError, Unprocessable):
    default_code = "idempotency_conflict"


class OwnAccount(PointsError, Forbidden):
    default_code = "own_account"


class BalanceLimit(PointsError, Conflict):
    default_code = "balance_limit"


class InvalidTransition(PointsError, Conflict):
    """A status change ``points.workflow`` does not hold (or the row moved on meanwhile)."""

    default_code = "invalid_transition"


def book_credit(account: PointsAccount, points: int) -> int:
    """Book a credit of ``points`` (> 0) on ``account``: outstanding debt is settled from it
    first, the rest goes to the balance. Returns the points that settled debt. The one place
    that decides it, for every credit (``credit``, ``apply_restore`` and both purchase paths).
    A credit that would take the balance past ``MAX_BALANCE`` (the column's limit: the database
    would refuse it with a server error) is refused, before anything changes."""
    if account.balance + points > MAX_BALANCE:
        raise BalanceLimit(
            _("This would take the balance past %(max)s points.") % {"max": MAX_BALANCE},
            field="points",
        )
    settled = min(account.debt, points)
    account.debt -= settled
    account.balance += points - settled
    return settled


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


_ACCOUNT_FIELDS = None


def lock_accounts(member_ids) -> None:
    """Lock the accounts of several members (created if missing) in account id order, the
    order every multi-account locker uses (the expiry job too), so two postings that each
    need two accounts (a purchase and its referrer's bonus) cannot deadlock."""
    tenant_id = tenancy.current_tenant().pk
    member_ids = sorted(set(member_ids))
    PointsAccount.objects.bulk_create(
        [PointsAccount(tenant_id=tenant_id, member_id=pk) for pk in member_ids],
        ignore_conflicts=True,
    )
    list(
        PointsAccount.objects.select_for_update()
        .filter(member_id__in=member_ids)
        .order_by("id")
        .values_list("id", flat=True)
    )


def lock_account(member) -> PointsAccount:
    """The member's account in the active tenant, created if missing, locked for this
    transaction. One plain ``SELECT … FOR UPDATE`` on the unique ``(tenant, member)`` index
    (no ORM compilation, no ``ORDER BY``: this runs on every posting)."""
    global _ACCOUNT_FIELDS
    if _ACCOUNT_FIELDS is None:
        _ACCOUNT_FIELDS = [f.attname for f in PointsAccount._meta.concrete_fields]
    tenant_id = tenancy.current_tenant().pk
    if member.tenant_id != tenant_id:
        raise tenancy.NoActiveTenant(
            f"Refusing to post to a member of tenant {member.tenant_id} "
            f"while tenant {tenant_id} is active."
        )
    sql = (
        f"SELECT {', '.join(connection.ops.quote_name(c) for c in _ACCOUNT_FIELDS)} "
        f"FROM {PointsAccount._meta.db_table} WHERE tenant_id = %s AND member_id = %s FOR UPDATE"
    )
    with prepared_cursor() as cursor:
        cursor.execute(sql, [tenant_id, member.pk])
        row = cursor.fetchone()
        if row is None:
            PointsAccount.objects.bulk_create(
                [PointsAccount(tenant_id=member.tenant_id, member=member)], ignore_conflicts=True
            )
            cursor.execute(sql, [tenant_id, member.pk])
            row = cursor.fetchone()
    return PointsAccount.from_db(connection.alias, _ACCOUNT_FIELDS, row)


# Field types whose Python value psycopg adapts as is (no ORM preparation needed).
_PLAIN_TYPES = {
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateField",
    "DecimalField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "TextField",
}
_INSERT_FIELDS: dict = {}


def _cast_type(field) -> str:
    """The type to cast a parameter to for ``field``'s column; character types without their
    length, so a value too long is refused by the column, not cut by the cast."""
    db_type = field.cast_db_type(connection)
    return db_type.split("(")[0] if db_type.startswith("varchar") else db_type


def _insert_fields(model) -> list:
    fields = _INSERT_FIELDS.get(model)
    if fields is None:
        fields = [
            (
                field,
                connection.ops.quote_name(field.column),
                field.get_internal_type() in _PLAIN_TYPES,
                _cast_type(field),
            )
            for field in model._meta.concrete_fields
            if not field.primary_key
        ]
        _INSERT_FIELDS[model] = fields
    return fields


def _columns_and_values(obj, exprs: dict) -> tuple[list[str], list[str], list]:
    """The INSERT columns of ``obj`` (all concrete fields but the primary key), the SQL of each
    value (``%s`` cast to the column's type, or the expression given in ``exprs`` by column: SQL
    text, or a pair of SQL text and its parameters) and the parameters, prepared as the ORM
    would for a save. The casts let the values stand in a ``SELECT`` (see post_purchase)."""
    columns, values, params = [], [], []
    wrapper = connections[DEFAULT_DB_ALIAS]  # once: `connection` is a proxy
    for field, column, plain, db_type in _insert_fields(type(obj)):
        columns.append(column)
        if field.column in exprs:
            expr = exprs[field.column]
            sql, expr_params = expr if isinstance(expr, tuple) else (expr, [])
            values.append(sql)
            params.extend(expr_params)
        else:
            values.append(f"%s::{db_type}")
            value = field.pre_save(obj, True)
            params.append(value if plain else field.get_db_prep_save(value, wrapper))
    return columns, values, params


def _mark_saved(obj, pk: int) -> None:
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = connection.alias


def post_purchase(
    account: PointsAccount,
    purchase,
    lines: list,
    earn: LedgerEntry | None,
    lot: Lot | None,
    source_suffix: str = "",
) -> bool:
    """Insert a purchase, its lines, its earn entry and lot (settling debt first,
    ``book_credit``) and save the account, in **one** statement (data-modifying CTEs), so a
    posting is one round trip after the account lock: the fast path of ``write_purchase``,
    which writes the same rows (``tests/points/test_ledger.py`` holds the two to it). The lot's
    source is ``purchase #<id>`` + ``source_suffix``. Sets the primary keys on the objects
    passed and returns True; returns False and writes nothing when the purchase's idempotency
    key is taken (``ON CONFLICT DO NOTHING``: every other part inserts only from the purchase
    row), so the caller needs no savepoint to survive a repeated key."""
    tables = {
        "purchase": purchase._meta.db_table,
        "line": lines[0]._meta.db_table if lines else "",
        "entry": LedgerEntry._meta.db_table,
        "lot": Lot._meta.db_table,
        "allocation": Allocation._meta.db_table,
        "account": PointsAccount._meta.db_table,
    }
    parts, params = [], []

    def cte(name: str, table: str, rows: list, exprs: dict[str, str], source: str) -> None:
        selects = []
        for obj in rows:
            columns, values, row_params = _columns_and_values(obj, exprs)
            selects.append(f"SELECT {', '.join(values)} {source}")
            params.extend(row_params)
        conflict = " ON CONFLICT (tenant_id, idempotency_key) DO NOTHING" if name == "p" else ""
        parts.append(
            f"{name} AS (INSERT INTO {table} ({', '.join(columns)}) "
            f"{' UNION ALL '.join(selects)}{conflict} RETURNING id)"
        )

    cte("p", tables["purchase"], [purchase], {}, "")
    if lines:
        cte("l", tables["line"], lines, {"purchase_id": "p.id"}, "FROM p")
    if earn is not None:
        settled = book_credit(account, earn.points)
        earn.purchase = None
        cte("e", tables["entry"], [earn], {"purchase_id": "p.id"}, "FROM p")
        lot.points = earn.points
        lot.remaining = earn.points - settled
        cte(
            "t",
            tables["lot"],
            [lot],
            {
                "entry_id": "(SELECT id FROM e)",
                "source": ("left('purchase #' || (SELECT id FROM p) || %s, 300)", [source_suffix]),
            },
            "FROM e",
        )
        if settled:
            parts.append(
                f"s AS (INSERT INTO {tables['allocation']} (tenant_id, entry_id, lot_id, points) "
                "SELECT %s, e.id, t.id, %s FROM e, t)"
            )
            params.extend([account.tenant_id, settled])
    account.updated_at = timezone.now()
    parts.append(
        f"a AS (UPDATE {tables['account']} SET balance = %s, debt = %s, updated_at = %s "
        "WHERE tenant_id = %s AND id = %s AND EXISTS (SELECT FROM p))"
    )
    params.extend(
        [account.balance, account.debt, account.updated_at, account.tenant_id, account.pk]
    )
    select = [
        "(SELECT id FROM p)",
        "ARRAY(SELECT id FROM l ORDER BY id)" if lines else "ARRAY[]::bigint[]",
        "(SELECT id FROM e)" if earn is not None else "NULL",
        "(SELECT id FROM t)" if earn is not None else "NULL",
    ]
    sql = f"WITH {', '.join(parts)} SELECT {', '.join(select)}"
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        purchase_id, line_ids, entry_id, lot_id = cursor.fetchone()
    if purchase_id is None:
        return False
    _mark_saved(purchase, purchase_id)
    for line, line_id in zip(lines, line_ids, strict=True):
        line.purchase = purchase
        _mark_saved(line, line_id)
    if earn is not None:
        earn.purchase = purchase
        _mark_saved(earn, entry_id)
        lot.entry = earn
        lot.source = f"purchase #{purchase_id}{source_suffix}"[:300]
        _mark_saved(lot, lot_id)
    return True


def write_purchase(
    account: PointsAccount,
    purchase,
    lines: list,
    earn: LedgerEntry | None,
    lot: Lot | None,
    source_suffix: str = "",
    *,
    pay: LedgerEntry | None = None,
    today: datetime.date | None = None,
) -> None:
    """The reference path of ``post_purchase``: the same rows, written one by one through the
    ORM, and the account saved. Purchases that pay with points take it: ``pay`` (the unsaved
    ``redeem`` entry) is taken from the lots valid ``today`` before the earned points are
    booked, and ``debit`` must read the lots to do so, which one statement cannot."""
    purchase.save(force_insert=True)
    PurchaseLine.objects.bulk_create(lines)
    if pay is not None:
        pay.purchase = purchase
        pay.save(force_insert=True)
        debit(account, pay, today=today)
    if earn is not None:
        earn.purchase = purchase
        earn.save(force_insert=True)
        lot.source = f"purchase #{purchase.pk}{source_suffix}"
        _book_lot(account, earn, lot)
    save_account(account)


def save_account(account: PointsAccount) -> None:
    account.updated_at = timezone.now()
    PointsAccount.objects.filter(pk=account.pk).update(
        balance=account.balance, debt=account.debt, updated_at=account.updated_at
    )


def unsaved_entry(account: PointsAccount, **fields) -> LedgerEntry:
    return LedgerEntry(
        tenant_id=account.tenant_id, account=account, member_id=account.member_id, **fields
    )


def new_entry(account: PointsAccount, **fields) -> LedgerEntry:
    entry = unsaved_entry(account, **fields)
    entry.save(force_insert=True)
    return entry


def give_back(
    account: PointsAccount, reversed_entry: int | None, points: int, *, today, **fields
) -> int:
    """Give back up to ``points`` that ``reversed_entry`` took from lots, to the very lots
    (``restore_plan``), as one ``reverse`` entry that names it (``reverses``). Returns the
    points given back; none (no entry) when their lots have expired or been cleared."""
    plan = restore_plan([reversed_entry] if reversed_entry else [], points, today=today)
    back = sum(give for _lot, give in plan)
    if back:
        entry = new_entry(
            account,
            kind=EntryKind.REVERSE,
            points=back,
            reverses_id=reversed_entry,
            effective_on=today,
            **fields,
        )
        apply_restore(account, entry, plan)
    return back


def credit(
    account: PointsAccount,
    entry: LedgerEntry,
    *,
    earned_on: datetime.date,
    expires_at: datetime.date | None,
    source: str,
) -> Lot | None:
    """Book ``entry.points`` (> 0) as a new lot; outstanding debt is settled from it first."""
    lot = Lot(
        tenant_id=account.tenant_id,
        account=account,
        earned_at=earned_on,
        expires_at=expires_at,
        source=source,
    )
    return _book_lot(account, entry, lot)


def _book_lot(account: PointsAccount, entry: LedgerEntry, lot: Lot) -> Lot:
    """Save ``lot`` (unsaved, its dates and source set) as the lot of ``entry``'s points, less
    the debt they settle, which an allocation records."""
    settled = book_credit(account, entry.points)
    lot.entry = entry
    lot.points = entry.points
    lot.remaining = entry.points - settled
    lot.source = lot.source[:300]
    lot.save(force_insert=True)
    if settled:
        Allocation.objects.create(tenant_id=account.tenant_id, entry=entry, lot=lot, points=settled)
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
    expired meanwhile, or was cleared by a lapse, are not given back: they would have expired
    (been cleared) anyway."""
    if points <= 0:
        return []
    # A lot cleared by the expiry job or a lapse (an expire entry took from it) is dead: points
    # are never given back to it, whatever its expiry date says.
    cleared = Allocation.objects.filter(entry__kind=EntryKind.EXPIRE).values("lot_id")
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
        .exclude(pk__in=cleared.filter(lot_id__in=list(net_by_lot)))
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
    settle = book_credit(account, entry.points)
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
