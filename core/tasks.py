"""Celery tasks: one naming scheme, one retry policy, one way to enqueue.

``@tenant_task("points.expire_points")`` registers a task under its explicit name
(``<app>.<function>``: a task keeps its name when its module moves) with the shared
``RETRY_POLICY``; ``@platform_task`` does the same for a task not bound to a tenant (the beat's
``core.fan_out``). ``@tenant_task`` makes ``tenant_id`` a required keyword argument, enters
that tenant for the run and leaves it when the run ends (also on error), so one task's tenant
never leaks into the next task the same worker process runs. Enqueue with
``enqueue_on_commit`` so that a task never sees (or misses) rows of a transaction that has not
committed.
"""

import inspect
from functools import partial

from celery import Task, current_app, shared_task
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from . import tenancy
from .models import PeriodicRun, Tenant

# Every task is idempotent (claims, compare-and-set, idempotency keys), so a whole run is retried
# on a database or network hiccup; anything else is a bug and goes to the log.
RETRY_POLICY = {
    "autoretry_for": (OperationalError, InterfaceError, ConnectionError, TimeoutError),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}
_ALLOWED_OPTIONS = {"bind"}


def _register(name: str, options: dict, **base):
    """``shared_task`` under the explicit ``name`` with the shared policy (checked at once)."""
    if not isinstance(name, str) or name.count(".") != 1:
        raise TypeError(f"A task needs an explicit '<app>.<function>' name, not {name!r}.")
    refused = set(options) - _ALLOWED_OPTIONS
    if refused:
        raise TypeError(f"{name}: {sorted(refused)} are set once, in core.tasks.RETRY_POLICY.")
    return shared_task(name=name, **RETRY_POLICY, **options, **base)


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


def tenant_task(name: str, **options):
    """``@tenant_task("app.function")`` on a function taking ``*, tenant_id`` (``bind=True``
    is the one option)."""

    register = _register(name, options, base=TenantTask)

    def decorate(func):
        parameter = inspect.signature(func).parameters.get("tenant_id")
        if parameter is None or parameter.kind is not inspect.Parameter.KEYWORD_ONLY:
            raise TypeError(f"{func.__qualname__} must take a keyword-only tenant_id argument.")
        return register(func)

    return decorate


def platform_task(name: str, **options):
    """``@platform_task("app.function")``: a task that acts for no one tenant."""
    return _register(name, options)


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Send ``task`` after the current transaction commits (at once outside one): the one way
    the apps enqueue, so that a task never sees (or misses) rows that have not committed."""
    transaction.on_commit(partial(task.apply_async, args=args, kwargs=kwargs))


PERIOD_FORMATS = {"minute": "%Y-%m-%dT%H:%M", "hour": "%Y-%m-%dT%H", "day": "%Y-%m-%d"}


def period_key(every: str, now=None) -> str:

    return (now or timezone.now()).strftime(PERIOD_FORMATS[every])


@platform_task("core.fan_out")
def fan_out(task_name: str, every: str = "day") -> int:
    """Platform job run by beat: send ``task_name`` once per active tenant for the current
    period (UTC minute, hour or day). A second scheduler started by mistake finds the period
    already claimed and sends nothing. Returns how many tenants it was sent for."""

    period = period_key(every)
    if not PeriodicRun.claim(task_name, period):
        return 0
    task = current_app.tasks[task_name]
    tenant_ids = list(Tenant.objects.filter(is_active=True).values_list("pk", flat=True))
    for tenant_id in tenant_ids:
        enqueue_on_commit(task, tenant_id=tenant_id, period=period)
    return len(tenant_ids)
