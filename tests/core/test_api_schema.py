"""The OpenAPI schema: public, free of generation warnings, and complete about what every
operation can answer (see core/api/schema.py)."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from core.api import schema as api_schema
from tests.core.test_api import auth

SCHEMA_URL = "/api/schema/?format=json"


@pytest.fixture(scope="module")
def spec():
    schema = api_schema.TenantSchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    return schema


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method, operation


@pytest.mark.parametrize("header", ["Api-Key mk_nope_nope", "Api-Key garbage", "Bearer x", None])
def test_schema_and_docs_answer_200_whatever_the_authorization_header(client, world, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    assert client.get(SCHEMA_URL, **extra).status_code == 200
    assert client.get(reverse("api-docs"), **extra).status_code == 200


def test_schema_and_docs_answer_200_with_a_real_key(client, world):
    extra = auth(world.api_key(world.a))
    schema = client.get(SCHEMA_URL, **extra)
    assert schema.status_code == 200
    assert "/members/" in schema.json()["paths"]
    assert client.get(reverse("api-docs"), **extra).status_code == 200


def test_the_management_command_generates_the_api_schema_without_warnings(tmp_path):
    """What ``manage.py spectacular --validate --fail-on-warn`` does: it fails on any warning
    or error of drf-spectacular, and writes the API mount's schema (not the root urlconf's)."""
    target = tmp_path / "schema.yaml"
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(target), stderr=io.StringIO()
    )
    assert "/purchases/{id}/refunds/:" in target.read_text()


def test_the_served_schema_is_the_generated_one(client, db, spec):
    served = client.get(SCHEMA_URL).json()
    assert served["paths"].keys() == spec["paths"].keys()
    assert served["components"]["securitySchemes"] == spec["components"]["securitySchemes"]


def test_every_operation_accepts_an_api_key(spec):
    scheme = spec["components"]["securitySchemes"]["ApiKeyAuth"]
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "Authorization"}
    for path, method, operation in operations(spec):
        assert {"ApiKeyAuth": []} in operation["security"], (method, path)
        assert {} not in operation["security"], (method, path)  # nothing is anonymous


def test_every_operation_documents_its_errors_with_the_error_body(spec):
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    detail = spec["components"]["schemas"]["ErrorDetail"]
    assert set(detail["required"]) == {"code", "message", "details"}
    for path, method, operation in operations(spec):
        responses = operation["responses"]
        expected = {"401", "403", "404"}
        if method in {"post", "put", "patch"}:
            expected |= {"400"}
        if method == "post":
            expected |= {"422"}
        assert expected <= set(responses), (method, path, sorted(responses))
        for code, response in responses.items():
            if code >= "400":
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/Error", (method, path, code)


def test_conflicts_are_documented_where_they_happen(spec):
    with_409 = {
        (path, method)
        for path, method, operation in operations(spec)
        if "409" in operation["responses"]
    }
    assert with_409 == {
        ("/purchases/", "post"),
        ("/purchases/{id}/refunds/", "post"),
        ("/redemptions/", "post"),
        ("/redemptions/{id}/transition/", "post"),  # a step the redemption does not allow
        ("/tickets/{id}/transition/", "post"),
        ("/tickets/{id}/rate/", "post"),
        ("/members/{id}/status/", "post"),  # a status the workflow does not allow
        ("/members/{id}/", "patch"),  # an erased member
        ("/members/{member_id}/consents/", "post"),  # an erased member
    }


def test_the_tables_of_error_codes_name_real_actions():
    from config import api_urls

    views = {}
    for pattern in api_urls.urlpatterns:
        cls = pattern.callback.cls
        actions = getattr(pattern.callback, "actions", None) or {
            method: method for method in cls.http_method_names if hasattr(cls, method)
        }  # an APIView: its HTTP methods
        views.setdefault(cls.__name__, set()).update(actions.values())
    for table in (api_schema.CONFLICTS, api_schema.VALIDATED_QUERIES):
        for view, actions in table.items():
            assert actions <= views[view], (view, actions - views[view])


def test_success_codes_are_the_ones_the_views_answer(spec):
    created = {
        (path, method)
        for path, method, operation in operations(spec)
        if "201" in operation["responses"]
    }
    # every create, and a refund (it creates a Refund); the other POST actions change a row
    assert ("/purchases/{id}/refunds/", "post") in created
    assert "200" not in spec["paths"]["/purchases/{id}/refunds/"]["post"]["responses"]
    for path, method, _operation in operations(spec):
        if method == "post" and path.count("/") == 2:  # /<collection>/
            assert (path, method) in created, path


def test_id_path_parameters_are_integers(spec):
    for path, method, operation in operations(spec):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                assert parameter["schema"]["type"] == "integer", (method, path, parameter)


def test_operation_ids_are_unique(spec):
    ids = [operation["operationId"] for _p, _m, operation in operations(spec)]
    assert len(ids) == len(set(ids))


def test_the_generator_is_the_configured_one():
    from drf_spectacular.settings import spectacular_settings

    assert spectacular_settings.DEFAULT_GENERATOR_CLASS is api_schema.TenantSchemaGenerator
    assert issubclass(api_schema.TenantSchemaGenerator, SchemaGenerator)


def test_list_filters_and_the_lookups_card_status_are_documented(spec):
    def query(path):
        return {p["name"] for p in spec["paths"][path]["get"]["parameters"] if p["in"] == "query"}

    assert {"member", "status"} <= query("/tickets/")
    assert "member" in query("/purchases/") and "member" in query("/return-visits/")
    lookup = spec["paths"]["/members/lookup/"]["get"]["responses"]["200"]
    assert lookup["content"]["application/json"]["schema"]["$ref"].endswith("/MemberLookup")
    card_status = spec["components"]["schemas"]["MemberLookup"]["properties"]["card_status"]
    assert card_status["nullable"] is True
