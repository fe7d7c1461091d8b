"""Base classes for every tenant API endpoint.

Scoping is owned here: subclasses may not override ``get_queryset``; they name a ``model`` (whose
default manager is tenant-scoped) and may narrow it in ``scope_queryset``. A meta-test checks that
every API route uses these bases.
"""

from rest_framework import mixins, viewsets
from rest_framework.views import APIView

from .. import tenancy
from .idempotency import IdempotentPostMixin


class TenantAPIView(IdempotentPostMixin, APIView):
    read_capability = "tenant.view"
    write_capability = "tenant.view"


class TenantViewSet(IdempotentPostMixin, viewsets.GenericViewSet):
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
