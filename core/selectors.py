from django.db.models import QuerySet

from . import tenancy
from .cache import platform_cached, tenant_cached
from .models import StaffRole, Store, Tenant

# Every request to a tenant mount needs the tenant (by slug) and, for staff, their role in it.
# Both are cached (core.cache): any change of a tenant drops every tenant-by-slug entry, any
# change of a role or a store of a tenant drops that tenant's roles.


@platform_cached("tenant-by-slug", models=[Tenant])
def active_tenant_by_slug(slug: str) -> Tenant | None:
    """The active tenant with ``slug``, or None."""
    return Tenant.objects.filter(slug=slug, is_active=True).first()


def tenants_for_user(user) -> QuerySet[Tenant]:
    """The tenants a person works for. Crosses tenants on purpose: it lists the user's own."""
    if not user.is_authenticated:
        return Tenant.objects.none()
    return Tenant.objects.filter(
        is_active=True,
        pk__in=StaffRole.dangerously_unscoped.filter(user=user, is_active=True).values("tenant_id"),
    )


@tenant_cached("staff-role", models=[StaffRole, Store])
def _active_role(user_id: int) -> StaffRole | None:
    return StaffRole.objects.filter(user_id=user_id, is_active=True).select_related("store").first()


def staff_role(user, tenant: Tenant | None = None) -> StaffRole | None:
    """The user's active role in the active tenant (or ``tenant``), or None."""
    tenant = tenant or tenancy.current_tenant()
    if not user.is_authenticated:
        return None
    with tenancy.tenant_context(tenant):
        return _active_role(user.pk)


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
