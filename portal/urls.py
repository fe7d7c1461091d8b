from django.urls import path

from .views import auth, complaints, pages, privacy, profile, rewards

app_name = "portal"

urlpatterns = [
    # --- signing in (portal/views/auth.py) ---
    path("login/", auth.login, name="login"),
    path("logout/", auth.logout, name="logout"),
    path("password/", auth.change_password, name="change_password"),
    path("password/forgot/", auth.reset_request, name="reset_request"),
    path("password/reset/", auth.reset_confirm, name="reset_confirm"),
    # --- the member's pages (portal/views/pages.py, rewards.py, complaints.py, profile.py) ---
    path("", pages.home, name="home"),
    path("points/", pages.history, name="history"),
    path("tier/", pages.tier, name="tier"),
    path("rewards/", rewards.rewards, name="rewards"),
    path("rewards/<int:pk>/", rewards.redeem, name="redeem"),
    path("rewards/mine/", rewards.redemptions, name="redemptions"),
    path("complaints/", complaints.tickets, name="tickets"),
    path("complaints/new/", complaints.new_ticket, name="new_ticket"),
    path("complaints/<int:pk>/", complaints.ticket, name="ticket"),
    path("complaints/<int:pk>/confirm/", complaints.confirm_ticket, name="confirm_ticket"),
    path("complaints/<int:pk>/reopen/", complaints.reopen_ticket, name="reopen_ticket"),
    path("complaints/<int:pk>/rate/", complaints.rate_ticket, name="rate_ticket"),
    path("profile/", profile.profile, name="profile"),
    path("profile/contact/", profile.update_contact, name="update_contact"),
    path("profile/language/", profile.update_language, name="update_language"),
    path("profile/consent/", profile.consent, name="consent"),
    # --- privacy: download my data, erasure (portal/views/privacy.py) ---
    path("privacy/", privacy.privacy, name="privacy"),
    path("privacy/my-data.json", privacy.download_json, name="privacy_json"),
    path("privacy/my-data.zip", privacy.download_csv, name="privacy_csv"),
    path("privacy/erasure/", privacy.erasure, name="privacy_erasure"),
    path("privacy/erasure/withdraw/", privacy.erasure_withdraw, name="privacy_erasure_withdraw"),
]
