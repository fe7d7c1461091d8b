import copy

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from .. import tenancy
from ..models import Store


class TenantModelSerializer(serializers.ModelSerializer):
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
