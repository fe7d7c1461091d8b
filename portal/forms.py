from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _


class SignInForm(forms.Form):
    identifier = forms.CharField(
        label=_("Phone number or ID number"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ChangePasswordForm(forms.Form):
    old_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    new_password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        new1, new2 = data.get("new_password1"), data.get("new_password2")
        if new1 and new2 and new1 != new2:
            self.add_error("new_password2", _("The two new passwords differ."))
        elif new1:
            password_validation.validate_password(new1)
        if new1 and new1 == data.get("old_password"):
            self.add_error("new_password1", _("Choose a password different from the current one."))
        return data


class ErasureRequestForm(forms.Form):
    understood = forms.BooleanField(
        label=_(
            "I understand that erasure cannot be undone: my membership ends, my points and "
            "coupons can no longer be used and I can no longer sign in."
        ),
        error_messages={"required": _("Tick this box to confirm.")},
    )
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("To be sure it is you who asks."),
    )


class DataDownloadForm(forms.Form):
    """The step right before "download my data": the password again, and the explicit choice
    of the full ID number (masked otherwise)."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("The file holds your personal data: we ask for your password again."),
    )
    full_id_number = forms.BooleanField(
        label=_("Include my full ID number (otherwise it shows as ****1234)"),
        required=False,
    )


class _NewPasswordMixin:
    def clean_new_passwords(self, data):
        new1, new2 = data.get("new_password1"), data.get("new_password2")
        if new1 and new2 and new1 != new2:
            self.add_error("new_password2", _("The two new passwords differ."))
        elif new1:
            try:
                password_validation.validate_password(new1)
            except forms.ValidationError as error:
                self.add_error("new_password1", error)


class ResetRequestForm(forms.Form):
    identifier = forms.CharField(
        label=_("Phone number or ID number"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )


class ResetConfirmForm(_NewPasswordMixin, forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )
    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    new_password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isascii() and code.isdigit() and len(code) == 6):
            raise forms.ValidationError(_("The code is the 6 digits in the message we sent."))
        return code

    def clean(self):
        data = super().clean()
        self.clean_new_passwords(data)
        return data
