"""Writing to the outbox. Call inside the transaction of the change that causes the message."""

from django.utils import translation

from core import tenancy

from .models import Channel, Message, Purpose
from .templates_default import render


def do_enqueue_message(
    *,
    template: str,
    channel: Channel | str,
    recipient: str,
    context: dict,
    dedupe_key: str,
    member_id: int | None = None,
    language: str | None = None,
    purpose: Purpose | str = Purpose.SERVICE,
) -> Message:
    """Write one outbox message (idempotent per ``dedupe_key`` in the tenant) and return it.

    The same cause must always produce the same ``dedupe_key`` (e.g. ``"registration:<member>"``)
    so that a retried cause never writes a second message.
    """
    tenant = tenancy.current_tenant()
    language = language or tenant.default_language
    with translation.override(language):
        subject, body = render(template, context)
    message, _ = Message.objects.get_or_create(
        dedupe_key=dedupe_key,
        defaults={
            "member_id": member_id,
            "channel": channel,
            "purpose": purpose,
            "template": template,
            "language": language,
            "recipient": recipient,
            "subject": subject,
            "body": body,
        },
    )
    return message
