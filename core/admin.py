from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .admin_sites import TenantModelAdmin, platform_admin_site, register
from .models import ApiKey, StaffRole, Store, Tenant

platform_admin_site.register(User, UserAdmin)
platform_admin_site.register(Group, GroupAdmin)


@admin.register(Tenant, site=platform_admin_site)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "currency", "time_zone", "default_language", "is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@register(Store)
class StoreAdmin(TenantModelAdmin):
    list_display = ["name", "code", "phone", "is_active"]
    search_fields = ["name", "code"]


@register(StaffRole)
class StaffRoleAdmin(TenantModelAdmin):
    list_display = ["user", "role", "store", "is_active"]
    list_filter = ["role", "is_active"]
    autocomplete_fields = []
    raw_id_fields = ["user"]


@register(ApiKey)
class ApiKeyAdmin(TenantModelAdmin):
    """API keys: the key is shown once, when it is created; only its hash is kept."""

    capability = "api_keys.manage"
    list_display = ["name", "key_id", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["key_id", "created_by", "created_at", "last_used_at"]
    fields = ["name", "key_id", "created_by", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        raw_key = None
        if not change:
            raw_key = obj.issue()
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if raw_key:
            messages.warning(
                request,
                _("Copy the new API key now; it will not be shown again: %(key)s")
                % {"key": raw_key},
            )

    @admin.action(description=_("Revoke the selected API keys"))
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        messages.success(request, _("%(count)d API key(s) revoked.") % {"count": count})
