"""Writes: the outbox, delivery, the sweep, broadcasts, reminders and consent.

How "never twice, never lost" holds is written down in docs/notifications.md; the short form:
a message row commits with its cause; a delivery task is queued after commit; delivery claims
rows by compare-and-set under ``SELECT … FOR UPDATE SKIP LOCKED``; the minute sweep re-queues
rows whose task never ran and rows whose claim expired; providers get the message reference as
their idempotency key, so a re-send after a crash between "accepted" and "marked sent" is
dropped by the provider.
"""

import datetime
import logging
import random
import unicodedata
import uuid
from itertools import islice

from django.core.cache import cache
from django.db import DatabaseError, connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from core import tenancy
from core.models import PeriodicRun

from . import hooks, selectors
from .channels import Outgoing, PermanentError, TransientError, send
from .models import (
    Broadcast,
    BroadcastStatus,
    Channel,
    Consent,
    ConsentChange,
    ConsentSource,
    Message,
    MessageStatus,
    Purpose,
)
from .outbox import (
    DELIVERY_BATCH,
    NO_CONSENT,
    QUEUE_LEASE,
    WRITE_BATCH,
    NewMessage,
    broadcast_texts,
    do_enqueue_broadcast_rows,
    do_enqueue_messages,
    queue_delivery,
)
from .selectors import Address
from .templates_default import forget_recipient_templates, is_on_demand

log = logging.getLogger(__name__)

CLAIM_TTL = datetime.timedelta(minutes=10)  # longer than one chunk's sends with timeouts
CLAIM_CHUNK = 50  # rows claimed at a time inside a task
SWEEP_LIMIT = 20_000  # rows re-queued per tenant per sweep
MAX_ATTEMPTS = 6
BACKOFF_BASE = 30  # seconds: 30, 60, 120, 240, 480 (+ jitter)
BACKOFF_CAP = 3600
# Reasons kept in ``last_error`` as stable codes (like NO_CONSENT), not in whichever language
# happens to be active in the worker.
MARKETING_WINDOW = "held for the marketing window"
FREQUENCY_CAP = "frequency cap"
CAP_LOCK = 0x6E63  # advisory lock class of a phone's daily marketing cap ("nc")


# --- delivery -----------------------------------------------------------------------------------


