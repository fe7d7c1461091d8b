"""The hooks points offers to the apps above it (the shape is ``core.hooks``).

``points`` may not import ``tiers``; tiers registers from its ``AppConfig.ready()``::

    from points.hooks import benefits_provider, purchase_recorded
    benefits_provider.register(points_benefits)  # points_benefits(member, on_date) -> Benefits
    purchase_recorded.register("tiers", check_after_purchase)
"""

from core.hooks import Event, Single

# The member's discount, excluded categories and points multiplier on a date:
# ``provider(member, on_date) -> points.benefits.Benefits``. Without one every member gets no
# discount and a multiplier of 1 (``points.benefits.benefits_for``).
benefits_provider = Single("points.benefits_provider")

# Sent after a purchase is recorded, inside its transaction: ``receiver(sender=Purchase,
# member=…, purchase=…)`` (tiers re-checks the member when upgrades are immediate).
purchase_recorded = Event("points.purchase_recorded")
