"""The shared pieces that keep the API's hot path cheap: rows by primary key in one prepared
statement, one reused prepared cursor per connection, and serializers built once per thread.
Each must behave exactly like the ORM or DRF code it stands in for."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError

from core import tenancy
from core.api.serializers import _built_serializer, represented, validated
from core.db import _native, fetch_by_pk, prepared_cursor
from core.models import IdempotencyRecord, Store
from membership.models import Member
from points.api import PurchaseSerializer
from tests.factories import StoreFactory
from tests.membership.factories import MemberFactory

pytestmark = pytest.mark.django_db


# --- fetch_by_pk ------------------------------------------------------------------------------


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_fetch_by_pk_loads_what_the_orm_loads(in_a):
    member = MemberFactory(birthday=datetime.date(1990, 5, 17), notes="VIP")
    fetched = fetch_by_pk(Member, member.pk)
    assert _fields(fetched) == _fields(Member.objects.get(pk=member.pk))
    assert fetched._state.adding is False and fetched._state.db == "default"
    store = StoreFactory()
    assert model_to_dict(fetch_by_pk(Store, str(store.pk))) == model_to_dict(store)


def test_fetch_by_pk_converts_json_as_the_orm_does(in_a):
    record = IdempotencyRecord.objects.create(
        key="k1", fingerprint="f", status_code=201, response_headers={"id": 7, "lines": [1, "二"]}
    )
    fetched = fetch_by_pk(IdempotencyRecord, record.pk)
    assert fetched.response_headers == {"id": 7, "lines": [1, "二"]}
    assert _fields(fetched) == _fields(IdempotencyRecord.objects.get(pk=record.pk))


def test_fetch_by_pk_finds_nothing_of_another_tenant_and_needs_a_tenant(world):
    with tenancy.tenant_context(world.b):
        theirs = MemberFactory()
    with tenancy.tenant_context(world.a):
        assert fetch_by_pk(Member, theirs.pk) is None
        for bad in (None, "abc", "", 2**70, -(2**70)):
            assert fetch_by_pk(Member, bad) is None
    with pytest.raises(tenancy.NoActiveTenant):
        fetch_by_pk(Member, theirs.pk)


# --- the prepared cursor ----------------------------------------------------------------------


def test_placeholders_become_postgresql_parameters():
    assert _native("SELECT %s, %s WHERE x LIKE 'a%%'") == "SELECT $1, $2 WHERE x LIKE 'a%'"
    assert _native("SELECT 1") == "SELECT 1"


@pytest.mark.django_db(transaction=True)  # closes the connection: not inside a test transaction
def test_the_prepared_cursor_is_reused_and_survives_a_reconnection(settings_debug_off):
    with prepared_cursor() as first:
        first.execute("SELECT %s::int + %s::int", [2, 3])
        assert first.fetchone() == (5,)
    with prepared_cursor() as second:
        second.execute("SELECT %s::text || %s::text", ["a", "%"])
        assert second.fetchone() == ("a%",)
    assert second is first
    connection.close()
    with prepared_cursor() as third:
        third.execute("SELECT %s::int * 2", [21])
        assert third.fetchone() == (42,)
    assert third is not first


@pytest.fixture
def settings_debug_off(settings):
    settings.DEBUG = False  # with queries logged, prepared_cursor() is Django's own cursor
    assert not connection.queries_logged


# --- serializers built once per thread ---------------------------------------------------------

_money = st.one_of(
    st.decimals(min_value=-5, max_value=10**10, places=2, allow_nan=False).map(str),
    st.sampled_from(["", "abc", "1.234", "12345678901.00", None, 5, 3.5, True]),
)
_line = st.one_of(
    st.fixed_dictionaries(
        {"list_amount": _money},
        optional={
            "category": st.one_of(st.text(max_size=60), st.integers(), st.none()),
            "description": st.text(max_size=210),
            "quantity": st.one_of(st.integers(-2, 5), st.just("2"), st.just("x")),
            "id": st.integers(),
        },
    ),
    st.sampled_from(["line", 3, None, []]),
)
_purchase = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "member": st.one_of(st.integers(-5, 10**12), st.sampled_from(["12", "x", None, 1.0])),
            "store": st.one_of(st.integers(1, 99), st.just("7.0")),
            "lines": st.one_of(st.lists(_line, max_size=3), st.just("lines"), st.none()),
            "points_used": st.one_of(st.integers(-3, 500), st.just("")),
            "occurred_at": st.sampled_from(
                ["2026-11-21T10:00:00+08:00", "2026-11-21 10:00", "yesterday", None]
            ),
            "status": st.just("refunded"),
        },
    ),
    st.sampled_from([[], "purchase", None]),
)


def _drf(data):
    serializer = PurchaseSerializer(data=data)
    if serializer.is_valid():
        return "valid", serializer.validated_data
    return "invalid", serializer.errors


def _built(data):
    try:
        return "valid", validated(PurchaseSerializer, data)
    except ValidationError as error:
        return "invalid", error.detail


_valid_purchase = st.fixed_dictionaries(
    {
        "member": st.integers(1, 10**12),
        "store": st.integers(1, 99),
        "lines": st.lists(
            st.fixed_dictionaries(
                {"list_amount": st.decimals(0, 99_999_999, places=2).map(str)},
                optional={
                    "category": st.text(st.characters(exclude_characters="\x00"), max_size=50),
                    "quantity": st.integers(1, 9),
                },
            ),
            min_size=1,
            max_size=3,
        ),
    },
    optional={"points_used": st.integers(0, 500), "occurred_at": st.just("2026-11-21T10:00Z")},
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_purchase)
def test_validated_refuses_and_accepts_what_drf_does_for_any_input(data):
    assert _built(data) == _drf(data)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_valid_purchase)
def test_validated_returns_what_drf_returns_for_valid_purchases(data):
    built = _built(data)
    assert built[0] == "valid"  # the comparison covers accepted input, not only refusals
    assert built == _drf(data)


def test_a_failed_validation_leaves_nothing_behind_for_the_next():
    good = {"member": 1, "store": 2, "lines": [{"list_amount": "10.00"}]}
    assert _built({"member": "x", "lines": "no"})[0] == "invalid"
    status, data = _built(good)
    assert status == "valid" and data["member_id"] == 1 and data["points_used"] == 0
    assert data["lines"] == [{"list_amount": Decimal("10.00")}]


def test_each_thread_validates_with_its_own_serializer():
    mine = _built_serializer(PurchaseSerializer)
    other = []
    thread = threading.Thread(target=lambda: other.append(_built_serializer(PurchaseSerializer)))
    thread.start()
    thread.join()
    assert other[0] is not mine
    assert _built_serializer(PurchaseSerializer) is mine


def test_represented_gives_what_drf_gives(in_a):
    from points import actions

    member, store = MemberFactory(), StoreFactory()
    purchase = actions.do_record_purchase(
        member=member,
        store=store,
        lines=[{"list_amount": "88.80", "category": "goods"}, {"list_amount": "1.20"}],
        idempotency_key="represent-1",
    )
    assert represented(PurchaseSerializer, purchase) == PurchaseSerializer(purchase).data
    again = type(purchase).objects.prefetch_related("lines").get(pk=purchase.pk)
    assert represented(PurchaseSerializer, again) == PurchaseSerializer(again).data
