"""The one shape of the extension points a lower app offers to higher ones.

A lower app may not import the apps above it (the import-linter layers). Where it needs
something only a higher app knows, it declares a hook in ``<app>/hooks.py`` and the higher app
registers into it from its ``AppConfig.ready()``; the import still points downwards::

    # membership/hooks.py
    panels = Hook("membership.panels")

    # points/apps.py, in ready()
    from membership.hooks import Panel, panels
    panels.register("points", Panel("points/_member_panel.html", member_panel), order=20)

Three kinds, one interface (``register``, ``unregister``, ``temporarily``):

* ``Hook``: many providers under unique keys, read in order (``order``, then key);
* ``Event``: a ``Hook`` of receivers called in that order by ``send`` (as a Django signal's
  receivers are called, with ``sender`` and keyword arguments);
* ``Single``: one provider, the last registered replacing the one before; ``current()``
  returns it, or the hook's ``default``.

Registering a key again replaces its entry (``ready()`` may run more than once in tests). Core's
own hooks are declared at the end of this module.
``tests/core/test_hooks.py`` checks every hook is one of these, declared in an ``<app>/hooks.py``,
and that the installed apps register into them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

DEFAULT_ORDER = 50


class Hook:
    """Named entries contributed by higher apps, in order."""

    def __init__(self, name: str):
        self.name = name  # "<app>.<hook>", for messages and the meta-test
        self._entries: dict[str, tuple[int, Any]] = {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}: {', '.join(self.keys()) or 'empty'}>"

    def register(self, key: str, item: Any, *, order: int = DEFAULT_ORDER) -> None:
        self._entries[key] = (order, item)

    def unregister(self, key: str) -> None:
        self._entries.pop(key, None)

    def items(self) -> list[tuple[str, Any]]:
        """``[(key, item), …]`` by ``order``, then key."""
        ordered = sorted(self._entries.items(), key=lambda entry: (entry[1][0], entry[0]))
        return [(key, item) for key, (_order, item) in ordered]

    def keys(self) -> list[str]:
        return [key for key, _item in self.items()]

    def get(self, key: str, default: Any = None) -> Any:
        entry = self._entries.get(key)
        return default if entry is None else entry[1]

    @contextlib.contextmanager
    def temporarily(self, items: Mapping[str, Any] | None = None) -> Iterator[None]:
        """Tests: exactly ``items`` registered for the block (none when omitted)."""
        saved = dict(self._entries)
        self._entries = {key: (DEFAULT_ORDER, item) for key, item in (items or {}).items()}
        try:
            yield
        finally:
            self._entries = saved


class Event(Hook):
    """Receivers called in order; an exception propagates to the sender (inside its
    transaction), as with ``Signal.send``."""

    def send(self, sender: Any = None, **kwargs: Any) -> None:
        for _key, receiver in self.items():
            receiver(sender=sender, **kwargs)


class Single:
    """One provider; ``current()`` is it, or ``default`` while none is registered."""

    def __init__(self, name: str, *, default: Any = None):
        self.name = name
        self.default = default
        self._item: Any = None

    def __repr__(self) -> str:
        return f"<Single {self.name}: {self._item!r}>"

    def register(self, item: Any) -> None:
        self._item = item

    def unregister(self) -> None:
        self._item = None

    def current(self) -> Any:
        return self.default if self._item is None else self._item

    @contextlib.contextmanager
    def temporarily(self, item: Any = None) -> Iterator[None]:
        """Tests: ``item`` (or none: the default) for the block."""
        saved = self._item
        self._item = item
        try:
            yield
        finally:
            self._item = saved


HOOK_TYPES = (Hook, Single)


# --- the hooks core offers ----------------------------------------------------------------------

# How ``core.actors.display_name`` shows a label ``<kind> #<id>``: ``resolve(id) -> name or
# None``, by kind (core: ``staff``; membership: ``member``).
actor_names = Hook("core.actor_names")
