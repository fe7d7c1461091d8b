from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TiersConfig(AppConfig):
    name = "tiers"
    verbose_name = _("Tiers")

    def ready(self):
        from membership.panels import register_panel
        from notifications import registry
        from points.benefits import register_benefits_provider
        from points.signals import purchase_recorded

        from .hooks import check_after_purchase, points_benefits, tier_audience
        from .views import panel_context

        register_panel("tiers", "tiers/_member_panel.html", panel_context, order=10)
        register_benefits_provider(points_benefits)
        purchase_recorded.connect(check_after_purchase, dispatch_uid="tiers.check_after_purchase")
        base = registry.audience()
        if base is not None and not getattr(base, "narrows_tiers", False):
            audience = tier_audience(base)
            audience.narrows_tiers = True
            registry.register_audience(audience)
