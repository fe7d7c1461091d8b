"""A member's tier over the API: GET /api/v1/<tenant>/members/{id}/tier/."""

from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response

from core.api.views import TenantAPIView
from membership.models import Member

from .selectors import tier_summary


class MemberTierView(TenantAPIView):
    read_capability = "members.view"
    write_capability = "tiers.manage"

    @extend_schema(
        responses=inline_serializer("MemberTier", {"tier": serializers.DictField()}),
        summary="A member's tier, benefits, progress and why the tier is held",
    )
    def get(self, request, member_id: int):
        member = Member.objects.filter(pk=member_id).first()
        if member is None:
            raise Http404
        return Response(tier_summary(member))
