"""Set-based checks of the ledger's invariants in the active tenant."""

from django.db import connection

from core.db import tenant_sql

from .models import Allocation, LedgerEntry, Lot, PointsAccount

_ACCOUNTS = """
SELECT a.id, a.member_id, a.balance, a.debt,
       COALESCE(e.total, 0) AS entries, COALESCE(l.total, 0) AS lots
FROM {account} a
LEFT JOIN (SELECT account_id, sum(points) AS total FROM {entry} WHERE tenant_id = %(tenant)s
           GROUP BY account_id) e ON e.account_id = a.id
LEFT JOIN (SELECT account_id, sum(remaining) AS total FROM {lot} WHERE tenant_id = %(tenant)s
           GROUP BY account_id) l ON l.account_id = a.id
WHERE a.tenant_id = %(tenant)s
  AND (a.balance - a.debt <> COALESCE(e.total, 0) OR a.balance <> COALESCE(l.total, 0))
ORDER BY a.id
"""

_LOTS = """
SELECT l.id, l.points, l.remaining, COALESCE(x.total, 0)
FROM {lot} l
LEFT JOIN (SELECT lot_id, sum(points) AS total FROM {allocation} WHERE tenant_id = %(tenant)s
           GROUP BY lot_id) x ON x.lot_id = l.id
WHERE l.tenant_id = %(tenant)s AND l.remaining <> l.points - COALESCE(x.total, 0)
ORDER BY l.id
"""


def _sql(template: str) -> str:
    return template.format(
        account=PointsAccount._meta.db_table,
        entry=LedgerEntry._meta.db_table,
        lot=Lot._meta.db_table,
        allocation=Allocation._meta.db_table,
    )


def mismatches() -> list[str]:
    problems = []
    with connection.cursor() as cursor:
        cursor.execute(*tenant_sql(_sql(_ACCOUNTS)))
        for account_id, member_id, balance, debt, entries, lots in cursor.fetchall():
            problems.append(
                f"account {account_id} (member {member_id}): balance {balance}, debt {debt}, "
                f"entries sum {entries}, lots remaining {lots}"
            )
        cursor.execute(*tenant_sql(_sql(_LOTS)))
        for lot_id, points, remaining, allocated in cursor.fetchall():
            problems.append(
                f"lot {lot_id}: points {points}, remaining {remaining}, allocated {allocated}"
            )
    return problems
