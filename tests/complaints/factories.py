import base64
import datetime

import factory
from django.utils import timezone

from complaints.models import (
    Attachment,
    Channel,
    Compensation,
    CompensationKind,
    DeadlinePolicy,
    Kind,
    ReturnVisit,
    Ticket,
    TicketEvent,
    VisitChannel,
)
from tests.factories import TenantOwnedFactory, factory_for
from tests.membership.factories import MemberFactory

# A 1x1 transparent PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


@factory_for(DeadlinePolicy)
class DeadlinePolicyFactory(TenantOwnedFactory):
    class Meta:
        model = DeadlinePolicy
        django_get_or_create = ("tenant", "kind")

    kind = Kind.COMPLAINT
    working_days = 3


@factory_for(Ticket)
class TicketFactory(TenantOwnedFactory):
    class Meta:
        model = Ticket

    kind = Kind.COMPLAINT
    channel = Channel.PHONE
    member = factory.SubFactory(MemberFactory, tenant=factory.SelfAttribute("..tenant"))
    description = factory.Sequence(lambda n: f"Secret complaint description {n:04d}")
    resolution = factory.Sequence(lambda n: f"Secret resolution {n:04d}")
    due_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=3))
    warn_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=2))


@factory_for(TicketEvent)
class TicketEventFactory(TenantOwnedFactory):
    class Meta:
        model = TicketEvent

    ticket = factory.SubFactory(TicketFactory, tenant=factory.SelfAttribute("..tenant"))
    type = TicketEvent.Type.NOTE
    actor_label = factory.Sequence(lambda n: f"secret-actor-{n:04d}")
    note = factory.Sequence(lambda n: f"Secret event note {n:04d}")


@factory_for(Attachment)
class AttachmentFactory(TenantOwnedFactory):
    class Meta:
        model = Attachment

    ticket = factory.SubFactory(TicketFactory, tenant=factory.SelfAttribute("..tenant"))
    file = factory.django.FileField(filename="picture.png", data=PNG)
    content_type = "image/png"
    size = len(PNG)
    original_name = factory.Sequence(lambda n: f"secret-picture-{n:04d}.png")


@factory_for(Compensation)
class CompensationFactory(TenantOwnedFactory):
    class Meta:
        model = Compensation

    ticket = factory.SubFactory(TicketFactory, tenant=factory.SelfAttribute("..tenant"))
    kind = CompensationKind.GIFT
    description = factory.Sequence(lambda n: f"Secret gift basket {n:04d}")


@factory_for(ReturnVisit)
class ReturnVisitFactory(TenantOwnedFactory):
    class Meta:
        model = ReturnVisit

    member = factory.SubFactory(MemberFactory, tenant=factory.SelfAttribute("..tenant"))
    channel = VisitChannel.PHONE
    notes = factory.Sequence(lambda n: f"Secret visit notes {n:04d}")
    opinion = factory.Sequence(lambda n: f"Secret member opinion {n:04d}")