def _claim(message_ids: list[int], token: uuid.UUID, now) -> list[Message]:
    """Take the given rows that are due (pending) or abandoned (claim expired) for this worker.

    ``SKIP LOCKED`` makes a concurrent claimer pass over rows this one is taking, and the
    status condition, re-checked after the lock, makes a row claimed once: a second claimer
    sees SENDING with a live claim and leaves it."""
    claimable = Q(status=MessageStatus.PENDING, due_at__lte=now) | Q(
        status=MessageStatus.SENDING, leased_until__lt=now
    )
    with transaction.atomic():
        picked = list(
            Message.objects.filter(claimable, pk__in=message_ids)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        Message.objects.filter(pk__in=picked).update(
            status=MessageStatus.SENDING,
            leased_until=now + CLAIM_TTL,
            claim_token=token,
            attempts=F("attempts") + 1,
        )
    return list(Message.objects.filter(pk__in=picked, claim_token=token).order_by("pk"))


def _release(messages: list[Message], token, *, due_at, reason: str = "") -> None:
    """Give claimed rows back (not an attempt): they go out at ``due_at``."""
    Message.objects.filter(pk__in=[m.pk for m in messages], claim_token=token).update(
        status=MessageStatus.PENDING,
        due_at=due_at,
        leased_until=None,
        attempts=F("attempts") - 1,
        last_error=reason,
    )


def _finish(message: Message, token, **changes) -> bool:
    """Compare-and-set from our claim to a final or retry state; False if we lost the claim."""
    final = changes.get("status") in (
        MessageStatus.SENT,
        MessageStatus.FAILED,
        MessageStatus.SKIPPED,
    )
    if final and message.redacted_body:
        changes.update(body=message.redacted_body, redacted_body="")
    if final and message.template in forget_recipient_templates():
        changes.update(recipient="")
    return bool(
        Message.objects.filter(
            pk=message.pk, claim_token=token, status=MessageStatus.SENDING
        ).update(**changes)
    )


def take_rate_slots(tenant_id: int, limit: int, wanted: int, now) -> int:
    """How many of ``wanted`` sends fit in the tenant's limit for the current minute. Atomic
    across workers (Redis INCRBY on a per-tenant, per-minute key, through Django's cache)."""
    key = f"notifications:rate:{tenant_id}:{now:%Y%m%d%H%M}"
    cache.add(key, 0, timeout=120)
    try:
        after = cache.incr(key, wanted)
    except ValueError:  # expired between add and incr
        cache.add(key, 0, timeout=120)
        after = cache.incr(key, wanted)
    before = after - wanted
    return max(0, min(wanted, limit - before))


def backoff(attempts: int) -> datetime.timedelta:
    seconds = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    return datetime.timedelta(seconds=seconds + random.uniform(0, seconds / 10))


def do_deliver_messages(message_ids: list[int]) -> dict:
    """Deliver the due rows among ``message_ids``; rows not due or claimed elsewhere are left."""
    counts = {"sent": 0, "failed": 0, "retry": 0, "skipped": 0, "held": 0}
    tenant = tenancy.current_tenant()
    notification_settings = selectors.settings()
    ids = iter(sorted(set(message_ids)))
    while chunk := list(islice(ids, CLAIM_CHUNK)):
        token = uuid.uuid4()
        now = timezone.now()
        claimed = _claim(chunk, token, now)
        if not claimed:
            continue
        # Consent again: the member may have opted out since the message was written.
        sendable = []
        for (channel, purpose), group in _group(claimed).items():
            allowed = selectors.allowed_members([m.member_id for m in group], channel, purpose)
            for message in group:
                if message.member_id is not None and message.member_id not in allowed:
                    _finish(
                        message,
                        token,
                        status=MessageStatus.SKIPPED,
                        last_error=NO_CONSENT,
                        leased_until=None,
                    )
                    counts["skipped"] += 1
                else:
                    sendable.append(message)
        sendable, held = _hold_for_manners(sendable, token, notification_settings, tenant, now)
        counts["held"] += held
        sendable, held = _hold_over_cap(sendable, token, notification_settings, tenant, now)
        counts["held"] += held
        try:
            granted = take_rate_slots(
                tenant.pk, notification_settings.rate_per_minute, len(sendable), now
            )
        except Exception:
            _release(sendable, token, due_at=now)
            raise
        if granted < len(sendable):
            next_minute = now.replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)
            _release(sendable[granted:], token, due_at=next_minute, reason=_("rate limit"))
            counts["held"] += len(sendable) - granted
            sendable = sendable[:granted]
        accepted = []
        for message in sendable:
            outcome, provider_id = _send_one(message, token, notification_settings)
            counts[outcome] += 1
            if outcome != "sent":
                continue
            if message.channel == Channel.EMAIL:
                # SMTP has no idempotency key: mark each e-mail at once, so a crash can repeat
                # at most the one being sent.
                mark_sent([(message, provider_id)], token)
            else:
                accepted.append((message, provider_id))
        # SMS: one commit for the chunk. A crash before it re-sends up to a chunk, each with its
        # reference, which the gateway (or the file backend) deduplicates.
        mark_sent(accepted, token)
    return counts


def _hold_for_manners(messages, token, notification_settings, tenant, now):
    """Give back claimed rows that must wait: SMS in quiet hours (not on-demand ones), marketing
    outside the marketing window. Returns (rows to send now, how many were held)."""
    waiting: dict[tuple, list[Message]] = {}
    sendable = []
    for message in messages:
        until = selectors.hold_until(
            notification_settings,
            tenant,
            now,
            channel=message.channel,
            purpose=message.purpose,
            on_demand=is_on_demand(message.template),
        )
        if until is None:
            sendable.append(message)
            continue
        quiet = message.channel == Channel.SMS and selectors.quiet_until(
            notification_settings, tenant, now
        )
        reason = _("held for quiet hours") if quiet else MARKETING_WINDOW
        waiting.setdefault((until, reason), []).append(message)
    for (until, reason), group in waiting.items():
        _release(group, token, due_at=until, reason=reason)
    return sendable, sum(len(group) for group in waiting.values())


