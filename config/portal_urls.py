"""The member mount: the self-service portal, served at /m/<tenant>/ with that tenant active."""

from django.urls import include, path

from core.errors import ErrorPages
from portal.views.profile import set_language

urlpatterns = [
    path("", include("portal.urls")),
    # Django's set_language, which also stores a signed-in member's choice
    path("i18n/setlang/", set_language, name="set_language"),
]


handler400, handler403, handler404, handler500 = ErrorPages(
    base="portal/base.html", home="portal:home"
).handlers()
