"""Signing a member in on a test client without the sign-in page (and its limits)."""

from django.conf import settings
from django.db import IntegrityError, transaction

from core import tenancy
from membership.models import MemberCredential
from portal import session as portal_session
from tests.factories import FACTORIES
from tests.walker import _member_fields


def _key(member) -> str:
    return portal_session._KEY.format(tenant_id=member.tenant_id)


def force_member_login(client, member) -> None:
    with tenancy.tenant_context(member.tenant):
        credential = MemberCredential.objects.get(member=member)
        entry = portal_session._entry(member.pk, credential)
    store = client.session
    store[_key(member)] = entry
    store.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = store.session_key


def keep_signed_in(client, member):
    """An ``after_each`` for the walks: sign ``member`` in again when a request ended it."""

    def check():
        if _key(member) not in client.session:
            force_member_login(client, member)

    return check


def give_member_rows(member) -> None:
    """One row of every tenant-owned model that names a member (directly, or through one of the
    rows that do), made from the factory registry and linked to ``member``. Rows a member can
    have only one of (and already has) are skipped."""
    direct = {model: _member_fields(model) for model in FACTORIES if _member_fields(model)}
    for model, factory in FACTORIES.items():
        fields = direct.get(model)
        if fields:
            field = fields[0]
            value = member if field.is_relation else member.pk
            kwargs = {field.name: value}
        else:
            hop = next(
                (
                    f
                    for f in model._meta.concrete_fields
                    if f.is_relation and f.related_model in direct
                ),
                None,
            )
            if hop is None:
                continue
            inner = direct[hop.related_model][0]
            kwargs = {f"{hop.name}__{inner.name}": member if inner.is_relation else member.pk}
        try:
            with transaction.atomic():
                factory(tenant=member.tenant, **kwargs)
        except (IntegrityError, TypeError, AttributeError):
            continue
