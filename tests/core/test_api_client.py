"""A client generated from the schema builds, imports and works against a live server.

openapi-python-client generates a Python package from the schema ``/api/schema/`` serves
(``--fail-on-warning``: a schema construct it cannot generate fails the test); the test imports
it and records a purchase, reads it back, lists members and gets the error body of a 404
through it, over HTTP.
"""

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from drf_spectacular.renderers import OpenApiYamlRenderer

from core import tenancy
from core.api.schema import TenantSchemaGenerator
from tests.factories import ApiKeyFactory, StoreFactory, TenantFactory
from tests.points.helpers import award, member

PACKAGE = "membership_api_client"


@pytest.fixture(scope="module")
def generated_client(tmp_path_factory):
    """The generated package, imported (and forgotten again afterwards)."""
    where = tmp_path_factory.mktemp("client")
    schema = TenantSchemaGenerator().get_schema(request=None, public=True)
    (where / "schema.yaml").write_bytes(OpenApiYamlRenderer().render(schema))
    (where / "config.yaml").write_text(
        f"package_name_override: {PACKAGE}\nproject_name_override: {PACKAGE}\npost_hooks: []\n"
    )
    generator = Path(sys.executable).with_name("openapi-python-client")
    result = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            "schema.yaml",
            "--config",
            "config.yaml",
            "--meta",
            "none",
            "--fail-on-warning",
            "--output-path",
            PACKAGE,
        ],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(where))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def test_the_generated_client_works_against_a_live_server(generated_client, live_server):
    tenant = TenantFactory(slug="client-test")
    key = ApiKeyFactory(tenant=tenant)
    with tenancy.tenant_context(tenant):
        buyer = member()
        award(buyer, 100)
        store = StoreFactory()

    api = importlib.import_module(f"{PACKAGE}.api.purchases")
    for name in ("purchases_create", "purchases_retrieve"):
        importlib.import_module(f"{PACKAGE}.api.purchases.{name}")
    members_list = importlib.import_module(f"{PACKAGE}.api.members.members_list")
    members_retrieve = importlib.import_module(f"{PACKAGE}.api.members.members_retrieve")
    models = importlib.import_module(f"{PACKAGE}.models")

    client = generated_client.AuthenticatedClient(
        base_url=f"{live_server.url}/api/v1/{tenant.slug}", token=key.raw_key, prefix="Api-Key"
    )
    body = models.PurchaseRequest(
        member=buyer.pk,
        store=store.pk,
        points_used=10,
        lines=[models.LineRequest(list_amount="25.50", category="tea", quantity=2)],
    )
    created = api.purchases_create.sync_detailed(
        client=client, body=body, idempotency_key="client-1"
    )
    assert created.status_code == 201, created.content
    purchase = created.parsed
    assert isinstance(purchase, models.Purchase)
    assert purchase.member == buyer.pk and purchase.lines[0].quantity == 2

    replay = api.purchases_create.sync_detailed(
        client=client, body=body, idempotency_key="client-1"
    )
    assert replay.content == created.content
    assert replay.headers["Idempotent-Replayed"] == "true"

    again = api.purchases_retrieve.sync(client=client, id=purchase.id)
    assert isinstance(again, models.Purchase) and again.id == purchase.id

    page = members_list.sync(client=client, page_size=10)
    assert isinstance(page, models.PaginatedMemberList)
    assert [m.id for m in page.results] == [buyer.pk]

    missing = members_retrieve.sync(client=client, id=987654321)
    assert isinstance(missing, models.Error) and missing.error.code == "not_found"

    anonymous = generated_client.Client(base_url=f"{live_server.url}/api/v1/{tenant.slug}")
    refused = members_list.sync(client=anonymous)
    assert isinstance(refused, models.Error) and refused.error.code == "not_authenticated"
