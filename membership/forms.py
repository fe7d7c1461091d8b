import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from core import tenancy
from core.forms import TenantModelForm
from core.models import Store
from notifications.models import Channel, ConsentSource, Purpose

from . import selectors
from .models import OPTIONAL_FIELDS, Gender, IdType, Member, MembershipSettings, TerminationSource
from .validators import validate_id_number

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MemberForm(TenantModelForm):
    """Registration and edit. The ID number is a plain form field: the model keeps it only
    encrypted and digested (see membership/pii.py)."""

    id_number = forms.CharField(label=_("ID number"), required=False, max_length=40)
    # Declared here (querysets set per request): the default form fields would query the scoped
    # managers when the class is built, with no tenant active.
    store = forms.ModelChoiceField(label=_("store of registration"), queryset=None, required=False)
    referrer = forms.CharField(
        label=_("Referrer"),
        required=False,
        max_length=40,
        help_text=_("The referring member's card or phone number."),
    )
    confirm_duplicate = forms.BooleanField(
        label=_("This is a different person: register anyway"), required=False
    )

    class Meta:
        model = Member
        fields = [
            "name",
            "phone",
            "id_type",
            "id_number",
            "gender",
            "birthday",
            "email",
            "wedding_anniversary",
            "employer",
            "address",
            "notes",
            "store",
            "referrer",
            "joined_on",
            "valid_until",
        ]
        widgets = {
            "birthday": DATE_INPUT,
            "wedding_anniversary": DATE_INPUT,
            "joined_on": DATE_INPUT,
            "valid_until": DATE_INPUT,
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, settings: MembershipSettings | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        tenant = tenancy.current_tenant()
        self.settings = settings or selectors.settings()
        self.duplicates: list[Member] = []
        region = tenant.phone_region
        self.fields["phone"] = PhoneNumberField(
            label=_("Phone"),
            region=region,
            required=False,
            widget=forms.TextInput(
                attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}
            ),
        )
        self.fields["phone"].error_messages["invalid"] = _(
            "Enter a valid phone number, e.g. 13812345678."
        )
        self.fields["name"].widget.attrs.update({"autofocus": True, "autocomplete": "off"})
        self.fields["store"].queryset = Store.objects.filter(is_active=True)
        if self.instance.pk and self.instance.referrer_id and not self.is_bound:
            referrer = self.instance.referrer
            self.initial["referrer"] = referrer.card_number or str(referrer.phone)
        self.fields["id_type"].initial = IdType.RESIDENT
        self.fields["gender"].choices = [("", "—"), *Gender.choices]
        if not self.is_bound and not self.instance.pk:
            self.initial.setdefault("joined_on", timezone.localdate())
        if self.instance.pk:
            self.fields.pop("confirm_duplicate")
            self.initial["id_number"] = ""
            self.fields["id_number"].help_text = _(
                "Stored: %(masked)s. Leave empty to keep it."
            ) % {"masked": self.instance.id_number_masked or "—"}
            self.fields["joined_on"].disabled = True
        for name in self.settings.required_fields or []:
            if name in self.fields and name in OPTIONAL_FIELDS:
                self.fields[name].required = not (name == "id_number" and self.instance.pk)

    def full_clean(self):
        super().full_clean()
        # After a failed submit the cursor goes to the first field that needs fixing.
        first = next((name for name in self.fields if name in (self._errors or {})), None)
        if first is not None:
            self.fields["name"].widget.attrs.pop("autofocus", None)
            self.fields[first].widget.attrs["autofocus"] = True

    def clean_referrer(self):
        value = (self.cleaned_data.get("referrer") or "").strip()
        if not value:
            return None
        card = selectors.card_lookup(value)
        member = card.member if card else selectors.members_by_phone(value).first()
        if member is None:
            raise ValidationError(_("No member has this card or phone number."))
        if self.instance.pk and member.pk == self.instance.pk:
            raise ValidationError(_("A member cannot refer themselves."))
        return member

    def clean_name(self):
        return " ".join(self.cleaned_data["name"].split())

    def clean(self):
        data = super().clean()
        id_type = data.get("id_type") or ""
        number = data.get("id_number") or ""
        if number:
            if not id_type:
                self.add_error("id_type", _("Choose the type of ID document."))
            else:
                try:
                    data["id_number"] = validate_id_number(id_type, number)
                except ValidationError as error:
                    self.add_error("id_number", error)
        if (
            self.instance.pk
            and self.instance.id_number_digest
            and not number
            and id_type != self.instance.id_type
        ):
            self.add_error("id_number", _("Enter the ID number again to change its type."))
        exclude = self.instance.pk
        phone = data.get("phone")
        if phone and selectors.phone_taken(phone, exclude_pk=exclude):
            self.add_error("phone", _("A member with this phone number is already registered."))
        number = data.get("id_number") if "id_number" not in self.errors else None
        if number and selectors.id_number_taken(number, exclude_pk=exclude):
            self.add_error("id_number", _("A member with this ID number is already registered."))
        if not self.instance.pk and not phone and not data.get("id_number") and not self.errors:
            raise ValidationError(
                _("Give a phone number or an ID number: the member signs in with one of them.")
            )
        birthday = data.get("birthday")
        if birthday and birthday > timezone.localdate():
            self.add_error("birthday", _("The birthday cannot be in the future."))
        if not self.instance.pk and not self.errors:
            self.duplicates = selectors.probable_duplicates(data.get("name"), birthday)
            if self.duplicates and not data.get("confirm_duplicate"):
                raise ValidationError(
                    _(
                        "A member with the same name and birthday already exists. Check the list "
                        'below; if this is a different person, tick "register anyway".'
                    ),
                    code="probable_duplicate",
                )
        return data

    def action_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "confirm_duplicate"}
        if self.instance.pk and not data.get("id_number"):
            data.pop("id_number", None)
            if data.get("id_type") == self.instance.id_type:
                data.pop("id_type", None)
        data["phone"] = data.get("phone") or ""
        return data


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Phone, card number, ID number or name"),
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"type": "search", "autofocus": True, "autocomplete": "off"}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=[("active", _("Active")), ("frozen", _("Frozen"))])
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class TerminationRequestForm(forms.Form):
    source = forms.ChoiceField(label=_("Source"), choices=TerminationSource.choices)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class TerminationDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class ErasureDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve and erase")), ("refuse", _("Refuse"))],
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        required=False,
        help_text=_("Required for a refusal: the member is told it."),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "refuse" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why the request is refused: the member will be told."))
        return data


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or Excel (.xlsx) file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not (name.endswith(".csv") or name.endswith(".xlsx")):
            raise ValidationError(_("Upload a .csv or .xlsx file."))
        if upload.size > 20 * 1024 * 1024:
            raise ValidationError(_("The file is larger than 20 MB; split it."))
        return upload


