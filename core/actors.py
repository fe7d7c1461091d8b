"""Who acted: the one rule for recording the actor of a change, in every app.

Every ``do_*`` action takes ``actor=`` and records ``actor_of(actor)``: the staff user (for a
foreign key, ``None`` for everyone else) and a **label** that identifies the actor without
naming a person, so that a history, an access log or a ticket event keeps nothing an erasure
would have to scrub:

==================================  ==================  ==========================
actor                               ``label``           ``user``
==================================  ==================  ==========================
a staff user (``request.user``)     ``staff #7``        the user
an API key's principal              ``api-key:<id>``    None
another machine principal (gateway) ``sms-gateway``     None
a member (``request.member``)       ``member #42``      None
a system job, by name               ``points-expiry``   None
``None`` (a job that names nothing) ``system``          None
==================================  ==================  ==========================

Names are shown at display time only (``display_name`` and the ``{% actor_name %}`` tag of
``core/templatetags/actors.py``): the staff user's current name, the member's current name (an
erased member's is the placeholder), else the label itself. Higher apps teach it their kinds
through ``core.hooks.actor_names`` (``membership`` registers ``member``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import models

from .api.authentication import MachinePrincipal
from .hooks import actor_names

SYSTEM = "system"
LABEL_LENGTH = 100  # the shortest column a label is stored in (ConsentChange.actor)
_LABEL = re.compile(r"^(?P<kind>[a-z][a-z_-]*) #(?P<pk>\d+)$")


@dataclass(frozen=True)
class Actor:
    user: models.Model | None  # the staff user, for ``*_by`` / ``actor`` foreign keys
    label: str

    def __str__(self) -> str:
        return self.label


def actor_of(actor) -> Actor:
    """The ``Actor`` of whoever acts (see the table above). Anything else (an anonymous user, an
    unsaved row, an empty string) is a programming error and raises ``TypeError``."""
    if isinstance(actor, Actor):
        return actor
    if actor is None:
        return Actor(None, SYSTEM)
    if isinstance(actor, str):  # a job's name (or a label made by this rule)
        if not actor.strip():
            raise TypeError("An empty actor.")
        return Actor(None, actor[:LABEL_LENGTH])
    if isinstance(actor, MachinePrincipal):
        return Actor(None, str(actor)[:LABEL_LENGTH])
    if isinstance(actor, models.Model) and actor.pk is not None:
        if isinstance(actor, get_user_model()):
            return Actor(actor, f"staff #{actor.pk}")
        return Actor(None, f"{actor._meta.model_name} #{actor.pk}")
    raise TypeError(f"No actor rule for {actor!r}.")


def display_name(label: str) -> str:
    """A readable name for a stored ``label``, resolved now: ``staff #7`` → the user's name,
    ``member #42`` → the member's; the label itself when nothing resolves it."""
    match = _LABEL.match(label or "")
    if match is None:
        return label
    resolve = actor_names.get(match["kind"])
    name = resolve(int(match["pk"])) if resolve is not None else None
    return name or label


def staff_name(pk: int) -> str | None:
    """``core.hooks.actor_names["staff"]``: the user's full name, else their username."""
    user = get_user_model()._default_manager.filter(pk=pk).first()
    if user is None:
        return None
    return user.get_full_name() or user.get_username()
