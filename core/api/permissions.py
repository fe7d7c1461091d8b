from django.http import Http404
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .. import tenancy
from ..roles import role_has
from ..selectors import staff_role
from .authentication import ApiKeyUser


class TenantAccess(BasePermission):
    """An API key of the active tenant may call every endpoint of it. A signed-in staff member
    needs the view's ``read_capability`` (safe methods) or ``write_capability``. A user with no
    role in the tenant gets 404, as if the tenant did not exist."""

    def has_permission(self, request, view):
        tenancy.current_tenant()
        if isinstance(request.user, ApiKeyUser):
            return True
        if not request.user or not request.user.is_authenticated:
            return False
        role = staff_role(request.user)
        if role is None:
            raise Http404
        request.staff_role = role
        capability = (
            view.read_capability if request.method in SAFE_METHODS else view.write_capability
        )
        return role_has(role.role, capability)
