"""Writes. Each ``do_*`` is atomic and returns the model object it changed or created."""

from __future__ import annotations

import datetime
import secrets

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import tenancy
from core.actors import actor_of
from core.dates import add_months
from core.exceptions import Conflict, Forbidden
from core.roles import role_has
from core.selectors import staff_role
from notifications.actions import do_set_consent
from notifications.outbox import do_enqueue_message

from . import pii, selectors
from .erasure import erase_member
from .imports import masked_values, validate_import_row
from .models import (
    STATUS_TRANSITIONS,
    Card,
    CardCounter,
    CardStatus,
    ErasureRequest,
    ErasureStatus,
    ImportStatus,
    Member,
    MemberChange,
    MemberCredential,
    MemberImport,
    MemberStatus,
    PiiAccessLog,
    RequestStatus,
    TerminationRequest,
    TerminationSource,
)
from .validators import luhn_check_digit

# Fields copied from validated input onto a Member (the ID number has its own path).
PROFILE_FIELDS = (
    "name",
    "gender",
    "phone",
    "email",
    "birthday",
    "wedding_anniversary",
    "employer",
    "address",
    "notes",
    "store",
    "referrer",
    "joined_on",
    "valid_until",
    "language",
)
PASSWORD_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: read out over the phone


class InvalidTransition(Conflict):
    default_code = "invalid_transition"


def _record(member: Member, actor, field: str, old, new, note: str = "") -> MemberChange:
    who = actor_of(actor)
    return MemberChange.objects.create(
        member=member,
        user=who.user,
        actor=who.label,
        field=field,
        old_value=_display(old),
        new_value=_display(new),
        note=note,
    )


def _comparable(value):
    """Equal for values a form and the database spell differently (None and "", a phone number
    object and its E.164 text, a related row and its primary key)."""
    if value is None:
        return ""
    if isinstance(value, models.Model):
        return (type(value).__name__, value.pk)
    return str(value)


def _display(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Member):
        return f"{value.name} #{value.pk}"
    return str(value)


# --- cards ------------------------------------------------------------------------------------


def do_next_card_number() -> str:
    """The next card number of the active tenant: prefix + zero-padded sequence + Luhn digit.

    The sequence is a counter row incremented under a row lock in the caller's transaction, so
    two desks registering at once wait for each other instead of taking the same number, and a
    number is never handed out again (the unique constraint on Card.number backs this up)."""
    settings = selectors.settings()
    with transaction.atomic():
        try:
            with transaction.atomic():
                CardCounter.objects.get_or_create(tenant=tenancy.current_tenant())
        except IntegrityError:
            pass  # created by a concurrent first registration
        counter = CardCounter.objects.select_for_update().get()
        counter.last_value += 1
        counter.save(update_fields=["last_value"])
    body = f"{settings.card_prefix}{counter.last_value:0{settings.card_digits}d}"
    return body + luhn_check_digit(body)


@transaction.atomic
def do_issue_card(member: Member, *, actor, reason: str = "") -> Card:
    card = Card.objects.create(member=member, number=do_next_card_number())
    old = member.card_number
    member.card_number = card.number
    member.save(update_fields=["card_number"])
    _record(member, actor, "card", old, card.number, reason)
    return card


@transaction.atomic
def do_report_lost_card(member: Member, *, actor, reason: str = "") -> Card | None:
    """Block the member's active card as lost. Returns it (None when there was none)."""
    card = Card.objects.select_for_update().filter(member=member, status=CardStatus.ACTIVE).first()
    if card is None:
        return None
    card.status = CardStatus.LOST
    card.blocked_at = timezone.now()
    card.reason = reason or _("Reported lost")
    card.save(update_fields=["status", "blocked_at", "reason"])
    member.card_number = ""
    member.save(update_fields=["card_number"])
    _record(
        member,
        actor,
        "card",
        card.number,
        "",
        _("Card reported lost: %(reason)s") % {"reason": card.reason},
    )
    return card


