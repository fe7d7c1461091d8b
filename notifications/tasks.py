"""Thin Celery entry points; the work is in ``actions``. All take ids and ``tenant_id``."""

from django.utils import timezone

from core import tenancy
from core.tasks import tenant_task

from . import actions, selectors

# Retries: core.tasks.RETRY_POLICY. Provider errors are handled per message inside the task.


@tenant_task("notifications.deliver_messages")
def deliver_messages(*, tenant_id: int, message_ids: list[int]) -> dict:
    return actions.do_deliver_messages(message_ids)


@tenant_task("notifications.sweep")
def sweep(*, tenant_id: int, period: str = "") -> int:
    """Every minute per tenant (beat → core.tasks.fan_out): broadcasts due, rows to re-queue."""
    return actions.do_sweep()


@tenant_task("notifications.run_reminders")
def run_reminders(*, tenant_id: int, period: str = "") -> int | None:
    """Every hour per tenant: at or after the tenant's send hour (its local time) run the day's
    reminder sources once for the local date."""

    tenant = tenancy.current_tenant()
    local_now = timezone.now().astimezone(tenant.tzinfo)
    if local_now.hour < selectors.settings().send_hour:
        return None
    return actions.do_run_reminders(local_now.date())
