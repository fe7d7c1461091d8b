import pytest


@pytest.fixture
def api(client, world):
    """``api(method, path, data, idem)``: a request to tenant A's API with its API key."""
    key = world.api_key(world.a).raw_key

    def call(method, path, data=None, idem=None):
        headers = {"HTTP_AUTHORIZATION": f"Api-Key {key}"}
        if idem:
            headers["HTTP_IDEMPOTENCY_KEY"] = idem
        return getattr(client, method)(
            f"/api/v1/tenant-a/{path}", data, content_type="application/json", **headers
        )

    return call
