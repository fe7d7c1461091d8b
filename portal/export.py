"""The member's own data, section by section, for "Download my data" (JSON and a zip of CSVs).

Each section reads through its app's selectors, for ``request.member`` only. Rows are read in
keyset chunks of ``CHUNK`` primary keys, each chunk inside the tenant and the language of the
request and nothing left active between chunks (the JSON response streams after the view has
returned and the middleware has left the tenant), so memory stays bounded whatever the history.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from complaints import selectors as complaints_selectors
from core import tenancy
from membership import selectors as membership_selectors
from membership.models import Member
from notifications import selectors as notifications_selectors
from points import selectors as points_selectors
from tiers import selectors as tiers_selectors

CHUNK = 500


@dataclass(frozen=True)
class Section:
    key: str
    title: object  # lazily translated
    columns: tuple[tuple[str, object], ...]  # (key, lazily translated header)
    rows: Callable[[Member, dict], Iterator[dict]]  # (member, extra) -> row dicts
    single: bool = False  # one record (JSON: an object, not a list)


@dataclass
class Export:
    """What one download needs: the tenant, the language, the member and their ID number as
    the file shows it: masked (``****1234``), or in full when the member chose it on the
    password step (revealed and logged by the view before the response starts)."""

    tenant: object
    language: str
    member: Member
    id_number: str

    def inside(self):
        return _Inside(self)

    def sections(self) -> list[Section]:
        return SECTIONS

    def rows(self, section: Section) -> Iterator[dict]:
        yield from section.rows(self)

    def keyset(self, make_queryset: Callable, to_row: Callable) -> Iterator[dict]:
        """Rows of ``make_queryset()`` in primary-key order, ``CHUNK`` at a time, each chunk read
        and converted with the tenant and the language active, and neither active in between."""
        last = 0
        while True:
            with self.inside():
                chunk = list(make_queryset().filter(pk__gt=last).order_by("pk")[:CHUNK])
                rows = [to_row(obj) for obj in chunk]
            if not chunk:
                return
            yield from rows
            last = chunk[-1].pk

    def once(self, produce: Callable[[], list[dict]]) -> Iterator[dict]:
        with self.inside():
            rows = produce()
        yield from rows

    def local(self, value):
        if isinstance(value, datetime.datetime):
            return value.astimezone(self.tenant.tzinfo).replace(microsecond=0, tzinfo=None)
        return value


class _Inside:
    def __init__(self, export: Export):
        self.export = export

    def __enter__(self):
        self._tenant = tenancy.tenant_context(self.export.tenant)
        self._tenant.__enter__()
        self._language = translation.override(self.export.language)
        self._language.__enter__()

    def __exit__(self, *exc):
        self._language.__exit__(*exc)
        return self._tenant.__exit__(*exc)


def _display(obj, field: str) -> str:
    value = getattr(obj, field)
    return str(getattr(obj, f"get_{field}_display")()) if value else ""


# --- the sections -----------------------------------------------------------------------------


def _profile(export: Export):
    def produce():
        m = Member.objects.select_related("store").get(pk=export.member.pk)
        return [
            {
                "name": m.name,
                "gender": _display(m, "gender"),
                "phone": str(m.phone) if m.phone else "",
                "email": m.email,
                "id_type": _display(m, "id_type"),
                "id_number": export.id_number,
                "birthday": m.birthday,
                "wedding_anniversary": m.wedding_anniversary,
                "employer": m.employer,
                "address": m.address,
                "notes": m.notes,
                "card_number": m.card_number,
                "status": m.get_status_display(),
                "joined_on": m.joined_on,
                "valid_until": m.valid_until,
                "store": m.store.name if m.store_id else "",
                "registered_at": export.local(m.created_at),
            }
        ]

    return export.once(produce)


def _cards(export: Export):
    return export.keyset(
        lambda: membership_selectors.member_cards(export.member),
        lambda c: {
            "number": c.number,
            "status": c.get_status_display(),
            "issued_at": export.local(c.issued_at),
            "blocked_at": export.local(c.blocked_at),
            "reason": c.reason,
        },
    )


def _points(export: Export):
    def produce():
        balance = points_selectors.balance_of(export.member)
        return [{"balance": balance["balance"], "debt": balance["debt"]}]

    return export.once(produce)


def _ledger(export: Export):
    return export.keyset(
        lambda: points_selectors.history(export.member).select_related(None),
        lambda e: {
            "id": e.pk,
            "date": e.effective_on,
            "recorded_at": export.local(e.created_at),
            "kind": e.get_kind_display(),
            "reason": e.get_reason_display(),
            "points": e.points,
            "note": e.note,
            "purchase": e.purchase_id,
            "redemption": e.redemption_id,
        },
    )


def _lots(export: Export):
    return export.keyset(
        lambda: points_selectors.lots_of(export.member),
        lambda lot: {
            "earned_on": lot.earned_at,
            "points": lot.points,
            "remaining": lot.remaining,
            "expires_on": lot.expires_at,
            "source": lot.source,
            "ledger_entry": lot.entry_id,
        },
    )


def _purchases(export: Export):
    return export.keyset(
        lambda: points_selectors.purchases_of(export.member).select_related("store"),
        lambda p: {
            "id": p.pk,
            "occurred_at": export.local(p.occurred_at),
            "store": p.store.name,
            "list_amount": p.list_amount,
            "discount_amount": p.discount_amount,
            "amount_due": p.amount_due,
            "points_used": p.points_used,
            "points_value": p.points_value,
            "amount_paid": p.amount_paid,
            "points_earned": p.points_earned,
            "refunded_amount": p.refunded_amount,
            "status": p.get_status_display(),
        },
    )


def _purchase_lines(export: Export):
    return export.keyset(
        lambda: points_selectors.purchase_lines_of(export.member),
        lambda line: {
            "purchase": line.purchase_id,
            "description": line.description,
            "category": line.category,
            "quantity": line.quantity,
            "list_amount": line.list_amount,
            "amount_due": line.amount_due,
            "earns_points": line.earns_points,
            "refunded_quantity": line.refunded_quantity,
        },
    )


def _redemptions(export: Export):
    return export.keyset(
        lambda: points_selectors.redemptions_of(export.member),
        lambda r: {
            "id": r.pk,
            "created_at": export.local(r.created_at),
            "reward": str(r.reward),
            "points": r.points,
            "status": r.get_status_display(),
            "decided_at": export.local(r.decided_at),
            "fulfilled_at": export.local(r.fulfilled_at),
        },
    )


def _coupons(export: Export):
    return export.keyset(
        lambda: points_selectors.coupons_of(export.member),
        lambda c: {
            "code": c.code,
            "value": c.value,
            "issued_at": export.local(c.issued_at),
            "used_at": export.local(c.used_at),
            "redemption": c.redemption_id,
        },
    )


def _tier(export: Export):
    def produce():
        row = tiers_selectors.member_tier(export.member)
        tier = row.tier if row else tiers_selectors.entry_tier()
        if tier is None:
            return []
        return [{"tier": tier.name, "since": row.since if row else None}]

    return export.once(produce)


def _tier_history(export: Export):
    return export.keyset(
        lambda: tiers_selectors.tier_history(export.member),
        lambda c: {
            "effective_on": c.effective_on,
            "from_tier": c.from_tier.name if c.from_tier_id else "",
            "to_tier": c.to_tier.name,
            "reason": c.reason,
        },
    )


def _complaints(export: Export):
    return export.keyset(
        lambda: complaints_selectors.member_tickets(export.member),
        lambda t: {
            "number": t.number,
            "kind": t.get_kind_display(),
            "channel": t.get_channel_display(),
            "status": t.get_status_display(),
            "filed_at": export.local(t.created_at),
            "description": t.description,
            "resolution": t.resolution,
            "replied_at": export.local(t.replied_at),
            "closed_at": export.local(t.closed_at),
            "rating": t.rating,
            "rating_comment": t.rating_comment,
        },
    )


def _complaint_events(export: Export):
    last = 0
    while True:
        with export.inside():
            tickets = list(
                complaints_selectors.member_tickets(export.member)
                .filter(pk__gt=last)
                .order_by("pk")[:CHUNK]
            )
            rows = [
                {"ticket": ticket.number, **event, "at": export.local(event["at"])}
                for ticket in tickets
                for event in complaints_selectors.member_visible_events(export.member, ticket)
            ]
        if not tickets:
            return
        yield from rows
        last = tickets[-1].pk


def _consents(export: Export):
    return export.keyset(
        lambda: notifications_selectors.consents_for_member(export.member.pk),
        lambda c: {
            "channel": c.get_channel_display(),
            "purpose": c.get_purpose_display(),
            "granted": c.granted,
            "updated_at": export.local(c.updated_at),
        },
    )


def _messages(export: Export):
    return export.keyset(
        lambda: notifications_selectors.messages_for_member(export.member.pk),
        lambda m: {
            "created_at": export.local(m.created_at),
            "channel": m.get_channel_display(),
            "recipient": m.recipient,
            "subject": m.subject,
            # Before delivery a message with a secret (the initial password) still holds it
            # in ``body``; the export shows the redacted text, as the record keeps after sending.
            "text": m.redacted_body or m.body,
            "status": m.get_status_display(),
            "sent_at": export.local(m.sent_at),
        },
    )


def _erasure_requests(export: Export):
    return export.keyset(
        lambda: membership_selectors.erasure_requests_of(export.member),
        lambda r: {
            "requested_at": export.local(r.requested_at),
            "status": r.get_status_display(),
            "decided_at": export.local(r.decided_at),
            "reason": r.decision_reason,
        },
    )


SECTIONS: list[Section] = [
    Section(
        "profile",
        gettext_lazy("Personal profile"),
        (
            ("name", pgettext_lazy("person", "Name")),
            ("gender", gettext_lazy("Gender")),
            ("phone", gettext_lazy("Phone")),
            ("email", gettext_lazy("E-mail")),
            ("id_type", gettext_lazy("ID type")),
            ("id_number", gettext_lazy("ID number")),
            ("birthday", gettext_lazy("Birthday")),
            ("wedding_anniversary", gettext_lazy("Wedding anniversary")),
            ("employer", gettext_lazy("Employer")),
            ("address", gettext_lazy("Address")),
            ("notes", gettext_lazy("Preferences and notes")),
            ("card_number", gettext_lazy("Card number")),
            ("status", gettext_lazy("Status")),
            ("joined_on", gettext_lazy("Joined")),
            ("valid_until", gettext_lazy("Valid until")),
            ("store", gettext_lazy("Store of registration")),
            ("registered_at", gettext_lazy("Registered at")),
        ),
        _profile,
        single=True,
    ),
    Section(
        "cards",
        gettext_lazy("Cards"),
        (
            ("number", gettext_lazy("Card number")),
            ("status", gettext_lazy("Status")),
            ("issued_at", gettext_lazy("Issued at")),
            ("blocked_at", gettext_lazy("Blocked at")),
            ("reason", gettext_lazy("Reason")),
        ),
        _cards,
    ),
    Section(
        "points",
        gettext_lazy("Points balance"),
        (("balance", gettext_lazy("Balance")), ("debt", gettext_lazy("Points debt"))),
        _points,
        single=True,
    ),
    Section(
        "points_ledger",
        gettext_lazy("Points history"),
        (
            ("id", gettext_lazy("Entry")),
            ("date", gettext_lazy("Date")),
            ("recorded_at", gettext_lazy("Recorded at")),
            ("kind", gettext_lazy("Kind")),
            ("reason", gettext_lazy("Reason")),
            ("points", gettext_lazy("Points")),
            ("note", gettext_lazy("Note")),
            ("purchase", gettext_lazy("Purchase")),
            ("redemption", gettext_lazy("Redemption")),
        ),
        _ledger,
    ),
    Section(
        "points_lots",
        gettext_lazy("Points lots and expiry"),
        (
            ("earned_on", gettext_lazy("Earned on")),
            ("points", gettext_lazy("Points")),
            ("remaining", gettext_lazy("Remaining")),
            ("expires_on", gettext_lazy("Expires on")),
            ("source", gettext_lazy("Source")),
            ("ledger_entry", gettext_lazy("Entry")),
        ),
        _lots,
    ),
    Section(
        "purchases",
        gettext_lazy("Purchases"),
        (
            ("id", gettext_lazy("Purchase")),
            ("occurred_at", gettext_lazy("Date and time")),
            ("store", gettext_lazy("Store")),
            ("list_amount", gettext_lazy("List amount")),
            ("discount_amount", gettext_lazy("Member discount")),
            ("amount_due", gettext_lazy("Amount due")),
            ("points_used", gettext_lazy("Points used")),
            ("points_value", gettext_lazy("Paid with points")),
            ("amount_paid", gettext_lazy("Amount paid")),
            ("points_earned", gettext_lazy("Points earned")),
            ("refunded_amount", gettext_lazy("Money refunded")),
            ("status", gettext_lazy("Status")),
        ),
        _purchases,
    ),
    Section(
        "purchase_lines",
        gettext_lazy("Purchase lines"),
        (
            ("purchase", gettext_lazy("Purchase")),
            ("description", gettext_lazy("Description")),
            ("category", gettext_lazy("Goods category")),
            ("quantity", gettext_lazy("Quantity")),
            ("list_amount", gettext_lazy("List amount")),
            ("amount_due", gettext_lazy("Amount due")),
            ("earns_points", gettext_lazy("Earns points")),
            ("refunded_quantity", gettext_lazy("Quantity refunded")),
        ),
        _purchase_lines,
    ),
    Section(
        "redemptions",
        gettext_lazy("Redemptions"),
        (
            ("id", gettext_lazy("Redemption")),
            ("created_at", gettext_lazy("Date and time")),
            ("reward", gettext_lazy("Reward")),
            ("points", gettext_lazy("Points")),
            ("status", gettext_lazy("Status")),
            ("decided_at", gettext_lazy("Decided at")),
            ("fulfilled_at", gettext_lazy("Fulfilled at")),
        ),
        _redemptions,
    ),
    Section(
        "coupons",
        gettext_lazy("Coupons"),
        (
            ("code", gettext_lazy("Code")),
            ("value", gettext_lazy("Value")),
            ("issued_at", gettext_lazy("Issued at")),
            ("used_at", gettext_lazy("Used at")),
            ("redemption", gettext_lazy("Redemption")),
        ),
        _coupons,
    ),
    Section(
        "tier",
        gettext_lazy("Tier"),
        (("tier", gettext_lazy("Tier")), ("since", gettext_lazy("Since"))),
        _tier,
        single=True,
    ),
    Section(
        "tier_history",
        gettext_lazy("Tier history"),
        (
            ("effective_on", gettext_lazy("Effective on")),
            ("from_tier", gettext_lazy("Previous tier")),
            ("to_tier", gettext_lazy("New tier")),
            ("reason", gettext_lazy("Reason")),
        ),
        _tier_history,
    ),
    Section(
        "complaints",
        gettext_lazy("Complaints and suggestions"),
        (
            ("number", gettext_lazy("Complaint number")),
            ("kind", gettext_lazy("Kind")),
            ("channel", gettext_lazy("Channel")),
            ("status", gettext_lazy("Status")),
            ("filed_at", gettext_lazy("Filed at")),
            ("description", gettext_lazy("Description")),
            ("resolution", gettext_lazy("Proposed resolution")),
            ("replied_at", gettext_lazy("First replied at")),
            ("closed_at", gettext_lazy("Closed at")),
            ("rating", gettext_lazy("Satisfaction")),
            ("rating_comment", gettext_lazy("Your comment")),
        ),
        _complaints,
    ),
    Section(
        "complaint_events",
        gettext_lazy("Complaint progress"),
        (
            ("ticket", gettext_lazy("Complaint number")),
            ("at", gettext_lazy("Date and time")),
            ("type", gettext_lazy("Step")),
            ("from_status", gettext_lazy("Status before")),
            ("to_status", gettext_lazy("Status after")),
            ("note", gettext_lazy("Note")),
        ),
        _complaint_events,
    ),
    Section(
        "consents",
        gettext_lazy("Consents"),
        (
            ("channel", gettext_lazy("Channel")),
            ("purpose", gettext_lazy("Purpose")),
            ("granted", gettext_lazy("Granted")),
            ("updated_at", gettext_lazy("Updated at")),
        ),
        _consents,
    ),
    Section(
        "messages",
        gettext_lazy("Messages sent to you"),
        (
            ("created_at", gettext_lazy("Date and time")),
            ("channel", gettext_lazy("Channel")),
            ("recipient", gettext_lazy("Sent to")),
            ("subject", gettext_lazy("Subject")),
            ("text", gettext_lazy("Text")),
            ("status", gettext_lazy("Status")),
            ("sent_at", gettext_lazy("Sent at")),
        ),
        _messages,
    ),
    Section(
        "erasure_requests",
        gettext_lazy("Erasure requests"),
        (
            ("requested_at", gettext_lazy("Requested at")),
            ("status", gettext_lazy("Status")),
            ("decided_at", gettext_lazy("Decided at")),
            ("reason", gettext_lazy("Reason given")),
        ),
        _erasure_requests,
    ),
]


# --- the two formats --------------------------------------------------------------------------


def _json_value(value):
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=_json_value)


def json_chunks(export: Export) -> Iterator[str]:
    """One JSON document: ``{"tenant", "exported_at", "language", "sections": {key: {"title",
    "data"}}}``, where ``data`` is an object for a single record and a list otherwise."""
    with export.inside():
        head = {
            "tenant": export.tenant.name,
            "exported_at": export.local(datetime.datetime.now(datetime.UTC)),
            "language": export.language,
        }
        titles = {s.key: str(s.title) for s in SECTIONS}
    yield _json(head)[:-1] + ', "sections": {'
    for index, section in enumerate(SECTIONS):
        prefix = ", " if index else ""
        yield f'{prefix}"{section.key}": {{"title": {_json(titles[section.key])}, "data": '
        if section.single:
            rows = list(export.rows(section))
            yield _json(rows[0] if rows else None)
        else:
            yield "["
            for number, row in enumerate(export.rows(section)):
                yield ("," if number else "") + _json(row)
            yield "]"
        yield "}"
    yield "}}"


def _cell(value) -> str:
    if value is None:
        return ""
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def csv_zip(export: Export):
    """A zip of one CSV per section (UTF-8 with a byte-order mark, so that Excel shows Chinese),
    written to a temporary file that stays in memory up to 1 MB and spills to disk beyond."""
    handle = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115 (FileResponse closes it)
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for number, section in enumerate(SECTIONS, start=1):
            with export.inside():
                headers = [str(label) for _key, label in section.columns]
            with archive.open(f"{number:02d}-{section.key}.csv", "w") as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
                writer = csv.writer(text)
                writer.writerow(headers)
                for row in export.rows(section):
                    with export.inside():
                        writer.writerow([_cell(row.get(key)) for key, _label in section.columns])
                text.flush()
                text.detach()
    handle.seek(0)
    return handle
