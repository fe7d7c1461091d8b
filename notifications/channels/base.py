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


class SmsTransport:
    """SMS through the configured backend (``SMS_BACKEND``)."""

    def send(self, outgoing: Outgoing) -> str:
        return sms_backend().send(outgoing)


class EmailTransport:
    """E-mail through Django's mailers."""

    def send(self, outgoing: Outgoing) -> str:
        from .email import send_email  # reason: cycle (channels.email imports this module)

        return send_email(outgoing)


# channel -> transport: a new channel is one entry here (as Healthchecks' TRANSPORTS).
TRANSPORTS = {"sms": SmsTransport, "email": EmailTransport}


def send(outgoing: Outgoing) -> str:
    transport = TRANSPORTS.get(outgoing.channel)
    if transport is None:
        raise PermanentError(f"Unknown channel {outgoing.channel!r}")
    return transport().send(outgoing)
