"""Front-desk and manager pages. Each view validates input, calls one action and renders."""

import csv
import datetime
import tempfile

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import tenancy
from core.access import tenant_view
from core.roles import role_has
from notifications.selectors import (
    consent_changes_for_member,
    consents_for_member,
    messages_for_member,
)

from . import actions, imports, selectors
from .forms import (
    ConsentRecordForm,
    ErasureDecisionForm,
    ImportUploadForm,
    MemberForm,
    ReasonForm,
    SearchForm,
    StatusForm,
    TerminationDecisionForm,
    TerminationRequestForm,
)
from .hooks import panels
from .models import ErasureRequest, ImportStatus, Member, MemberImport, TerminationRequest
from .templatetags.phones import mask_phone


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


@tenant_view("members.view")
def member_search(request):
    form = SearchForm(request.GET or None)
    results = None
    if form.is_valid() and form.cleaned_data["q"]:
        results = selectors.search_members(form.cleaned_data["q"], limit=50)
        for member in results:
            member.card_note = _card_note(member)
    return render(request, "membership/search.html", {"form": form, "results": results})


@tenant_view("members.view")
def member_search_json(request):
    query = request.GET.get("q", "")[:60]
    results = selectors.search_members(query, limit=20) if query.strip() else []
    members_url = reverse("membership:search")  # detail pages are <members_url><id>/
    return JsonResponse(
        {
            "results": [
                {
                    "id": m.pk,
                    "name": m.name,
                    "phone": mask_phone(m.phone),  # others may see the counter's screen
                    "card_number": m.card_number,
                    "status": m.get_status_display(),
                    "url": f"{members_url}{m.pk}/",
                    "note": _card_note(m),
                }
                for m in results
            ]
        }
    )


def _card_note(member) -> str:
    card = getattr(member, "matched_card", None)
    if card is None:
        return ""
    return _("Card %(card)s is %(status)s.") % {
        "card": card.number,
        "status": card.get_status_display(),
    }


@tenant_view("members.edit")
def member_register(request):
    role = request.staff_role
    form = MemberForm(
        request.POST or None,
        initial={"store": role.store_id} if role.store_id else None,
    )
    if request.method == "POST" and form.is_valid():
        member = actions.do_register_member(data=form.action_data(), actor=request.user)
        messages.success(
            request,
            _("%(name)s is registered with card %(card)s. The initial password was sent to them.")
            % {"name": member.name, "card": member.card_number},
        )
        return redirect("membership:detail", pk=member.pk)
    return render(
        request, "membership/register.html", {"form": form, "duplicates": form.duplicates}
    )


def _detail_context(request, member, **extra):
    return {
        "member": member,
        "cards": selectors.member_cards(member),
        "history": selectors.member_history(member)[:100],
        "terminations": member.termination_requests.all()[:10],
        "erasures": selectors.erasure_requests_of(member)[:10],
        "panels": [
            {"key": key, "template": panel.template, "context": panel.context(member)}
            for key, panel in panels.items()
        ],
        "messages_sent": messages_for_member(member.pk)[:20],
        "can_edit": role_has(request.staff_role.role, "members.edit"),
        "can_reveal": role_has(request.staff_role.role, "members.reveal_pii"),
        "can_approve": role_has(request.staff_role.role, "members.approve"),
        "status_form": StatusForm(),
        "reason_form": ReasonForm(),
        "termination_form": TerminationRequestForm(),
        "consents": consents_for_member(member.pk),
        "consent_changes": consent_changes_for_member(member.pk)[:20],
        "consent_form": extra.pop("consent_form", None) or ConsentRecordForm(),
        **extra,
    }


@tenant_view("members.view")
def member_detail(request, pk):
    member = get_object_or_404(Member.objects.select_related("store", "referrer"), pk=pk)
    return render(request, "membership/detail.html", _detail_context(request, member))


@require_POST
@tenant_view("members.reveal_pii")
def member_reveal(request, pk):
    member = get_object_or_404(Member, pk=pk)
    revealed = actions.do_reveal_id_number(member, actor=request.user)
    response = render(
        request, "membership/detail.html", _detail_context(request, member, revealed_id=revealed)
    )
    response["Cache-Control"] = "no-store"
    return response


