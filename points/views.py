"""Front-desk and manager pages: validate, call one action, render."""

import json
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import tenant_view
from membership.models import Member

from . import actions, selectors
from .forms import (
    AdjustmentForm,
    AwardForm,
    CouponForm,
    DecisionForm,
    LineFormSet,
    OpeningBalanceForm,
    PurchaseForm,
    RedeemForm,
    RefundForm,
    parse_opening_balances,
)
from .models import (
    AdjustmentRequest,
    AdjustmentStatus,
    EntryKind,
    Purchase,
    Redemption,
    RedemptionStatus,
)
from .panels import member_panel


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _member(pk) -> Member:
    return get_object_or_404(Member.objects.all(), pk=pk)


@tenant_view("members.view")
def history(request, member_pk):
    member = _member(member_pk)
    page = Paginator(selectors.history(member), 50).get_page(request.GET.get("page"))
    expired_ids = [e.pk for e in page if e.kind == EntryKind.EXPIRE]
    explained = selectors.expiry_explanations(expired_ids)
    rows = [(entry, explained.get(entry.pk, [])) for entry in page]
    context = {
        "member": member,
        "page": page,
        "rows": rows,
        "panel": member_panel(member),
        "lots": selectors.open_lots(member)[:100],
        "purchases": selectors.purchases_of(member)[:20],
    }
    return render(request, "points/history.html", context)


def _lines_from(formset) -> list[dict]:
    return [
        form.cleaned_data
        for form in formset.forms
        if form.cleaned_data and form.cleaned_data.get("list_amount") is not None
    ]


@tenant_view("points.post")
def purchase(request, member_pk):
    member = _member(member_pk)
    if request.method == "POST":
        form = PurchaseForm(request.POST)
        lines = LineFormSet(request.POST, prefix="lines")
        if form.is_valid() and lines.is_valid():
            try:
                actions.do_record_purchase(
                    member=member,
                    store=form.cleaned_data["store"],
                    lines=_lines_from(lines),
                    points_used=form.cleaned_data["points_used"],
                    idempotency_key=f"web:{form.cleaned_data['idempotency_key']}",
                    actor=request.user,
                )
            except ValidationError as error:
                form.add_error(None, _error_text(error))
            else:
                messages.success(request, _("Purchase recorded."))
                return redirect("points:history", member_pk=member.pk)
    else:
        store = getattr(getattr(request, "staff_role", None), "store", None)
        form = PurchaseForm(initial={"store": store})
        lines = LineFormSet(prefix="lines")
    context = {
        "member": member,
        "form": form,
        "lines": lines,
        "balance": selectors.balance_of(member)["balance"],
    }
    return render(request, "points/purchase.html", context)


@tenant_view("points.post")
def preview(request, member_pk):
    """The discount and points a purchase would get, from the same rules code as the posting."""
    member = _member(member_pk)
    try:
        body = json.loads(request.body or b"{}") if request.method == "POST" else {}
        lines = [
            {
                "list_amount": Decimal(str(line.get("list_amount") or "0")),
                "category": str(line.get("category") or ""),
                "quantity": int(line.get("quantity") or 1),
            }
            for line in body.get("lines", [])
            if str(line.get("list_amount") or "").strip()
        ]
        quote = actions.quote_for(member, lines, points_used=int(body.get("points_used") or 0))
    except (ValueError, InvalidOperation, TypeError, AttributeError):
        return JsonResponse({"error": _("Invalid amounts.")}, status=400)
    except ValidationError as error:
        return JsonResponse({"error": _error_text(error)}, status=400)
    return JsonResponse(
        {
            "list_amount": str(quote.list_amount),
            "discount_amount": str(quote.discount_amount),
            "amount_due": str(quote.amount_due),
            "points_value": str(quote.points_value),
            "amount_paid": str(quote.amount_paid),
            "multiplier": str(quote.multiplier),
            "points_earned": quote.points_earned,
        }
    )


@tenant_view("points.post")
def redeem(request, member_pk):
    member = _member(member_pk)
    form = RedeemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            redemption = actions.do_redeem_reward(
                member,
                form.cleaned_data["reward"],
                idempotency_key=f"web:{form.cleaned_data['idempotency_key']}",
                actor=request.user,
                id_number=form.cleaned_data["id_number"],
                store=getattr(getattr(request, "staff_role", None), "store", None),
            )
        except ValidationError as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(
                request,
                _("Redeemed: %(reward)s (%(status)s).")
                % {"reward": redemption.reward, "status": redemption.get_status_display()},
            )
            return redirect("points:history", member_pk=member.pk)
    context = {
        "member": member,
        "form": form,
        "balance": selectors.balance_of(member)["balance"],
        "redemptions": selectors.redemptions_of(member)[:20],
    }
    return render(request, "points/redeem.html", context)


