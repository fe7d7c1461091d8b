import datetime

from django.utils import timezone
from rest_framework import authentication, exceptions

from .. import tenancy
from ..db import prepared_cursor
from ..models import ApiKey

LAST_USED_PRECISION = datetime.timedelta(minutes=1)


class MachinePrincipal:
    """A signed-in principal that is no person (an API key, a gateway): authenticated, never
    staff, no user row."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    api_key = None


class ApiKeyUser(MachinePrincipal):
    """The principal of a request authenticated with a tenant API key."""

    def __init__(self, api_key: ApiKey):
        self.api_key = api_key

    def __str__(self) -> str:
        return f"api-key:{self.api_key.key_id}"


# in the model's field order, as Model.from_db expects them (the rest stay deferred)
_KEY_FIELDS = [
    field.attname
    for field in ApiKey._meta.concrete_fields
    if field.attname in {"id", "tenant_id", "key_id", "secret_hash", "last_used_at"}
]
_KEY_SQL = (
    f"SELECT {', '.join(_KEY_FIELDS)} FROM {ApiKey._meta.db_table} "
    "WHERE tenant_id = %s AND key_id = %s AND revoked_at IS NULL"
)


def _active_key(key_id: str) -> ApiKey | None:
    """The active tenant's unrevoked key ``key_id``: one prepared statement on every API
    request (the ORM query it replaces cost more CPU than the rest of authentication)."""
    with prepared_cursor() as cursor:
        cursor.execute(_KEY_SQL, [tenancy.current_tenant().pk, key_id])
        row = cursor.fetchone()
    return None if row is None else ApiKey.from_db(None, _KEY_FIELDS, row)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Api-Key mk_<id>_<secret>``. Keys are looked up in the active tenant only,
    so another tenant's key is simply unknown here."""

    keyword = "Api-Key"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header.startswith(self.keyword + " "):
            return None
        parts = ApiKey.split(header[len(self.keyword) + 1 :])
        if parts is None:
            raise exceptions.AuthenticationFailed("Malformed API key.")
        key_id, secret = parts
        api_key = _active_key(key_id)
        if api_key is None or not api_key.matches(secret):
            raise exceptions.AuthenticationFailed("Unknown or revoked API key.")
        now = timezone.now()
        if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_PRECISION:
            # At most once a minute per key: an UPDATE on every request would make every
            # request with this key wait for the row lock of the one before (it is held until
            # the request's transaction commits).
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        return ApiKeyUser(api_key), api_key

    def authenticate_header(self, request):
        return self.keyword
