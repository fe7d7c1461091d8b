"""Members over the API (served at /api/v1/<tenant>/members/)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core import tenancy
from core.api.serializers import TenantModelSerializer
from core.api.views import TenantViewSet
from core.models import Store

from . import actions, selectors
from .models import CardStatus, IdType, Member, MemberStatus
from .validators import validate_id_number


class MemberSerializer(TenantModelSerializer):
    id_number = serializers.CharField(write_only=True, required=False, allow_blank=True)
    id_number_masked = serializers.CharField(read_only=True)
    store = serializers.PrimaryKeyRelatedField(
        queryset=Store.objects, required=False, allow_null=True
    )
    referrer = serializers.PrimaryKeyRelatedField(
        queryset=Member.objects, required=False, allow_null=True
    )

    class Meta:
        model = Member
        fields = [
            "id",
            "card_number",
            "name",
            "gender",
            "phone",
            "id_type",
            "id_number",
            "id_number_masked",
            "email",
            "birthday",
            "wedding_anniversary",
            "employer",
            "address",
            "notes",
            "store",
            "referrer",
            "joined_on",
            "valid_until",
            "status",
        ]
        read_only_fields = ["id", "card_number", "status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tenant = tenancy.current_tenant_or_none()  # none while the schema is generated
        if tenant is not None:
            self.fields["phone"].region = tenant.phone_region

    def validate(self, attrs):
        errors = {}
        exclude = self.instance.pk if self.instance else None
        number = attrs.get("id_number")
        if number:
            id_type = (
                attrs.get("id_type")
                or (self.instance.id_type if self.instance else "")
                or IdType.RESIDENT
            )
            attrs["id_type"] = id_type
            try:
                attrs["id_number"] = validate_id_number(id_type, number)
            except DjangoValidationError as error:
                errors["id_number"] = error.messages
            else:
                if selectors.id_number_taken(attrs["id_number"], exclude_pk=exclude):
                    errors["id_number"] = [_("A member with this ID number is already registered.")]
        phone = attrs.get("phone")
        if phone and selectors.phone_taken(phone, exclude_pk=exclude):
            errors["phone"] = [_("A member with this phone number is already registered.")]
        if not self.instance and not phone and not attrs.get("id_number"):
            errors.setdefault(
                "phone",
                [_("Give a phone number or an ID number: the member signs in with one of them.")],
            )
        if errors:
            raise serializers.ValidationError(errors)
        number = attrs.pop("id_number", None)
        attrs = super().validate(attrs)
        if number is not None:
            attrs["id_number"] = number
        return attrs


class MemberLookupSerializer(MemberSerializer):
    """A member found by ``members/lookup/`` (the schema of the response)."""

    card_status = serializers.ChoiceField(
        choices=CardStatus.choices,
        read_only=True,
        allow_null=True,
        help_text="Found by card: the card's status (a blocked or lost card still finds its "
        "member); otherwise null.",
    )

    class Meta(MemberSerializer.Meta):
        fields = [*MemberSerializer.Meta.fields, "card_status"]


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=MemberStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)


class MemberViewSet(TenantViewSet):
    """Create, read, update members; look one up by phone, card or ID number; change status."""

    model = Member
    serializer_class = MemberSerializer
    read_capability = "members.view"
    write_capability = "members.edit"

    def scope_queryset(self, queryset):
        return queryset.select_related("store")

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset().order_by("pk"))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(self.get_object()).data)

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member = actions.do_register_member(data=serializer.validated_data, actor=request.user)
        return Response(self.get_serializer(member).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        member = self.get_object()
        serializer = self.get_serializer(member, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "phone" in data and data["phone"] is None:
            data["phone"] = ""
        member = actions.do_update_member(member, data=data, actor=request.user)
        return Response(self.get_serializer(member).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("phone", str, required=False),
            OpenApiParameter("card", str, required=False),
            OpenApiParameter("id_number", str, required=False),
        ],
        responses=MemberLookupSerializer,
    )
    @action(detail=False, methods=["get"])
    def lookup(self, request):
        """Exactly one of ``phone``, ``card`` or ``id_number``. A blocked or lost card still
        finds its member; ``card_status`` says which (null when not looked up by card)."""
        params = {
            k: request.query_params.get(k, "").strip() for k in ("phone", "card", "id_number")
        }
        given = [k for k, v in params.items() if v]
        if len(given) != 1:
            raise serializers.ValidationError(
                {"detail": [_("Give exactly one of phone, card or id_number.")]}
            )
        card_status = None
        if params["phone"]:
            member = selectors.members_by_phone(params["phone"]).first()
        elif params["card"]:
            card = selectors.card_lookup(params["card"])
            member = card.member if card else None
            card_status = card.status if card else None
        else:
            member = selectors.members_by_id_number(params["id_number"]).first()
        if member is None:
            from rest_framework.exceptions import NotFound

            raise NotFound()
        data = self.get_serializer(member).data
        data["card_status"] = card_status
        return Response(data)

    @extend_schema(request=StatusSerializer, responses=MemberSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        member = self.get_object()
        serializer = StatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            member = actions.do_change_status(
                member,
                serializer.validated_data["status"],
                actor=request.user,
                reason=serializer.validated_data.get("reason", ""),
            )
        except actions.InvalidTransition as error:
            raise serializers.ValidationError({"status": error.messages}) from None
        return Response(self.get_serializer(member).data)
