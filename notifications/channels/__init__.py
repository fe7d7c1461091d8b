"""Delivery channels. A channel's ``send(outgoing)`` returns the provider's message id or raises
``TransientError`` (try again later) or ``PermanentError`` (this message will never go)."""

from .base import Outgoing, PermanentError, TransientError, send

__all__ = ["Outgoing", "PermanentError", "TransientError", "send"]
