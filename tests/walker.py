"""The cross-tenant walk: every route of every tenant mount, as tenant A's staff, against tenant B.

It needs no list of routes: it enumerates the URL patterns of each mount, fills every URL
parameter with identifiers of B's objects (one object of every tenant-owned model, made from the
factory registry), and requests each URL with several methods. A leak is any response that
contains one of B's private strings, or any change to B's rows.
"""

from __future__ import annotations

import io
import itertools
import re
import zipfile
from dataclasses import dataclass

from django.apps import apps
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.regex_helper import normalize

from core import tenancy
from core.models import TenantOwnedModel

MOUNTS = {"t": "config.tenant_urls", "api/v1": "config.api_urls", "m": "config.portal_urls"}
METHODS = ("get", "post", "patch", "delete")
# Staff pages answer GET and POST; PATCH and DELETE are walked where they mean something (API).
METHODS_BY_MOUNT = {"t": ("get", "post"), "api/v1": METHODS, "m": ("get", "post")}


def tenant_models() -> list[type[models.Model]]:
    return [
        m
        for m in apps.get_models()
        if issubclass(m, TenantOwnedModel) and not m._meta.abstract and not m._meta.proxy
    ]


@dataclass
class Route:
    regex: str
    callback: object

    def fill(self, value: str) -> str | None:
        """The concrete path with every parameter set to ``value``, or None if it can't match."""
        (template, params), *_ = normalize(self.regex)
        path = "/" + template % dict.fromkeys(params, value)
        return path if re.fullmatch(self.regex, path[1:]) else None

    @property
    def params(self) -> list[str]:
        return normalize(self.regex)[0][1]


def routes(urlconf: str) -> list[Route]:
    found: list[Route] = []

    def walk(patterns, prefix: str):
        for pattern in patterns:
            regex = pattern.pattern.regex.pattern.lstrip("^").rstrip("$").replace("\\Z", "")
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + regex)
            elif isinstance(pattern, URLPattern):
                found.append(Route(prefix + regex, pattern.callback))

    walk(get_resolver(urlconf).url_patterns, "")
    return found


def snapshot(tenant) -> dict:
    """Every row of ``tenant`` in every tenant-owned table, as plain values."""
    with tenancy.tenant_context(tenant):
        return {
            model._meta.label: sorted(
                (
                    tuple(sorted((k, repr(v)) for k, v in row.items()))
                    for row in model.objects.values()
                ),
            )
            for model in tenant_models()
        }


def private_strings(tenant, other) -> set[str]:
    """Distinctive text values of ``tenant``'s rows that never occur in ``other``'s."""

    def strings(t):
        values = set()
        with tenancy.tenant_context(t):
            for model in tenant_models():
                text_fields = [
                    f.attname
                    for f in model._meta.concrete_fields
                    if isinstance(f, (models.CharField, models.TextField)) and not f.choices
                ]
                for row in model.objects.values_list(*text_fields) if text_fields else []:
                    values.update(str(v) for v in row if v and len(str(v)) >= 8)
        return values

    return strings(tenant) - strings(other)


def identifiers(tenant, model=None) -> list[str]:
    """Values to put into URL parameters: the primary keys and short text values of ``tenant``'s
    rows (of ``model`` only, when the route is known to serve one model)."""
    values: set[str] = set()
    with tenancy.tenant_context(tenant):
        for m in [model] if model else tenant_models():
            values.update(str(pk) for pk in m.objects.values_list("pk", flat=True))
            for field in m._meta.concrete_fields:
                if isinstance(field, (models.CharField, models.SlugField)) and not field.choices:
                    values.update(
                        v
                        for v in map(
                            str, filter(None, m.objects.values_list(field.attname, flat=True))
                        )
                        if v and len(v) <= 40 and "/" not in v and " " not in v
                    )
    if model is None:
        labels = {m._meta.app_label for m in tenant_models()} | {"auth", "core"}
        values |= labels | {m._meta.model_name for m in tenant_models()}
    return sorted(values)


