"""The outbox's one write path: every message is written here, one (``do_enqueue_message``) or
many (``do_enqueue_messages``), by the same statement.

Other apps say what to send (a template, an ``Address`` from ``selectors.reach``, a context and
a dedupe key) and never build outbox rows. The manners are applied in one place each: the
opt-out line of marketing SMS and the holds (quiet hours, the marketing window) in
``_holds``/``_prepare`` in Python, consent in ``_INSERT``'s SQL, the same for one row, a batch
of 5,000 reminders or a broadcast. Each row commits with its cause; only rows really inserted
(``ON CONFLICT (tenant, dedupe key) DO NOTHING``) get delivery tasks, queued after commit.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice

import psycopg
from django.db import connection, transaction
from django.utils import timezone

from core import tenancy
from core.tasks import enqueue_on_commit

from . import selectors
from .models import Channel, Consent, Message, MessageStatus, Purpose
from .selectors import Address
from .templates_default import Renderer, is_on_demand

QUEUE_LEASE = datetime.timedelta(minutes=5)  # a queued task should have run by then
DELIVERY_BATCH = 500  # message ids per delivery task
WRITE_BATCH = 5_000  # rows per INSERT
NO_CONSENT = "no consent"


@dataclass(slots=True)
class NewMessage:
    """One message to write: what a caller of ``do_enqueue_messages`` passes."""

    template: str
    to: Address
    context: dict
    dedupe_key: str
    member_id: int | None = None
    purpose: str = Purpose.SERVICE.value


def do_enqueue_message(
    *,
    template: str,
    to: Address | None,
    context: dict,
    dedupe_key: str,
    member_id: int | None = None,
    purpose: Purpose | str = Purpose.SERVICE,
) -> Message | None:
    """Write one outbox message (idempotent per ``dedupe_key`` in the tenant) and return it;
    None when there is no address (``reach`` found none). Call inside the transaction of the
    cause: a rollback leaves no message and queues no task.

    The same cause must always produce the same ``dedupe_key`` (e.g. ``"registration:<member>"``)
    so that a retried cause never writes a second message."""
    if to is None:
        return None
    existing = Message.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing
    message = NewMessage(template, to, context, dedupe_key, member_id, str(purpose))
    do_enqueue_messages([message])
    return Message.objects.get(dedupe_key=dedupe_key)


def do_enqueue_messages(messages: Iterable[NewMessage]) -> int:
    """Write many messages set-based, in batches of ``WRITE_BATCH``: each rendered once per
    distinct text (``templates_default.Renderer``), one ``INSERT`` per batch. A repeated cause
    writes nothing. Returns how many rows were written."""
    tenant = tenancy.current_tenant()
    manners = _Manners(selectors.settings(), tenant, timezone.now())
    renderers: dict = {}
    written, queued = 0, []
    messages = iter(messages)
    with transaction.atomic():
        while batch := list(islice(messages, WRITE_BATCH)):
            _load_custom(renderers, batch)
            rows = [_row(message, renderers, manners, tenant) for message in batch]
            new, to_queue = _insert(_unnest_source(rows), manners.now, tenant)
            written += new
            queued += to_queue
    queue_delivery(sorted(queued))
    return written


def _load_custom(renderers: dict, batch: list[NewMessage]) -> None:
    """The renderers of the batch's (template, language) pairs, the tenant's texts in one
    query for those not seen yet."""
    wanted = {(m.template, m.to.language) for m in batch} - renderers.keys()
    if not wanted:
        return
    custom = selectors.custom_templates(wanted)
    for key, language in wanted:
        renderers[(key, language)] = Renderer(
            key, language=language, custom=custom.get((key, language))
        )


def _row(message: NewMessage, renderers: dict, manners: _Manners, tenant) -> tuple:
    to = message.to
    subject, body, redacted = renderers[(message.template, to.language)].render(
        {"tenant": tenant.name, **message.context}
    )
    purpose = str(message.purpose)
    body = manners.with_opt_out(body, to.channel, purpose, to.language)
    if redacted:
        redacted = manners.with_opt_out(redacted, to.channel, purpose, to.language)
    due_at, leased_until = manners.holds(to.channel, purpose, message.template)
    return (
        message.member_id,
        to.channel,
        purpose,
        message.template,
        to.language,
        to.recipient,
        subject,
        body,
        redacted,
        message.dedupe_key,
        due_at,
        leased_until,
    )


class _Manners:
    """The manners applied when a message is written, each computed in this one place: the
    opt-out line of a marketing SMS and the hold (quiet hours for SMS except messages the
    member asked for just now, such as a one-time code; the marketing window for marketing).
    Consent is applied by the SQL of ``_INSERT``."""

    def __init__(self, notification_settings, tenant, now):
        self.settings, self.tenant, self.now = notification_settings, tenant, now
        self._holds: dict = {}
        self._lines: dict = {}

    def holds(self, channel: str, purpose: str, template: str) -> tuple:
        """(due at, leased until): held rows wait for the sweep (no lease), others are
        queued at once (leased to their delivery task)."""
        on_demand = is_on_demand(template)
        key = (channel, purpose, on_demand)
        if key not in self._holds:
            until = selectors.hold_until(
                self.settings,
                self.tenant,
                self.now,
                channel=channel,
                purpose=purpose,
                on_demand=on_demand,
            )
            self._holds[key] = (until, None) if until else (self.now, self.now + QUEUE_LEASE)
        return self._holds[key]

    def with_opt_out(self, body: str, channel: str, purpose: str, language: str) -> str:
        if channel != Channel.SMS or purpose != Purpose.MARKETING:
            return body
        if language not in self._lines:
            self._lines[language] = self.settings.opt_out_text(language).strip()
        return with_opt_out_line(body, self._lines[language])


def with_opt_out_line(body: str, line: str) -> str:
    """``body`` ending with the opt-out ``line``, once (a text that already ends with it, e.g. a
    tenant template that has it, is left alone)."""
    if not line or body.rstrip().endswith(line):
        return body
    return f"{body.rstrip()} {line}"


# --- the one INSERT -------------------------------------------------------------------------

# The columns of a source row, in order, with their types.
_SOURCE = {
    "member_id": "bigint",
    "channel": "text",
    "purpose": "text",
    "template": "text",
    "language": "text",
    "recipient": "text",
    "subject": "text",
    "body": "text",
    "redacted_body": "text",
    "dedupe_key": "text",
    "due_at": "timestamptz",
    "leased_until": "timestamptz",
}


def _unnest_source(rows: list[tuple]) -> tuple[str, dict]:
    """The rows as a relation ``s``: one array parameter per column, sent in binary (``%b``)
    beside the statement (quoting 5,000 texts into the statement costs more than the insert)."""
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in _SOURCE]
    arrays = ", ".join(f"%(c{i})b::{kind}[]" for i, kind in enumerate(_SOURCE.values()))
    return (
        f"unnest({arrays}) AS s({', '.join(_SOURCE)})",
        {f"c{i}": list(values) for i, values in enumerate(columns)},
    )


def _insert(source: tuple[str, dict], now, tenant) -> tuple[int, list[int]]:
    """Insert the rows of ``source`` (a relation ``s`` with the ``_SOURCE`` columns and its
    parameters) with consent applied: a member who refused (service) or did not opt in
    (marketing) gets a SKIPPED row, "no consent", whose secret is dropped at once. Returns (rows
    written, ids to queue)."""
    relation, params = source
    sql = f"""
        INSERT INTO {Message._meta.db_table} (tenant_id, member_id, channel, purpose, template,
            language, recipient, subject, body, redacted_body, dedupe_key, status, last_error,
            created_at, due_at, leased_until, attempts, provider_message_id)
        SELECT %(tenant)s, s.member_id, s.channel, s.purpose, s.template, s.language,
            s.recipient, s.subject,
            CASE WHEN k.ok OR s.redacted_body = '' THEN s.body ELSE s.redacted_body END,
            CASE WHEN k.ok THEN s.redacted_body ELSE '' END,
            s.dedupe_key,
            CASE WHEN k.ok THEN '{MessageStatus.PENDING.value}'
                ELSE '{MessageStatus.SKIPPED.value}' END,
            CASE WHEN k.ok THEN '' ELSE %(no_consent)s END,
            %(now)s,
            CASE WHEN k.ok THEN s.due_at ELSE %(now)s END,
            CASE WHEN k.ok THEN s.leased_until END,
            0, ''
        FROM {relation}
        LEFT JOIN {Consent._meta.db_table} c ON c.tenant_id = %(tenant)s
            AND c.member_id = s.member_id AND c.channel = s.channel AND c.purpose = s.purpose
        CROSS JOIN LATERAL (SELECT COALESCE(c.granted,
            s.member_id IS NULL OR s.purpose = '{Purpose.SERVICE.value}') AS ok) k
        ON CONFLICT (tenant_id, dedupe_key) DO NOTHING
        RETURNING id, status = '{MessageStatus.PENDING.value}' AND leased_until IS NOT NULL"""
    params = {**params, "tenant": tenant.pk, "now": now, "no_consent": NO_CONSENT}
    with bound_cursor() as cursor:
        cursor.execute(sql, params)
        result = cursor.fetchall()
    return len(result), [pk for pk, queue in result if queue]


def do_enqueue_broadcast_rows(broadcast, rows: list, texts: dict, now) -> int:
    """One committed batch of a broadcast, through the same ``INSERT``: ``rows`` are (member
    id, language, address) and only they travel (``COPY`` into a temporary table); the text per
    language (``texts``: {language: (subject, body)}, rendered once per language with the
    opt-out line), the dedupe key ``broadcast:<id>:<member>`` and the hold are the same for the
    whole broadcast. Returns how many rows were written."""
    if not rows:
        return 0
    tenant = tenancy.current_tenant()
    manners = _Manners(selectors.settings(), tenant, now)
    due_at, leased_until = manners.holds(broadcast.channel, broadcast.purpose, "broadcast")
    languages = sorted(texts)
    params = {
        "channel": broadcast.channel,
        "purpose": broadcast.purpose,
        "prefix": f"broadcast:{broadcast.pk}:",
        "due": due_at,
        "lease": leased_until,
        "languages": languages,
        "subjects": [texts[lang][0] for lang in languages],
        "bodies": [texts[lang][1] for lang in languages],
    }
    relation = f"""(SELECT b.member_id, %(channel)s AS channel, %(purpose)s AS purpose,
            'broadcast' AS template, b.language, b.recipient, t.subject, t.body,
            '' AS redacted_body, %(prefix)s || COALESCE(b.member_id::text, 'None') AS dedupe_key,
            %(due)s::timestamptz AS due_at, %(lease)s::timestamptz AS leased_until
        FROM {_BROADCAST_STAGE} b
        JOIN unnest(%(languages)s::text[], %(subjects)s::text[], %(bodies)s::text[])
            AS t(language, subject, body) ON t.language = b.language) s"""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {_BROADCAST_STAGE} "
            "(member_id bigint, language text, recipient text) ON COMMIT DROP"
        )
        cursor.execute(f"TRUNCATE {_BROADCAST_STAGE}")
        with cursor.cursor.copy(
            f"COPY {_BROADCAST_STAGE} (member_id, language, recipient) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
        written, queued = _insert((relation, params), now, tenant)
    queue_delivery(sorted(queued))
    return written


_BROADCAST_STAGE = "notifications_broadcast_stage"


def broadcast_texts(broadcast, language: str, custom, notification_settings) -> tuple[str, str]:
    """(subject, body) of a broadcast in ``language``: rendered once, with the opt-out line."""
    tenant = tenancy.current_tenant()
    subject, body, _redacted = Renderer("broadcast", language=language, custom=custom).render(
        {"tenant": tenant.name, "message": broadcast.text}
    )
    manners = _Manners(notification_settings, tenant, timezone.now())
    body = manners.with_opt_out(body, broadcast.channel, broadcast.purpose, language)
    return broadcast.subject or subject, body


def bound_cursor():
    """A cursor on Django's connection (its transaction) that sends parameters beside the
    statement (server-side binding) instead of quoting them into it as Django's cursors do."""
    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


def queue_delivery(message_ids: list[int]) -> None:
    """After commit, send delivery tasks for ``message_ids`` in batches."""
    from .tasks import deliver_messages  # reason: cycle (tasks imports actions, which imports us)

    tenant_id = tenancy.current_tenant().pk
    for start in range(0, len(message_ids), DELIVERY_BATCH):
        batch = message_ids[start : start + DELIVERY_BATCH]
        enqueue_on_commit(deliver_messages, tenant_id=tenant_id, message_ids=batch)
