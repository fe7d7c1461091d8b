"""Periodic points jobs. Beat sends ``core.tasks.fan_out`` daily; it sends these per tenant."""

from core.tasks import enqueue_on_commit, tenant_task

from . import expiry, ledger, selectors

MAX_BATCHES_PER_RUN = 200


@tenant_task("points.expire_points", bind=True)
def expire_points(self, *, tenant_id: int, period: str = "", cursor=None) -> int:
    """Expire due lots (and clear lapsed members' points when the tenant says so). A run does at
    most ``MAX_BATCHES_PER_RUN`` batches and sends itself on with its cursor for the rest."""
    today = ledger.local_today()
    run = expiry.expire_due_lots(
        today, max_batches=MAX_BATCHES_PER_RUN, cursor=tuple(cursor) if cursor else None
    )
    if not run.finished:
        enqueue_on_commit(self, tenant_id=tenant_id, period=period, cursor=run.cursor)
        return run.lots
    if selectors.settings().clear_on_lapse:
        run.lots += expiry.clear_lapsed(today)
    return run.lots
