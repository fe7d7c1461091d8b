"""The daily expiry of points, in set-based SQL and bounded batches.

A batch: pick the next ``batch_size`` due lots after a cursor ``(expires_at, account, id)``
(an index range scan of the partial index ``points_lot_due``), lock their accounts in id
order (postings lock the account before its lots, so the same order here cannot deadlock with
them), then one
statement inserts an ``expire`` entry per account (idempotency key ``expire:<first lot id>``,
``ON CONFLICT DO NOTHING``) with an allocation per lot it cleared (what the member's history
shows: which lots, earned when, from what), zeroes the lots and subtracts the sums from the
accounts. A member whose lots fall due together sees one line "points expired", not one per lot,
and the job writes one entry per account instead of one per lot. Each
batch commits on its own, so a stopped job loses nothing and the next run resumes with the lots
still due; a second run finds no due lots (or only conflicting keys) and changes nothing.
"""

import datetime
from dataclasses import dataclass

from django.db import OperationalError, connection, transaction

from core import tenancy
from core.db import tenant_sql
from membership.models import Member

from .models import Allocation, LedgerEntry, Lot, PointsAccount

BATCH_SIZE = 5000

# Every table access below is bounded by the batch: the lots by ``ids`` and the accounts by
# ``accounts`` (both primary-key look-ups), never a scan of the tables. One entry per account
# and batch (its key names the batch's first lot of that account); an allocation per lot says
# which lots it cleared.
_POST = """
WITH due AS (
    SELECT l.id, l.account_id, l.remaining, a.member_id
    FROM {lot} l JOIN {account} a ON a.id = l.account_id
    WHERE l.tenant_id = %(tenant)s AND l.id = ANY(%(ids)s) AND a.id = ANY(%(accounts)s)
      AND l.remaining > 0
    FOR UPDATE OF l
), per_account AS (
    SELECT account_id, member_id, min(id) AS first_lot, sum(remaining) AS total
    FROM due GROUP BY account_id, member_id
), entries AS (
    INSERT INTO {entry} (tenant_id, account_id, member_id, kind, reason, points, note,
                         idempotency_key, fingerprint, effective_on, created_at)
    SELECT %(tenant)s, account_id, member_id, 'expire', %(reason)s, -total, '',
           %(prefix)s || first_lot, '', %(today)s, now()
    FROM per_account ORDER BY account_id
    ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
    RETURNING id, account_id, points
), done AS (
    SELECT e.id AS entry_id, d.id AS lot_id, d.remaining
    FROM entries e JOIN due d ON d.account_id = e.account_id
), allocations AS (
    INSERT INTO {allocation} (tenant_id, entry_id, lot_id, points)
    SELECT %(tenant)s, entry_id, lot_id, remaining FROM done ORDER BY lot_id
), lots AS (
    UPDATE {lot} l SET remaining = 0 FROM done
    WHERE l.id = done.lot_id AND l.id = ANY(%(ids)s)
)
UPDATE {account} a SET balance = a.balance + e.points, updated_at = now()
FROM entries e
WHERE a.id = e.account_id AND a.id = ANY(%(accounts)s)
"""

# In (expires_at, account, id) order, the order of the partial index points_lot_due: a batch
# holds all of an account's lots due that day (bar one split at the batch's end), so it writes
# one entry per account, not per lot.
_DUE = """
SELECT id, account_id, expires_at FROM {lot}
WHERE tenant_id = %(tenant)s AND remaining > 0 AND expires_at <= %(today)s
  AND (expires_at, account_id, id) > (%(after_date)s, %(after_account)s, %(after_id)s)
ORDER BY expires_at, account_id, id
LIMIT %(limit)s
"""

_LAPSED = """
SELECT l.id, l.account_id, l.expires_at FROM {lot} l
JOIN {account} a ON a.id = l.account_id
JOIN {member} m ON m.id = a.member_id
WHERE l.tenant_id = %(tenant)s AND m.status = 'expired' AND l.remaining > 0 AND l.id > %(after_id)s
ORDER BY l.id
LIMIT %(limit)s
"""


def _sql(template: str) -> str:
    return template.format(
        lot=Lot._meta.db_table,
        account=PointsAccount._meta.db_table,
        entry=LedgerEntry._meta.db_table,
        allocation=Allocation._meta.db_table,
        member=Member._meta.db_table,
    )


@dataclass
class ExpiryRun:
    lots: int = 0
    batches: int = 0
    cursor: tuple | None = None  # (expires_at iso, account id, lot id) to resume from
    finished: bool = True


def _batch(select: str, params: dict, *, prefix: str, reason: str, today) -> list[tuple]:
    tenant_id = params["tenant"]
    for attempt in range(3):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(*tenant_sql(_sql(select), params))
                rows = cursor.fetchall()
                if not rows:
                    return []
                accounts = sorted({row[1] for row in rows})
                # The batch's plans are cheap index look-ups; JIT compiling them (their cost
                # estimates for the CTEs are high) took seconds per batch.
                cursor.execute("SET LOCAL jit = off")
                cursor.execute(
                    f"SELECT id FROM {PointsAccount._meta.db_table} "
                    "WHERE tenant_id = %s AND id = ANY(%s) ORDER BY id FOR UPDATE",
                    [tenant_id, accounts],
                )
                cursor.execute(
                    *tenant_sql(
                        _sql(_POST),
                        {
                            "ids": [row[0] for row in rows],
                            "accounts": accounts,
                            "prefix": prefix,
                            "reason": reason,
                            "today": today,
                        },
                    )
                )
                return rows
        except OperationalError:  # a deadlock with a posting that locks two accounts
            if attempt == 2:
                raise
    return []


def expire_due_lots(
    today: datetime.date,
    *,
    batch_size: int | None = None,
    max_batches: int | None = None,
    cursor: tuple | None = None,
) -> ExpiryRun:
    """Expire the active tenant's lots due on or before ``today``. Stops after ``max_batches``
    (returning the cursor to resume from) or when nothing is due."""
    tenant = tenancy.current_tenant()
    batch_size = batch_size or BATCH_SIZE
    if cursor and len(cursor) == 2:  # (date, lot id) of a run queued before accounts were in it
        cursor = (cursor[0], 0, 0)  # that day again from its start: what expired is skipped
    after_date, after_account, after_id = cursor or (datetime.date.min, 0, 0)
    if isinstance(after_date, str):
        after_date = datetime.date.fromisoformat(after_date)
    run = ExpiryRun()
    while max_batches is None or run.batches < max_batches:
        rows = _batch(
            _DUE,
            {
                "tenant": tenant.pk,
                "today": today,
                "after_date": after_date,
                "after_account": after_account,
                "after_id": after_id,
                "limit": batch_size,
            },
            prefix="expire:",
            reason="expiry",
            today=today,
        )
        if not rows:
            return run
        run.batches += 1
        run.lots += len(rows)
        after_id, after_account, after_date = rows[-1]
    run.cursor = (after_date.isoformat(), after_account, after_id)
    run.finished = False
    return run


def clear_lapsed(today: datetime.date, *, batch_size: int | None = None) -> int:
    """Clear every lot of members whose membership lapsed (status expired)."""
    tenant = tenancy.current_tenant()
    batch_size = batch_size or BATCH_SIZE
    after_id, cleared = 0, 0
    while True:
        rows = _batch(
            _LAPSED,
            {"tenant": tenant.pk, "after_id": after_id, "limit": batch_size},
            prefix="lapse:",
            reason="lapse",
            today=today,
        )
        if not rows:
            return cleared
        cleared += len(rows)
        after_id = rows[-1][0]
