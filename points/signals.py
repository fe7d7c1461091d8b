"""Moved to ``points/hooks.py``; this name stays only while ``points/actions.py`` imports it."""

from .hooks import purchase_recorded

__all__ = ["purchase_recorded"]
