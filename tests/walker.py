"""The cross-tenant walk: every route of every tenant mount, as tenant A's staff, against tenant B.

It needs no list of routes: it enumerates the URL patterns of each mount, fills every URL
parameter with identifiers of B's objects (one object of every tenant-owned model, made from the
factory registry), and requests each URL with several methods. A leak is any response that
contains one of B's private strings, or any change to B's rows.
"""

from __future__ import annotations

import itertools
import re
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


def walk(client, *, mount_tenant, victim, own_tenant, headers=None, mounts=MOUNTS, exhaustive=True):
    """Request every route of every mount as ``client`` inside ``mount_tenant``'s mount, with
    parameters naming ``victim``'s objects; ``own_tenant`` is the client's tenant. Returns the
    leaks found and the number of requests made.

    ``exhaustive`` tries every identifier of the victim in every parameter (for a client that
    is let in and must find nothing); without it one identifier per parameter is enough (for a
    client that must be stopped at the door, whatever the identifier)."""
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
            for path, method in itertools.product(paths, methods):
                url = f"/{mount}/{mount_tenant.slug}{path}"
                response = getattr(client, method)(url, **(headers or {}))
                requests += 1
                body = getattr(response, "content", b"").decode("utf-8", "replace")
                found = next((s for s in secrets if s in body), None)
                if found:
                    leaks.append(Leak(method, url, response.status_code, f"shows {found!r}"))
                elif response.status_code >= 500:
                    leaks.append(Leak(method, url, response.status_code, "server error"))
    after = snapshot(victim)
    if after != before:
        changed = [label for label in before if before[label] != after.get(label)]
        leaks.append(Leak("*", "*", 0, f"changed the victim's rows in {changed}"))
    return leaks, requests
