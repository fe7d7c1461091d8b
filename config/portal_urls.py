"""The member mount: the self-service portal, served at /m/<tenant>/ with that tenant active."""

from django.urls import include, path
from django.views.i18n import set_language

from core.access import public_in_tenant

urlpatterns = [
    path("", include("portal.urls")),
    path("i18n/setlang/", public_in_tenant(set_language), name="set_language"),
]

handler404 = "core.errors.not_found"
handler500 = "core.errors.server_error"
