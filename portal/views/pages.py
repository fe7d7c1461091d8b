"""The member's own pages: home, points history, tier. Each shows ``request.member``'s data
only; nothing here takes a member id from the URL."""

from django.core.paginator import Paginator
from django.shortcuts import render

from points import selectors as points_selectors
from tiers import selectors as tier_selectors

from .. import selectors
from ..access import member_view

HISTORY_PAGE_SIZE = 20


@member_view
def home(request):
    member = request.member
    progress = tier_selectors.progress(member)
    return render(
        request,
        "portal/home.html",
        {
            "member": member,
            "tab": "home",
            "balance": points_selectors.balance_of(member),
            "next_expiry": selectors.next_expiry(member),
            "progress": progress,
            "next_step": progress["to_next"][0] if progress["to_next"] else "",
            "qualifies": selectors.qualifies_for_next(member, progress),
            "open_tickets": selectors.unfinished_tickets(member),
        },
    )


@member_view
def history(request):
    member = request.member
    paginator = Paginator(
        points_selectors.history(member).select_related("purchase__store"), HISTORY_PAGE_SIZE
    )
    page = paginator.get_page(request.GET.get("page"))
    explanations = selectors.history_page_explanations(page.object_list)
    entries = [(entry, explanations.get(entry.pk, [])) for entry in page.object_list]
    return render(
        request,
        "portal/history.html",
        {
            "tab": "points",
            "page": page,
            "entries": entries,
            "balance": points_selectors.balance_of(member),
            "schedule": selectors.expiry_schedule(member),
        },
    )


@member_view
def tier(request):
    member = request.member
    return render(
        request,
        "portal/tier.html",
        {"tab": "tier", "member": member, **selectors.tier_page(member)},
    )