def _hold_over_cap(messages, token, notification_settings, tenant, now):
    """The per-phone daily cap of marketing SMS: rows beyond it wait for the next day's window.
    Returns (rows to send now, how many were held)."""
    cap = notification_settings.marketing_sms_daily_cap
    capped = [m for m in messages if m.channel == Channel.SMS and m.purpose == Purpose.MARKETING]
    if not cap or not capped:
        return messages, 0
    today = now.astimezone(tenant.tzinfo).date()
    over = take_cap_slots(capped, token, cap, today)
    if not over:
        return messages, 0
    midnight = datetime.datetime.combine(
        today + datetime.timedelta(days=1), datetime.time(0), tzinfo=tenant.tzinfo
    )
    tomorrow = (
        selectors.hold_until(
            notification_settings, tenant, midnight, channel=Channel.SMS, purpose=Purpose.MARKETING
        )
        or midnight
    )
    _release(over, token, due_at=tomorrow, reason=FREQUENCY_CAP)
    over_ids = {m.pk for m in over}
    return [m for m in messages if m.pk not in over_ids], len(over)


def take_cap_slots(messages: list[Message], token, cap: int, today: datetime.date) -> list:
    """Give each claimed marketing SMS a slot of its phone's ``cap`` for ``today`` (the tenant's
    date) and return those that found none. Atomic across workers: one transaction takes an
    advisory lock per phone (in a fixed order), counts the phone's rows already holding a slot
    today (waiting, being sent or sent), and marks the winners with ``cap_date``. A row that
    already holds today's slot (a retry, a re-delivery after a crash) keeps it and is not
    counted again."""
    tenant_id = tenancy.current_tenant().pk
    needing = [m for m in messages if m.cap_date != today]
    if not needing:
        return []
    phones = sorted({m.recipient for m in needing})
    table = Message._meta.db_table
    over, winners = [], []
    with transaction.atomic(), connection.cursor() as cursor:
        for phone in phones:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [CAP_LOCK, f"{tenant_id}:{phone}"]
            )
        cursor.execute(
            f"SELECT recipient, count(*) FROM {table} WHERE tenant_id = %s "
            "AND recipient = ANY(%s::text[]) AND cap_date = %s "
            "AND status IN ('pending', 'sending', 'sent') GROUP BY recipient",
            [tenant_id, phones, today],
        )
        used = dict(cursor.fetchall())
        for message in sorted(needing, key=lambda m: (m.due_at, m.pk)):
            if used.get(message.recipient, 0) < cap:
                used[message.recipient] = used.get(message.recipient, 0) + 1
                winners.append(message.pk)
                message.cap_date = today
            else:
                over.append(message)
        Message.objects.filter(pk__in=winners, claim_token=token).update(cap_date=today)
    return over


def _group(messages):
    groups: dict[tuple[str, str], list[Message]] = {}
    for message in messages:
        groups.setdefault((message.channel, message.purpose), []).append(message)
    return groups


def _send_one(message: Message, token, notification_settings) -> tuple[str, str]:
    """Send one claimed message; record a failure or a retry. Returns (outcome, provider id)."""
    body = message.body
    if message.channel == Channel.SMS and notification_settings.sms_signature:
        body = f"{notification_settings.sms_signature}{body}"
    outgoing = Outgoing(
        message_id=message.pk,
        tenant_id=message.tenant_id,
        reference=message.reference,
        channel=message.channel,
        recipient=message.recipient,
        subject=message.subject,
        body=body,
        sms_sender=notification_settings.sms_sender,
        email_from=notification_settings.email_from,
    )
    try:
        provider_id = send(outgoing)
    except PermanentError as exc:
        _finish(
            message,
            token,
            status=MessageStatus.FAILED,
            last_error=str(exc)[:2000],
            leased_until=None,
        )
        return "failed", ""
    except Exception as exc:  # TransientError, or a bug: retry with backoff, then give up
        if not isinstance(exc, TransientError):
            log.exception("Unexpected error sending message %s", message.pk)
        attempts = message.attempts  # loaded after the claim incremented it
        if attempts >= MAX_ATTEMPTS:
            _finish(
                message,
                token,
                status=MessageStatus.FAILED,
                last_error=str(exc)[:2000],
                leased_until=None,
            )
            return "failed", ""
        _finish(
            message,
            token,
            status=MessageStatus.PENDING,
            last_error=str(exc)[:2000],
            due_at=timezone.now() + backoff(attempts),
            leased_until=None,
        )
        return "retry", ""
    return "sent", provider_id


