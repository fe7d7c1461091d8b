"""The API keeps the contract its schema states: Schemathesis generates requests for every
operation from the schema (valid and invalid ones) and sends them, with a real API key of a
tenant with data, to the application (in-process, through WSGI); every answer must be no
server error, have a documented status code and content type, and match the documented body
schema.

Bounded and deterministic: a fixed seed and ``derandomize``, and few examples per operation
(the whole file runs in well under three minutes on one core).

The generated identifiers are steered to the tenant's real rows (an ``enum`` of real ids plus
one that exists nowhere), so requests reach the rows' code rather than stopping at a 404 or at
"no such member" — see ``_steer``.
"""

import datetime
import json

import pytest
import schemathesis
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup, as_reported_failure
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.python._constants.orchestrator import make_constants_value_source
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from core import tenancy
from core.api.schema import TenantSchemaGenerator
from membership.models import Member
from points.models import Reward
from tests.factories import ApiKeyFactory, StoreFactory, TenantFactory
from tests.points.helpers import award
from tests.points.helpers import member as new_member

MAX_EXAMPLES = 30
SEED = 20261
NOWHERE = 987654321  # an id of no row
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def contract_tenant(django_db_setup, django_db_blocker):
    """A tenant with a member, a store, a purchase, a redemption, a ticket and a return visit,
    all made through the API with the tenant's key. Committed, for the whole module (the
    requests run in autocommit, as in production, so a failing one cannot poison the next), and
    flushed at the end, as ``transactional_db`` does."""
    with django_db_blocker.unblock():
        try:
            yield _make_contract_tenant()
        finally:
            call_command("flush", verbosity=0, interactive=False)


def _make_contract_tenant():
    client = Client()
    tenant = TenantFactory(slug="contract", name="Contract")
    key = ApiKeyFactory(tenant=tenant)
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {key.raw_key}"}
    with tenancy.tenant_context(tenant):
        buyer = new_member(phone="+8613800000001")
        other = new_member(phone="+8613800000002")
        award(buyer, 500)
        erased = new_member(phone="+8613800000003")  # not among the steered ids
        Member.objects.filter(pk=erased.pk).update(erased_at=timezone.now())
        store = StoreFactory()
        reward = Reward.objects.create(name_zh="杯", points_cost=50, stock=100)

    def post(path, body, idem=None):
        extra = {"HTTP_IDEMPOTENCY_KEY": idem} if idem else {}
        response = client.post(
            f"/api/v1/{tenant.slug}/{path}",
            json.dumps(body),
            content_type="application/json",
            **headers,
            **extra,
        )
        assert response.status_code == 201, (path, response.content)
        return response.json()

    purchase = post(
        "purchases/",
        {"member": buyer.pk, "store": store.pk, "lines": [{"list_amount": "100.00"}]},
        idem="seed-purchase",
    )
    redemption = post("redemptions/", {"member": buyer.pk, "reward": reward.pk}, idem="seed-r")
    ticket = post(
        "tickets/",
        {"kind": "complaint", "channel": "phone", "member": buyer.pk, "description": "Cold."},
    )
    visit = post(
        "return-visits/",
        {
            "member": buyer.pk,
            "ticket": ticket["id"],
            "channel": "phone",
            "visited_at": datetime.datetime(2026, 5, 1, 10, tzinfo=datetime.UTC).isoformat(),
            "notes": "Happy now.",
        },
    )
    ids = {
        "member": [buyer.pk, other.pk],
        "store": [store.pk],
        "purchase": [purchase["id"]],
        "redemption": [redemption["id"]],
        "reward": [reward.pk],
        "ticket": [ticket["id"]],
        "return-visit": [visit["id"]],
        "erased": [erased.pk],
    }
    return tenant, key, ids


@pytest.mark.django_db  # also makes pytest-django set up the test database for this module
def test_the_contract_tenant_has_a_row_of_every_kind(contract_tenant):
    tenant, _key, ids = contract_tenant
    assert all(ids.values()), ids
    with tenancy.tenant_context(tenant):
        assert Reward.objects.filter(pk__in=ids["reward"]).exists()


# path prefix -> the kind of row its {id} names
PATH_IDS = {
    "/members/": "member",
    "/points/": "member",
    "/purchases/": "purchase",
    "/redemptions/": "redemption",
    "/reports/": "store",  # no identifier in its path; its `store` query parameter is steered
    "/return-visits/": "return-visit",
    "/sms/": "member",  # no identifier in its path
    "/stores/": "store",
    "/tickets/": "ticket",
}
# request body properties naming rows
BODY_IDS = {
    "member": "member",
    "referrer": "member",
    "store": "store",
    "reward": "reward",
    "ticket": "ticket",
}


def _steer(raw: dict, ids: dict) -> dict:
    """Identifiers in paths and bodies: one of the tenant's real rows or one of no row."""
    for path, item in raw["paths"].items():
        kind = next(kind for prefix, kind in PATH_IDS.items() if path.startswith(prefix))
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    parameter["schema"]["enum"] = [*ids[kind], NOWHERE]
                elif parameter["in"] == "query" and parameter["name"] == "store":
                    parameter["schema"]["enum"] = [*ids["store"], NOWHERE]
    for name, component in raw["components"]["schemas"].items():
        if not name.endswith("Request"):
            continue
        for prop, kind in BODY_IDS.items():
            field = component.get("properties", {}).get(prop)
            if field and field.get("type") == "integer":
                field["enum"] = [*ids[kind], NOWHERE] + ([None] if field.get("nullable") else [])
    return raw


