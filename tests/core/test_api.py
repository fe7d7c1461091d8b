from django.urls import reverse

from core import tenancy
from core.models import ApiKey, IdempotencyRecord, Store
from core.roles import Role
from tests.factories import StoreFactory


def auth(key):
    return {"HTTP_AUTHORIZATION": f"Api-Key {key.raw_key}"}


def test_an_api_key_reads_its_tenant(client, world):
    key = world.api_key(world.a)
    StoreFactory(tenant=world.a, name="Alpha Store")
    StoreFactory(tenant=world.b, name="Beta Store")
    response = client.get("/api/v1/tenant-a/stores/", **auth(key))
    assert response.status_code == 200
    names = {s["name"] for s in response.json()["results"]}
    with tenancy.tenant_context(world.a):
        assert names == set(Store.objects.values_list("name", flat=True))
    assert "Alpha Store" in names and "Beta Store" not in names


def test_api_keys_are_stored_hashed(world):
    key = world.api_key(world.a)
    secret = key.raw_key.split("_")[2]
    with tenancy.tenant_context(world.a):
        stored = ApiKey.objects.get(pk=key.pk)
    assert secret not in stored.secret_hash
    assert secret not in repr(stored.__dict__)
    assert stored.matches(secret)


def test_another_tenants_key_is_unknown_here(client, world):
    key_b = world.api_key(world.b)
    response = client.get("/api/v1/tenant-a/stores/", **auth(key_b))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_a_revoked_key_is_refused(client, world):
    key = world.api_key(world.a)
    assert client.get("/api/v1/tenant-a/stores/", **auth(key)).status_code == 200
    with tenancy.tenant_context(world.a):
        ApiKey.objects.filter(pk=key.pk).update(revoked_at="2026-01-01T00:00Z")
    assert client.get("/api/v1/tenant-a/stores/", **auth(key)).status_code == 401


def test_no_credentials_get_the_one_error_shape(client, world):
    body = client.get("/api/v1/tenant-a/stores/").json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}


def test_unknown_tenant_and_unknown_route_get_the_one_error_shape(client, world):
    key = world.api_key(world.a)
    for path in ("/api/v1/no-such-tenant/stores/", "/api/v1/tenant-a/no-such-thing/"):
        response = client.get(path, **auth(key))
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_validation_errors_name_the_field(client, world):
    key = world.api_key(world.a)
    StoreFactory(tenant=world.a, code="dup")
    response = client.post(
        "/api/v1/tenant-a/stores/",
        {"name": "Second", "code": "dup"},
        content_type="application/json",
        **auth(key),
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "code" in error["details"] or "__all__" in error["details"]


def test_the_same_code_is_fine_in_another_tenant(client, world):
    StoreFactory(tenant=world.b, code="dup")
    response = client.post(
        "/api/v1/tenant-a/stores/",
        {"name": "Mine", "code": "dup"},
        content_type="application/json",
        **auth(world.api_key(world.a)),
    )
    assert response.status_code == 201, response.content


def test_lists_are_paginated_by_cursor(client, world):
    key = world.api_key(world.a)
    StoreFactory.create_batch(5, tenant=world.a)
    first = client.get("/api/v1/tenant-a/stores/?page_size=2", **auth(key)).json()
    assert len(first["results"]) == 2 and first["next"]
    second = client.get(first["next"], **auth(key)).json()
    assert len(second["results"]) == 2
    assert not {s["id"] for s in first["results"]} & {s["id"] for s in second["results"]}


def test_an_idempotent_repeat_returns_the_first_response_and_does_nothing_twice(client, world):
    key = world.api_key(world.a)
    headers = {**auth(key), "HTTP_IDEMPOTENCY_KEY": "create-north-1"}
    body = {"name": "North", "code": "north"}
    first = client.post(
        "/api/v1/tenant-a/stores/", body, content_type="application/json", **headers
    )
    again = client.post(
        "/api/v1/tenant-a/stores/", body, content_type="application/json", **headers
    )
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again["Idempotent-Replayed"] == "true"
    with tenancy.tenant_context(world.a):
        assert Store.objects.filter(code="north").count() == 1
        assert IdempotencyRecord.objects.count() == 1


def test_the_same_idempotency_key_with_another_body_is_refused(client, world):
    key = world.api_key(world.a)
    headers = {**auth(key), "HTTP_IDEMPOTENCY_KEY": "k-1"}
    client.post(
        "/api/v1/tenant-a/stores/",
        {"name": "N", "code": "n1"},
        content_type="application/json",
        **headers,
    )
    response = client.post(
        "/api/v1/tenant-a/stores/",
        {"name": "N", "code": "n2"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    with tenancy.tenant_context(world.a):
        assert not Store.objects.filter(code="n2").exists()


def test_idempotency_keys_are_per_tenant(client, world):
    body = {"name": "S", "code": "s1"}
    for tenant in (world.a, world.b):
        response = client.post(
            f"/api/v1/{tenant.slug}/stores/",
            body,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="shared",
            **auth(world.api_key(tenant)),
        )
        assert response.status_code == 201
        assert "Idempotent-Replayed" not in response


def test_a_failed_request_does_not_burn_its_key(client, world):
    key = world.api_key(world.a)
    headers = {**auth(key), "HTTP_IDEMPOTENCY_KEY": "retry-me"}
    bad = client.post(
        "/api/v1/tenant-a/stores/", {"name": "x"}, content_type="application/json", **headers
    )
    assert bad.status_code == 400  # stored: a repeat of the same bad request gets the same answer
    again = client.post(
        "/api/v1/tenant-a/stores/", {"name": "x"}, content_type="application/json", **headers
    )
    assert again.status_code == 400 and again["Idempotent-Replayed"] == "true"


def test_staff_sessions_need_the_role_for_writes(client, world):
    client.force_login(world.user(world.a, Role.FRONT_DESK))
    assert client.get("/api/v1/tenant-a/stores/").status_code == 200
    response = client.post(
        "/api/v1/tenant-a/stores/", {"name": "x", "code": "x"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_schema_and_docs_are_served(client, world):
    schema = client.get(reverse("api-schema") + "?format=json")
    assert schema.status_code == 200
    create = schema.json()["paths"]["/stores/"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in create["parameters"] if p["in"] == "header"]
    docs = client.get(reverse("api-docs"))
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()