@tenant_view("members.edit")
def member_edit(request, pk):
    member = get_object_or_404(Member, pk=pk)
    form = MemberForm(request.POST or None, instance=member)
    if request.method == "POST" and form.is_valid():
        actions.do_update_member(member, data=form.action_data(), actor=request.user)
        messages.success(request, _("Changes saved."))
        return redirect("membership:detail", pk=member.pk)
    return render(request, "membership/edit.html", {"form": form, "member": member})


@require_POST
@tenant_view("members.edit")
def member_card_lost(request, pk):
    member = get_object_or_404(Member, pk=pk)
    form = ReasonForm(request.POST)
    form.is_valid()
    card = actions.do_report_lost_card(
        member, actor=request.user, reason=form.cleaned_data.get("reason", "")
    )
    if card is None:
        messages.warning(request, _("This member has no active card."))
    else:
        messages.success(request, _("Card %(card)s is blocked as lost.") % {"card": card.number})
    return redirect("membership:detail", pk=member.pk)


@require_POST
@tenant_view("members.edit")
def member_card_reissue(request, pk):
    member = get_object_or_404(Member, pk=pk)
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        card = actions.do_reissue_card(
            member, actor=request.user, reason=form.cleaned_data.get("reason", "")
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("New card %(card)s issued.") % {"card": card.number})
    return redirect("membership:detail", pk=member.pk)


