"""The staff mount: everything here is served at /t/<tenant>/ with that tenant active."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from core import views as core_views
from core.admin_sites import tenant_admin_site

urlpatterns = [
    path("", core_views.tenant_home, name="tenant_home"),
    path("admin/", tenant_admin_site.urls),
    path("members/", include("membership.urls")),
    # Reachable from inside the mount so that templates can link to them with {% url %}.
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
]

handler404 = "core.errors.not_found"
handler500 = "core.errors.server_error"
