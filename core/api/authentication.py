import datetime

from django.utils import timezone
from rest_framework import authentication, exceptions

from ..models import ApiKey

LAST_USED_PRECISION = datetime.timedelta(minutes=1)


class ApiKeyUser:
    """The principal of a request authenticated with a tenant API key."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, api_key: ApiKey):
        self.api_key = api_key

    def __str__(self) -> str:
        return f"api-key:{self.api_key.key_id}"


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
        api_key = ApiKey.objects.filter(key_id=key_id, revoked_at__isnull=True).first()
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
