import copy
import threading
from collections.abc import Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .. import tenancy
from ..models import Store


class RefuseUnknownFields:
    """Input naming a field the serializer does not have is refused with 400, each unknown
    name in ``details`` (a typo such as ``point_used`` would otherwise be silently ignored and
    the request done without it). Read-only fields are known: a client may send back what it
    read. Every API serializer derives from ``Serializer`` or ``ModelSerializer`` below (a
    meta-test checks it)."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(str(name) for name in data if name not in self.fields)
            if unknown:
                raise serializers.ValidationError(
                    {name[:100]: [_("Unknown field.")] for name in unknown[:20]},
                    code="unknown_field",
                )
        return super().to_internal_value(data)


class Serializer(RefuseUnknownFields, serializers.Serializer):
    pass


class ModelSerializer(RefuseUnknownFields, serializers.ModelSerializer):
    pass


class TenantModelSerializer(ModelSerializer):
    """Checks the model's unique constraints (which all lead with ``tenant``) in the active
    tenant, so a duplicate is a clear 400 on the field, never an IntegrityError."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        candidate = copy.copy(self.instance) if self.instance else self.Meta.model()
        for name, value in attrs.items():
            field = candidate._meta.get_field(name)
            if not field.many_to_many:
                setattr(candidate, name, value)
        if candidate.tenant_id is None:
            candidate.tenant = tenancy.current_tenant()
        try:
            candidate.validate_unique()
            candidate.validate_constraints()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        return attrs


class StoreSerializer(TenantModelSerializer):
    class Meta:
        model = Store
        fields = ["id", "name", "code", "address", "phone", "is_active"]


# --- serializers built once per thread --------------------------------------------------------
#
# DRF builds a serializer's fields for every serializer instance, deep-copying each declared
# field (nested serializers included). On a hot endpoint that was a third of the request's CPU.
# A plain ``Serializer`` holds no per-request state in its fields, so one instance per class and
# thread can validate and represent every request; these two functions do exactly what
# ``Serializer(data=…).is_valid(raise_exception=True)`` / ``Serializer(instance).data`` do, with
# that instance. Not for serializers that need ``context``, ``instance`` or ``partial``.

_built = threading.local()


def _built_serializer(serializer_class) -> serializers.Serializer:
    cache = _built.__dict__.setdefault("serializers", {})
    serializer = cache.get(serializer_class)
    if serializer is None:
        serializer = cache[serializer_class] = serializer_class()
    return serializer


def validated(serializer_class, data) -> dict:
    """``serializer_class(data=data)``'s ``validated_data``; raises the ``ValidationError`` that
    ``is_valid(raise_exception=True)`` raises."""
    serializer = _built_serializer(serializer_class)
    for attribute in ("_validated_data", "_errors", "_data"):
        serializer.__dict__.pop(attribute, None)
    serializer.initial_data = data
    try:
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
    finally:
        del serializer.initial_data


def represented(serializer_class, instance) -> dict:
    """``serializer_class(instance).data`` (as a plain dict)."""
    return _built_serializer(serializer_class).to_representation(instance)