@pytest.fixture(scope="module")
def api_schema(contract_tenant):
    tenant, key, ids = contract_tenant
    raw = _steer(TenantSchemaGenerator().get_schema(request=None, public=True), ids)
    schema = schemathesis.openapi.from_dict(raw)
    schema.app = get_wsgi_application()  # in-process, through every middleware
    schema.config.update(
        base_url=f"http://localhost/api/v1/{tenant.slug}",
        headers={"Authorization": f"Api-Key {key.raw_key}"},
    )
    schema.config.seed = SEED
    return schema


def _operations() -> list:
    """The schema's operations, known at collection (the schema needs no database)."""
    raw = TenantSchemaGenerator().get_schema(request=None, public=True)
    return [
        pytest.param(method.upper(), path, id=f"{method.upper()} {path}")
        for path, item in raw["paths"].items()
        for method in item
    ]


# Schemathesis' own pytest integration (``schemathesis.pytest.from_fixture``) does not run on
# pytest 9 (it sets ``Function._nodeid``); one test per operation builds the same Hypothesis test
# with Schemathesis' test builder instead: the examples, coverage and fuzzing phases, positive and
# negative data.
@pytest.mark.parametrize(("method", "path"), _operations())
def test_the_api_keeps_its_schemas_contract(api_schema, method, path):
    operation = api_schema.find_operation_by_label(f"{method} {path}")
    calls = []

    def check(case):
        calls.append(case)
        case.call_and_validate(checks=CHECKS)

    test = build_operation_test(
        config=api_schema.config,
        operation=operation,
        test_func=check,
        given_kwargs={},
        feedback=FeedbackSources(constants_value_source=make_constants_value_source(api_schema)),
        explicit_settings=settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    try:
        test()
    except FailureGroup as exc:
        raise as_reported_failure(exc) from None
    assert calls, "no request was sent"
    print(f"{method} {path}: {len(calls)} cases")


def _invalid_input_cases():
    """(path, body): invalid input the API must refuse with a 4xx in the error body. The first
    six were server errors (or, the last, an accepted date in the year 512) until the domain
    error type and the input bounds (tests/core/test_api_errors.py has each by field)."""
    m = '"member": {member}, "store": {store}'  # for bodies that are not JSON (NaN)

    def purchase(*lines, **extra):
        return {"member": "{member}", "store": "{store}", "lines": list(lines), **extra}

    return [
        # integer out of range (amounts and points of the line)
        pytest.param(
            "purchases/",
            purchase({"list_amount": "9999999999.99", "quantity": 2147483647}),
            id="purchase-huge-quantity",
        ),
        pytest.param(
            "purchases/",
            purchase({"list_amount": "9999999999.99"}),
            id="purchase-huge-amount",
        ),
        # int("abc")
        pytest.param(
            "purchases/{purchase}/refunds/",
            {"lines": {"abc": 1}},
            id="refund-line-not-a-number",
        ),
        # 10**20 points: integer out of range
        pytest.param(
            "tickets/{ticket}/compensate/",
            {"kind": "points", "points": 10**20},
            id="compensation-huge-points",
        ),
        # the action's ValidationError is not translated
        pytest.param("PATCH members/{erased}/", {"notes": "Still here?"}, id="patch-erased"),
        # accepted, and answered with "0512-07-16T09:33:38+08:05:43", which is not an RFC 3339
        # date-time (a 201 that breaks the response schema): to be refused (or rendered right)
        pytest.param(
            "return-visits/",
            {"member": "{member}", "channel": "phone", "visited_at": "0512-07-16T01:27:55Z"},
            id="visit-in-the-year-512",
        ),
        # already refused with a 400
        pytest.param("purchases/", f'{{{m}, "lines": [{{"list_amount": NaN}}]}}', id="nan"),
        pytest.param("purchases/", f'{{{m}, "lines": [{{"list_amount": Infinity}}]}}', id="inf"),
        pytest.param("purchases/", purchase({"list_amount": "NaN"}), id="nan-text"),
        pytest.param("purchases/", purchase({"list_amount": "Infinity"}), id="inf-text"),
        pytest.param(
            "purchases/{purchase}/refunds/", {"amount": "NaN"}, id="refund-amount-nan-text"
        ),
        pytest.param(
            "purchases/",
            purchase({"list_amount": "1"}, points_used=10**12),
            id="purchase-huge-points-used",
        ),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "body"), _invalid_input_cases())
def test_invalid_input_is_a_client_error(contract_tenant, path, body):
    """Invalid input must be refused with a 4xx in the error body, never a server error."""
    tenant, key, ids = contract_tenant
    names = {name: ids[name][0] for name in ("member", "store", "purchase", "ticket", "erased")}
    method, _, path = path.rpartition(" ")
    if isinstance(body, str):
        content = body
        for name, value in names.items():
            content = content.replace("{" + name + "}", str(value))
    else:
        content = json.dumps(body).replace('"{member}"', str(names["member"]))
        content = content.replace('"{store}"', str(names["store"]))
    client = Client(raise_request_exception=False)
    response = getattr(client, (method or "post").lower())(
        f"/api/v1/{tenant.slug}/{path.format(**names)}",
        content,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {key.raw_key}",
        HTTP_IDEMPOTENCY_KEY=f"known-{path}-{content}"[:255],
    )
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert set(response.json()["error"]) == {"code", "message", "details"}
