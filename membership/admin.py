from core.admin_sites import TenantModelAdmin, register

from .forms import MembershipSettingsAdminForm
from .models import Member, MemberChange, MembershipSettings, PiiAccessLog, TerminationRequest


@register(MembershipSettings)
class MembershipSettingsAdmin(TenantModelAdmin):
    form = MembershipSettingsAdminForm
    list_display = ["__str__", "card_prefix", "card_digits", "validity_months"]

    def has_add_permission(self, request, *args):
        return super().has_add_permission(request) and not MembershipSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(TenantModelAdmin):
    """Rows written only by actions: the admin shows them, never edits them."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@register(Member)
class MemberAdmin(ReadOnlyAdmin):
    list_display = ["name", "card_number", "phone", "status", "joined_on", "valid_until"]
    list_filter = ["status"]
    search_fields = ["card_number", "name"]
    exclude = ["id_number_encrypted", "id_number_digest"]


@register(MemberChange)
class MemberChangeAdmin(ReadOnlyAdmin):
    list_display = ["at", "member", "actor", "field", "old_value", "new_value"]


@register(PiiAccessLog)
class PiiAccessLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "member", "field"]
    date_hierarchy = "at"


@register(TerminationRequest)
class TerminationRequestAdmin(ReadOnlyAdmin):
    list_display = ["requested_at", "member", "source", "status", "decided_at"]
    list_filter = ["status", "source"]
