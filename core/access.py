"""Role checks for tenant views.

Every view in a tenant urlconf is wrapped by ``tenant_view(capability)`` (or uses
``TenantViewMixin``); a meta-test fails for any that is not. A user with no role in the tenant
gets the same 404 as a tenant that does not exist, so nothing leaks.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404

from . import tenancy
from .roles import role_has
from .selectors import staff_role


def check_tenant_access(request, capability: str) -> None:
    """Raise unless the signed-in user holds ``capability`` in the active tenant."""
    tenancy.current_tenant()
    role = staff_role(request.user)
    if role is None:
        raise Http404
    request.staff_role = role
    if not role_has(role.role, capability):
        raise PermissionDenied


def tenant_view(capability: str):
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            check_tenant_access(request, capability)
            return view(request, *args, **kwargs)

        wrapper.tenant_capability = capability
        return wrapper

    return decorator


class TenantViewMixin:
    """For class-based views: set ``capability``."""

    capability: str = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        check_tenant_access(request, self.capability)
        return super().dispatch(request, *args, **kwargs)


def public_in_tenant(view):
    """Mark a view in a tenant urlconf that anyone may reach (sign-in, sign-out, language)."""
    view.public_in_tenant = True
    return view
