"""Staff pages: the ladder at a glance, a member's tier (progress, why, history) and renewal."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import tenant_view
from membership.models import Member, MemberStatus

from . import actions, selectors
from .models import MemberTier, Tier, TierChange


@tenant_view("members.view")
def ladder(request):
    tiers = list(Tier.objects.order_by("rank"))
    current = MemberTier.objects.exclude(member__status=MemberStatus.TERMINATED)
    counts = dict(current.values("tier_id").annotate(n=Count("pk")).values_list("tier_id", "n"))
    entry = next((tier for tier in tiers if tier.is_entry), None)
    if entry is not None:
        # Members at the entry tier have no MemberTier row (only those above it do).
        counts[entry.pk] = (
            Member.objects.exclude(status=MemberStatus.TERMINATED)
            .exclude(pk__in=current.exclude(tier=entry).values("member_id"))
            .count()
        )
    rows = [
        {
            "tier": tier,
            "rules": selectors.rules_for_display(tier),
            "benefits": selectors.benefits_of_tier(tier),
            "members": counts.get(tier.pk, 0),
        }
        for tier in tiers
    ]
    return render(request, "tiers/ladder.html", {"rows": rows})


def _member_context(member):
    tier = selectors.tier_of(member)
    return {
        "member": member,
        "progress": selectors.progress(member),
        "benefits": selectors.effective_benefits(member),
        "history": TierChange.objects.filter(member_id=member.pk).select_related(
            "from_tier", "to_tier", "rule"
        )[:20],
        "renewal_price": actions.renewal_price(tier) if tier else None,
    }


@tenant_view("members.view")
def member_tier(request, member_id):
    member = get_object_or_404(Member, pk=member_id)
    return render(request, "tiers/member.html", _member_context(member))


@require_POST
@tenant_view("members.edit")
def member_renew(request, member_id):
    member = get_object_or_404(Member, pk=member_id)
    try:
        paid = Decimal(request.POST.get("paid", "").strip() or "0")
    except InvalidOperation:
        messages.error(request, _("Enter the amount paid."))
        return redirect("tiers:member", member_id=member.pk)
    try:
        actions.do_renew(member, actor=request.user, paid=paid)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Membership renewed."))
    return redirect("tiers:member", member_id=member.pk)


def panel_context(member):
    """The member page's tier panel (registered in ``TiersConfig.ready``)."""
    return _member_context(member)