@transaction.atomic
def do_reissue_card(member: Member, *, actor, reason: str = "") -> Card:
    """Block whatever card is still active (history kept) and issue a new number."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    if member.status == MemberStatus.TERMINATED:
        raise Conflict(_("A terminated membership gets no new card."), code="terminated")
    for card in Card.objects.select_for_update().filter(member=member, status=CardStatus.ACTIVE):
        card.status = CardStatus.BLOCKED
        card.blocked_at = timezone.now()
        card.reason = reason or _("Replaced by a new card")
        card.save(update_fields=["status", "blocked_at", "reason"])
    return do_issue_card(member, actor=actor, reason=reason or _("Card reissued"))


# --- registration and profile -----------------------------------------------------------------


def _new_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(8))


@transaction.atomic
def do_register_member(*, data: dict, actor) -> Member:
    """Create a member with a card and portal credentials, and write the registration message
    (card number and initial password) to the outbox in the same transaction.

    ``data`` is validated input (``forms.MemberForm`` or the API serializer): profile fields plus
    ``id_type`` and a normalised ``id_number``."""
    member = Member(tenant=tenancy.current_tenant())
    for field in PROFILE_FIELDS:
        if field in data and data[field] is not None:
            setattr(member, field, data[field])
    if not member.valid_until:
        months = selectors.settings().validity_months
        if months:
            member.valid_until = add_months(member.joined_on, months)
    member.set_id_number(data.get("id_type", ""), data.get("id_number", ""))
    member.save()
    _record(member, actor, "registered", "", member.name)
    card = do_issue_card(member, actor=actor, reason=_("First card"))
    password = _new_password()
    MemberCredential.objects.create(member=member, password=make_password(password))
    do_enqueue_message(
        template="registration",
        to=selectors.reach(member),
        context={"card_number": card.number, "password": password},
        dedupe_key=f"registration:{member.pk}",
        member_id=member.pk,
    )
    return member


def do_extend_validity(
    extensions: list[tuple[int, datetime.date | None]], *, actor: str, note: str
) -> int:
    """Set the membership end of many members at once (``extensions``: (member id, new
    valid-until, None for lifetime)), each change recorded in the member's history like an
    edit (field ``valid_until``, old → new) by the system job ``actor``. Set-based: one
    statement for any number of members (a settlement upgrades hundreds of thousands).
    Returns how many members changed."""
    if not extensions:
        return 0
    member_ids, ends = zip(*extensions, strict=True)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""WITH x AS (
                    SELECT * FROM unnest(%(ids)s::bigint[], %(ends)s::date[]) AS x(id, new_end)
                ),
                old AS (
                    SELECT m.id, m.valid_until AS old_end, x.new_end
                    FROM {Member._meta.db_table} m JOIN x ON x.id = m.id
                    WHERE m.tenant_id = %(tenant)s AND m.erased_at IS NULL
                      AND m.valid_until IS DISTINCT FROM x.new_end
                    FOR UPDATE OF m
                ),
                changed AS (
                    UPDATE {Member._meta.db_table} m SET valid_until = old.new_end FROM old
                    WHERE m.tenant_id = %(tenant)s AND m.id = old.id
                )
                INSERT INTO {MemberChange._meta.db_table} (tenant_id, member_id, user_id, actor,
                    at, field, old_value, new_value, note)
                SELECT %(tenant)s, id, NULL, %(actor)s, %(now)s, 'valid_until',
                    COALESCE(to_char(old_end, 'YYYY-MM-DD'), ''),
                    COALESCE(to_char(new_end, 'YYYY-MM-DD'), ''), %(note)s
                FROM old""",
            {
                "ids": list(member_ids),
                "ends": list(ends),
                "tenant": tenancy.current_tenant().pk,
                "actor": actor[:150],
                "now": timezone.now(),
                "note": str(note)[:300],
            },
        )
        return cursor.rowcount


