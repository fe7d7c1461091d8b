"""Tenant mounts and the request language.

Every tenant route lives under a *mount*: ``/t/<slug>/`` for staff pages and the tenant admin,
``/api/v1/<slug>/`` for the API, ``/m/<slug>/`` for the member portal. The mount middleware
strips the prefix, activates the tenant for the whole request, switches to the mount's own
urlconf and sets the script prefix, so that ``reverse()`` (and the Django admin) produce tenant
URLs without anyone passing the slug around.
A tenant route therefore cannot be reached without an active tenant: it is not in the root
urlconf at all.
"""

import re

from django.conf import settings
from django.http import Http404, HttpResponsePermanentRedirect
from django.urls import get_script_prefix, set_script_prefix
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers

from . import tenancy
from .errors import root_pages
from .models import Tenant
from .selectors import active_tenant_by_slug

MOUNTS = {
    "t": "config.tenant_urls",
    "api/v1": "config.api_urls",
    "m": "config.portal_urls",
}
_MOUNT_RE = re.compile(r"^/(?P<mount>t|api/v1|m)/(?P<slug>[-a-zA-Z0-9_]+)(?P<rest>/.*)?$")


def tenant_path(tenant: Tenant, path: str = "/", mount: str = "t") -> str:
    """The absolute path of ``path`` inside ``tenant``'s mount (for links from outside it)."""
    return f"/{mount}/{tenant.slug}{path}"


class TenantMountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.tenant = None
        match = _MOUNT_RE.match(request.path_info)
        if match is None:
            return self.get_response(request)
        if match["rest"] is None:
            # /t/<slug> → /t/<slug>/ (CommonMiddleware cannot see into the mount).
            return HttpResponsePermanentRedirect(request.path + "/")
        tenant = active_tenant_by_slug(match["slug"])
        if tenant is None:
            return self._not_found(request, match["mount"])

        outer_prefix = get_script_prefix()
        request.tenant = tenant
        request.urlconf = MOUNTS[match["mount"]]
        request.path_info = match["rest"]
        set_script_prefix(f"{outer_prefix.rstrip('/')}/{match['mount']}/{tenant.slug}/")
        token = tenancy.activate(tenant)
        timezone.activate(tenant.tzinfo)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
            tenancy.deactivate(token)
            set_script_prefix(outer_prefix)

    @staticmethod
    def _not_found(request, mount):
        # No tenant, so no mount's look: the root's page (JSON under /api/).
        return root_pages.not_found(request, Http404())


class LanguageMiddleware:
    """The user's explicit choice (language cookie) wins; then the tenant's default language;
    outside a tenant, the browser's Accept-Language; then settings.LANGUAGE_CODE."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = self._choose(request)
        translation.activate(language)  # as Django's LocaleMiddleware does
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", language)
        return response

    @staticmethod
    def _choose(request) -> str:
        supported = {code for code, _ in settings.LANGUAGES}
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen in supported:
            return chosen
        tenant = getattr(request, "tenant", None)
        if tenant is not None and tenant.default_language in supported:
            return tenant.default_language
        return translation.get_language_from_request(request)
