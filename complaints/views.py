"""Staff pages: the queue, a ticket, filing, return visits, the to-visit list and the report."""

import csv
import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.access import tenant_view
from core.roles import role_has

from . import actions, selectors, workflow
from .forms import (
    AssignForm,
    AttachmentForm,
    CompensationForm,
    QueueFilterForm,
    RatingForm,
    ReportForm,
    ReturnVisitForm,
    TicketForm,
    TransitionForm,
)
from .models import Attachment, Kind, ReturnVisit, Ticket


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


def _ticket_or_404(pk) -> Ticket:
    try:
        return selectors.ticket_detail(pk)
    except Ticket.DoesNotExist:
        raise Http404 from None


@tenant_view("complaints.record")
def queue(request):
    form = QueueFilterForm(request.GET or None)
    filters = {"status": "open"} if not request.GET else {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "status": data["status"],
            "kind": data["kind"],
            "store": data["store"],
            "overdue": data["overdue"],
            "assignee": request.user if data["mine"] else None,
        }
    now = timezone.now()
    tickets = selectors.ticket_queue(now=now, **filters)[:200]
    return render(
        request,
        "complaints/queue.html",
        {"form": form, "tickets": tickets, "now": now, "kinds": Kind},
    )


@tenant_view("complaints.record")
def ticket_new(request):
    role = request.staff_role
    initial = {"store": role.store_id, "member": request.GET.get("member")}
    form = TicketForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = actions.do_file_ticket(
                data=form.action_data(),
                actor=request.user,
                files=form.cleaned_data["pictures"],
            )
        except ValidationError as error:
            messages.error(request, _errors(error))
        else:
            messages.success(request, _("Ticket %(number)s is filed.") % {"number": ticket.number})
            return redirect("complaints:detail", pk=ticket.pk)
    return render(request, "complaints/new.html", {"form": form})


@tenant_view("complaints.record")
def ticket_detail(request, pk):
    ticket = _ticket_or_404(pk)
    role = request.staff_role.role
    steps = [s for s in workflow.next_steps(ticket.status) if role_has(role, s.capability)]
    return render(
        request,
        "complaints/detail.html",
        {
            "ticket": ticket,
            "events": selectors.ticket_events(ticket),
            "attachments": ticket.attachments.all(),
            "compensations": ticket.compensations.all(),
            "visits": ticket.return_visits.select_related("visited_by"),
            "steps": steps,
            "now": timezone.now(),
            "can_work": role_has(role, "complaints.work"),
            "assign_form": AssignForm(initial={"assignee": ticket.assignee_id}),
            "compensation_form": CompensationForm(),
            "rating_form": RatingForm(),
            "attachment_form": AttachmentForm(),
        },
    )


def _act(request, ticket, form, do, done: str):
    """The ticket page's POST buttons: validate ``form``, run ``do(cleaned_data)`` (one action),
    say what happened, and go back to the ticket. Nothing is silently dropped: an invalid form,
    a refused step and a refused action each come back as a message."""
    if not form.is_valid():
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    else:
        try:
            do(form.cleaned_data)
        except PermissionDenied as error:
            messages.error(request, str(error) or _("You may not do this."))
        except ValidationError as error:
            messages.error(request, _errors(error))
        else:
            messages.success(request, done)
    return redirect("complaints:detail", pk=ticket.pk)


@require_POST
@tenant_view("complaints.work")
def ticket_transition(request, pk):
    ticket = _ticket_or_404(pk)
    return _act(
        request,
        ticket,
        TransitionForm(request.POST),
        lambda data: actions.do_transition(
            ticket, data["target"], actor=request.user, note=data["note"]
        ),
        _("Done."),
    )


@require_POST
@tenant_view("complaints.work")
def ticket_assign(request, pk):
    ticket = _ticket_or_404(pk)
    return _act(
        request,
        ticket,
        AssignForm(request.POST),
        lambda data: actions.do_assign(ticket, data["assignee"], actor=request.user),
        _("Assigned."),
    )