@transaction.atomic
def do_update_member(member: Member, *, data: dict, actor) -> Member:
    """Apply changed profile fields and record each change (ID numbers masked)."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    if member.erased_at is not None:
        raise Conflict(
            _("This member's personal data was erased; it cannot be edited."), code="erased"
        )
    changed = []
    for field in PROFILE_FIELDS:
        if field not in data:
            continue
        old, new = getattr(member, field), data[field]
        if field in ("phone",) and new is None:
            new = ""
        if _comparable(old) == _comparable(new):
            continue
        setattr(member, field, new)
        changed.append(field)
        _record(member, actor, field, old, new)
    if "id_number" in data or "id_type" in data:
        number = data.get("id_number")
        id_type = data.get("id_type", member.id_type)
        if number is not None:
            new_digest = pii.id_digest(member.tenant_id, number) if number else ""
            if new_digest != member.id_number_digest or id_type != member.id_type:
                old_masked = member.id_number_masked
                member.set_id_number(id_type, number)
                changed += ["id_type", "id_number_encrypted", "id_number_digest", "id_number_last4"]
                _record(member, actor, "id_number", old_masked, member.id_number_masked)
    if changed:
        member.save(update_fields=sorted(set(changed)))
    return member


@transaction.atomic
def do_change_status(member: Member, new_status: str, *, actor, reason: str = "") -> Member:
    member = Member.objects.select_for_update().get(pk=member.pk)
    old = member.status
    if new_status not in MemberStatus.values:
        raise ValidationError(
            {"status": _("Unknown status %(status)s.") % {"status": new_status}}, code="invalid"
        )
    if new_status not in STATUS_TRANSITIONS[old]:
        raise InvalidTransition(
            _("A membership that is %(old)s cannot become %(new)s.")
            % {"old": MemberStatus(old).label, "new": MemberStatus(new_status).label},
            field="status",
        )
    member.status = new_status
    member.save(update_fields=["status"])
    _record(
        member, actor, "status", MemberStatus(old).label, MemberStatus(new_status).label, reason
    )
    return member


# --- termination ------------------------------------------------------------------------------


@transaction.atomic
def do_request_termination(
    member: Member, *, source: str, reason: str, actor
) -> TerminationRequest:
    member = Member.objects.select_for_update().get(pk=member.pk)
    if member.status == MemberStatus.TERMINATED:
        raise Conflict(_("This membership is already terminated."), code="terminated")
    if TerminationRequest.objects.filter(member=member, status=RequestStatus.PENDING).exists():
        raise Conflict(
            _("A termination request for this member is already waiting."), code="pending"
        )
    if not reason.strip():
        raise ValidationError({"reason": _("Give a reason for the termination.")}, code="reason")
    user = actor_of(actor).user
    request = TerminationRequest.objects.create(
        member=member, source=TerminationSource(source), reason=reason.strip(), requested_by=user
    )
    _record(
        member, actor, "termination", "", _("Requested: %(reason)s") % {"reason": request.reason}
    )
    return request


@transaction.atomic
def do_decide_termination(
    request: TerminationRequest, *, approve: bool, actor, note: str = ""
) -> TerminationRequest:
    request = TerminationRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != RequestStatus.PENDING:
        raise Conflict(_("This request was already decided."), code="decided")
    user = actor_of(actor).user
    if user is not None and user.pk == request.requested_by_id:
        raise ValidationError(
            _("A termination must be approved by someone other than its requester.")
        )
    request.status = RequestStatus.APPROVED if approve else RequestStatus.REJECTED
    request.decided_by = user
    request.decided_at = timezone.now()
    request.decision_note = note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    if approve:
        do_change_status(
            request.member, MemberStatus.TERMINATED, actor=actor, reason=request.reason
        )
    else:
        _record(request.member, actor, "termination", "", _("Rejected: %(note)s") % {"note": note})
    return request


# --- personal data ----------------------------------------------------------------------------


def do_log_pii_access(
    *, actor, what: str, member: Member | None = None, rows: int = 1
) -> PiiAccessLog:
    """Record an access to full personal data, before the data is shown or sent: who (a staff
    user, an API key, ``member #<id>`` for a member, never a name), what (``id_number``,
    ``export:members.csv``, ``api:members.list``, …), which member (none for many) and how many
    rows. The one writer of ``PiiAccessLog``: reveals, exports and API reads all come here."""
    who = actor_of(actor)
    return PiiAccessLog.objects.create(
        member=member, user=who.user, actor=who.label, field=what[:50], rows=rows
    )


@transaction.atomic
def do_reveal_id_number(member: Member, *, actor) -> str:
    """The full ID number; the access is logged first, in the same transaction."""
    do_log_pii_access(actor=actor, what="id_number", member=member)
    return member.reveal_id_number()


# --- erasure of personal data ---------------------------------------------------------------


@transaction.atomic
def do_request_erasure(member: Member, *, password: str) -> ErasureRequest:
    """The member asks (portal) for their personal data to be erased. Their current password is
    checked here, so no way in can skip it. One request waits at a time."""
    member = Member.objects.select_for_update().get(pk=member.pk)
    credential = MemberCredential.objects.filter(member=member).first()
    if credential is None or not check_password(password or "", credential.password):
        raise ValidationError({"password": _("The password is not right.")}, code="wrong_password")
    if member.erased_at is not None or member.status == MemberStatus.TERMINATED:
        raise Conflict(_("This membership has ended."), code="ended")
    if ErasureRequest.objects.filter(member=member, status=ErasureStatus.PENDING).exists():
        raise Conflict(_("Your request is already waiting for a decision."), code="pending")
    request = ErasureRequest.objects.create(member=member)
    _record(member, member, "erasure", "", _("Requested by the member"))
    return request


@transaction.atomic
def do_withdraw_erasure(request: ErasureRequest, *, member: Member) -> ErasureRequest:
    """The member changes their mind before a decision."""
    request = ErasureRequest.objects.select_for_update().get(pk=request.pk, member=member)
    if request.status != ErasureStatus.PENDING:
        raise Conflict(_("This request was already decided."), code="decided")
    request.status = ErasureStatus.WITHDRAWN
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_at"])
    _record(member, member, "erasure", "", _("Withdrawn by the member"))
    return request


@transaction.atomic
def do_decide_erasure(
    request: ErasureRequest, *, approve: bool, reason: str = "", actor
) -> ErasureRequest:
    """An owner or manager approves or refuses. Approval anonymises the member in this same
    transaction (``membership.erasure.erase_member``); the member is told the decision through
    the outbox first, while their address is still known.

    Idempotent: approving an approved request again changes nothing and returns it."""

    user = actor_of(actor).user
    role = staff_role(user) if user is not None else None
    if role is None or not role_has(role.role, "members.approve"):
        raise Forbidden(_("Only an owner or a manager may decide an erasure request."))
    request = ErasureRequest.objects.select_for_update().get(pk=request.pk)
    if request.status == ErasureStatus.APPROVED and approve:
        return request
    if request.status != ErasureStatus.PENDING:
        raise Conflict(_("This request was already decided."), code="decided")
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ValidationError(
            {"reason": _("Say why the request is refused: the member will be told.")},
            code="reason",
        )
    member = Member.objects.select_for_update().get(pk=request.member_id)
    request.status = ErasureStatus.APPROVED if approve else ErasureStatus.REFUSED
    request.decided_by = user
    request.decided_at = timezone.now()
    request.decision_reason = reason[:500]
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    do_enqueue_message(
        template="erasure_decision",
        to=selectors.reach(member),
        context={"approved": approve, "reason": reason},
        dedupe_key=f"erasure:{request.pk}:decision",
        # An approval's message is the last one and must go although consent is withdrawn
        # below: it is not filed under the member (so it is not erased with their messages
        # either), and its address is forgotten once it is sent.
        member_id=None if approve else member.pk,
    )
    if approve:
        erase_member(
            member,
            actor=actor,
            note=_("Personal data erased on the member's request #%(id)s.") % {"id": request.pk},
        )
    else:
        _record(member, actor, "erasure", "", _("Refused: %(reason)s") % {"reason": reason})
    return request


# --- member credentials -----------------------------------------------------------------------


def authenticate_member(identifier: str, password: str) -> Member | None:
    """The member of the active tenant who signs in with ``identifier`` (phone or ID number)
    and ``password``, or None. Runs the hasher even for an unknown identifier (same timing)."""
    member = selectors.members_by_phone(identifier).first() if identifier else None
    if member is None and identifier:
        member = selectors.members_by_id_number(identifier).first()
    credential = (
        MemberCredential.objects.filter(member=member).first() if member is not None else None
    )
    if credential is None:
        make_password(password)
        return None
    if member.status == MemberStatus.TERMINATED or not check_password(
        password, credential.password
    ):
        return None
    return member


@transaction.atomic
def do_set_member_password(member: Member, password: str) -> MemberCredential:
    credential = MemberCredential.objects.select_for_update().get(member=member)
    credential.password = make_password(password)
    credential.must_change = False
    credential.changed_at = timezone.now()
    credential.save(update_fields=["password", "must_change", "changed_at"])
    return credential


# --- import -----------------------------------------------------------------------------------


def do_preview_import(
    *, file_name: str, rows: list[dict], errors: list[dict], actor
) -> MemberImport:
    user = actor_of(actor).user
    batch = MemberImport(file_name=file_name[:200], errors=errors, created_by=user)
    batch.rows = rows
    batch.save()
    return batch


def do_run_import(batch: MemberImport, *, actor) -> MemberImport:
    """Register every valid row, each in its own savepoint; a row that became invalid since the
    preview (e.g. its phone was registered meanwhile) joins the error report."""

    with transaction.atomic():
        batch = MemberImport.objects.select_for_update().get(pk=batch.pk)
        if batch.status != ImportStatus.PREVIEWED:
            raise ValidationError(_("This file was already imported."))
        errors = list(batch.errors)
        imported = 0
        for row in batch.rows:
            data, row_errors = validate_import_row(row["values"])
            if row_errors:
                errors.append(
                    {
                        "line": row["line"],
                        "errors": row_errors,
                        "values": masked_values(row["values"]),
                    }
                )
                continue
            try:
                with transaction.atomic():
                    do_register_member(data=data, actor=actor)
            except IntegrityError:
                errors.append(
                    {
                        "line": row["line"],
                        "errors": [_("Already registered.")],
                        "values": masked_values(row["values"]),
                    }
                )
                continue
            imported += 1
        batch.errors = sorted(errors, key=lambda e: e["line"])
        batch.imported_count = imported
        batch.status = ImportStatus.IMPORTED
        batch.rows = []
        batch.save(update_fields=["errors", "imported_count", "status", "rows_encrypted"])
    return batch


# --- consent recorded by staff ------------------------------------------------------------------


def do_record_consent(
    member: Member, *, channel: str, purpose: str, granted: bool, source: str, actor, given_at=None
):
    """A choice the member gave at the counter (or on paper, imported), recorded by a staff
    member or an API key: kept by notifications as the current choice and in its history, with
    the time it was given, the source and who recorded it. An erased member's consent stays
    withdrawn."""
    if member.erased_at is not None:
        raise Conflict(_("This member's personal data was erased."), code="erased")
    return do_set_consent(
        member_id=member.pk,
        channel=channel,
        purpose=purpose,
        granted=granted,
        source=source,
        actor=actor_of(actor).label,
        given_at=given_at,
    )
