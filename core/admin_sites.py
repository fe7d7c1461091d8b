"""Two admin sites over the same ModelAdmins.

* The tenant admin, at /t/<tenant>/admin/, for the tenant's owners and managers. The tenant is
  active for the whole request, so change lists, forms and foreign-key choices show that
  tenant's rows only (the scoped default manager does it), and ``tenant`` is never shown.
* The platform admin, at /platform/, for the platform operator (superusers): it lifts scoping
  explicitly with ``dangerously_all_tenants()`` and shows the tenant of every row.

Register a tenant-owned model on both with ``@register(Model)``.
"""

from functools import wraps

from django.contrib import admin
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import signin, tenancy
from .forms import TenantModelForm
from .roles import role_has
from .selectors import staff_role


class LockoutLoginSite(admin.AdminSite):
    """The admin's own sign-in form under the staff lockout (``core.signin``), 429 while locked."""

    login_form = signin.AdminLockoutAuthenticationForm

    def login(self, request, extra_context=None):
        return signin.locked_status(super().login(request, extra_context))


class TenantAdminSite(LockoutLoginSite):
    site_title = _("Membership admin")
    index_title = _("Configuration")

    def has_permission(self, request):
        if not (request.user.is_active and request.user.is_authenticated):
            return False
        role = staff_role(request.user)
        request.staff_role = role
        return role is not None and role_has(role.role, "admin.access")

    def each_context(self, request):
        context = super().each_context(request)
        tenant = tenancy.current_tenant()
        context["site_url"] = reverse("tenant_home")
        context["site_header"] = _("%(tenant)s · administration") % {"tenant": tenant.name}
        return context


class PlatformAdminSite(LockoutLoginSite):
    site_header = _("Platform administration")
    site_title = _("Platform admin")

    def has_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(inner)
        def across_tenants(request, *args, **kwargs):
            if not self.has_permission(request):
                return inner(request, *args, **kwargs)
            with tenancy.dangerously_all_tenants():
                response = inner(request, *args, **kwargs)
                if hasattr(response, "render") and not response.is_rendered:
                    response.render()
                return response

        return across_tenants


tenant_admin_site = TenantAdminSite(name="tenant_admin")
platform_admin_site = PlatformAdminSite(name="platform_admin")


class RoleAccessMixin:
    """Admin access by tenant role instead of Django model permissions: owners and managers of
    the active tenant (``capability``); superusers in the platform admin."""

    capability = "admin.access"

    def _allowed(self, request) -> bool:
        if tenancy.current_tenant_or_none() is None:
            return request.user.is_superuser  # the platform admin
        role = getattr(request, "staff_role", None) or staff_role(request.user)
        return role is not None and role_has(role.role, self.capability)

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request, *args):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request)


class TenantModelAdmin(RoleAccessMixin, admin.ModelAdmin):
    """Base for tenant-owned models; override ``has_*_permission`` to narrow access."""

    form = TenantModelForm

    def get_exclude(self, request, obj=None):
        return [*(super().get_exclude(request, obj) or []), "tenant"]


class PreviewBeforeSaveMixin:
    """A "_preview" button on the change form: ``preview(request, object_id)`` returns a page
    showing what saving would do (or None to let the ordinary form show its errors); the page
    includes ``admin/_save_from_preview.html`` with ``preview_fields(request)``, which posts the
    same fields again to save them."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and "_preview" in request.POST:
            response = self.preview(request, object_id, form_url, extra_context)
            if response is not None:
                return response
        return super().changeform_view(request, object_id, form_url, extra_context)

    def preview(self, request, object_id, form_url, extra_context):
        raise NotImplementedError

    def changeform_as_usual(self, request, object_id=None, form_url="", extra_context=None):
        """The ordinary change form (validate, save), for a preview that saves in a
        transaction it then rolls back."""
        return super().changeform_view(request, object_id, form_url, extra_context)

    @staticmethod
    def preview_fields(request) -> list[tuple[str, str]]:
        """The posted fields, to post again from the preview page (not the token or the button)."""
        return [
            (name, value)
            for name, values in request.POST.lists()
            for value in values
            if name not in ("_preview", "csrfmiddlewaretoken")
        ]


class ReadOnlyTenantAdmin(TenantModelAdmin):
    """Rows written only by their app's actions (ledgers, histories, logs): the admin shows
    them and never adds, edits or deletes one."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TenantInline(RoleAccessMixin, admin.TabularInline):
    form = TenantModelForm
    extra = 0

    def get_exclude(self, request, obj=None):
        return [*(super().get_exclude(request, obj) or []), "tenant"]


class _PlatformView:
    """Mixed in front of a TenantModelAdmin for the platform admin: shows the tenant."""

    def get_exclude(self, request, obj=None):
        return [name for name in super().get_exclude(request, obj) if name != "tenant"]

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        return ["tenant", *[f for f in fields if f != "tenant"]]

    def get_fieldsets(self, request, obj=None):
        if self.fieldsets:
            return [(None, {"fields": ["tenant"]}), *self.fieldsets]
        return super().get_fieldsets(request, obj)

    def get_list_display(self, request):
        return ["tenant", *[f for f in super().get_list_display(request) if f != "tenant"]]

    def get_list_filter(self, request):
        return ["tenant", *super().get_list_filter(request)]


def register(model, *, tenant_site: bool = True):
    """Register a TenantModelAdmin on the tenant admin and, showing tenants, on the platform."""

    def decorator(admin_class):
        if tenant_site:
            tenant_admin_site.register(model, admin_class)
        platform_class = type(f"Platform{admin_class.__name__}", (_PlatformView, admin_class), {})
        platform_admin_site.register(model, platform_class)
        return admin_class

    return decorator