def served_model(callback):
    """The model a route serves, where the view says so (ModelAdmin views and our viewsets)."""
    model_admin = getattr(callback, "model_admin", None)
    if model_admin is not None:
        return model_admin.model
    view_class = getattr(callback, "cls", None)
    model = getattr(view_class, "model", None)
    return model if model in tenant_models() else None


@dataclass
class Leak:
    method: str
    path: str
    status: int
    why: str

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path} → {self.status}: {self.why}"


def _body(response) -> str:
    """Everything the response sends, as text: a streamed body is consumed (an export's
    generator runs only then), a zip archive is opened and every file in it read."""
    raw = (
        b"".join(response.streaming_content)
        if getattr(response, "streaming", False)
        else getattr(response, "content", b"")
    )
    if raw[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            raw = b"\n".join(archive.read(name) for name in archive.namelist())
    return raw.decode("utf-8", "replace")


def _unreached(route: Route, mount: str) -> Leak:
    """A route none of the victim's identifiers fits (a parameter of a kind the walk does not
    fill): it would be skipped silently, so the walk fails instead."""
    return Leak(
        "*", f"/{mount}/…/{route.regex}", 0, "not walked: no identifier fits its parameters"
    )


def walk(
    client,
    *,
    mount_tenant,
    victim,
    own_tenant,
    headers=None,
    mounts=MOUNTS,
    exhaustive=True,
    after_each=None,
):
    """Request every route of every mount as ``client`` inside ``mount_tenant``'s mount, with
    parameters naming ``victim``'s objects; ``own_tenant`` is the client's tenant. Returns the
    leaks found and the number of requests made.

    ``exhaustive`` tries every identifier of the victim in every parameter (for a client that
    is let in and must find nothing); without it one identifier per parameter is enough (for a
    client that must be stopped at the door, whatever the identifier). ``after_each`` runs after
    every request (a member walking signs in again after the walk posted to the logout)."""
    secrets = private_strings(victim, own_tenant)
    assert secrets, "the victim has no private strings to look for"
    all_ids = identifiers(victim)
    before = snapshot(victim)
    leaks: list[Leak] = []
    requests = 0
    client.raise_request_exception = False
    for mount, urlconf in mounts.items():
        methods = METHODS_BY_MOUNT.get(mount, METHODS)
        for route in routes(urlconf):
            if route.params:
                model = served_model(route.callback)
                values = identifiers(victim, model) if model else all_ids
                paths = sorted(p for p in {route.fill(v) for v in values} if p)
                if not exhaustive:
                    paths = paths[:1]
            else:
                paths = [route.fill("")]
            if not paths:
                leaks.append(_unreached(route, mount))
            for path, method in itertools.product(paths, methods):
                url = f"/{mount}/{mount_tenant.slug}{path}"
                response = getattr(client, method)(url, **(headers or {}))
                requests += 1
                body = _body(response)
                found = next((s for s in secrets if s in body), None)
                if found:
                    leaks.append(Leak(method, url, response.status_code, f"shows {found!r}"))
                elif response.status_code >= 500:
                    leaks.append(Leak(method, url, response.status_code, "server error"))
                if after_each:
                    after_each()
    after = snapshot(victim)
    if after != before:
        changed = [label for label in before if before[label] != after.get(label)]
        leaks.append(Leak("*", "*", 0, f"changed the victim's rows in {changed}"))
    return leaks, requests


# --- The cross-member walk: a signed-in member against another member of the same tenant. ------


def _member_fields(model) -> list:
    """The fields of ``model`` that name a member: foreign keys to Member, or a plain
    ``member_id`` (apps below membership keep the member as an integer)."""
    from membership.models import Member

    return [
        f
        for f in model._meta.concrete_fields
        if (f.is_relation and f.related_model is Member)
        or (f.attname == "member_id" and not f.is_relation)
    ]


def member_rows(member) -> dict[type[models.Model], set]:
    """The primary keys of ``member``'s rows: the member itself, the rows of every tenant-owned
    model that name the member, and the rows that point at one of those (one hop more)."""
    from django.db.models import Q

    from membership.models import Member

    rows: dict[type[models.Model], set] = {Member: {member.pk}}
    with tenancy.tenant_context(member.tenant):
        for model in tenant_models():
            fields = _member_fields(model)
            if fields:
                query = Q()
                for f in fields:
                    query |= Q(**{f.attname: member.pk})
                rows.setdefault(model, set()).update(
                    model.objects.filter(query).values_list("pk", flat=True)
                )
        first = {model: set(pks) for model, pks in rows.items()}
        for model in tenant_models():
            for f in model._meta.concrete_fields:
                if f.is_relation and first.get(f.related_model):
                    pks = model.objects.filter(
                        **{f"{f.attname}__in": first[f.related_model]}
                    ).values_list("pk", flat=True)
                    rows.setdefault(model, set()).update(pks)
    return {model: pks for model, pks in rows.items() if pks}


def _rows_values(member):
    with tenancy.tenant_context(member.tenant):
        for model, pks in member_rows(member).items():
            yield model, list(model.objects.filter(pk__in=pks).values())


def member_snapshot(member) -> dict:
    return {
        model._meta.label: sorted(tuple(sorted((k, repr(v)) for k, v in row.items())) for row in vs)
        for model, vs in _rows_values(member)
    }


def member_private_strings(member, other) -> set[str]:
    """Distinctive text values of ``member``'s rows that ``other``'s rows do not have."""

    def strings(m):
        values = set()
        for model, rows in _rows_values(m):
            text = {
                f.attname
                for f in model._meta.concrete_fields
                if isinstance(f, (models.CharField, models.TextField)) and not f.choices
            }
            for row in rows:
                values.update(
                    str(v) for k, v in row.items() if k in text and v and len(str(v)) >= 8
                )
        return values

    return strings(member) - strings(other)


def member_identifiers(member) -> list[str]:
    """Values to put into URL parameters: primary keys and short text values of the rows."""
    values: set[str] = set()
    for model, rows in _rows_values(member):
        short = {
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.SlugField)) and not f.choices
        }
        for row in rows:
            values.add(str(row[model._meta.pk.attname]))
            values.update(
                str(v)
                for k, v in row.items()
                if k in short
                and v
                and len(str(v)) <= 40
                and "/" not in str(v)
                and " " not in str(v)
            )
    return sorted(values)


