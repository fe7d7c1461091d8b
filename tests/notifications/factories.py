import datetime

import factory
from django.utils import timezone

from notifications.models import (
    Broadcast,
    BroadcastStatus,
    Consent,
    ConsentChange,
    Message,
    MessageTemplate,
    NotificationSettings,
)
from tests.factories import TenantOwnedFactory, factory_for


@factory_for(Message)
class MessageFactory(TenantOwnedFactory):
    class Meta:
        model = Message

    member_id = factory.Sequence(lambda n: 10_000 + n)
    channel = "sms"
    purpose = "service"
    template = "birthday"
    language = "en"
    recipient = factory.Sequence(lambda n: f"+86138{n:08d}")
    subject = ""
    body = factory.Sequence(lambda n: f"private message body {n:05d}")
    dedupe_key = factory.Sequence(lambda n: f"test:{n:06d}")


@factory_for(NotificationSettings)
class NotificationSettingsFactory(TenantOwnedFactory):
    class Meta:
        model = NotificationSettings
        django_get_or_create = ("tenant",)

    sms_sender = "SECRETSENDER"
    email_from = "secret-sender@example.com"
    # No quiet hours and no marketing window by default in tests (tests of them set them), so
    # that a test does not depend on the time of day it runs at.
    quiet_start = datetime.time(0, 0)
    quiet_end = datetime.time(0, 0)
    marketing_start = datetime.time(0, 0)
    marketing_end = datetime.time(0, 0)


@factory_for(MessageTemplate)
class MessageTemplateFactory(TenantOwnedFactory):
    class Meta:
        model = MessageTemplate

    key = "birthday"
    language = "en"
    subject = "Private subject"
    body = factory.Sequence(lambda n: f"Private greeting {n:05d} for {{{{ name }}}}")


@factory_for(Consent)
class ConsentFactory(TenantOwnedFactory):
    class Meta:
        model = Consent

    member_id = factory.Sequence(lambda n: 20_000 + n)
    channel = "sms"
    purpose = "marketing"
    granted = True


@factory_for(ConsentChange)
class ConsentChangeFactory(TenantOwnedFactory):
    class Meta:
        model = ConsentChange

    member_id = factory.Sequence(lambda n: 30_000 + n)
    channel = "sms"
    purpose = "marketing"
    granted = True
    source = "counter"
    actor = factory.Sequence(lambda n: f"staff #{90_000 + n}")


@factory_for(Broadcast)
class BroadcastFactory(TenantOwnedFactory):
    class Meta:
        model = Broadcast

    name = factory.Sequence(lambda n: f"Secret campaign {n:04d}")
    channel = "sms"
    purpose = "marketing"
    text = "Double points this weekend"
    segment = factory.LazyFunction(dict)
    send_at = factory.LazyFunction(timezone.now)
    status = BroadcastStatus.SCHEDULED
