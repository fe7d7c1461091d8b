"""Profile and contact details, consent settings, language."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.hashers import check_password
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from core import tenancy
from core.access import public_in_tenant
from core.actors import actor_of
from membership.actions import do_update_member
from notifications.actions import do_set_consent
from notifications.models import ConsentSource

from .. import lockout, selectors, session
from ..access import member_view
from ..language import apply_member_language, forget_language_choice
from ..page_forms import ConsentForm, ContactForm, LanguageForm


def _profile_page(request, *, contact_form=None, language_form=None, status=200):
    member = request.member
    return render(
        request,
        "portal/profile.html",
        {
            "tab": "profile",
            "member": member,
            "contact_form": contact_form
            or ContactForm(initial={"email": member.email, "address": member.address}),
            "language_form": language_form or LanguageForm(initial={"language": member.language}),
        },
        status=status,
    )


@member_view
def profile(request):
    return _profile_page(request)


@member_view
@require_POST
def update_contact(request):
    form = ContactForm(request.POST)
    if form.is_valid() and form.cleaned_data["email"] != request.member.email:
        # A reset code may go to the e-mail address: changing it takes the password, or a
        # session left open on a phone would be a way to take the account over.
        decision = lockout.take_password_check(request.member)
        if not decision.allowed:
            form.add_error(None, lockout.try_again(decision.retry_after))
        elif not check_password(form.cleaned_data["password"], request.member_credential.password):
            form.add_error("password", _("The current password is not right."))
    if not form.is_valid():
        return _profile_page(request, contact_form=form, status=400)
    member = do_update_member(
        request.member,
        data={"email": form.cleaned_data["email"], "address": form.cleaned_data["address"]},
        actor=request.member,
    )
    request.member = member
    messages.success(request, _("Your contact details have been saved."))
    return redirect("portal:profile")


def _save_language(request, member, language: str):
    member = do_update_member(member, data={"language": language}, actor=member)
    request.member = member
    return member


@member_view
@require_POST
def update_language(request):
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return _profile_page(request, language_form=form, status=400)
    member = _save_language(request, request.member, form.cleaned_data["language"])
    # The confirmation in the language just chosen.
    translation.activate(member.language or tenancy.current_tenant().default_language)
    messages.success(request, _("Your language has been saved."))
    response = redirect("portal:profile")
    if member.language:
        return apply_member_language(response, member)
    return forget_language_choice(response)


@public_in_tenant
def set_language(request):
    """The switch in the page header: Django's ``set_language``; for a signed-in member the
    choice is also stored, so it follows them to another phone and into their messages."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.method == "POST" and language in {code for code, _name in settings.LANGUAGES}:
        member, _credential = session.signed_in_member(request)
        if member is not None and member.language != language:
            with transaction.atomic():
                _save_language(request, member, language)
    return response


@member_view
def consent(request):
    member = request.member
    state = selectors.consent_state(member)
    form = ConsentForm(request.POST or None, state=state)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            for channel, purpose, granted in form.choices():
                if state[(channel, purpose)] != granted:
                    do_set_consent(
                        member_id=member.pk,
                        channel=channel,
                        purpose=purpose,
                        granted=granted,
                        source=ConsentSource.PORTAL,
                        actor=actor_of(member).label,
                    )
        messages.success(request, _("Your choices have been saved."))
        return redirect("portal:consent")
    return render(request, "portal/consent.html", {"tab": "profile", "form": form})
