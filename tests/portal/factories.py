import datetime

import factory
from django.utils import timezone

from portal.models import ResetCode
from tests.factories import TenantOwnedFactory, factory_for
from tests.membership.factories import MemberFactory


@factory_for(ResetCode)
class ResetCodeFactory(TenantOwnedFactory):
    """A live code of a member; the code itself is unknown (only a hash is ever stored)."""

    class Meta:
        model = ResetCode

    member = factory.SubFactory(MemberFactory, tenant=factory.SelfAttribute("..tenant"))
    code_hash = factory.Sequence(lambda n: f"{n:064x}")
    expires_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(minutes=10))