def walk_member(client, *, victim, own, urlconf=MOUNTS["m"], after_each=None):
    """Request every route of the member mount as ``own`` (signed in on ``client``), with every
    identifier of ``victim``'s rows in every parameter. A leak is a page showing one of the
    victim's private strings, a change to the victim's rows, a server error, or a member page
    that may be stored (no ``Cache-Control: no-store``). Returns the leaks and the request
    count. ``after_each`` runs after every request (to sign ``own`` in again after a logout)."""
    secrets = member_private_strings(victim, own)
    assert secrets, "the victim has no private strings to look for"
    ids = member_identifiers(victim)
    before = member_snapshot(victim)
    leaks: list[Leak] = []
    requests = 0
    client.raise_request_exception = False
    for route in routes(urlconf):
        paths = (
            sorted(p for p in {route.fill(v) for v in ids} if p)
            if route.params
            else [route.fill("")]
        )
        if not paths:
            leaks.append(_unreached(route, "m"))
        for path, method in itertools.product(paths, METHODS_BY_MOUNT["m"]):
            url = f"/m/{own.tenant.slug}{path}"
            response = getattr(client, method)(url)
            requests += 1
            body = _body(response)
            found = next((s for s in secrets if s in body), None)
            if found:
                leaks.append(Leak(method, url, response.status_code, f"shows {found!r}"))
            elif response.status_code >= 500:
                leaks.append(Leak(method, url, response.status_code, "server error"))
            elif response.status_code == 200 and "no-store" not in response.get(
                "Cache-Control", ""
            ):
                leaks.append(Leak(method, url, 200, "may be stored (no Cache-Control: no-store)"))
            if after_each:
                after_each()
    after = member_snapshot(victim)
    if after != before:
        changed = [label for label in before if before[label] != after.get(label)]
        leaks.append(Leak("*", "*", 0, f"changed the victim's rows in {changed}"))
    return leaks, requests
