"""E-mail through Django's mailers (``MAILERS["default"]``): SMTP in production, the file or
console backend in development."""

import os
import smtplib
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.core.mail.backends.base import BaseEmailBackend

from .base import Outgoing, PermanentError, TransientError

REFERENCE_HEADER = "X-Notification-Reference"


def send_email(outgoing: Outgoing) -> str:
    domain = settings.NOTIFICATIONS_MESSAGE_ID_DOMAIN
    message_id = f"<{outgoing.reference}@{domain}>"
    email = EmailMessage(
        subject=outgoing.subject,
        body=outgoing.body,
        from_email=outgoing.email_from or settings.DEFAULT_FROM_EMAIL,
        to=[outgoing.recipient],
        # The same Message-ID on every attempt lets a receiving server drop a duplicate; SMTP
        # itself cannot promise it (see docs/notifications.md).
        headers={"Message-ID": message_id, REFERENCE_HEADER: outgoing.reference},
    )
    try:
        mailers.default.send_messages([email])
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            raise TransientError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
        raise PermanentError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentError(f"recipient refused: {exc.recipients}") from exc
    except (TimeoutError, smtplib.SMTPException, ConnectionError, OSError) as exc:
        raise TransientError(f"SMTP: {exc}") from exc
    return message_id


class FileEmailBackend(BaseEmailBackend):
    """Development: one ``.eml`` file per message reference in ``outbox/email/``; a repeated
    attempt replaces the file (Django's own file backend would write a second one)."""

    def __init__(self, file_path=None, **kwargs):
        super().__init__(**kwargs)
        self.directory = Path(file_path or settings.NOTIFICATIONS_OUTBOX_DIR / "email")

    def send_messages(self, email_messages):
        self.directory.mkdir(parents=True, exist_ok=True)
        for email in email_messages:
            reference = email.extra_headers.get(REFERENCE_HEADER) or email.message()["Message-ID"]
            name = "".join(c if c.isalnum() or c in "-_" else "_" for c in reference)
            handle, temporary = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(handle, "wb") as file:
                file.write(email.message().as_bytes())
            os.replace(temporary, self.directory / f"{name}.eml")
        return len(email_messages)
