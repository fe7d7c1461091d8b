from django.urls import path

from .views import auth, pages

app_name = "portal"

urlpatterns = [
    # --- signing in (portal/views/auth.py) ---
    path("login/", auth.login, name="login"),
    path("logout/", auth.logout, name="logout"),
    path("password/", auth.change_password, name="change_password"),
    path("password/forgot/", auth.reset_request, name="reset_request"),
    path("password/reset/", auth.reset_confirm, name="reset_confirm"),
    # --- the member's pages (portal/views/pages.py) ---
    path("", pages.home, name="home"),
]