@require_POST
@tenant_view("members.edit")
def member_status(request, pk):
    """Freeze and unfreeze (other statuses have their own paths: expiry, termination)."""
    member = get_object_or_404(Member, pk=pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status."))
        return redirect("membership:detail", pk=member.pk)
    try:
        actions.do_change_status(
            member,
            form.cleaned_data["status"],
            actor=request.user,
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Status changed."))
    return redirect("membership:detail", pk=member.pk)


@require_POST
@tenant_view("members.edit")
def member_consent(request, pk):
    """Record a consent the member gave at the counter (or on paper), with when and by whom."""
    member = get_object_or_404(Member, pk=pk)
    form = ConsentRecordForm(request.POST)
    if not form.is_valid():
        context = _detail_context(request, member, consent_form=form)
        return render(request, "membership/detail.html", context, status=400)
    data = form.cleaned_data
    try:
        actions.do_record_consent(
            member,
            channel=data["channel"],
            purpose=data["purpose"],
            granted=data["granted"],
            source=data["source"],
            given_at=data["given_at"],
            actor=request.user,
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("Consent recorded."))
    return redirect("membership:detail", pk=member.pk)


@require_POST
@tenant_view("members.edit")
def member_request_termination(request, pk):
    member = get_object_or_404(Member, pk=pk)
    form = TerminationRequestForm(request.POST)
    if form.is_valid():
        try:
            actions.do_request_termination(
                member,
                source=form.cleaned_data["source"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("Termination requested; a manager will review it."))
        return redirect("membership:detail", pk=member.pk)
    return render(
        request,
        "membership/detail.html",
        _detail_context(request, member, termination_form=form),
        status=400,
    )


@tenant_view("members.approve")
def termination_queue(request):
    return render(
        request,
        "membership/terminations.html",
        {"requests": selectors.pending_terminations(), "form": TerminationDecisionForm()},
    )


@require_POST
@tenant_view("members.approve")
def termination_decide(request, pk):
    termination = get_object_or_404(TerminationRequest, pk=pk)
    form = TerminationDecisionForm(request.POST)
    if form.is_valid():
        try:
            actions.do_decide_termination(
                termination,
                approve=form.cleaned_data["decision"] == "approve",
                actor=request.user,
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("Decision recorded."))
    return redirect("membership:terminations")


@tenant_view("members.approve")
def erasure_queue(request):
    return render(
        request,
        "membership/erasures.html",
        {"requests": selectors.pending_erasures()},
    )


@require_POST
@tenant_view("members.approve")
def erasure_decide(request, pk):
    erasure = get_object_or_404(ErasureRequest, pk=pk)
    form = ErasureDecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("membership:erasures")
    approve = form.cleaned_data["decision"] == "approve"
    try:
        actions.do_decide_erasure(
            erasure, approve=approve, reason=form.cleaned_data["reason"], actor=request.user
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request,
            _("The personal data was erased and the member told.")
            if approve
            else _("The request was refused and the member told why."),
        )
    return redirect("membership:erasures")


@tenant_view("members.import")
def import_upload(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rows = imports.rows_from_table(imports.read_table(upload.name, upload.read()))
        except imports.FileError as error:
            form.add_error("file", str(error))
        else:
            valid, errors = imports.preview(rows)
            batch = actions.do_preview_import(
                file_name=upload.name, rows=valid, errors=errors, actor=request.user
            )
            return redirect("membership:import_detail", pk=batch.pk)
    return render(request, "membership/import_upload.html", {"form": form})


@tenant_view("members.import")
def import_detail(request, pk):
    batch = get_object_or_404(MemberImport, pk=pk)
    valid_count = len(batch.rows) if batch.status == ImportStatus.PREVIEWED else 0
    return render(
        request, "membership/import_detail.html", {"batch": batch, "valid_count": valid_count}
    )


@require_POST
@tenant_view("members.import")
def import_run(request, pk):
    batch = get_object_or_404(MemberImport, pk=pk)
    try:
        batch = actions.do_run_import(batch, actor=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request, _("%(count)s members imported.") % {"count": batch.imported_count}
        )
    return redirect("membership:import_detail", pk=batch.pk)


@tenant_view("members.import")
def import_errors_csv(request, pk):
    batch = get_object_or_404(MemberImport, pk=pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-errors.csv"'
    response.write("\ufeff")  # so that Excel reads UTF-8
    writer = csv.writer(response)
    fields = list(imports.HEADERS)
    writer.writerow([_("line"), _("problems"), *fields])
    for error in batch.errors:
        writer.writerow(
            [
                error["line"],
                "; ".join(error["errors"]),
                *(error["values"].get(f, "") for f in fields),
            ]
        )
    return response


EXPORT_FIELDS = (
    ("card_number", "card_number"),
    ("name", "name"),
    ("gender", "gender"),
    ("phone", "phone"),
    ("id_type", "id_type"),
    ("id_number", "id_number_masked"),
    ("email", "email"),
    ("birthday", "birthday"),
    ("wedding_anniversary", "wedding_anniversary"),
    ("employer", "employer"),
    ("address", "address"),
    ("store", "store"),
    ("joined_on", "joined_on"),
    ("valid_until", "valid_until"),
    ("status", "status"),
)


def _export_values(member):
    values = []
    for _header, attribute in EXPORT_FIELDS:
        value = getattr(member, attribute)
        if attribute == "store":
            value = member.store.code if member.store_id else ""
        elif isinstance(value, datetime.date):
            value = value.isoformat()
        values.append("" if value is None else str(value))
    return values


class _Echo:
    def write(self, value):
        return value


def _log_export(request, what: str) -> int:
    """Log the export (who, what, how many rows) before any row leaves; returns the highest
    primary key the export may read, so that the file holds exactly the rows logged."""
    rows, upto = selectors.export_extent()
    actions.do_log_pii_access(actor=request.user, what=what, rows=rows)
    return upto


@tenant_view("members.export")
def export_csv(request):
    writer = csv.writer(_Echo())

    tenant = request.tenant
    upto = _log_export(request, "export:members.csv")

    def lines():
        # Runs while the response streams, after the middleware left the tenant: each chunk is
        # read with the tenant entered again, and nothing stays active between chunks.
        yield "\ufeff"
        yield writer.writerow([header for header, _attribute in EXPORT_FIELDS])
        last = 0
        while True:
            with tenancy.tenant_context(tenant):
                chunk = selectors.export_chunk(after=last, upto=upto)
            if not chunk:
                return
            for member in chunk:
                yield writer.writerow(_export_values(member))
            last = chunk[-1].pk

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="members.csv"'
    return response


@tenant_view("members.export")
def export_xlsx(request):
    """openpyxl's write-only workbook keeps one row in memory at a time; the finished file is
    written to a temporary file and streamed from there."""

    from openpyxl import Workbook  # reason: openpyxl only for an export (start-up cost)

    upto = _log_export(request, "export:members.xlsx")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Members"))
    sheet.append([header for header, _attribute in EXPORT_FIELDS])
    last = 0
    while chunk := selectors.export_chunk(after=last, upto=upto):
        for member in chunk:
            sheet.append(_export_values(member))
        last = chunk[-1].pk
    # FileResponse closes the file when the response is done.
    handle = tempfile.TemporaryFile()  # noqa: SIM115
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename="members.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
