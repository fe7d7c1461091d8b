"""Privacy: download my data (JSON, or a zip of CSVs) and ask for erasure.

Every view shows or acts for ``request.member`` only; no member id ever comes from the URL.
"""

from django.contrib import messages
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from membership import selectors as membership_selectors
from membership.actions import do_request_erasure, do_reveal_id_number, do_withdraw_erasure
from membership.models import ErasureRequest, ErasureStatus

from .. import export, lockout
from ..access import member_view
from ..forms import DataDownloadForm, ErasureRequestForm


def _file_name(request, extension: str) -> str:
    today = request.tenant.local_now().date().isoformat()
    return f"{request.tenant.slug}-my-data-{today}.{extension}"


def _privacy_page(request, *, download_form=None, status=200):
    erasures = list(membership_selectors.erasure_requests_of(request.member)[:5])
    pending = next((e for e in erasures if e.status == ErasureStatus.PENDING), None)
    return render(
        request,
        "portal/privacy.html",
        {
            "erasures": erasures,
            "pending": pending,
            "sections": export.SECTIONS,
            "download_form": download_form or DataDownloadForm(),
            "tab": "profile",
        },
        status=status,
    )


def _authorised_export(request):
    """(the export, None) once the member has typed their password again; (None, the page
    with the refusal) otherwise. A wrong password counts as a failed sign-in of the member's
    accounts, counted before the check (``lockout.begin_password_check``), and while they
    are locked nothing is checked. The ID number is masked unless the member chose the full
    number: that choice is revealed through ``do_reveal_id_number`` and so logged
    (``PiiAccessLog``, the actor ``member #<id>``) before the response starts."""
    member = request.member
    form = DataDownloadForm(request.POST)
    if not form.is_valid():
        return None, _privacy_page(request, download_form=form, status=400)
    attempt = lockout.begin_password_check(request, member)  # counted before the check
    if not attempt:
        form.add_error(
            None, _("Too many wrong passwords.") + " " + lockout.try_again(attempt.retry_after)
        )
        return None, _privacy_page(request, download_form=form, status=429)
    if not check_password(form.cleaned_data["password"], request.member_credential.password):
        if attempt.locks:
            form.add_error(
                None, _("Too many wrong passwords.") + " " + lockout.try_again(attempt.locks)
            )
            return None, _privacy_page(request, download_form=form, status=429)
        form.add_error("password", _("The password is not right."))
        return None, _privacy_page(request, download_form=form, status=400)
    lockout.sign_in_succeeded(attempt)
    id_number = member.id_number_masked
    if form.cleaned_data["full_id_number"] and member.id_number_encrypted:
        id_number = do_reveal_id_number(member, actor=member)
    return (
        export.Export(
            tenant=request.tenant,
            language=translation.get_language(),
            member=member,
            id_number=id_number,
        ),
        None,
    )


@member_view
def privacy(request):
    return _privacy_page(request)


@member_view
def download_json(request):
    if request.method != "POST":  # the form on the privacy page asks for the password
        return redirect("portal:privacy")
    data, refused = _authorised_export(request)
    if refused is not None:
        return refused
    response = StreamingHttpResponse(
        export.json_chunks(data), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_file_name(request, "json")}"'
    return response


@member_view
def download_csv(request):
    if request.method != "POST":
        return redirect("portal:privacy")
    data, refused = _authorised_export(request)
    if refused is not None:
        return refused
    return FileResponse(
        export.csv_zip(data),
        as_attachment=True,
        filename=_file_name(request, "zip"),
        content_type="application/zip",
    )


@member_view
def erasure(request):
    """The confirmation step: what erasure means, the password, a tick; then the request."""
    form = ErasureRequestForm(request.POST or None)
    decision = None
    if request.method == "POST" and form.is_valid():
        decision = lockout.take_password_check(request.member)
    if decision is not None and not decision.allowed:
        form.add_error(None, lockout.try_again(decision.retry_after))
    elif decision is not None:
        try:
            do_request_erasure(request.member, password=form.cleaned_data["password"])
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error.messages)
        else:
            messages.success(
                request, _("Your request is sent. We will tell you the decision by message.")
            )
            return redirect("portal:privacy")
    return render(request, "portal/privacy_erasure.html", {"form": form, "tab": "profile"})


@require_POST
@member_view
def erasure_withdraw(request):
    erasure_request = get_object_or_404(
        ErasureRequest, member=request.member, status=ErasureStatus.PENDING
    )
    try:
        do_withdraw_erasure(erasure_request, member=request.member)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Your request is withdrawn; nothing was erased."))
    return redirect("portal:privacy")
