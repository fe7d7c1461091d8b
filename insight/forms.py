import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import Store

from .periods import KINDS, LONGEST_RANGE_DAYS, Period, period_around

EARLIEST = datetime.date(2000, 1, 1)


class ReportFilterForm(forms.Form):
    """The period picker and store filter of the dashboard, the exports and the API. Every
    field is optional: the default is this month, all stores."""

    period = forms.ChoiceField(label=_("Period"), choices=list(KINDS.items()), required=False)
    date = forms.DateField(
        label=_("Around"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    start = forms.DateField(
        label=pgettext_lazy("insight", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = forms.DateField(
        label=pgettext_lazy("insight", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    store = forms.ModelChoiceField(
        label=_("Store"),
        required=False,
        queryset=None,
        empty_label=pgettext_lazy("insight", "All stores"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = Store.objects.order_by("name")

    def _in_range(self, name):
        value = self.cleaned_data.get(name)
        latest = timezone.localdate() + datetime.timedelta(days=366)
        if value is not None and not EARLIEST <= value <= latest:
            raise forms.ValidationError(
                _("Choose a date between %(first)s and %(last)s."),
                code="out_of_range",
                params={"first": EARLIEST.isoformat(), "last": latest.isoformat()},
            )
        return value

    def clean_date(self):
        return self._in_range("date")

    def clean_start(self):
        return self._in_range("start")

    def clean_end(self):
        return self._in_range("end")

    def clean(self):
        data = super().clean()
        kind = data.get("period") or "month"
        if kind == "custom":
            start, end = data.get("start"), data.get("end")
            for name in ("start", "end"):
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, _("A custom range needs both dates."))
            if start and end:
                if start > end:
                    self.add_error("end", pgettext_lazy("insight", "The end is before the start."))
                elif (end - start).days >= LONGEST_RANGE_DAYS:
                    self.add_error("end", _("Choose a range of at most three years."))
        return data

    def chosen_period(self) -> Period:
        data = self.cleaned_data
        kind = data.get("period") or "month"
        if kind == "custom":
            return Period("custom", data["start"], data["end"])
        return period_around(kind, data.get("date") or timezone.localdate())


class SegmentForm(ReportFilterForm):
    """Which members of the members report: the figure's segment and the report's filters."""

    segment = forms.ChoiceField(
        label=_("Members"),
        choices=[
            ("total", _("Members")),
            ("new", pgettext_lazy("insight", "New")),
            ("active", _("Active (purchased)")),
            ("dormant", _("Dormant")),
            ("lapsed", _("Lapsed (membership expired)")),
            ("terminated", _("Terminated")),
        ],
    )
