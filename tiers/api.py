"""A member's tier over the API: GET /api/v1/<tenant>/members/{id}/tier/."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from core.api.views import TenantAPIView
from membership.models import Member

from .selectors import tier_summary


class TierRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    rank = serializers.IntegerField()


class HeldBecauseSerializer(serializers.Serializer):
    rule = serializers.CharField()
    value = serializers.CharField()
    window_start = serializers.DateField(allow_null=True)
    window_end = serializers.DateField(allow_null=True)
    purchases = serializers.ListField(child=serializers.IntegerField())


class TierBenefitsSerializer(serializers.Serializer):
    price_factor = serializers.CharField(help_text="A decimal: 0.9 = pay 90% of list price.")
    excluded_categories = serializers.ListField(child=serializers.CharField())
    points_multiplier = serializers.CharField(help_text="A decimal.")
    birthday_offers = serializers.ListField(child=serializers.CharField())
    priority_days = serializers.IntegerField()
    free_items = serializers.ListField(child=serializers.CharField())
    complaint_days = serializers.IntegerField(allow_null=True)


class MemberTierSerializer(serializers.Serializer):
    """What ``tiers.selectors.tier_summary`` returns (the schema of the response only)."""

    member = serializers.IntegerField()
    tier = TierRefSerializer(allow_null=True)
    since = serializers.DateField(allow_null=True)
    why = HeldBecauseSerializer(many=True)
    keeps_at_next_cycle = serializers.BooleanField()
    next_cycle = serializers.DateField()
    to_keep = serializers.ListField(child=serializers.CharField())
    next_tier = TierRefSerializer(allow_null=True)
    to_next_tier = serializers.ListField(child=serializers.CharField())
    benefits = TierBenefitsSerializer()


class MemberTierView(TenantAPIView):
    """A member's tier, benefits, progress and why the tier is held."""

    read_capability = "members.view"
    write_capability = "tiers.manage"

    @extend_schema(
        responses=MemberTierSerializer,
        summary="A member's tier, benefits, progress and why the tier is held",
    )
    def get(self, request, member_id: int):
        member = Member.objects.filter(pk=member_id).first()
        if member is None:
            raise Http404
        return Response(tier_summary(member))
