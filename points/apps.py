from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    name = "points"
    verbose_name = _("Points")

    def ready(self):
        from membership.hooks import Panel, panels

        from . import tasks  # noqa: F401  (registers the Celery tasks)
        from .models import Campaign, PointsSettings
        from .panels import member_panel
        from .selectors import forget_rules

        panels.register("points", Panel("points/_member_panel.html", member_panel), order=20)
        from notifications.hooks import reminder_sources

        from .reminders import points_expiring

        reminder_sources.register("points_expiring", points_expiring)
        for model in (PointsSettings, Campaign):
            post_save.connect(forget_rules, sender=model, dispatch_uid=f"points-rules-{model}")
            post_delete.connect(forget_rules, sender=model, dispatch_uid=f"points-rules-d-{model}")
