"""The reward catalog, redeeming, my redemptions and my coupons."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from points import selectors as points_selectors
from points.actions import do_redeem_reward
from points.ledger import PointsError
from points.models import Reward

from .. import selectors
from ..access import member_view
from ..page_forms import RedeemForm, new_key


@member_view
def rewards(request):
    member = request.member
    return render(
        request,
        "portal/rewards.html",
        {
            "tab": "rewards",
            "balance": points_selectors.balance_of(member),
            "catalog": selectors.catalog(member),
            "pending": selectors.member_redemptions(member).filter(status="pending").count(),
        },
    )


def _key_for(member, key: str) -> str:
    # Keys are unique per tenant: prefix the member so one member's key can never name
    # another member's redemption.
    return f"portal:{member.pk}:{key}"


@member_view
def redeem(request, pk):
    member = request.member
    try:
        reward = selectors.reward_for(pk)
    except Reward.DoesNotExist:
        raise Http404 from None
    if request.method != "POST" and not reward.is_active:
        raise Http404
    balance = points_selectors.balance_of(member)["balance"]
    if request.method == "POST":
        form = RedeemForm(request.POST, reward=reward)
        if form.is_valid():
            try:
                redemption = do_redeem_reward(
                    member,
                    reward,
                    idempotency_key=_key_for(member, form.cleaned_data["key"]),
                    actor=None,
                    id_number=form.cleaned_data.get("id_number", ""),
                )
            except PointsError as error:
                form.add_error(None, error.messages)
            else:
                if redemption.status == "pending":
                    messages.success(
                        request,
                        _("Redeemed: %(reward)s. It waits for approval; we will let you know.")
                        % {"reward": reward},
                    )
                else:
                    messages.success(request, _("Redeemed: %(reward)s.") % {"reward": reward})
                return redirect("portal:redemptions")
    else:
        form = RedeemForm(initial={"key": new_key()}, reward=reward)
    return render(
        request,
        "portal/redeem.html",
        {
            "tab": "rewards",
            "reward": reward,
            "form": form,
            "balance": balance,
            "affordable": reward.points_cost <= balance,
            "after": balance - reward.points_cost,
        },
    )


@member_view
def redemptions(request):
    member = request.member
    return render(
        request,
        "portal/redemptions.html",
        {
            "tab": "rewards",
            "redemptions": selectors.member_redemptions(member)[:100],
            "coupons": selectors.member_coupons(member),
        },
    )