class MembershipSettingsAdminForm(TenantModelForm):
    required_fields = forms.MultipleChoiceField(
        label=_("required fields"),
        choices=list(OPTIONAL_FIELDS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = MembershipSettings
        fields = ["card_prefix", "card_digits", "required_fields", "validity_months"]

    def clean_card_prefix(self):
        prefix = self.cleaned_data["card_prefix"]
        if not prefix.isdigit():
            raise ValidationError(_("The prefix is digits only."))
        return prefix

    def clean_card_digits(self):
        digits = self.cleaned_data["card_digits"]
        if not 4 <= digits <= 16:
            raise ValidationError(_("Between 4 and 16 digits."))
        return digits


# Where a consent recorded by staff (the member page, the API) may come from; the portal, an SMS
# reply and an erasure write their own.
STAFF_CONSENT_SOURCES = [ConsentSource.COUNTER, ConsentSource.IMPORT]
CONSENT_CLOCK_SKEW = datetime.timedelta(minutes=5)


def validate_given_at(value):
    """A consent cannot have been given in the future (a few minutes of clock skew allowed)."""
    if value is not None and value > timezone.now() + CONSENT_CLOCK_SKEW:
        raise ValidationError(_("A consent cannot be given in the future."))


class ConsentRecordForm(forms.Form):
    """A choice the member made in person (at the counter) or on paper, recorded by staff."""

    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    purpose = forms.ChoiceField(label=_("Purpose"), choices=Purpose.choices, initial="marketing")
    granted = forms.TypedChoiceField(
        label=_("Choice"),
        choices=[("yes", _("Agrees")), ("no", _("Does not agree"))],
        coerce=lambda value: value == "yes",
    )
    source = forms.ChoiceField(
        label=_("Given"),
        choices=[(source.value, source.label) for source in STAFF_CONSENT_SOURCES],
        initial=ConsentSource.COUNTER,
    )
    given_at = forms.DateTimeField(
        label=_("Given at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Empty: now."),
        validators=[validate_given_at],
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "consent-%s")  # unique ids beside the page's other forms
        super().__init__(*args, **kwargs)