def mark_sent(accepted: list[tuple[Message, str]], token) -> int:
    """Compare-and-set claimed rows to SENT in one statement (only rows still under our claim:
    a worker whose claim expired and was handed on marks nothing). Secrets are dropped from the
    kept text. Returns how many rows were marked."""
    if not accepted:
        return 0
    return Message.objects.filter(
        pk__in=[message.pk for message, _ in accepted],
        claim_token=token,
        status=MessageStatus.SENDING,
    ).update(
        status=MessageStatus.SENT,
        sent_at=timezone.now(),
        provider_message_id=Case(
            *[
                When(pk=message.pk, then=Value(provider_id[:100]))
                for message, provider_id in accepted
            ],
            default=Value(""),
        ),
        body=Case(When(~Q(redacted_body=""), then=F("redacted_body")), default=F("body")),
        redacted_body="",
        recipient=Case(
            When(template__in=forget_recipient_templates(), then=Value("")),
            default=F("recipient"),
        ),
        last_error="",
        leased_until=None,
    )


# --- the sweep ----------------------------------------------------------------------------------


def do_sweep() -> int:
    """Minute job for one tenant: expand due broadcasts, then re-queue rows whose delivery
    task never ran (lease expired), rows due after a backoff or quiet hours, and rows whose
    claim expired (the worker died). Returns how many rows it queued."""
    for broadcast_id in Broadcast.objects.filter(
        status=BroadcastStatus.SCHEDULED, send_at__lte=timezone.now()
    ).values_list("pk", flat=True):
        do_expand_broadcast(broadcast_id)
    queued = 0
    while queued < SWEEP_LIMIT and (batch := lease_due_messages(DELIVERY_BATCH)):
        queued += len(batch)
    return queued


