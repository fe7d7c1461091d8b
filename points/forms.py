import csv
import datetime
import io
import uuid
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.models import Store
from core.money import MAX_AMOUNT, MAX_QUANTITY, MONEY

from .models import Reason, Reward
from .selectors import active_rewards


class KeyedForm(forms.Form):
    """A form carrying an idempotency key made when the page was shown, so a double submit
    posts once."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)


class PurchaseForm(KeyedForm):
    store = forms.ModelChoiceField(queryset=Store.dangerously_unscoped.none(), label=_("Store"))
    points_used = forms.IntegerField(label=_("Points used as payment"), min_value=0, initial=0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = Store.objects.filter(is_active=True)


class LineForm(forms.Form):
    description = forms.CharField(label=_("Goods"), max_length=200, required=False)
    category = forms.CharField(label=_("Category"), max_length=50, required=False)
    quantity = forms.IntegerField(
        label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY, initial=1
    )
    list_amount = forms.DecimalField(
        label=_("List amount"), min_value=Decimal("0"), max_value=MAX_AMOUNT, **MONEY
    )


LineFormSet = forms.formset_factory(LineForm, extra=3, min_num=1, validate_min=True)


class RefundForm(KeyedForm):
    amount = forms.DecimalField(
        label=_("Amount of the bill to refund"),
        required=False,
        min_value=Decimal("0.01"),
        max_value=MAX_AMOUNT,
        **MONEY,
        help_text=_("Empty to refund everything not yet refunded."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class RedeemForm(KeyedForm):
    reward = forms.ModelChoiceField(queryset=Reward.dangerously_unscoped.none(), label=_("Reward"))
    id_number = forms.CharField(
        label=_("ID number (or its last 4 characters)"), max_length=30, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reward"].queryset = active_rewards()


class CouponForm(forms.Form):
    code = forms.CharField(label=_("Coupon code"), max_length=32)


class AwardForm(KeyedForm):
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[
            (r.value, r.label) for r in Reason if r.value in ("task", "suggestion", "compensation")
        ],
    )
    points = forms.IntegerField(label=_("Points"), min_value=1)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class AdjustmentForm(KeyedForm):
    points = forms.IntegerField(label=_("Points (negative to take away)"))
    reason = forms.CharField(label=_("Reason"), max_length=300)


class DecisionForm(forms.Form):
    approve = forms.BooleanField(required=False)


class OpeningBalanceForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Columns: card or phone, points, earned date, expiry date (YYYY-MM-DD)."),
    )


def parse_opening_balances(data: bytes, find_member) -> tuple[list[dict], list[str]]:
    """Rows of an opening-balance CSV, and the errors found (row number and reason)."""
    rows, errors = [], []
    text = data.decode("utf-8-sig")
    for number, record in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not record or (number == 1 and not record[1].strip().lstrip("-").isdigit()):
            continue  # blank line or header
        try:
            identifier, points, earned, expires = (value.strip() for value in record[:4])
            member = find_member(identifier)
            if member is None:
                raise ValueError(_("no member with this card or phone"))
            row = {
                "member": member,
                "points": int(points),
                "earned_on": datetime.date.fromisoformat(earned),
                "expires_at": datetime.date.fromisoformat(expires) if expires else None,
                "note": "import",
            }
            if row["points"] <= 0:
                raise ValueError(_("points must be positive"))
            rows.append(row)
        except ValueError as error:
            errors.append(_("Row %(row)s: %(error)s") % {"row": number, "error": error})
        except (IndexError, TypeError):
            errors.append(_("Row %(row)s: four columns expected") % {"row": number})
    return rows, errors
