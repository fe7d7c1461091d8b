from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from core.models import StaffRole, Store
from membership.models import Member

from .attachments import check_uploads
from .models import (
    Channel,
    CompensationKind,
    Kind,
    Priority,
    ReturnVisit,
    Status,
    Ticket,
    VisitChannel,
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        files = [super(MultipleImageField, self).clean(f, initial) for f in files]
        check_uploads(files)
        return files


def staff_users():
    User = get_user_model()
    ids = StaffRole.objects.filter(is_active=True).values_list("user_id", flat=True)
    return User.objects.filter(pk__in=list(ids)).order_by("username")


class TicketForm(forms.ModelForm):
    member = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label=_("Member"),
        widget=forms.NumberInput,
        help_text=_("The member's number in the system; leave empty for a walk-in."),
    )
    store = forms.ModelChoiceField(label=_("Store"), queryset=None, required=False)
    pictures = MultipleImageField(label=_("Pictures"), required=False)

    class Meta:
        model = Ticket
        fields = [
            "kind",
            "channel",
            "member",
            "contact_name",
            "contact_phone",
            "store",
            "priority",
            "description",
            "assignee",
            "deadline_days",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = Member.objects.all()
        self.fields["store"].queryset = Store.objects.filter(is_active=True)
        self.fields["assignee"].queryset = staff_users()

    def clean(self):
        data = super().clean()
        if not data.get("member") and not (data.get("contact_name") or "").strip():
            self.add_error("contact_name", _("Choose a member or give the name of the person."))
        return data

    def action_data(self) -> dict:
        data = {name: self.cleaned_data.get(name) for name in self.Meta.fields}
        for name in ("contact_name", "contact_phone"):
            data[name] = data[name] or ""
        return data


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any")), ("open", _("Open")), *Status.choices],
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any")), *Kind.choices]
    )
    store = forms.ModelChoiceField(
        label=_("Store"), required=False, queryset=None, empty_label=_("Any")
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = Store.objects.all()


class TransitionForm(forms.Form):
    target = forms.ChoiceField(choices=Status.choices)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=None, required=False, empty_label=_("Nobody")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff_users()


class CompensationForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CompensationKind.choices)
    points = forms.IntegerField(label=_("Points"), min_value=0, required=False)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Satisfaction"), coerce=int, choices=[(n, str(n)) for n in range(1, 6)]
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AttachmentForm(forms.Form):
    pictures = MultipleImageField(label=_("Pictures"))


class ReturnVisitForm(forms.ModelForm):
    member = forms.ModelChoiceField(queryset=None, label=_("Member"), widget=forms.NumberInput)
    ticket = forms.ModelChoiceField(
        queryset=None, label=_("Ticket"), required=False, widget=forms.NumberInput
    )
    store = forms.ModelChoiceField(label=_("Store"), queryset=None, required=False)

    class Meta:
        model = ReturnVisit
        fields = ["member", "ticket", "store", "channel", "visited_at", "notes", "opinion"]
        widgets = {
            "visited_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "opinion": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = Member.objects.all()
        self.fields["ticket"].queryset = Ticket.objects.all()
        self.fields["store"].queryset = Store.objects.all()
        self.fields["channel"].initial = VisitChannel.PHONE

    def action_data(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.Meta.fields}


class ReportForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    store = forms.ModelChoiceField(
        label=_("Store"), required=False, queryset=None, empty_label=_("All")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = Store.objects.all()

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The end is before the start."))
        return data


__all__ = ["Channel", "Priority"]
