"""The API mount: everything here is served at /api/v1/<tenant>/ (see core.middleware)."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from complaints.api import ReturnVisitViewSet, TicketViewSet
from core.api.stores import StoreViewSet
from core.errors import ErrorPages
from insight.api import ReportView
from insight.reports import REPORTS
from membership.api import MemberConsentView, MemberViewSet
from notifications.api import SmsInboundView
from points.api import PointsViewSet, PurchaseViewSet, RedemptionViewSet
from tiers.api import MemberTierView

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("stores", StoreViewSet, basename="store")
router.register("members", MemberViewSet, basename="member")
router.register("purchases", PurchaseViewSet, basename="purchase")
router.register("redemptions", RedemptionViewSet, basename="redemption")
router.register("points", PointsViewSet, basename="points")
router.register("tickets", TicketViewSet, basename="ticket")
router.register("return-visits", ReturnVisitViewSet, basename="return-visit")

urlpatterns = [
    path("members/<int:member_id>/tier/", MemberTierView.as_view(), name="member-tier"),
    path("members/<int:member_id>/consents/", MemberConsentView.as_view(), name="member-consents"),
    path("sms/inbound/", SmsInboundView.as_view(), name="sms-inbound"),
    *[
        path(f"reports/{key}/", ReportView.as_view(report=key), name=f"report-{key}")
        for key in REPORTS
    ],
    *router.urls,
]


# JSON error bodies (core.errors answers under /api/ with the API's error shape).
handler400, handler403, handler404, handler500 = ErrorPages().handlers()
