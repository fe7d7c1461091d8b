"""Cached look-ups that declare the models whose changes invalidate them.

``@tenant_cached("points:rules", models=[PointsSettings, Campaign])`` caches a function's result
per active tenant (the cache's key function adds the tenant) and per positional argument;
``@platform_cached`` does the same outside every tenant (the tenants themselves). A save or a
delete of a declared model drops every entry of the look-up for that row's tenant, at once and
again after the transaction commits, so that a request reading the old row mid-transaction
cannot keep it. ``lookup.invalidate()`` drops it by hand.

The refill race (a request reads the old row, the change commits and clears the cache, then the
request stores what it read) is closed with a version token: each look-up has one token per
tenant, every entry is stored with the token read *before* its query, and an entry counts only
while its token is still the current one. Invalidating replaces the token with a new unique
value, so an entry filled from a read that began before the change is never served.
"""

import uuid
from functools import update_wrapper

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from . import tenancy
from .models import Tenant

DEFAULT_TIMEOUT = 300


def _new_token() -> str:
    return uuid.uuid4().hex


class CachedLookup:
    def __init__(self, func, name: str, models, timeout: int, per_tenant: bool):
        self.func = func
        self.name = name
        self.timeout = timeout
        self.per_tenant = per_tenant
        self.models = tuple(models)
        self._version_key = f"{name}:version"
        update_wrapper(self, func)
        for model in self.models:
            label = f"{name}:{model._meta.label}"
            post_save.connect(self._changed, sender=model, weak=False, dispatch_uid=label)
            post_delete.connect(self._changed, sender=model, weak=False, dispatch_uid=label)

    def _key(self, args) -> str:
        return ":".join([self.name, *map(str, args)])

    def _scope(self, tenant_id=None):
        if not self.per_tenant:
            return tenancy.outside_tenants()

        if tenant_id is None:
            tenant_id = tenancy.current_tenant().pk
        return tenancy.tenant_context(Tenant(pk=tenant_id))

    def __call__(self, *args):
        with self._scope():
            key = self._key(args)
            found = cache.get_many([self._version_key, key])
            version = found.get(self._version_key)
            if version is None:
                cache.add(self._version_key, _new_token(), None)
                version = cache.get(self._version_key)
            entry = found.get(key)
            if entry is not None and entry[0] == version:
                return entry[1]
        value = self.func(*args)  # in the caller's scope, as without the cache
        with self._scope():
            cache.set(key, (version, value), self.timeout)
        return value

    def _bump(self, tenant_id) -> None:
        with self._scope(tenant_id):
            cache.set(self._version_key, _new_token(), None)

    def invalidate(self, tenant_id: int | None = None) -> None:
        """Drop every entry (of ``tenant_id``, default the active tenant, for a per-tenant
        look-up), now and again after the current transaction commits."""
        if self.per_tenant and tenant_id is None:
            tenant_id = tenancy.current_tenant().pk
        self._bump(tenant_id)
        transaction.on_commit(lambda: self._bump(tenant_id))

    def _changed(self, sender, instance, **kwargs) -> None:
        self.invalidate(instance.tenant_id if self.per_tenant else None)


def tenant_cached(name: str, *, models, timeout: int = DEFAULT_TIMEOUT):
    """Cache the decorated function per active tenant and positional arguments (see the
    module's docstring); ``models`` are tenant-owned models whose changes invalidate it."""
    return lambda func: CachedLookup(func, name, models, timeout, per_tenant=True)


def platform_cached(name: str, *, models, timeout: int = DEFAULT_TIMEOUT):
    """As ``tenant_cached`` for a look-up outside the tenants (its key carries no tenant)."""
    return lambda func: CachedLookup(func, name, models, timeout, per_tenant=False)
