from django.db.models import QuerySet

from . import tenancy
from .models import StaffRole, Store, Tenant


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
    return (
        StaffRole.objects.filter(user=user, is_active=True, tenant=tenant)
        .select_related("store")
        .first()
    )


def stores() -> QuerySet[Store]:
    return Store.objects.filter(is_active=True)
