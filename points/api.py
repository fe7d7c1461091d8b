"""Points over the API (served at /api/v1/<tenant>/…).

POSTs honour ``Idempotency-Key`` twice over: the base class replays the first HTTP response, and
the action itself is idempotent on the same key (``api:<key>``), so even a request whose
response was lost and whose record was rolled back never posts twice.
"""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.api.idempotency import HEADER
from core.api.serializers import ModelSerializer, Serializer, represented, validated
from core.api.views import TenantViewSet
from core.db import fetch_by_pk
from core.models import Store
from core.money import (
    DECIMAL_PLACES,
    MAX_AMOUNT,
    MAX_DIGITS,
    MAX_LINES,
    MAX_POINTS,
    MAX_QUANTITY,
)
from core.validators import validate_recorded_time
from membership.models import Member

from . import actions, ledger, selectors, workflow
from .models import (
    EntryKind,
    LedgerEntry,
    Purchase,
    PurchaseStatus,
    Redemption,
    RedemptionStatus,
    Refund,
    Reward,
)


def _key(request) -> str:
    key = request.headers.get(HEADER, "").strip()
    if not key:
        raise ValidationError({HEADER: ["This header is required to post points."]})
    return f"api:{key}"[:150]


def _row(model, data: dict, name: str):
    """The row a validated ``<name>_id`` names, or the error PrimaryKeyRelatedField gives."""
    pk = data[f"{name}_id"]
    row = fetch_by_pk(model, pk)
    if row is None:
        raise ValidationError({name: [f'Invalid pk "{pk}" - object does not exist.']})
    return row


def _money(**kwargs):
    return serializers.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, **kwargs)


# Purchases are the hot path of the API: plain serializers with declared fields (a
# ModelSerializer rebuilds its fields from the model on every instantiation, which was the
# largest single cost of a purchase request), built once per thread for creating
# (core.api.serializers.validated / represented). Same fields, names and validation as the model.
class LineSerializer(Serializer):
    id = serializers.IntegerField(read_only=True)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    category = serializers.CharField(max_length=50, required=False, allow_blank=True)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY, required=False)
    list_amount = _money(min_value=0, max_value=MAX_AMOUNT)
    discount_rate = serializers.DecimalField(max_digits=5, decimal_places=4, read_only=True)
    amount_due = _money(read_only=True)
    earns_points = serializers.BooleanField(read_only=True)
    refunded_quantity = serializers.IntegerField(read_only=True)


class PurchaseSerializer(Serializer):
    id = serializers.IntegerField(read_only=True)
    # ids, loaded by one prepared statement each in create() (a PrimaryKeyRelatedField runs an
    # ORM query per request)
    member = serializers.IntegerField(source="member_id")
    store = serializers.IntegerField(source="store_id")
    occurred_at = serializers.DateTimeField(required=False, validators=[validate_recorded_time])
    lines = LineSerializer(many=True, max_length=MAX_LINES)
    list_amount = _money(read_only=True)
    discount_amount = _money(read_only=True)
    amount_due = _money(read_only=True)
    points_used = serializers.IntegerField(min_value=0, max_value=MAX_POINTS, default=0)
    points_value = _money(read_only=True)
    amount_paid = _money(read_only=True)
    points_earned = serializers.IntegerField(read_only=True)
    refunded_amount = _money(read_only=True)
    points_reversed = serializers.IntegerField(read_only=True)
    points_returned = serializers.IntegerField(read_only=True)
    status = serializers.ChoiceField(choices=PurchaseStatus.choices, read_only=True)

    def validate_lines(self, value):
        if not value:
            raise serializers.ValidationError("At least one line.")
        return value


class RefundSerializer(ModelSerializer):
    lines = serializers.DictField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY), required=False
    )
    amount = _money(min_value=0, max_value=MAX_AMOUNT, required=False, write_only=True)

    class Meta:
        model = Refund
        fields = [
            "id",
            "purchase",
            "lines",
            "amount",
            "reason",
            "due_amount",
            "cash_amount",
            "deducted_amount",
            "points_reversed",
            "points_returned",
            "debt_recorded",
            "created_at",
        ]
        read_only_fields = [
            "id",
            "purchase",
            "due_amount",
            "cash_amount",
            "deducted_amount",
            "points_reversed",
            "points_returned",
            "debt_recorded",
            "created_at",
        ]


class PurchaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    lookup_value_regex = r"\d+"
    model = Purchase
    serializer_class = PurchaseSerializer
    read_capability = "members.view"
    write_capability = "points.post"

    def scope_queryset(self, queryset):
        queryset = queryset.prefetch_related("lines")
        member = self.request.query_params.get("member")
        if member and member.isdigit():
            queryset = queryset.filter(member_id=int(member))
        return queryset

    def create(self, request):
        data = validated(PurchaseSerializer, request.data)
        member, store = _row(Member, data, "member"), _row(Store, data, "store")
        purchase = actions.do_record_purchase(
            member=member,
            store=store,
            lines=[dict(line) for line in data["lines"]],
            points_used=data["points_used"],
            occurred_at=data.get("occurred_at"),
            idempotency_key=_key(request),
            actor=request.user,
        )
        return Response(represented(PurchaseSerializer, purchase), status=status.HTTP_201_CREATED)

    @extend_schema(request=RefundSerializer, responses={201: RefundSerializer})
    @action(detail=True, methods=["post"])
    def refunds(self, request, pk=None):
        purchase = get_object_or_404(self.get_queryset(), pk=pk)
        serializer = RefundSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        refund = actions.do_refund(
            purchase,
            lines=data.get("lines"),
            amount=data.get("amount"),
            reason=data.get("reason", ""),
            idempotency_key=_key(request),
            actor=request.user,
        )
        return Response(RefundSerializer(refund).data, status=status.HTTP_201_CREATED)


class RedemptionSerializer(ModelSerializer):
    member = serializers.PrimaryKeyRelatedField(queryset=Member.objects)
    reward = serializers.PrimaryKeyRelatedField(queryset=Reward.objects)
    id_number = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=40
    )
    coupons = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")

    class Meta:
        model = Redemption
        fields = [
            "id",
            "member",
            "reward",
            "points",
            "status",
            "id_number",
            "coupons",
            "created_at",
        ]
        read_only_fields = ["id", "points", "status", "coupons", "created_at"]


class RedemptionTransitionSerializer(Serializer):
    status = serializers.ChoiceField(choices=RedemptionStatus.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class RedemptionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Redeem rewards and move redemptions through ``points.workflow.REDEMPTION``
    (``transition/``: approve, reject, hand over, cancel; a step the table does not hold, or
    one the redemption's status has left, is 409)."""

    lookup_value_regex = r"\d+"
    model = Redemption
    serializer_class = RedemptionSerializer
    read_capability = "members.view"
    write_capability = "points.post"

    def scope_queryset(self, queryset):
        return queryset.prefetch_related("coupons")

    def create(self, request):
        serializer = RedemptionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        redemption = actions.do_redeem_reward(
            data["member"],
            data["reward"],
            idempotency_key=_key(request),
            actor=request.user,
            id_number=data.get("id_number", ""),
        )
        return Response(RedemptionSerializer(redemption).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RedemptionTransitionSerializer, responses=RedemptionSerializer)
    @action(detail=True, methods=["post"], write_capability=workflow.APPROVE)
    def transition(self, request, pk=None):
        redemption = self.get_object()
        serializer = RedemptionTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        redemption = actions.do_transition_redemption(
            redemption, data["status"], actor=request.user, note=data["note"]
        )
        return Response(RedemptionSerializer(self.get_queryset().get(pk=redemption.pk)).data)


class ExpiredLotSerializer(Serializer):
    lot = serializers.IntegerField()
    points = serializers.IntegerField()
    earned_at = serializers.DateField()
    expires_at = serializers.DateField(allow_null=True)
    source = serializers.CharField(read_only=True)


class EntrySerializer(ModelSerializer):
    reason_label = serializers.CharField(source="get_reason_display", read_only=True)
    expired_lots = serializers.SerializerMethodField()

    @extend_schema_field(ExpiredLotSerializer(many=True))
    def get_expired_lots(self, entry) -> list:
        """For expire entries: the lots cleared, when they were earned and from what."""
        return self.context.get("explained", {}).get(entry.pk, [])

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "kind",
            "reason",
            "reason_label",
            "points",
            "note",
            "purchase",
            "refund",
            "redemption",
            "reverses",
            "effective_on",
            "created_at",
            "expired_lots",
        ]


class BalanceSerializer(Serializer):
    member = serializers.IntegerField()
    balance = serializers.IntegerField()
    debt = serializers.IntegerField()
    expiring_30_days = serializers.IntegerField()
    expiring_90_days = serializers.IntegerField()


class PointsViewSet(TenantViewSet):
    """``points/<member id>/balance/`` and ``points/<member id>/history/`` (cursor-paginated)."""

    model = Member
    lookup_value_regex = r"\d+"
    serializer_class = BalanceSerializer
    read_capability = "members.view"
    write_capability = "points.post"

    @extend_schema(responses=BalanceSerializer)
    @action(detail=True, methods=["get"])
    def balance(self, request, pk=None):
        member = get_object_or_404(self.get_queryset(), pk=pk)
        panel = selectors.balance_of(member)

        today = ledger.local_today()
        return Response(
            {
                "member": member.pk,
                "balance": panel["balance"],
                "debt": panel["debt"],
                "expiring_30_days": selectors.expiring_within(member, today, 30),
                "expiring_90_days": selectors.expiring_within(member, today, 90),
            }
        )

    @extend_schema(responses=EntrySerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        member = get_object_or_404(self.get_queryset(), pk=pk)
        entries = LedgerEntry.objects.filter(member=member)
        page = self.paginate_queryset(entries)
        explained = selectors.expiry_explanations(
            [e.pk for e in page if e.kind == EntryKind.EXPIRE]
        )
        data = EntrySerializer(page, many=True, context={"explained": explained}).data
        return self.get_paginated_response(data)
