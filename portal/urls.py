from django.urls import path

from .views import auth, pages, privacy

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
    # --- privacy: download my data, erasure (portal/views/privacy.py) ---
    path("privacy/", privacy.privacy, name="privacy"),
    path("privacy/my-data.json", privacy.download_json, name="privacy_json"),
    path("privacy/my-data.zip", privacy.download_csv, name="privacy_csv"),
    path("privacy/erasure/", privacy.erasure, name="privacy_erasure"),
    path("privacy/erasure/withdraw/", privacy.erasure_withdraw, name="privacy_erasure_withdraw"),
]
