"""The staff mount: everything here is served at /t/<tenant>/ with that tenant active."""

from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from core import views as core_views
from core.access import public_in_tenant
from core.admin_sites import tenant_admin_site
from core.errors import ErrorPages

urlpatterns = [
    path("", core_views.tenant_home, name="tenant_home"),
    path("admin/", tenant_admin_site.urls),
    path("members/", include("membership.urls")),
    path("points/", include("points.urls")),
    path("tiers/", include("tiers.urls")),
    path("complaints/", include("complaints.urls")),
    path("insight/", include("insight.urls")),
    # Reachable from inside the mount so that templates can link to them with {% url %}.
    path("accounts/logout/", public_in_tenant(auth_views.LogoutView.as_view()), name="logout"),
    path("i18n/setlang/", public_in_tenant(set_language), name="set_language"),
]


handler400, handler403, handler404, handler500 = ErrorPages(
    base="base.html", home="tenant_home", staff_only=True
).handlers()
