"""The reports, defined once: each is a function of (period, store) returning figures and
tables, and the dashboard, the charts, the exports (.xlsx, .csv) and the API all render the
same ``Result``. A report names the capability that may see it (``core/roles.py``).
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from complaints.models import Kind
from notifications.actions import ERASED, NO_CONSENT
from notifications.models import Channel
from notifications.templates_default import template_choices

from . import selectors
from .periods import Period, as_date

# How a column's values are typed in every rendering (HTML, JSON, CSV, XLSX).
TEXT, INT, MONEY, SHARE, NUMBER, DATE, BOOL = (
    "text",
    "int",
    "money",
    "share",
    "number",
    "date",
    "bool",
)


@dataclass
class Column:
    key: str
    label: str
    kind: str = INT


@dataclass
class Chart:
    type: str  # line, bar or pie
    x: str  # the column of the categories
    series: list[str]  # the columns drawn


@dataclass(frozen=True)
class Link:
    """A staff page behind a figure or a row, resolved only where the staff pages are mounted
    (the dashboard; the API mount has no such routes)."""

    view: str
    args: tuple = ()
    query: str = ""
    capability: str | None = None  # who may follow it

    def url(self) -> str:
        url = reverse(self.view, args=self.args)
        return f"{url}?{self.query}" if self.query else url


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[list]
    chart: Chart | None = None
    row_links: list[Link] = field(default_factory=list)


@dataclass
class Figure:
    key: str
    label: str
    value: object
    kind: str = INT
    link: Link | None = None


@dataclass
class Result:
    figures: list[Figure]
    tables: list[Table]
    note: str = ""


@dataclass(frozen=True)
class Report:
    key: str
    title: str
    capability: str
    build: Callable[[Period, object], Result]
    has_store: bool = True
    personal_data: bool = False


REPORTS: dict[str, Report] = {}


def report(key, title, capability, *, has_store=True, personal_data=False):
    def register(build):
        REPORTS[key] = Report(key, title, capability, build, has_store, personal_data)
        return build

    return register


def _share(part, whole):
    return None if not whole else float(part) / float(whole)


def _average(total, count):
    return None if not count else (Decimal(total) / count).quantize(Decimal("0.01"))


def _filters(period: Period, store, **extra) -> str:
    query = {"period": "custom", "start": period.start.isoformat(), "end": period.end.isoformat()}
    if store is not None:
        query["store"] = store.pk
    return urlencode({**query, **extra})


def _segment_link(segment, period, store):
    return Link(
        "insight:members", query=_filters(period, store, segment=segment), capability="members.view"
    )


def _localized(zh, en):
    return zh if (get_language() or "zh-hans").startswith("zh") or not en else en


def _trend(title, rows, columns, chart, series=None) -> Table:
    """A table of the period's buckets (from ``selectors``' trends) with its chart."""
    return Table(
        "trend",
        title,
        [Column("bucket", pgettext_lazy("insight", "From"), DATE), *columns],
        [[row["bucket"], *(row[column.key] for column in columns)] for row in rows],
        Chart(chart, "bucket", series or [column.key for column in columns]),
    )


# --- members ----------------------------------------------------------------------------------


@report("members", _("Members"), "reports.store_counts")
def members_report(period: Period, store) -> Result:
    counts = selectors.member_figures(period, store)
    labels = {
        "total": _("Members"),
        "new": pgettext_lazy("insight", "New"),
        "active": _("Active (purchased)"),
        "dormant": _("Dormant (no purchase in %(days)s days)") % {"days": selectors.dormant_days()},
        "lapsed": _("Lapsed (membership expired)"),
        "terminated": _("Terminated"),
    }
    figures = [
        Figure(
            key,
            labels[key],
            counts[key],
            link=_segment_link(key, period, store),
        )
        for key in selectors.MEMBER_SEGMENTS
    ]
    tiers = selectors.members_by_tier(store)
    untiered = selectors.current_members(store) - sum(row["members"] for row in tiers)
    tier_rows = [[_localized(r["tier__name_zh"], r["tier__name_en"]), r["members"]] for r in tiers]
    if untiered:
        tier_rows.append([str(_("No tier")), untiered])
    trend = selectors.member_trend(period, store)
    return Result(
        figures,
        [
            _trend(
                _("New and active members"),
                trend,
                [
                    Column("new", pgettext_lazy("insight", "New")),
                    Column("active", _("Active (purchased)")),
                ],
                "line",
            ),
            Table(
                "tiers",
                _("Members by tier"),
                [
                    Column("tier", pgettext_lazy("insight", "Tier"), TEXT),
                    Column("members", _("Members")),
                ],
                tier_rows,
                Chart("pie", "tier", ["members"]),
            ),
        ],
    )


# --- sales ------------------------------------------------------------------------------------


def _sales_values(row):
    return [
        row["amount"],
        row["purchases"],
        _average(row["amount"], row["purchases"]),
        row["buyers"],
        _share(row["with_points"], row["billed"]),
    ]


SALES_COLUMNS = [
    Column("amount", _("Sales (net of refunds)"), MONEY),
    Column("purchases", pgettext_lazy("insight", "Purchases")),
    Column("average", _("Average purchase"), MONEY),
    Column("buyers", _("Buying members")),
    Column("points_share", _("Share paid with points"), SHARE),
]


@report("sales", _("Sales by members"), "reports.store_counts")
def sales_report(period: Period, store) -> Result:
    totals = selectors.sales_figures(period, store)
    values = _sales_values(totals)
    figures = [
        Figure(column.key, column.label, value, column.kind)
        for column, value in zip(SALES_COLUMNS, values, strict=True)
    ]
    figures.insert(
        4,
        Figure(
            "repurchase_rate",
            _("Repurchase rate"),
            _share(totals["repeat_buyers"], totals["buyers"]),
            SHARE,
        ),
    )
    trend = selectors.sales_trend(period, store)
    by_store = selectors.sales_by_store(period, store)
    return Result(
        figures,
        [
            _trend(
                _("Sales over time"),
                trend,
                [
                    Column("amount", _("Sales (net of refunds)"), MONEY),
                    Column("purchases", pgettext_lazy("insight", "Purchases")),
                ],
                "bar",
                series=["amount"],
            ),
            Table(
                "stores",
                _("Sales by store"),
                [Column("store", _("Store"), TEXT), *SALES_COLUMNS],
                [[row["store__name"], *_sales_values(row)] for row in by_store],
                Chart("bar", "store", ["amount"]),
            ),
        ],
    )


# --- points liability -------------------------------------------------------------------------


@report("points", _("Points liability"), "reports.view", has_store=False)
def points_report(period: Period, store) -> Result:
    figures = selectors.points_figures()
    rate = selectors.point_value()
    outstanding = figures["balance"] - figures["debt"]
    out = [
        Figure("outstanding", _("Outstanding points"), outstanding),
        Figure(
            "value",
            _("Their value at the redemption rate"),
            None if rate is None else (outstanding * rate).quantize(Decimal("0.01")),
            MONEY,
        ),
        Figure("debt", _("Points owed by members (debt)"), figures["debt"]),
        *[
            Figure(
                f"expiring_{days}",
                _("Expiring within %(days)s days") % {"days": days},
                figures[f"expiring_{days}"],
            )
            for days in selectors.EXPIRY_HORIZONS
        ],
    ]
    months = selectors.points_by_month(period)
    return Result(
        out,
        [
            Table(
                "months",
                _("Points earned, redeemed and expired per month"),
                [
                    Column("month", pgettext_lazy("calendar", "Month"), DATE),
                    Column("earned", _("Earned")),
                    Column("redeemed", pgettext_lazy("insight", "Redeemed")),
                    Column("expired", pgettext_lazy("insight", "Expired")),
                ],
                [[r["bucket"], r["earned"], r["redeemed"], r["expired"]] for r in months],
                Chart("bar", "month", ["earned", "redeemed", "expired"]),
            )
        ],
        note=_("Points are counted for the whole business; the store filter does not apply."),
    )


# --- top spenders -----------------------------------------------------------------------------


@report("top_spenders", _("Top spenders per store"), "reports.view", personal_data=True)
def top_spenders_report(period: Period, store) -> Result:
    rows = selectors.top_spenders(period, store)
    return Result(
        [Figure("not_visited", _("Not yet visited"), sum(not row["visited"] for row in rows))],
        [
            Table(
                "top",
                _("Top spenders per store"),
                [
                    Column("store", _("Store"), TEXT),
                    Column("rank", _("Rank")),
                    Column("card_number", _("Card number"), TEXT),
                    Column("name", pgettext_lazy("person", "Name"), TEXT),
                    Column("amount", _("Sales (net of refunds)"), MONEY),
                    Column("purchases", pgettext_lazy("insight", "Purchases")),
                    Column("last_purchase", _("Last purchase"), DATE),
                    Column("visited", _("Visited in the period"), BOOL),
                ],
                [
                    [
                        row["store__name"],
                        row["rank"],
                        row["member__card_number"],
                        row["member__name"],
                        row["amount"],
                        row["purchases"],
                        as_date(row["last_purchase"]),
                        row["visited"],
                    ]
                    for row in rows
                ],
                row_links=[
                    Link("membership:detail", (row["member_id"],), capability="members.view")
                    for row in rows
                ],
            )
        ],
    )


# --- complaints -------------------------------------------------------------------------------


def _complaint_values(row):
    return [
        row["filed"],
        row["replied"],
        _share(row["in_time"], row["replied"]),
        row["rated"],
        None if row["satisfaction"] is None else round(float(row["satisfaction"]), 2),
    ]


@report("complaints", _("Complaints"), "reports.complaints")
def complaints_report(period: Period, store) -> Result:
    figures = selectors.complaint_figures(period, store)
    store_query = {} if store is None else {"store": store.pk}
    values = _complaint_values(figures)
    columns = [
        Column("filed", pgettext_lazy("insight", "Filed")),
        Column("replied", _("Answered")),
        Column("in_time", _("Answered within the deadline"), SHARE),
        Column("rated", pgettext_lazy("insight", "Rated")),
        Column("satisfaction", _("Satisfaction (1 to 5)"), NUMBER),
    ]
    kinds = dict(Kind.choices)
    return Result(
        [
            Figure(
                "open",
                _("Open now"),
                figures["open"],
                link=Link(
                    "complaints:queue",
                    query=urlencode({"status": "open", **store_query}),
                    capability="complaints.work",
                ),
            ),
            Figure(
                "overdue",
                _("Overdue now"),
                figures["overdue"],
                link=Link(
                    "complaints:queue",
                    query=urlencode({"status": "open", "overdue": "on", **store_query}),
                    capability="complaints.work",
                ),
            ),
            *[Figure(c.key, c.label, v, c.kind) for c, v in zip(columns, values, strict=True)],
        ],
        [
            Table(
                "kinds",
                _("Complaints by kind"),
                [Column("kind", _("Kind"), TEXT), *columns],
                [
                    [str(kinds.get(row["kind"], row["kind"])), *_complaint_values(row)]
                    for row in selectors.complaints_by_kind(period, store)
                ],
                Chart("bar", "kind", ["filed", "replied"]),
            )
        ],
    )


# --- messages ---------------------------------------------------------------------------------

MESSAGE_COLUMNS = [
    Column("total", pgettext_lazy("insight", "Messages")),
    Column("sent", pgettext_lazy("insight", "Sent")),
    Column("failed", _("Failed")),
    Column("skipped", _("Skipped")),
    Column("waiting", _("Waiting")),
]


@report("messages", pgettext_lazy("insight", "Messages"), "reports.view", has_store=False)
def messages_report(period: Period, store) -> Result:
    totals = selectors.message_figures(period)
    templates = dict(template_choices())
    channels = dict(Channel.choices)
    reasons = {NO_CONSENT: _("No consent"), ERASED: _("Member data erased")}
    by_template = selectors.messages_by_template(period)
    return Result(
        [Figure(c.key, c.label, totals[c.key]) for c in MESSAGE_COLUMNS],
        [
            Table(
                "templates",
                _("Messages by template and channel"),
                [
                    Column("template", _("Template"), TEXT),
                    Column("channel", _("Channel"), TEXT),
                    *MESSAGE_COLUMNS,
                ],
                [
                    [
                        str(templates.get(row["template"], row["template"])),
                        str(channels.get(row["channel"], row["channel"])),
                        *[row[c.key] for c in MESSAGE_COLUMNS],
                    ]
                    for row in by_template
                ],
                Chart("bar", "template", ["sent", "failed", "skipped"]),
            ),
            Table(
                "skipped",
                _("Skipped messages by reason"),
                [
                    Column("reason", _("Reason"), TEXT),
                    Column("messages", pgettext_lazy("insight", "Messages")),
                ],
                [
                    [str(reasons.get(row["last_error"], row["last_error"] or "-")), row["messages"]]
                    for row in selectors.skipped_by_reason(period)
                ],
            ),
        ],
        note=_("Messages are counted for the whole business; the store filter does not apply."),
    )


def chart_data(table: Table) -> dict | None:
    """What static/insight/insight.js draws: categories and series, labels already translated."""
    if table.chart is None or not table.rows:
        return None
    keys = [column.key for column in table.columns]
    x = keys.index(table.chart.x)
    categories = [
        value.isoformat() if isinstance(value, datetime.date) else str(value)
        for value in (row[x] for row in table.rows)
    ]
    series = []
    for key in table.chart.series:
        index = keys.index(key)
        series.append(
            {
                "name": str(table.columns[index].label),
                "data": [None if row[index] is None else float(row[index]) for row in table.rows],
            }
        )
    return {"type": table.chart.type, "categories": categories, "series": series}
