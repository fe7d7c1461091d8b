"""``Idempotency-Key`` on POST: the first response is stored and replayed for every repeat.

The record is inserted in the same transaction as the work the request does. A concurrent
request with the same key blocks on the unique index until the first one commits, then finds
the record and replays its response; if the first one rolled back, the second one does the work.
The same key with a different request (principal, path or body) is refused.
"""

import hashlib

from django.db import transaction
from django.utils import timezone
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from .. import tenancy
from ..db import prepared_cursor
from ..models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


_CLAIM = (
    f"INSERT INTO {IdempotencyRecord._meta.db_table} (tenant_id, key, fingerprint, created_at) "
    "VALUES (%s, %s, %s, %s) ON CONFLICT (tenant_id, key) DO NOTHING RETURNING id"
)
_SAVE_RESPONSE = (
    f"UPDATE {IdempotencyRecord._meta.db_table} SET status_code = %s, response_body = %s::jsonb "
    "WHERE id = %s"
)


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "This Idempotency-Key was already used for a different request."
    default_code = "idempotency_key_reused"


class Replay(Exception):
    def __init__(self, record: IdempotencyRecord):
        self.record = record


class IdempotentPostMixin:
    """Mixed into every tenant API view (see ``core.api.views``)."""

    _idempotency_record_id: int | None = None  # the record this request claimed

    def dispatch(self, request, *args, **kwargs):
        self._idempotency_key = request.headers.get(HEADER) if request.method == "POST" else None
        if not self._idempotency_key:
            return super().dispatch(request, *args, **kwargs)
        with transaction.atomic():
            response = super().dispatch(request, *args, **kwargs)
            record_id = self._idempotency_record_id
            if record_id is not None:
                if response.status_code >= 500:
                    transaction.set_rollback(True)
                else:
                    with prepared_cursor() as cursor:
                        cursor.execute(
                            _SAVE_RESPONSE, [response.status_code, _as_json(response), record_id]
                        )
        return response

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication and permissions first
        key = self._idempotency_key
        if not key:
            return
        if len(key) > MAX_KEY_LENGTH:
            raise exceptions.ValidationError({HEADER: [f"At most {MAX_KEY_LENGTH} characters."]})
        fingerprint = hashlib.sha256(
            f"{request.user}\n{request.method}\n{request.path}\n".encode() + request._request.body
        ).hexdigest()
        # One statement, no savepoint: ON CONFLICT waits for a concurrent first use of the key
        # to commit (then returns nothing) or roll back (then inserts).
        with prepared_cursor() as cursor:
            cursor.execute(_CLAIM, [tenancy.current_tenant().pk, key, fingerprint, timezone.now()])
            row = cursor.fetchone()
        if row is not None:
            self._idempotency_record_id = row[0]
            return
        existing = IdempotencyRecord.objects.get(key=key)
        if existing.fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        raise Replay(existing)

    def handle_exception(self, exc):
        if isinstance(exc, Replay):
            response = Response(exc.record.response_body, status=exc.record.status_code)
            response["Idempotent-Replayed"] = "true"
            return response
        return super().handle_exception(exc)


def _as_json(response) -> str | None:
    """The response's data as JSON text. A JSON response is rendered here, once: the same bytes
    are stored and sent."""
    data = getattr(response, "data", None)
    if data is None:
        return None
    if isinstance(getattr(response, "accepted_renderer", None), JSONRenderer):
        response.render()
        return response.content.decode()
    return JSONRenderer().render(data).decode()
