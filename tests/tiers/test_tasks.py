"""The beat job: settles once per cycle, on the tenant's boundary day, and lapses memberships."""

import datetime

import pytest
import time_machine

from core import tenancy
from tests.tiers.helpers import at, buy, ladder, member
from tiers import selectors
from tiers.models import TierChange
from tiers.tasks import settle_cycle

D = datetime.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def gold_by_spend(world):
    with tenancy.tenant_context(world.a):
        ladder(("ordinary", []), ("gold", [dict(kind="spend", amount=1000)]))
        m = member(valid_until=D(2027, 1, 15))
        buy(m, 1500, D(2026, 12, 5))
    return m


def test_it_settles_on_the_first_day_of_the_cycle_once(world, gold_by_spend):
    with time_machine.travel(at(D(2026, 12, 31), 9), tick=False):
        assert settle_cycle.delay(tenant_id=world.a.pk).get() == 0
    # 00:30 on 1 January in Shanghai is still 31 December in UTC: the tenant's calendar counts
    with time_machine.travel(at(D(2027, 1, 1), 0).replace(minute=30), tick=False):
        assert settle_cycle.delay(tenant_id=world.a.pk).get() == 1
        assert settle_cycle.delay(tenant_id=world.a.pk).get() == 0
    with tenancy.tenant_context(world.a):
        assert selectors.tier_of(gold_by_spend).code == "gold"
        assert TierChange.objects.get().effective_on == D(2027, 1, 1)


def test_it_lapses_memberships_not_renewed(world, gold_by_spend):
    with time_machine.travel(at(D(2027, 1, 16)), tick=False):
        settle_cycle.delay(tenant_id=world.a.pk)
    gold_by_spend.refresh_from_db()
    assert gold_by_spend.status == "expired"
