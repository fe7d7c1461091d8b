"""Thin Celery entry points; the work is in ``actions``. All take ids and ``tenant_id``."""

from django.db import InterfaceError, OperationalError
from django.utils import timezone

from core.tasks import tenant_task

from . import actions, selectors

# Database hiccups are worth a retry of the whole task (it is idempotent); anything else is a
# bug and goes to the log. Provider errors are handled per message inside the task.
TRANSIENT = (OperationalError, InterfaceError, ConnectionError)
RETRY = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}


@tenant_task(name="notifications.deliver_messages", **RETRY)
def deliver_messages(*, tenant_id: int, message_ids: list[int]) -> dict:
    return actions.do_deliver_messages(message_ids)


@tenant_task(name="notifications.sweep", **RETRY)
def sweep(*, tenant_id: int, period: str = "") -> int:
    """Every minute per tenant (beat → core.tasks.fan_out): broadcasts due, rows to re-queue."""
    return actions.do_sweep()


@tenant_task(name="notifications.run_reminders", **RETRY)
def run_reminders(*, tenant_id: int, period: str = "") -> int | None:
    """Every hour per tenant: at or after the tenant's send hour (its local time) run the day's
    reminder sources once for the local date."""
    from core import tenancy

    tenant = tenancy.current_tenant()
    local_now = timezone.now().astimezone(tenant.tzinfo)
    if local_now.hour < selectors.settings().send_hour:
        return None
    return actions.do_run_reminders(local_now.date())
