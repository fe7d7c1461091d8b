"""Sections of the member page contributed by higher apps (tiers, points, complaints).

``membership`` may not import those apps, so they register a panel from their
``AppConfig.ready()``::

    from membership.panels import register_panel
    register_panel("points", "points/_member_panel.html", points_context, order=20)

The member page renders every registered panel in order with ``context(member)``.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    key: str
    template: str
    context: Callable
    order: int = 50


_PANELS: dict[str, Panel] = {}


def register_panel(key: str, template: str, context: Callable, *, order: int = 50) -> None:
    _PANELS[key] = Panel(key, template, context, order)


def unregister_panel(key: str) -> None:
    _PANELS.pop(key, None)


def panels_for(member) -> list[dict]:
    return [
        {"key": panel.key, "template": panel.template, "context": panel.context(member)}
        for panel in sorted(_PANELS.values(), key=lambda p: (p.order, p.key))
    ]
