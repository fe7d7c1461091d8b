"""SMS backends: ``send(outgoing) -> provider message id``.

* ``FileSmsBackend`` (development, tests): one JSON file per message, named by the message's
  reference, so a repeated attempt overwrites its file instead of adding a second one.
* ``ConsoleSmsBackend``: prints the message.
* ``HttpSmsBackend``: a generic JSON-over-HTTP gateway (stdlib ``urllib``), with the message
  reference as the gateway's client reference / idempotency key.
"""

import json
import os
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings

from .base import Outgoing, PermanentError, TransientError


class FileSmsBackend:
    def __init__(self, directory=None):
        self.directory = Path(directory or settings.NOTIFICATIONS_OUTBOX_DIR) / "sms"

    def send(self, outgoing: Outgoing) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        payload = {
            "reference": outgoing.reference,
            "to": outgoing.recipient,
            "from": outgoing.sms_sender,
            "text": outgoing.body,
        }
        target = self.directory / f"{outgoing.reference}.json"
        # Write then rename: a reader never sees half a file, a re-send replaces the file.
        handle, temporary = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(payload, file, ensure_ascii=False)
        os.replace(temporary, target)
        return f"file:{outgoing.reference}"


class ConsoleSmsBackend:
    def send(self, outgoing: Outgoing) -> str:
        sys.stdout.write(f"SMS {outgoing.reference} to {outgoing.recipient}: {outgoing.body}\n")
        return f"console:{outgoing.reference}"


class HttpSmsBackend:
    """POST ``{to, from, text, client_reference}`` as JSON to ``SMS_HTTP_URL`` with
    ``Authorization: Bearer <SMS_HTTP_API_KEY>`` and ``Idempotency-Key: <reference>``; expects
    ``2xx {"id": ...}``. 408, 429 and 5xx are transient; other 4xx are permanent; network errors
    and timeouts are transient (the gateway deduplicates the retry by the client reference)."""

    def __init__(self, url=None, api_key=None, timeout=None):
        self.url = url or settings.SMS_HTTP_URL
        self.api_key = api_key or settings.SMS_HTTP_API_KEY
        self.timeout = timeout or settings.SMS_HTTP_TIMEOUT
        if not self.url:
            raise PermanentError("SMS_HTTP_URL is not set")

    def send(self, outgoing: Outgoing) -> str:
        body = json.dumps(
            {
                "to": outgoing.recipient,
                "from": outgoing.sms_sender,
                "text": outgoing.body,
                "client_reference": outgoing.reference,
            }
        ).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.api_key}",
                "Idempotency-Key": outgoing.reference,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            detail = exc.read()[:300].decode(errors="replace")
            if exc.code in (408, 429) or exc.code >= 500:
                raise TransientError(f"HTTP {exc.code}: {detail}") from exc
            raise PermanentError(f"HTTP {exc.code}: {detail}") from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise TransientError(f"network: {exc}") from exc
        except ValueError as exc:
            raise TransientError(f"unreadable answer: {exc}") from exc
        provider_id = answer.get("id")
        if not provider_id:
            raise TransientError("the gateway answered without a message id")
        return str(provider_id)
