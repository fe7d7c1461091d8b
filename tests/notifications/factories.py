import factory

from notifications.models import Channel, Message
from tests.factories import TenantOwnedFactory, factory_for


@factory_for(Message)
class MessageFactory(TenantOwnedFactory):
    class Meta:
        model = Message

    channel = Channel.SMS
    template = "registration"
    language = "zh-hans"
    recipient = factory.Sequence(lambda n: f"+86138{n:08d}")
    body = factory.Sequence(lambda n: f"Private message body {n:05d}")
    dedupe_key = factory.Sequence(lambda n: f"test:{n:06d}")