@require_POST
@tenant_view("complaints.work")
def ticket_compensate(request, pk):
    ticket = _ticket_or_404(pk)
    return _act(
        request,
        ticket,
        CompensationForm(request.POST),
        lambda data: actions.do_compensate(
            ticket,
            kind=data["kind"],
            points=data["points"] or 0,
            description=data["description"],
            actor=request.user,
        ),
        _("Compensation recorded; the member is told."),
    )


@require_POST
@tenant_view("complaints.work")
def ticket_rate(request, pk):
    """Staff record the rating a member gave by phone or on site."""
    ticket = _ticket_or_404(pk)
    return _act(
        request,
        ticket,
        RatingForm(request.POST),
        lambda data: actions.do_rate(
            ticket, rating=data["rating"], comment=data["comment"], actor=request.user
        ),
        _("Rating recorded."),
    )


@require_POST
@tenant_view("complaints.record")
def ticket_attach(request, pk):
    ticket = _ticket_or_404(pk)

    def attach(data):
        for upload in data["pictures"]:
            actions.do_add_attachment(ticket, upload, actor=request.user)

    return _act(
        request,
        ticket,
        AttachmentForm(request.POST, request.FILES),
        attach,
        _("Pictures attached."),
    )


@tenant_view("complaints.record")
def attachment(request, pk):
    """Serves a picture; the tenant-scoped lookup is the access check."""
    item = get_object_or_404(Attachment, pk=pk)
    response = FileResponse(item.file.open("rb"), content_type=item.content_type)
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@tenant_view("complaints.record")
def visits(request):
    return render(
        request,
        "complaints/visits.html",
        {
            "visits": ReturnVisit.objects.select_related("member", "visited_by", "ticket")[:100],
            "candidates": selectors.to_visit(),
        },
    )


@tenant_view("complaints.record")
def visit_new(request):
    initial = {
        "member": request.GET.get("member"),
        "ticket": request.GET.get("ticket"),
        "store": request.staff_role.store_id,
        "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }
    form = ReturnVisitForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_record_return_visit(data=form.action_data(), actor=request.user)
        except ValidationError as error:
            messages.error(request, _errors(error))
        else:
            messages.success(request, _("Return visit recorded."))
            return redirect("complaints:visits")
    return render(request, "complaints/visit_new.html", {"form": form})


def _report_form(request):
    today = timezone.localdate()
    data = request.GET.copy()
    data.setdefault("start", (today - datetime.timedelta(days=30)).isoformat())
    data.setdefault("end", today.isoformat())
    return ReportForm(data)


def _duration(value) -> str:
    if value is None:
        return ""
    hours = value.total_seconds() / 3600
    return f"{hours:.1f}"


@tenant_view("reports.complaints")
def report(request):
    form = _report_form(request)
    rows = None
    if form.is_valid():
        rows = selectors.report(
            form.cleaned_data["start"], form.cleaned_data["end"], store=form.cleaned_data["store"]
        )
    return render(
        request,
        "complaints/report.html",
        {"form": form, "rows": rows, "kinds": list(Kind), "hours": _duration},
    )


@tenant_view("reports.complaints")
def report_csv(request):
    form = _report_form(request)
    if not form.is_valid():
        return HttpResponse(status=400)
    rows = selectors.report(
        form.cleaned_data["start"], form.cleaned_data["end"], store=form.cleaned_data["store"]
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="complaints-report.csv"'
    response.write("\ufeff")  # so that Excel opens it as UTF-8
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Store"),
            *[kind.label for kind in Kind],
            _("Total"),
            _("Median hours to first reply"),
            _("Median hours to close"),
            _("Closed"),
            _("Closed within the deadline"),
            _("Share closed within the deadline"),
        ]
    )
    for row in rows:
        share = row.share_in_time
        writer.writerow(
            [
                row.label,
                *[row.by_kind.get(kind.value, 0) for kind in Kind],
                row.total,
                _duration(row.median_first_reply),
                _duration(row.median_close),
                row.closed,
                row.closed_in_time,
                "" if share is None else f"{share:.2%}",
            ]
        )
    return response
