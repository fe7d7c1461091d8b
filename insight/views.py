"""The dashboard, its exports and the members behind its figures (docs/insight.md)."""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from core import tenancy
from core.access import tenant_view
from core.roles import role_has
from membership.actions import do_log_pii_access

from . import selectors
from .access import may_see, store_for, visible_reports
from .exports import Sheet, csv_response, result_sheets, xlsx_response
from .forms import ReportFilterForm, SegmentForm
from .reports import DATE, REPORTS, TEXT, Column, chart_data

FORMATS = {"csv": csv_response, "xlsx": xlsx_response}


def _bad_request(form) -> HttpResponse:
    """A 400 naming each refused field, in the user's language."""
    lines = [f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()]
    return HttpResponse("\n".join(lines), status=400, content_type="text/plain; charset=utf-8")


def _sections(request, period, store):
    role = request.staff_role

    def url(link):
        if link is None or (link.capability and not role_has(role.role, link.capability)):
            return None
        return link.url()

    sections = []
    for report in visible_reports(role):
        result = report.build(period, store if report.has_store else None)
        figures = [{"figure": figure, "url": url(figure.link)} for figure in result.figures]
        tables = [
            {
                "table": table,
                "dom_id": f"chart-{report.key}-{table.key}",
                "chart": chart_data(table),
                "rows": [
                    {
                        "cells": list(zip(row, table.columns, strict=True)),
                        "link": url(table.row_links[index]) if table.row_links else None,
                    }
                    for index, row in enumerate(table.rows)
                ],
            }
            for table in result.tables
        ]
        exports = {
            fmt: f"{reverse(f'insight:{report.key}_{fmt}')}?{request.GET.urlencode()}"
            for fmt in FORMATS
        }
        sections.append(
            {
                "report": report,
                "result": result,
                "figures": figures,
                "tables": tables,
                "exports": exports,
            }
        )
    return sections


@tenant_view("tenant.view")
def dashboard(request):
    role = request.staff_role
    if not visible_reports(role):
        raise PermissionDenied(_("Your role sees no reports."))
    form = ReportFilterForm(request.GET)
    context = {"form": form, "sections": [], "query": request.GET.urlencode()}
    if role_has(role.role, "reports.all_stores"):
        context["store"] = None
    else:
        context["store"] = store_for(role, None)
        del form.fields["store"]
    if not form.is_valid():
        return render(request, "insight/dashboard.html", context, status=400)
    period = form.chosen_period()
    store = store_for(role, form.cleaned_data.get("store"))
    context.update(period=period, store=store, sections=_sections(request, period, store))
    return render(request, "insight/dashboard.html", context)


@tenant_view("tenant.view")
def export(request, key: str, fmt: str):
    report = REPORTS[key]
    role = request.staff_role
    if not may_see(role, report):
        raise PermissionDenied(_("Your role may not see this report."))
    form = ReportFilterForm(request.GET)
    if not form.is_valid():
        return _bad_request(form)
    period = form.chosen_period()
    store = store_for(role, form.cleaned_data["store"]) if report.has_store else None
    result = report.build(period, store)
    if report.personal_data:
        rows = sum(len(table.rows) for table in result.tables)
        do_log_pii_access(actor=request.user, what=f"export:insight.{key}.{fmt}", rows=rows)
    name = f"{key}-{period.start.isoformat()}-{period.end.isoformat()}"
    return FORMATS[fmt](result_sheets(report.title, result), name)


# --- the members behind a figure ----------------------------------------------------------------

MEMBER_COLUMNS = [
    Column("card_number", gettext_lazy("Card number"), TEXT),
    Column("name", pgettext_lazy("person", "Name"), TEXT),
    Column("store", gettext_lazy("Store"), TEXT),
    Column("joined_on", gettext_lazy("Joined"), DATE),
    Column("valid_until", gettext_lazy("Valid until"), DATE),
    Column("status", gettext_lazy("Status"), TEXT),
]
PAGE = 100
CHUNK = 2000


def _segment(request):
    form = SegmentForm(request.GET)
    if not form.is_valid():
        return form, None
    store = store_for(request.staff_role, form.cleaned_data["store"])
    members = selectors.member_segment(form.cleaned_data["segment"], form.chosen_period(), store)
    return form, members.select_related("store").order_by("pk")


def _member_row(member):
    return [
        member.card_number,
        member.name,
        member.store.name if member.store_id else "",
        member.joined_on,
        member.valid_until,
        str(member.get_status_display()),
    ]


@tenant_view("members.view")
def members(request):
    form, queryset = _segment(request)
    if queryset is None:
        return render(request, "insight/members.html", {"form": form}, status=400)
    page = list(queryset[:PAGE])
    return render(
        request,
        "insight/members.html",
        {
            "form": form,
            "segment": dict(form.fields["segment"].choices)[form.cleaned_data["segment"]],
            "members": page,
            "count": queryset.count(),
            "shown": len(page),
            "query": request.GET.urlencode(),
            "may_export": role_has(request.staff_role.role, "members.export"),
        },
    )


@tenant_view("members.export")
def members_export(request, fmt: str):
    form, queryset = _segment(request)
    if queryset is None:
        return _bad_request(form)
    upto = queryset.order_by("-pk").values_list("pk", flat=True).first() or 0
    rows = queryset.count()
    do_log_pii_access(actor=request.user, what=f"export:insight.members.{fmt}", rows=rows)
    tenant = request.tenant

    def chunks():
        # The CSV streams after the middleware left the tenant: each chunk enters it again.
        last = 0
        while True:
            with tenancy.tenant_context(tenant):
                chunk = list(queryset.filter(pk__gt=last, pk__lte=upto)[:CHUNK])
            if not chunk:
                return
            yield from (_member_row(member) for member in chunk)
            last = chunk[-1].pk

    segment = form.cleaned_data["segment"]
    sheet = Sheet(str(dict(form.fields["segment"].choices)[segment]), MEMBER_COLUMNS, chunks())
    return FORMATS[fmt]([sheet], f"members-{segment}")
