import threading

import pytest
from django.db import connection

from core import tenancy
from membership import actions
from membership.models import Card


@pytest.mark.django_db(transaction=True)
def test_desks_registering_at_the_same_time_never_get_the_same_card_number(world):
    """GIVEN four desks registering members at once (four database connections)
    WHEN each registers five members
    THEN twenty distinct card numbers are issued, one after another."""
    errors = []
    start = threading.Barrier(4)

    def desk(n):
        try:
            start.wait()
            with tenancy.tenant_context(world.a):
                for i in range(5):
                    actions.do_register_member(
                        data={"name": f"Desk {n} member {i}", "phone": f"+86138{n:04d}{i:04d}"},
                        actor=None,
                    )
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=desk, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with tenancy.tenant_context(world.a):
        numbers = list(Card.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == 20
    sequences = sorted(int(number[1:-1]) for number in numbers)
    assert sequences == list(range(1, 21))
