import datetime

import factory
from django.contrib.auth.hashers import make_password

from membership.models import (
    Card,
    CardCounter,
    ErasureRequest,
    Member,
    MemberChange,
    MemberCredential,
    MemberImport,
    MembershipSettings,
    PiiAccessLog,
    TerminationRequest,
)
from tests.factories import TenantOwnedFactory, factory_for


@factory_for(MembershipSettings)
class MembershipSettingsFactory(TenantOwnedFactory):
    class Meta:
        model = MembershipSettings
        django_get_or_create = ("tenant",)

    card_prefix = "9"


@factory_for(CardCounter)
class CardCounterFactory(TenantOwnedFactory):
    class Meta:
        model = CardCounter
        django_get_or_create = ("tenant",)

    last_value = 500


@factory_for(Member)
class MemberFactory(TenantOwnedFactory):
    class Meta:
        model = Member
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Secret Member {n:04d}")
    phone = factory.Sequence(lambda n: f"+86138{n:08d}")
    email = factory.Sequence(lambda n: f"member{n:04d}@example.com")
    birthday = datetime.date(1990, 5, 17)
    card_number = factory.Sequence(lambda n: f"7{n:08d}")
    employer = factory.Sequence(lambda n: f"Private Employer {n:04d}")

    @factory.post_generation
    def id_number(obj, create, extracted, **kwargs):
        if extracted:
            obj.set_id_number("resident", extracted)
            if create:
                obj.save()


@factory_for(Card)
class CardFactory(TenantOwnedFactory):
    class Meta:
        model = Card

    member = factory.SubFactory(MemberFactory, tenant=factory.SelfAttribute("..tenant"))
    number = factory.Sequence(lambda n: f"6{n:08d}")


@factory_for(MemberChange)
class MemberChangeFactory(TenantOwnedFactory):
    class Meta:
        model = MemberChange

    member = factory.SubFactory(MemberFactory, tenant=factory.SelfAttribute("..tenant"))
    actor = "someone"
    field = "employer"
    old_value = factory.Sequence(lambda n: f"Old Secret Employer {n:04d}")
    new_value = factory.Sequence(lambda n: f"New Secret Employer {n:04d}")


@factory_for(TerminationRequest)
class TerminationRequestFactory(TenantOwnedFactory):
    class Meta:
        model = TerminationRequest

    member = factory.SubFactory(MemberFactory, tenant=factory.SelfAttribute("..tenant"))
    source = "business"
    reason = factory.Sequence(lambda n: f"Secret reason {n:04d}")


@factory_for(MemberCredential)
class MemberCredentialFactory(TenantOwnedFactory):
    class Meta:
        model = MemberCredential

    member = factory.SubFactory(MemberFactory, tenant=factory.SelfAttribute("..tenant"))
    password = factory.LazyFunction(lambda: make_password("pw-123456"))


@factory_for(PiiAccessLog)
class PiiAccessLogFactory(TenantOwnedFactory):
    class Meta:
        model = PiiAccessLog

    member = factory.SubFactory(MemberFactory, tenant=factory.SelfAttribute("..tenant"))
    actor = "someone"
    field = "id_number"


@factory_for(MemberImport)
class MemberImportFactory(TenantOwnedFactory):
    class Meta:
        model = MemberImport

    file_name = factory.Sequence(lambda n: f"secret-file-{n:04d}.csv")
    errors = factory.Sequence(
        lambda n: [{"line": 2, "errors": ["bad"], "values": {"name": f"Secret Row {n:04d}"}}]
    )


@factory_for(ErasureRequest)
class ErasureRequestFactory(TenantOwnedFactory):
    class Meta:
        model = ErasureRequest

    member = factory.SubFactory(MemberFactory, tenant=factory.SelfAttribute("..tenant"))
    decision_reason = factory.Sequence(lambda n: f"Secret erasure reason {n:04d}")
