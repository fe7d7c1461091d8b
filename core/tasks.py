"""Celery tasks that act for one tenant.

``@tenant_task`` makes ``tenant_id`` a required keyword argument, enters that tenant for the run
and leaves it when the run ends (also on error), so one task's tenant never leaks into the next
task the same worker process runs. Enqueue with ``enqueue_on_commit`` so that a task never sees
(or misses) rows of a transaction that has not committed.
"""

import inspect
from functools import partial

from celery import Task, shared_task
from django.db import transaction

from . import tenancy
from .models import Tenant


class TenantTask(Task):
    abstract = True

    def __call__(self, *args, **kwargs):
        tenant_id = kwargs.get("tenant_id")
        if tenant_id is None:
            raise TypeError(f"{self.name} needs a tenant_id keyword argument.")
        tenant = Tenant.objects.filter(pk=tenant_id).first()
        if tenant is None or not tenant.is_active:
            return None  # the tenant is gone or suspended: nothing to do
        with tenancy.tenant_context(tenant):
            return super().__call__(*args, **kwargs)


def tenant_task(*args, **options):
    """``@tenant_task`` or ``@tenant_task(**options)`` on a function taking ``*, tenant_id``."""

    def decorate(func):
        parameter = inspect.signature(func).parameters.get("tenant_id")
        if parameter is None or parameter.kind is not inspect.Parameter.KEYWORD_ONLY:
            raise TypeError(f"{func.__qualname__} must take a keyword-only tenant_id argument.")
        return shared_task(base=TenantTask, **options)(func)

    if len(args) == 1 and callable(args[0]) and not options:
        return decorate(args[0])
    return decorate


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Send ``task`` after the current transaction commits (at once outside one)."""
    transaction.on_commit(partial(task.apply_async, args=args, kwargs=kwargs))


PERIOD_FORMATS = {"minute": "%Y-%m-%dT%H:%M", "hour": "%Y-%m-%dT%H", "day": "%Y-%m-%d"}


def period_key(every: str, now=None) -> str:
    from django.utils import timezone

    return (now or timezone.now()).strftime(PERIOD_FORMATS[every])


@shared_task
def fan_out(task_name: str, every: str = "day") -> int:
    """Platform job run by beat: send ``task_name`` once per active tenant for the current
    period (UTC minute, hour or day). A second scheduler started by mistake finds the period
    already claimed and sends nothing. Returns how many tenants it was sent for."""
    from celery import current_app

    from .models import PeriodicRun

    period = period_key(every)
    if not PeriodicRun.claim(task_name, period):
        return 0
    task = current_app.tasks[task_name]
    tenant_ids = list(Tenant.objects.filter(is_active=True).values_list("pk", flat=True))
    for tenant_id in tenant_ids:
        task.apply_async(kwargs={"tenant_id": tenant_id, "period": period})
    return len(tenant_ids)
