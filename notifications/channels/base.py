from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


class TransientError(Exception):
    """The provider or network failed in a way that may pass: retry with backoff."""


class PermanentError(Exception):
    """This message can never be delivered as it is (bad number, refused content, bad key)."""


@dataclass(frozen=True)
class Outgoing:
    """What a channel needs to send one message; ``reference`` is the idempotency key, the same
    on every attempt of the same message."""

    message_id: int
    tenant_id: int
    reference: str
    channel: str
    recipient: str
    subject: str
    body: str
    sms_sender: str = ""
    email_from: str = ""


def sms_backend():
    return import_string(settings.NOTIFICATIONS_SMS_BACKEND)()


def send(outgoing: Outgoing) -> str:
    if outgoing.channel == "sms":
        return sms_backend().send(outgoing)
    if outgoing.channel == "email":
        from .email import send_email  # reason: cycle (channels.email imports this module)

        return send_email(outgoing)
    raise PermanentError(f"Unknown channel {outgoing.channel!r}")
