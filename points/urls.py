from django.urls import path

from . import views

app_name = "points"

urlpatterns = [
    path("members/<int:member_pk>/", views.history, name="history"),
    path("members/<int:member_pk>/purchase/", views.purchase, name="purchase"),
    path("members/<int:member_pk>/preview.json", views.preview, name="preview"),
    path("members/<int:member_pk>/redeem/", views.redeem, name="redeem"),
    path("members/<int:member_pk>/award/", views.award, name="award"),
    path("purchases/<int:purchase_pk>/refund/", views.refund, name="refund"),
    path("coupons/", views.coupon, name="coupon"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/redemptions/<int:pk>/", views.decide_redemption, name="decide_redemption"),
    path("approvals/adjustments/<int:pk>/", views.decide_adjustment, name="decide_adjustment"),
    path("opening-balances/", views.opening_balances, name="opening_balances"),
]
