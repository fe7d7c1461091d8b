"""Forms of the member's pages (the sign-in forms are in ``forms.py``)."""

import uuid

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from complaints.models import Kind
from core.models import Store
from membership import selectors as membership_selectors
from membership.pii import normalise_id_number

from .selectors import CONSENT_CHOICES


def new_key() -> str:
    return uuid.uuid4().hex


class RedeemForm(forms.Form):
    """The confirmation step. The key is made when the form is shown, so a double tap or a
    resubmitted page carries the same key and the ledger redeems once."""

    key = forms.CharField(widget=forms.HiddenInput, max_length=64)
    id_number = forms.CharField(
        label=_("Your ID number"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
        help_text=_("This reward needs an ID check: the full number on your ID card."),
    )

    def __init__(self, *args, reward, **kwargs):
        super().__init__(*args, **kwargs)
        self.reward = reward
        if not reward.requires_id_check:
            del self.fields["id_number"]

    def clean_id_number(self):
        value = self.cleaned_data["id_number"].strip()
        if not value:
            raise forms.ValidationError(_("Enter your ID number."))
        normalised = normalise_id_number(value)
        # The counter may check the last four digits against the card in hand; online, the
        # member types the whole number.
        if len(normalised) < 8:
            raise forms.ValidationError(_("Enter the whole ID number, not only its last digits."))
        return normalised


MEMBER_KINDS = [
    (Kind.COMPLAINT, _("Complaint")),
    (Kind.SUGGESTION, _("Suggestion")),
    (Kind.INQUIRY, _("Question")),
]


class TicketForm(forms.Form):
    kind = forms.ChoiceField(label=_("What is it?"), choices=MEMBER_KINDS, initial=Kind.COMPLAINT)
    store = forms.ModelChoiceField(
        label=_("Which store?"),
        queryset=None,  # set per request: the manager needs an active tenant
        required=False,
        empty_label=_("Not about one store"),
    )
    description = forms.CharField(
        label=_("Tell us what happened"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    picture = forms.FileField(
        label=_("A picture (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
        help_text=_("JPEG, PNG, WebP or GIF, at most 5 MB."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = Store.objects.order_by("name")

    def clean_description(self):
        value = self.cleaned_data["description"].strip()
        if len(value) < 5:
            raise forms.ValidationError(_("Please tell us a little more (at least 5 characters)."))
        return value


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you?"),
        coerce=int,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything to add? (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReopenForm(forms.Form):
    note = forms.CharField(
        label=_("What is still not right?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ContactForm(forms.Form):
    """What a member may change themselves. The phone number signs them in and receives the
    codes, so it is changed at the counter."""

    email = forms.EmailField(label=_("E-mail"), required=False, max_length=254)
    address = forms.CharField(label=_("Address"), required=False, max_length=300)
    password = forms.CharField(
        label=_("Current password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_(
            "Needed to change the e-mail address: codes to reset your password may go there."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        required = set(membership_selectors.settings().required_fields or [])
        for name in ("email", "address"):
            if name in required:
                self.fields[name].required = True


class LanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("The business's default")), *settings.LANGUAGES],
    )


class ConsentForm(forms.Form):
    def __init__(self, *args, state: dict, **kwargs):
        super().__init__(*args, **kwargs)
        for channel, purpose, label, help_text in CONSENT_CHOICES:
            self.fields[f"{channel}_{purpose}"] = forms.BooleanField(
                label=label,
                help_text=help_text,
                required=False,
                initial=state[(channel, purpose)],
            )

    def choices(self):
        """(channel, purpose, granted) for every switch."""
        return [
            (channel, purpose, bool(self.cleaned_data.get(f"{channel}_{purpose}")))
            for channel, purpose, *_rest in CONSENT_CHOICES
        ]
