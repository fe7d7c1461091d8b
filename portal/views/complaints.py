"""My complaints and suggestions: list, file, follow, confirm or reopen, rate."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from complaints import actions as complaint_actions
from complaints import selectors as complaint_selectors
from complaints.models import Status, Ticket
from complaints.workflow import MEMBER

from .. import selectors
from ..access import member_view
from ..page_forms import RateForm, ReopenForm, TicketForm


def _ticket_or_404(member, pk) -> Ticket:
    try:
        return complaint_selectors.member_ticket(member, pk)
    except Ticket.DoesNotExist:
        raise Http404 from None


def _errors(error: ValidationError) -> list[str]:
    return error.messages


@member_view
def tickets(request):
    rows = [
        (ticket, selectors.member_status(ticket))
        for ticket in complaint_selectors.member_tickets(request.member)[:100]
    ]
    return render(request, "portal/tickets.html", {"tab": "complaints", "rows": rows})


@member_view
def new_ticket(request):
    form = TicketForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        picture = data.get("picture")
        try:
            ticket = complaint_actions.do_file_ticket_as_member(
                request.member,
                kind=data["kind"],
                description=data["description"],
                store=data["store"],
                files=[picture] if picture else (),
            )
        except ValidationError as error:
            form.add_error("picture" if picture else None, _errors(error))
        else:
            messages.success(
                request,
                _("Thank you. We received it as number %(number)s.") % {"number": ticket.number},
            )
            return redirect("portal:ticket", pk=ticket.pk)
    return render(request, "portal/ticket_new.html", {"tab": "complaints", "form": form})


def _page(request, ticket, *, rate_form=None, reopen_form=None, status=200):
    may_answer = (ticket.status, Status.CONFIRMED) in MEMBER
    may_rate = ticket.status == Status.CLOSED and ticket.rated_at is None
    return render(
        request,
        "portal/ticket.html",
        {
            "tab": "complaints",
            "ticket": ticket,
            "status_label": selectors.member_status(ticket),
            "events": selectors.visible_events(ticket),
            "reply": selectors.latest_reply(ticket),
            "may_answer": may_answer,
            "may_rate": may_rate,
            "rate_form": rate_form or (RateForm() if may_rate else None),
            "reopen_form": reopen_form or (ReopenForm() if may_answer else None),
        },
        status=status,
    )


@member_view
def ticket(request, pk):
    return _page(request, _ticket_or_404(request.member, pk))


@member_view
@require_POST
def confirm_ticket(request, pk):
    ticket = _ticket_or_404(request.member, pk)
    try:
        complaint_actions.do_transition(ticket, Status.CONFIRMED, actor=request.member)
    except ValidationError as error:
        messages.error(request, " ".join(_errors(error)))
    else:
        messages.success(request, _("Thank you for confirming."))
    return redirect("portal:ticket", pk=ticket.pk)


@member_view
@require_POST
def reopen_ticket(request, pk):
    ticket = _ticket_or_404(request.member, pk)
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            complaint_actions.do_transition(
                ticket, Status.INVESTIGATING, actor=request.member, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            form.add_error(None, _errors(error))
        else:
            messages.success(request, _("We will look into it again."))
            return redirect("portal:ticket", pk=ticket.pk)
    return _page(request, ticket, reopen_form=form, status=400)


@member_view
@require_POST
def rate_ticket(request, pk):
    ticket = _ticket_or_404(request.member, pk)
    form = RateForm(request.POST)
    if form.is_valid():
        try:
            complaint_actions.do_rate(
                ticket,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
                actor=request.member,
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, getattr(error, "messages", [_("This ticket cannot be rated.")]))
        else:
            messages.success(request, _("Thank you for your rating."))
            return redirect("portal:ticket", pk=ticket.pk)
    ticket.refresh_from_db()
    return _page(request, ticket, rate_form=form, status=400)
