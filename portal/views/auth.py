"""Signing in and out of the portal, and changing the password."""

from django.contrib import messages
from django.contrib.auth.hashers import check_password
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import public_in_tenant
from membership.actions import authenticate_member, do_set_member_password
from membership.models import MemberCredential

from .. import session
from ..access import member_view
from ..forms import ChangePasswordForm, SignInForm
from ..language import apply_member_language


def _next_url(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@public_in_tenant
def login(request):
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        member = authenticate_member(form.cleaned_data["identifier"], form.cleaned_data["password"])
        if member is None:
            form.add_error(None, _("The phone or ID number and password do not match."))
        else:
            credential = MemberCredential.objects.get(member=member)
            session.sign_in(request, member, credential)
            if credential.must_change:
                return apply_member_language(redirect("portal:change_password"), member)
            return apply_member_language(redirect(_next_url(request) or "portal:home"), member)
    return render(request, "portal/login.html", {"form": form, "next": _next_url(request) or ""})


@public_in_tenant
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
        if not check_password(form.cleaned_data["old_password"], credential.password):
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
