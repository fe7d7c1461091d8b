from django.contrib.auth import get_user_model

from core import tenancy
from core.admin_sites import ReadOnlyTenantAdmin, TenantModelAdmin, register

from .forms import MembershipSettingsAdminForm
from .models import (
    ErasureRequest,
    Member,
    MemberChange,
    MembershipSettings,
    PiiAccessLog,
    TerminationRequest,
)


@register(MembershipSettings)
class MembershipSettingsAdmin(TenantModelAdmin):
    form = MembershipSettingsAdminForm
    list_display = ["__str__", "card_prefix", "card_digits", "validity_months"]

    def has_add_permission(self, request, *args):
        return super().has_add_permission(request) and not MembershipSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@register(Member)
class MemberAdmin(ReadOnlyTenantAdmin):
    """Members change through the front-desk pages; the admin only links a member to the staff
    user they are (so that staff cannot post adjustments or redemptions to themselves)."""

    list_display = ["name", "card_number", "phone", "status", "joined_on", "valid_until"]
    list_filter = ["status"]
    search_fields = ["card_number", "name"]
    exclude = ["id_number_encrypted", "id_number_digest"]

    def has_change_permission(self, request, obj=None):
        return self._allowed(request)

    def get_readonly_fields(self, request, obj=None):
        return [
            f.name
            for f in Member._meta.concrete_fields
            if f.name not in ("staff_user", "tenant", *self.exclude)
        ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "staff_user":
            tenant = tenancy.current_tenant_or_none()
            users = get_user_model().objects.all()
            if tenant is not None:
                users = users.filter(staff_roles__tenant=tenant).distinct()
            kwargs["queryset"] = users
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@register(MemberChange)
class MemberChangeAdmin(ReadOnlyTenantAdmin):
    list_display = ["at", "member", "actor", "field", "old_value", "new_value"]


@register(PiiAccessLog)
class PiiAccessLogAdmin(ReadOnlyTenantAdmin):
    list_display = ["at", "actor", "member", "field", "rows"]
    date_hierarchy = "at"


@register(TerminationRequest)
class TerminationRequestAdmin(ReadOnlyTenantAdmin):
    list_display = ["requested_at", "member", "source", "status", "decided_at"]
    list_filter = ["status", "source"]


@register(ErasureRequest)
class ErasureRequestAdmin(ReadOnlyTenantAdmin):
    """Decided on the staff page "Erasure requests" (a reason and the anonymisation do not fit
    an admin action); the admin lists them for the record."""

    list_display = ["requested_at", "member", "status", "decided_at", "decided_by"]
    list_filter = ["status"]
