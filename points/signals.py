"""Signals other apps listen to (tiers re-checks a member when upgrades are immediate)."""

from django.dispatch import Signal

# Sent after a purchase is recorded, inside its transaction: kwargs ``member``, ``purchase``.
purchase_recorded = Signal()
