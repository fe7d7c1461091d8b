"""Base classes for every tenant API endpoint.

Scoping is owned here: subclasses may not override ``get_queryset``; they name a ``model`` (whose
default manager is tenant-scoped) and may narrow it in ``scope_queryset``. Access is owned here
too (as PostHog's bases do): no subclass sets ``permission_classes`` or overrides
``get_permissions`` or ``get_object``; they name the capabilities they need
(``read_capability`` / ``write_capability``, checked by ``TenantAccess``). A view that must let
in a caller who is no staff member (the SMS gateway) says so by name, in
``dangerously_get_permissions``. A meta-test checks that every API route uses these bases.
"""

from rest_framework import mixins, viewsets
from rest_framework.views import APIView

from .. import tenancy
from .idempotency import IdempotentPostMixin

_OWNED_BY_THE_BASE = ("permission_classes", "get_permissions", "get_object")


class _TenantAccessOwned:
    """Refuses subclasses that replace the access checks (see the module's docstring)."""

    dangerously_get_permissions = None  # a method returning the permission instances instead

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in _OWNED_BY_THE_BASE:
            if name in cls.__dict__:
                raise TypeError(
                    f"{cls.__name__} sets {name}; name the capabilities it needs "
                    "(read_capability / write_capability) instead."
                )

    def get_permissions(self):
        if self.dangerously_get_permissions is not None:
            return self.dangerously_get_permissions()
        return super().get_permissions()


class TenantAPIView(_TenantAccessOwned, IdempotentPostMixin, APIView):
    read_capability = "tenant.view"
    write_capability = "tenant.view"


class TenantViewSet(_TenantAccessOwned, IdempotentPostMixin, viewsets.GenericViewSet):
    model = None
    read_capability = "tenant.view"
    write_capability = "tenant.view"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(
                f"{cls.__name__} overrides get_queryset; narrow the queryset in scope_queryset()."
            )
        if "queryset" in cls.__dict__:
            raise TypeError(f"{cls.__name__} sets queryset; set model instead.")

    def get_queryset(self):
        tenancy.current_tenant()
        return self.scope_queryset(self.model.objects.all())

    def scope_queryset(self, queryset):
        return queryset


class TenantModelViewSet(
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    TenantViewSet,
):
    pass
