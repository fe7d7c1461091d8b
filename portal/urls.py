from django.urls import path

from .views import auth, pages

app_name = "portal"

urlpatterns = [
    # --- signing in (portal/views/auth.py) ---
    path("login/", auth.login, name="login"),
    path("logout/", auth.logout, name="logout"),
    path("password/", auth.change_password, name="change_password"),
    # --- the member's pages (portal/views/pages.py) ---
    path("", pages.home, name="home"),
]
