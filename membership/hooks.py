"""The hooks membership offers to the apps above it (the shape is ``core.hooks``).

``membership`` may not import tiers, points or complaints; they register from their
``AppConfig.ready()``::

    from membership.hooks import Panel, erasers, panels
    panels.register("points", Panel("points/_member_panel.html", member_panel), order=20)
    erasers.register("complaints", erase_member_tickets)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.hooks import Hook


@dataclass(frozen=True)
class Panel:
    """A section of the member page: ``template`` rendered with ``panel=context(member)``."""

    template: str
    context: Callable


# Sections of the member page, in ``order`` (tiers 10, points 20, complaints 40).
panels = Hook("membership.panels")

# Called as ``eraser(member, identity)`` inside an erasure's transaction, before the member row
# is cleared, to clear the member's personal data a higher app holds (``membership.erasure``;
# ``identity`` holds the values being erased, to scrub free text).
erasers = Hook("membership.erasers")
