"""Root urlconf: only routes that belong to no tenant. Tenant routes live in the mounts
``config.tenant_urls`` (/t/<tenant>/) and ``config.api_urls`` (/api/v1/<tenant>/)."""

from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core import views as core_views
from core.admin_sites import platform_admin_site
from core.errors import root_pages

urlpatterns = [
    path("", core_views.staff_home, name="staff_home"),
    path("accounts/login/", core_views.StaffLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", core_views.healthz, name="healthz"),
    path("platform/", platform_admin_site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its init script as a file (?script), not inline: see SECURE_CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]


handler400, handler403, handler404, handler500 = root_pages.handlers()