@tenant_view("points.post")
def coupon(request):
    form = CouponForm(request.POST or None)
    used = None
    if request.method == "POST" and form.is_valid():
        try:
            used = actions.do_use_coupon(
                form.cleaned_data["code"],
                store=getattr(getattr(request, "staff_role", None), "store", None),
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, _error_text(error))
        else:
            messages.success(request, _("Coupon %(code)s used.") % {"code": used.code})
            return redirect("points:coupon")
    return render(request, "points/coupon.html", {"form": form})


@tenant_view("points.post")
def refund(request, purchase_pk):
    purchase_obj = get_object_or_404(Purchase.objects.select_related("member"), pk=purchase_pk)
    form = RefundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        line_qty = {
            key.removeprefix("line-"): value
            for key, value in request.POST.items()
            if key.startswith("line-") and value.strip().isdigit() and int(value) > 0
        }
        try:
            actions.do_refund(
                purchase_obj,
                lines=line_qty or None,
                amount=None if line_qty else form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                idempotency_key=f"web:{form.cleaned_data['idempotency_key']}",
                actor=request.user,
            )
        except (ValidationError, ValueError) as error:
            form.add_error(None, _error_text(error) if isinstance(error, ValidationError) else "")
        else:
            messages.success(request, _("Refund recorded."))
            return redirect("points:history", member_pk=purchase_obj.member_id)
    context = {
        "purchase": purchase_obj,
        "form": form,
        "lines": purchase_obj.lines.all(),
        "refunds": purchase_obj.refunds.all(),
    }
    return render(request, "points/refund.html", context)


@tenant_view("points.post")
def award(request, member_pk):
    member = _member(member_pk)
    form = AwardForm(request.POST or None)
    adjust = AdjustmentForm(request.POST or None, prefix="adj")
    if request.method == "POST":
        try:
            if "adj-points" in request.POST:
                if adjust.is_valid():
                    result = actions.do_request_adjustment(
                        member,
                        points=adjust.cleaned_data["points"],
                        reason=adjust.cleaned_data["reason"],
                        idempotency_key=f"web:{adjust.cleaned_data['idempotency_key']}",
                        actor=request.user,
                    )
                    messages.success(
                        request,
                        _("Adjustment posted.")
                        if result.status == AdjustmentStatus.APPROVED
                        else _("Adjustment sent for a manager's approval."),
                    )
                    return redirect("points:history", member_pk=member.pk)
            elif form.is_valid():
                actions.do_award_points(
                    member,
                    reason=form.cleaned_data["reason"],
                    points=form.cleaned_data["points"],
                    note=form.cleaned_data["note"],
                    idempotency_key=f"web:{form.cleaned_data['idempotency_key']}",
                    actor=request.user,
                )
                messages.success(request, _("Points awarded."))
                return redirect("points:history", member_pk=member.pk)
        except ValidationError as error:
            messages.error(request, _error_text(error))
    return render(request, "points/award.html", {"member": member, "form": form, "adjust": adjust})


@tenant_view("points.approve")
def approvals(request):
    context = {
        "redemptions": selectors.pending_redemptions()[:100],
        "adjustments": selectors.pending_adjustments()[:100],
        "to_fulfil": Redemption.objects.filter(status=RedemptionStatus.APPROVED).select_related(
            "member", "reward"
        )[:100],
    }
    return render(request, "points/approvals.html", context)


@require_POST
@tenant_view("points.approve")
def decide_redemption(request, pk):
    redemption = get_object_or_404(Redemption.objects.select_related("member", "reward"), pk=pk)
    form = DecisionForm(request.POST)
    form.is_valid()
    try:
        if request.POST.get("fulfil"):
            actions.do_fulfil_redemption(redemption, actor=request.user)
        else:
            actions.do_decide_redemption(
                redemption, approve=form.cleaned_data.get("approve", False), actor=request.user
            )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    return redirect("points:approvals")


@require_POST
@tenant_view("points.approve")
def decide_adjustment(request, pk):
    adjustment = get_object_or_404(AdjustmentRequest.objects.select_related("member"), pk=pk)
    form = DecisionForm(request.POST)
    form.is_valid()
    try:
        actions.do_decide_adjustment(
            adjustment, approve=form.cleaned_data.get("approve", False), actor=request.user
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    return redirect("points:approvals")


@tenant_view("points.approve")
def opening_balances(request):
    form = OpeningBalanceForm(request.POST or None, request.FILES or None)
    errors, posted = [], None
    if request.method == "POST" and form.is_valid():
        rows, errors = parse_opening_balances(form.cleaned_data["file"].read(), actions.find_member)
        if not errors:
            try:
                posted = actions.do_import_opening_balances(rows, actor=request.user)
            except ValidationError as error:
                errors = [_error_text(error)]
            else:
                messages.success(
                    request, _("%(count)s opening balances posted.") % {"count": len(posted)}
                )
                return redirect("points:opening_balances")
    return render(request, "points/opening_balances.html", {"form": form, "errors": errors})
