"""Signing in and out of the portal, changing the password, and resetting it with a code.

Sign-in is locked per account and per address after repeated failures (``portal.lockout``); the
lock holds even for the right password and ends by itself. A reset request gets the same answer
whether or not the number is a member's. Every page here is ``never_cache``d, like member pages.
"""

import time

from django.contrib import messages
from django.contrib.auth.hashers import check_password
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from core import tenancy
from core.access import public_in_tenant
from membership.actions import authenticate_member, do_set_member_password
from membership.models import Member, MemberCredential, MemberStatus

from .. import lockout, reset, session
from ..access import member_view
from ..forms import ChangePasswordForm, ResetConfirmForm, ResetRequestForm, SignInForm
from ..language import apply_member_language

RESET_SESSION_TTL = 30 * 60  # seconds the code page remembers whose code was asked for


def _next_url(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@public_in_tenant
@never_cache
def login(request):
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        identifier = form.cleaned_data["identifier"]
        attempt = lockout.begin_sign_in(request, identifier)  # counted before the check
        wait, member = attempt.retry_after, None
        if attempt:
            member = authenticate_member(identifier, form.cleaned_data["password"])
            if member is None:
                wait = attempt.locks
                if not wait:
                    form.add_error(None, _("The phone or ID number and password do not match."))
        if wait:
            form.add_error(
                None,
                _("Too many failed attempts to sign in.") + " " + lockout.try_again(wait),
            )
        elif member is not None:
            lockout.sign_in_succeeded(attempt)
            credential = MemberCredential.objects.get(member=member)
            session.sign_in(request, member, credential)
            if credential.must_change:
                return apply_member_language(redirect("portal:change_password"), member)
            return apply_member_language(redirect(_next_url(request) or "portal:home"), member)
    return render(request, "portal/login.html", {"form": form, "next": _next_url(request) or ""})


@public_in_tenant
@never_cache
@require_POST
def logout(request):
    session.sign_out(request)
    messages.info(request, _("You have signed out."))
    return redirect("portal:login")


@member_view(allow_must_change=True)
def change_password(request):
    credential = request.member_credential
    form = ChangePasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        decision = lockout.take_password_check(request.member)
        if not decision.allowed:
            form.add_error(None, lockout.try_again(decision.retry_after))
        elif not check_password(form.cleaned_data["old_password"], credential.password):
            form.add_error("old_password", _("The current password is not right."))
        else:
            credential = do_set_member_password(request.member, form.cleaned_data["new_password1"])
            session.refresh(request, credential)
            messages.success(request, _("Your password has been changed."))
            return redirect("portal:home")
    return render(
        request,
        "portal/change_password.html",
        {"form": form, "must_change": credential.must_change},
    )


# --- reset by one-time code ---------------------------------------------------------------------


def _reset_key() -> str:
    return f"portal:reset:{tenancy.current_tenant().pk}"


@public_in_tenant
@never_cache
def reset_request(request):
    form = ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        identifier = form.cleaned_data["identifier"]
        decision = lockout.take_code_request(request, identifier)
        if not decision:
            form.add_error(
                None, _("Too many code requests.") + " " + lockout.try_again(decision.retry_after)
            )
        else:
            member = reset.member_for_identifier(identifier)
            if member is not None:
                reset.do_issue_reset_code(member, language=translation.get_language())
            # The session (kept on the server) remembers whose code it is; the page and the
            # redirect are the same for a member and for a stranger.
            request.session[_reset_key()] = {
                "member": member.pk if member is not None else None,
                "identifier": lockout.account_key(identifier),
                "until": int(time.time()) + RESET_SESSION_TTL,
            }
            messages.info(
                request,
                _(
                    "If this number belongs to a member, we have sent a 6-digit code to the "
                    "phone on file (or to the e-mail address when there is no phone). It is "
                    "valid for 10 minutes."
                ),
            )
            return redirect("portal:reset_confirm")
    return render(request, "portal/reset_request.html", {"form": form})


@public_in_tenant
@never_cache
def reset_confirm(request):
    pending = request.session.get(_reset_key())
    if not isinstance(pending, dict) or pending.get("until", 0) < time.time():
        request.session.pop(_reset_key(), None)
        return redirect("portal:reset_request")
    form = ResetConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        decision = lockout.take_code_check(request)
        member = (
            Member.objects.filter(pk=pending.get("member"))
            .exclude(status=MemberStatus.TERMINATED)
            .first()
        )
        credential = None
        if not decision:
            form.add_error(
                None, _("Too many attempts.") + " " + lockout.try_again(decision.retry_after)
            )
        elif member is not None:
            credential = reset.do_reset_password_with_code(
                member, form.cleaned_data["code"], form.cleaned_data["new_password1"]
            )
        if decision and credential is None:
            form.add_error(
                "code",
                _(
                    "This code is not right, has expired or was already used. Check the latest "
                    "message, or ask for a new code."
                ),
            )
        if credential is not None:
            request.session.pop(_reset_key(), None)
            lockout.reset_account_key(pending["identifier"])
            session.sign_in(request, member, credential)
            messages.success(request, _("Your password has been changed."))
            return apply_member_language(redirect("portal:home"), member)
    return render(request, "portal/reset_confirm.html", {"form": form})
