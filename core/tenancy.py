"""The active tenant: one context variable, set per request and per Celery task.

Tenant-owned models refuse to query without it (see ``core.models.TenantManager``). Code that
truly spans tenants (the platform admin, the scheduler that fans out per tenant) enters
``dangerously_all_tenants()`` and says so by that name.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Tenant


class NoActiveTenant(RuntimeError):
    """A tenant-owned table was queried with no tenant active."""


class _AllTenants:
    def __repr__(self) -> str:
        return "<all tenants>"


ALL_TENANTS = _AllTenants()

_scope: ContextVar[Tenant | _AllTenants | None] = ContextVar("tenant_scope", default=None)


def current_scope() -> Tenant | _AllTenants | None:
    return _scope.get()


def current_tenant() -> Tenant:
    """The active tenant; raises when there is none (or when all tenants are in scope)."""
    scope = _scope.get()
    if scope is None or scope is ALL_TENANTS:
        raise NoActiveTenant(
            "No tenant is active. Enter one with core.tenancy.tenant_context(tenant)."
        )
    return scope


def current_tenant_or_none() -> Tenant | None:
    scope = _scope.get()
    return None if scope is ALL_TENANTS else scope


@contextlib.contextmanager
def tenant_context(tenant: Tenant):
    if tenant is None:
        raise NoActiveTenant("tenant_context() needs a tenant, got None.")
    token = _scope.set(tenant)
    try:
        yield tenant
    finally:
        _scope.reset(token)


@contextlib.contextmanager
def dangerously_all_tenants():
    """Lift tenant scoping: every tenant's rows become visible. Platform code only."""
    token = _scope.set(ALL_TENANTS)
    try:
        yield
    finally:
        _scope.reset(token)


@contextlib.contextmanager
def outside_tenants():
    """No tenant active for the block (fail-closed: tenant-owned queries raise). For platform
    data such as the tenants themselves, whose cache keys must not depend on the caller's tenant."""
    token = _scope.set(None)
    try:
        yield
    finally:
        _scope.reset(token)


def activate(tenant: Tenant):
    """Set the active tenant and return the token for ``deactivate``."""
    return _scope.set(tenant)


def deactivate(token) -> None:
    _scope.reset(token)


def make_cache_key(key: str, key_prefix: str, version: int) -> str:
    """Django cache KEY_FUNCTION: every key carries the active tenant (or ``-`` for none)."""
    scope = _scope.get()
    if scope is None:
        owner = "-"
    elif scope is ALL_TENANTS:
        owner = "*"
    else:
        owner = f"t{scope.pk}"
    return f"{key_prefix}:{version}:{owner}:{key}"