def lease_due_messages(limit: int) -> list[int]:
    """Lease up to ``limit`` due rows to a new delivery task. ``SKIP LOCKED``: two sweeps
    running at once take disjoint rows."""
    now = timezone.now()
    due = Q(status=MessageStatus.PENDING, due_at__lte=now) & (
        Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    ) | Q(status=MessageStatus.SENDING, leased_until__lt=now)
    with transaction.atomic():
        ids = list(
            Message.objects.filter(due)
            .order_by("due_at")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        # An expired SENDING claim goes back to PENDING: its worker is presumed dead. If it was
        # merely slow, its own mark fails (the claim token check) and the provider drops the
        # repeated reference.
        Message.objects.filter(pk__in=ids).update(
            status=MessageStatus.PENDING, leased_until=now + QUEUE_LEASE, claim_token=None
        )
        queue_delivery(ids)
    return ids


# --- broadcasts ---------------------------------------------------------------------------------


def do_schedule_broadcast(broadcast: Broadcast) -> Broadcast:
    broadcast.full_clean()
    broadcast.status = BroadcastStatus.SCHEDULED
    broadcast.save()
    return broadcast


def do_expand_broadcast(broadcast_id: int) -> int:
    """Turn a due broadcast into outbox rows, **committed batch by batch** (``WRITE_BATCH``
    rows), each batch's delivery tasks sent on its commit: delivery starts after the first
    batch instead of after the whole audience. Returns the number of rows written.

    One expansion of a broadcast at a time: a session advisory lock, taken without waiting (a
    concurrent sweep passes the broadcast over, as ``SKIP LOCKED`` did), released at the end or
    by PostgreSQL when the worker's connection dies. Resumable and idempotent: the broadcast
    stays SCHEDULED until its last batch is written, so after a crash mid-way the next sweep
    expands it again; the dedupe keys ``broadcast:<id>:<member>`` make the rows already written
    no-ops (they were queued on their batch's commit, or the sweep re-queues them when their
    lease runs out), and only the missing rows are written and queued."""
    tenant = tenancy.current_tenant()
    audience = hooks.broadcast_audience.current()
    lock = [BROADCAST_LOCK, broadcast_id % 2_147_483_647]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", lock)
        if not cursor.fetchone()[0]:
            return 0
    try:
        return _expand_broadcast(broadcast_id, tenant, audience)
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", lock)
        except DatabaseError:  # an aborted transaction: the lock ends with the connection
            log.warning("broadcast %s: advisory lock left to the connection", broadcast_id)


BROADCAST_LOCK = 0x6E62  # advisory lock class of broadcast expansions ("nb")


def _expand_broadcast(broadcast_id: int, tenant, audience) -> int:
    broadcast = Broadcast.objects.filter(pk=broadcast_id, status=BroadcastStatus.SCHEDULED).first()
    if broadcast is None:
        return 0
    if audience is None:
        broadcast.status = BroadcastStatus.FAILED
        broadcast.last_error = "No audience provider is registered."
        broadcast.save(update_fields=["status", "last_error"])
        return 0
    custom = selectors.custom_templates([("broadcast", None)])
    notification_settings = selectors.settings()
    rendered: dict[str, tuple[str, str]] = {}
    written = 0
    addressed: set = set()
    now = timezone.now()
    # Outside a transaction the audience's server-side cursor is declared WITH HOLD (Django
    # does so in autocommit), so it survives each batch's commit.
    recipients = iter(audience(tenant, broadcast.segment))
    try:
        while chunk := list(islice(recipients, WRITE_BATCH)):
            rows = []
            for recipient in chunk:
                address = recipient.sms if broadcast.channel == Channel.SMS else recipient.email
                if not address:
                    continue
                language = recipient.language or tenant.default_language
                if language not in rendered:
                    rendered[language] = broadcast_texts(
                        broadcast,
                        language,
                        custom.get(("broadcast", language)),
                        notification_settings,
                    )
                rows.append((recipient.member_id, language, address))
                addressed.add(recipient.member_id)
            written += do_enqueue_broadcast_rows(broadcast, rows, rendered, now)  # commits
    except ValueError as exc:
        # The audience refuses the segment (it does so before its first recipient, so nothing
        # was written): a permanent failure.
        broadcast.status = BroadcastStatus.FAILED
        broadcast.last_error = str(exc)
        broadcast.save(update_fields=["status", "last_error"])
        return written
    # Every recipient written to now exists in the outbox (new, or already there from an
    # earlier attempt: same dedupe key), so no count over the tenant's whole outbox.
    Broadcast.objects.filter(pk=broadcast.pk, status=BroadcastStatus.SCHEDULED).update(
        status=BroadcastStatus.DONE, queued_count=len(addressed)
    )
    return written


# --- reminders ----------------------------------------------------------------------------------

REMINDER_JOB = "notifications.reminders"


def do_run_reminders(local_date: datetime.date) -> int | None:
    """Run every registered reminder source for the active tenant's ``local_date``, once: the
    day is claimed in the same transaction as the messages, so a failed run leaves the day
    unclaimed for the next hourly attempt, and a second run finds it taken (returns None)."""
    tenant = tenancy.current_tenant()
    notification_settings = selectors.settings()
    default = tenant.default_language
    written = 0
    with transaction.atomic():
        if not PeriodicRun.claim(REMINDER_JOB, local_date.isoformat(), tenant.pk):
            return None
        for name, source in hooks.reminder_sources.items():
            count = do_enqueue_messages(
                NewMessage(
                    template=item.template,
                    to=Address(item.channel, item.recipient, item.language or default),
                    context=item.context,
                    dedupe_key=item.dedupe_key,
                    member_id=item.member_id,
                    purpose=item.purpose,
                )
                for item in source(tenant, local_date, notification_settings)
            )
            log.info("reminder source %s wrote %s messages", name, count)
            written += count
    return written


# --- erasure -------------------------------------------------------------------------------------

ERASED = "member data erased"


def do_forget_member(member_id: int) -> int:
    """For an erased member: cancel their messages still waiting (SKIPPED, "member data
    erased") and empty the address, subject and text of every message to them; the rows stay
    as the delivery record (template, channel, status, times). Returns how many rows changed.

    A message being sent at this moment (SENDING under a worker's claim) is cancelled too: the
    worker's compare-and-set to SENT then finds no row in SENDING and records nothing."""
    with transaction.atomic():
        Message.objects.filter(
            member_id=member_id, status__in=[MessageStatus.PENDING, MessageStatus.SENDING]
        ).update(status=MessageStatus.SKIPPED, last_error=ERASED, leased_until=None)
        return Message.objects.filter(member_id=member_id).update(
            recipient="", subject="", body="", redacted_body=""
        )


# --- consent ------------------------------------------------------------------------------------


def consent_actor(principal) -> str:
    """How a consent change names who recorded it, never by a person's name: ``staff #<user
    id>`` for a signed-in staff member, ``api-key:<id>`` for an API key; a string (``member
    #<id>``, a system name) as it is."""
    if isinstance(principal, str):
        return principal
    api_key = getattr(principal, "api_key", None)
    if api_key is not None:
        return f"api-key:{api_key.key_id}"
    if getattr(principal, "is_authenticated", False) and principal.pk is not None:
        return f"staff #{principal.pk}"
    raise ValueError("A consent change needs who recorded it.")


def do_set_consent(
    *,
    member_id: int,
    channel: str,
    purpose: str,
    granted: bool,
    source: ConsentSource | str,
    actor,
    given_at: datetime.datetime | None = None,
) -> Consent:
    """Record a member's choice for one channel and purpose and keep it in the history
    (``ConsentChange``, insert-only: who, from where, when). ``given_at`` is when the member gave
    it (default now; staff may enter an earlier time for a consent given at the counter). The
    current choice is the one given last: a choice given before the one on record is kept in
    the history and does not replace it."""
    if source not in ConsentSource.values:
        raise ValueError(f"Unknown consent source {source!r}")
    now = timezone.now()
    given_at = given_at or now
    with transaction.atomic():
        ConsentChange.objects.create(
            member_id=member_id,
            channel=channel,
            purpose=purpose,
            granted=granted,
            source=str(source),
            actor=consent_actor(actor)[:100],
            given_at=given_at,
            recorded_at=now,
        )
        consent, created = Consent.objects.select_for_update().get_or_create(
            member_id=member_id,
            channel=channel,
            purpose=purpose,
            defaults={"granted": granted, "updated_at": given_at},
        )
        if not created and given_at >= consent.updated_at:
            consent.granted, consent.updated_at = granted, given_at
            consent.save(update_fields=["granted", "updated_at"])
    return consent


# --- replies to marketing SMS ------------------------------------------------------------------

OPT_OUT_REPLIES = frozenset({"R", "TD", "T", "退订"})
SMS_GATEWAY_ACTOR = "sms gateway"


def is_opt_out_reply(text: str) -> bool:
    """Whether a member's SMS is an opt-out reply: R, TD, T or 退订, in any case, full-width or
    not, with surrounding spaces or a closing full stop or exclamation mark."""
    normalised = unicodedata.normalize("NFKC", text or "").strip()
    while normalised and normalised[-1] in ".!。":
        normalised = normalised[:-1].rstrip()
    return normalised.upper() in OPT_OUT_REPLIES


def do_receive_sms(*, phone: str, text: str) -> list[int]:
    """An SMS a member sent to the tenant (through the gateway's inbound callback). An opt-out
    reply withdraws marketing by SMS for every member with that phone in the tenant (a history
    row each, source "sms_reply", actor "sms gateway"); any other text is ignored and nothing
    of it is kept. Returns the ids of the members whose consent was withdrawn."""
    if not is_opt_out_reply(text):
        return []
    member_ids = hooks.members_with_phone(phone)
    with transaction.atomic():
        for member_id in member_ids:
            do_set_consent(
                member_id=member_id,
                channel=Channel.SMS,
                purpose=Purpose.MARKETING,
                granted=False,
                source=ConsentSource.SMS_REPLY,
                actor=SMS_GATEWAY_ACTOR,
            )
    return member_ids
