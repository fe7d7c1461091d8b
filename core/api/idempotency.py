"""``Idempotency-Key`` on POST: the first response is stored and replayed for every repeat.

The record is inserted in the same transaction as the work the request does. A concurrent
request with the same key blocks on the unique index until the first one commits, then finds
the record and replays its response; if the first one rolled back, the second one does the work.
The same key with a different request (principal, path or body) is refused.

A replay is the first response byte for byte: its status, the headers the view set
(Content-Type, Location, …) and its rendered body are stored and sent again unchanged, with
``Idempotent-Replayed: true``.
"""

import hashlib
import json

from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from rest_framework import exceptions, status

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
    f"UPDATE {IdempotencyRecord._meta.db_table} "
    "SET status_code = %s, response_content = %s, response_headers = %s::jsonb "
    "WHERE tenant_id = %s AND id = %s"
)
# Set again on every response, the replay included (by DRF's finalize_response, the middleware,
# or the replay itself): not stored.
_NOT_STORED = {"allow", "vary", "content-length", "content-language", "idempotent-replayed"}


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
                    content, headers = _rendered(response)
                    with prepared_cursor() as cursor:
                        cursor.execute(
                            _SAVE_RESPONSE,
                            [
                                response.status_code,
                                content,
                                headers,
                                tenancy.current_tenant().pk,
                                record_id,
                            ],
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
            record = exc.record
            response = HttpResponse(
                (record.response_content or "").encode(),
                status=record.status_code,
                headers=record.response_headers or {},
            )
            response["Idempotent-Replayed"] = "true"
            return response
        return super().handle_exception(exc)


def _rendered(response) -> tuple[str, str]:
    """The response's body as sent (rendered here, once, so the same bytes are stored and
    sent; the API renders JSON only, which is UTF-8 text) and the headers its view set, as
    JSON text."""
    if not getattr(response, "is_rendered", True):
        response.render()
    headers = {
        name: value for name, value in response.headers.items() if name.lower() not in _NOT_STORED
    }
    return response.content.decode(), json.dumps(headers)
