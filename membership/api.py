"""Members over the API (served at /api/v1/<tenant>/members/)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from core import tenancy
from core.api.serializers import Serializer, TenantModelSerializer
from core.api.views import TenantAPIView, TenantViewSet
from core.models import Store
from notifications.models import Channel, Purpose
from notifications.selectors import consent_changes_for_member, consents_for_member

from . import actions, selectors
from .forms import STAFF_CONSENT_SOURCES, validate_given_at
from .models import CardStatus, IdType, Member, MemberStatus
from .validators import validate_id_number


class MemberSerializer(TenantModelSerializer):
    id_number = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=40
    )
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


class StatusSerializer(Serializer):
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

    def _shown(self, request, what: str, members):
        """The serialized member (or list of members), the access logged first: the answer
        holds personal data in clear (name, phone, e-mail, address, birthday…), so every one is
        a ``PiiAccessLog`` row like an ID reveal (``api:members.<what>``, the key or user, the
        member or how many)."""
        many = isinstance(members, list)
        if not many:
            actions.do_log_pii_access(
                actor=request.user, what=f"api:members.{what}", member=members
            )
        elif members:
            actions.do_log_pii_access(
                actor=request.user,
                what=f"api:members.{what}",
                member=members[0] if len(members) == 1 else None,
                rows=len(members),
            )
        return self.get_serializer(members, many=many).data

    def list(self, request):
        page = list(self.paginate_queryset(self.get_queryset().order_by("pk")))
        return self.get_paginated_response(self._shown(request, "list", page))

    def retrieve(self, request, pk=None):
        return Response(self._shown(request, "retrieve", self.get_object()))

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member = actions.do_register_member(data=serializer.validated_data, actor=request.user)
        return Response(self._shown(request, "create", member), status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        member = self.get_object()
        serializer = self.get_serializer(member, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "phone" in data and data["phone"] is None:
            data["phone"] = ""
        member = actions.do_update_member(member, data=data, actor=request.user)
        return Response(self._shown(request, "update", member))

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
            raise Http404
        data = self._shown(request, "lookup", member)
        data["card_status"] = card_status
        return Response(data)

    @extend_schema(request=StatusSerializer, responses=MemberSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        member = self.get_object()
        serializer = StatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        member = actions.do_change_status(
            member,
            serializer.validated_data["status"],
            actor=request.user,
            reason=serializer.validated_data.get("reason", ""),
        )
        return Response(self._shown(request, "status", member))


# --- consent recorded by staff ------------------------------------------------------------------


class ConsentRecordSerializer(Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    purpose = serializers.ChoiceField(choices=Purpose.choices)
    granted = serializers.BooleanField()
    source = serializers.ChoiceField(
        choices=[(source.value, source.label) for source in STAFF_CONSENT_SOURCES],
        default="counter",
    )
    given_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def validate_given_at(self, value):
        try:
            validate_given_at(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        return value


def _consent_state(member_id: int) -> dict:
    return {
        "member": member_id,
        "consents": [
            {
                "channel": c.channel,
                "purpose": c.purpose,
                "granted": c.granted,
                "updated_at": c.updated_at,
            }
            for c in consents_for_member(member_id)
        ],
        "history": [
            {
                "channel": c.channel,
                "purpose": c.purpose,
                "granted": c.granted,
                "source": c.source,
                "actor": c.actor,
                "given_at": c.given_at,
                "recorded_at": c.recorded_at,
            }
            for c in consent_changes_for_member(member_id)[:100]
        ],
    }


CONSENT_STATE = inline_serializer(
    "MemberConsents",
    {
        "member": serializers.IntegerField(),
        "consents": serializers.ListField(child=serializers.DictField()),
        "history": serializers.ListField(child=serializers.DictField()),
    },
)


class MemberConsentView(TenantAPIView):
    """GET: the member's current choices and their history (newest 100). POST: record a choice
    the member gave at the counter (or on paper: ``source`` "import"), with ``given_at`` (default
    now); the recorder (the API key or the staff member) is kept with it."""

    serializer_class = ConsentRecordSerializer  # for the schema
    read_capability = "members.view"
    write_capability = "members.edit"

    def _member(self, member_id: int) -> Member:
        member = Member.objects.filter(pk=member_id).first()
        if member is None:
            raise Http404
        return member

    @extend_schema(
        responses=CONSENT_STATE, summary="A member's consent to messages and its history"
    )
    def get(self, request, member_id: int):
        return Response(_consent_state(self._member(member_id).pk))

    @extend_schema(
        request=ConsentRecordSerializer,
        responses={201: CONSENT_STATE},
        summary="Record a consent given at the counter",
    )
    def post(self, request, member_id: int):
        member = self._member(member_id)
        serializer = ConsentRecordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        actions.do_record_consent(member, actor=request.user, **serializer.validated_data)
        return Response(_consent_state(member.pk), status=status.HTTP_201_CREATED)
