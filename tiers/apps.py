from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TiersConfig(AppConfig):
    name = "tiers"
    verbose_name = _("Tiers")

    def ready(self):
        from membership.hooks import Panel, panels
        from notifications.hooks import broadcast_audience
        from points.hooks import benefits_provider, purchase_recorded

        from .integrations import check_after_purchase, points_benefits, tier_audience
        from .views import panel_context

        panels.register("tiers", Panel("tiers/_member_panel.html", panel_context), order=10)
        benefits_provider.register(points_benefits)
        purchase_recorded.register("tiers", check_after_purchase)
        base = broadcast_audience.current()
        if base is not None and not getattr(base, "narrows_tiers", False):
            audience = tier_audience(base)
            audience.narrows_tiers = True
            broadcast_audience.register(audience)
