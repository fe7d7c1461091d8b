from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet

from . import tenancy
from .models import StaffRole, Store, Tenant

# Every request to a tenant mount needs the tenant (by slug) and, for staff, their role in it.
# Both are cached (Redis in production) and dropped when the row changes — at once and again
# after the commit, so that a request reading the old row mid-transaction cannot put it back.
CACHE_SECONDS = 300
_NOTHING = "none"


def _tenant_key(slug: str) -> str:
    return f"tenant-by-slug:{slug}"


def active_tenant_by_slug(slug: str) -> Tenant | None:
    """The active tenant with ``slug``, or None."""
    with tenancy.outside_tenants():
        found = cache.get(_tenant_key(slug))
        if found is None:
            found = Tenant.objects.filter(slug=slug, is_active=True).first() or _NOTHING
            cache.set(_tenant_key(slug), found, CACHE_SECONDS)
    return None if isinstance(found, str) else found


def _drop_now_and_after_commit(drop) -> None:
    drop()
    transaction.on_commit(drop)


def forget_tenant(*slugs: str) -> None:
    def drop():
        with tenancy.outside_tenants():
            cache.delete_many([_tenant_key(slug) for slug in slugs])

    _drop_now_and_after_commit(drop)


def _role_key(user_id: int) -> str:
    return f"staff-role:{user_id}"


def forget_tenant_keys(tenant_id: int, keys) -> None:
    """Drop cache ``keys`` of the tenant ``tenant_id`` (whichever tenant, or all of them, is
    active: a change made in the platform admin too), now and again after the commit."""
    keys = list(keys)

    def drop():
        with tenancy.tenant_context(Tenant(pk=tenant_id)):
            cache.delete_many(keys)

    _drop_now_and_after_commit(drop)


def forgetter(*keys: str):
    """A ``post_save`` / ``post_delete`` receiver dropping ``keys`` of the saved row's tenant
    (called without a row: of the active tenant)."""

    def forget(instance=None, **kwargs) -> None:
        tenant_id = instance.tenant_id if instance is not None else tenancy.current_tenant().pk
        forget_tenant_keys(tenant_id, keys)

    return forget


def forget_staff_roles(tenant_id: int, user_ids) -> None:
    forget_tenant_keys(tenant_id, [_role_key(user_id) for user_id in user_ids])


def tenants_for_user(user) -> QuerySet[Tenant]:
    """The tenants a person works for. Crosses tenants on purpose: it lists the user's own."""
    if not user.is_authenticated:
        return Tenant.objects.none()
    return Tenant.objects.filter(
        is_active=True,
        pk__in=StaffRole.dangerously_unscoped.filter(user=user, is_active=True).values("tenant_id"),
    )


def staff_role(user, tenant: Tenant | None = None) -> StaffRole | None:
    """The user's active role in the active tenant, or None."""
    tenant = tenant or tenancy.current_tenant()
    if not user.is_authenticated:
        return None
    with tenancy.tenant_context(tenant):
        found = cache.get(_role_key(user.pk))
        if found is None:
            found = (
                StaffRole.objects.filter(user=user, is_active=True, tenant=tenant)
                .select_related("store")
                .first()
            ) or _NOTHING
            cache.set(_role_key(user.pk), found, CACHE_SECONDS)
    return None if isinstance(found, str) else found


def stores() -> QuerySet[Store]:
    return Store.objects.filter(is_active=True)


def tenant_settings(model):
    """The active tenant's one row of the settings ``model`` (unique per tenant), created with
    the defaults on first use: what every app's ``selectors.settings()`` returns. Without an
    active tenant it raises ``NoActiveTenant`` (the manager fails closed)."""
    row = model.objects.first()
    if row is None:
        row, created = model.objects.get_or_create(tenant=tenancy.current_tenant())
        if created:
            row.refresh_from_db()  # Decimal fields as stored, not the defaults as given (ints)
    return row
