"""Message templates: the declared variables of each key, the default texts, validation, rendering.

Templates use Django template syntax on a sandboxed engine (no loaders, no ``{% load %}``, no
includes): variables, filters, ``{% if %}``, ``{% for %}`` and comments only. Every variable a
template uses must be declared for its key, so a typo is refused when the template is saved
instead of rendering as an empty string in a member's SMS.
"""

import functools
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import FilterExpression, Node, TextNode, Variable, VariableNode
from django.template.defaulttags import CommentNode, ForNode, IfNode
from django.utils.translation import gettext, override
from django.utils.translation import gettext_lazy as _

ENGINE = Engine(
    dirs=[], app_dirs=False, loaders=[], libraries={}, autoescape=False, string_if_invalid=""
)
ALLOWED_NODES = (TextNode, VariableNode, IfNode, ForNode, CommentNode)
REDACTED = "******"


@dataclass(frozen=True)
class TemplateSpec:
    label: object
    variables: dict  # name -> sample value (used for the preview and the trial render)
    subject: object  # lazily translated default texts
    body: object
    secrets: tuple = field(default=())  # variables removed from the stored text after sending
    # The recipient's address is emptied once the message reaches a final state (the answer to
    # an erasure request: the last message to an address we must not keep).
    forget_recipient: bool = False
    # Sent at the member's own request and useless later (a one-time code): never held for
    # quiet hours. Consent still applies.
    on_demand: bool = False


SPECS: dict[str, TemplateSpec] = {
    "registration": TemplateSpec(
        label=_("Registration: account and initial password"),
        variables={"tenant": "Amber Tea", "card_number": "A000123", "password": "k7Qm2x9P"},
        subject=_("Welcome to {{ tenant }}"),
        body=_(
            "Welcome to {{ tenant }}. Your member card is {{ card_number }}. Sign in with your "
            "phone number and the initial password {{ password }}; please change it at your "
            "first sign-in."
        ),
        secrets=("password",),
    ),
    "tier_change": TemplateSpec(
        label=_("Tier change"),
        variables={
            "tenant": "Amber Tea",
            "name": "Li Na",
            "tier": "Gold",
            "previous_tier": "Silver",
        },
        subject=_("Your membership tier is now {{ tier }}"),
        body=_("{{ name }}, your {{ tenant }} membership tier changed to {{ tier }}."),
    ),
    "points_expiring": TemplateSpec(
        label=_("Points expiring"),
        variables={
            "tenant": "Amber Tea",
            "name": "Li Na",
            "points": 1200,
            "expires_on": "2026-12-31",
        },
        subject=_("Your points expire on {{ expires_on }}"),
        body=_(
            "{{ name }}, {{ points }} of your {{ tenant }} points expire on {{ expires_on }}. "
            "Use them before then."
        ),
    ),
    "membership_expiring": TemplateSpec(
        label=_("Membership expiring"),
        variables={"tenant": "Amber Tea", "name": "Li Na", "expires_on": "2026-12-31"},
        subject=_("Your membership expires on {{ expires_on }}"),
        body=_("{{ name }}, your {{ tenant }} membership expires on {{ expires_on }}."),
    ),
    "birthday": TemplateSpec(
        label=_("Birthday greeting"),
        variables={"tenant": "Amber Tea", "name": "Li Na"},
        subject=_("Happy birthday from {{ tenant }}"),
        body=_("Happy birthday, {{ name }}! Best wishes from {{ tenant }}."),
    ),
    "broadcast": TemplateSpec(
        label=_("Holiday or event broadcast"),
        variables={"tenant": "Amber Tea", "message": "Double points this weekend."},
        subject=_("News from {{ tenant }}"),
        body=_("{{ tenant }}: {{ message }}"),
    ),
    "complaint_update": TemplateSpec(
        label=_("Complaint update"),
        variables={
            "tenant": "Amber Tea",
            "number": "C-0042",
            "kind": "Complaint",
            "status": "Replied",
            "text": "We have replied to you.",
        },
        subject=_("{{ tenant }}: your {{ kind }} {{ number }}"),
        body=_("{{ tenant }} · {{ kind }} {{ number }} ({{ status }}): {{ text }}"),
    ),
    "erasure_decision": TemplateSpec(
        label=_("Erasure of personal data: the decision"),
        variables={
            "tenant": "Amber Tea",
            "approved": True,
            "reason": "We must keep your records while your complaint is open.",
        },
        subject=_("{{ tenant }}: your request to erase your personal data"),
        body=_(
            "{{ tenant }}: {% if approved %}we have erased your personal data as you asked. "
            "Your membership has ended and this is the last message we send you."
            "{% else %}we cannot erase your personal data at present: {{ reason }}"
            "{% endif %}"
        ),
        forget_recipient=True,
    ),
    "portal_reset_code": TemplateSpec(
        label=_("Portal: password reset code"),
        variables={"tenant": "Amber Tea", "code": "482913", "minutes": 10},
        subject=_("{{ tenant }}: your password reset code"),
        body=_(
            "{{ tenant }}: your code to reset the portal password is {{ code }}, valid for "
            "{{ minutes }} minutes. Do not give it to anyone; our staff never ask for it."
        ),
        secrets=("code",),
        on_demand=True,
    ),
}


def forget_recipient_templates() -> list[str]:
    return [key for key, spec in SPECS.items() if spec.forget_recipient]


def is_on_demand(key: str) -> bool:
    spec = SPECS.get(key)
    return bool(spec and spec.on_demand)


def template_choices():
    return [(key, spec.label) for key, spec in SPECS.items()]


def _expressions(node):
    """The filter expressions a node reads (its own, not its children's)."""
    if isinstance(node, VariableNode):
        yield node.filter_expression
    elif isinstance(node, ForNode):
        yield node.sequence
    elif isinstance(node, IfNode):
        stack = [condition for condition, _nodelist in node.conditions_nodelists]
        while stack:
            condition = stack.pop()
            if condition is None:
                continue
            if isinstance(getattr(condition, "value", None), FilterExpression):
                yield condition.value
            stack.extend(
                x
                for x in (getattr(condition, "first", None), getattr(condition, "second", None))
                if x is not None
            )


def _names_read(expression: FilterExpression):
    if isinstance(expression.var, Variable) and expression.var.lookups:
        yield expression.var.lookups[0]
    for _func, args in expression.filters:
        for is_lookup, arg in args:
            if is_lookup and isinstance(arg, Variable) and arg.lookups:
                yield arg.lookups[0]


def validate_template(key: str, *, subject: str, body: str) -> None:
    """Raise ``ValidationError`` for a syntax error, a disallowed tag or an undeclared variable."""
    spec = SPECS[key]
    errors = {}
    for field_name, source in (("subject", subject), ("body", body)):
        try:
            template = ENGINE.from_string(source)
        except TemplateSyntaxError as exc:
            errors[field_name] = gettext("Template syntax error: %(error)s") % {"error": exc}
            continue
        nodes = template.nodelist.get_nodes_by_type(Node)
        declared = set(spec.variables) | {"forloop"}
        for node in nodes:
            if isinstance(node, ForNode):
                declared.update(node.loopvars)
        problems = []
        for node in nodes:
            if not isinstance(node, ALLOWED_NODES):
                problems.append(
                    gettext("The tag “%(tag)s” is not allowed in messages.")
                    % {"tag": node.token.contents.split()[0] if node.token else type(node)}
                )
                continue
            for expression in _expressions(node):
                for name in _names_read(expression):
                    if name not in declared:
                        problems.append(
                            gettext(
                                "Unknown variable “%(name)s”. This template may use: %(known)s."
                            )
                            % {"name": name, "known": ", ".join(sorted(spec.variables))}
                        )
        if not problems:
            try:
                template.render(Context(spec.variables, autoescape=False))
            except Exception as exc:  # a filter failing on the sample values
                problems.append(gettext("The template fails to render: %(error)s") % {"error": exc})
        if problems:
            errors[field_name] = problems
    if errors:
        raise ValidationError(errors)


def render_source(source: str, context: dict) -> str:
    return _compiled(source).render(Context(context, autoescape=False)).strip()


@functools.lru_cache(maxsize=256)
def _compiled(source: str):
    return ENGINE.from_string(source)


def default_texts(key: str, language: str) -> tuple[str, str]:
    spec = SPECS[key]
    with override(language):
        return str(spec.subject), str(spec.body)


def _slots(*templates) -> frozenset:
    """The variables a template reads only as a bare ``{{ name }}`` (no filter, no lookup, not
    in a condition or a loop, not shadowed by a loop variable): their text can be put in after
    rendering, so one rendering serves every row that differs only in them."""
    bare, other = set(), set()
    nodes = [node for t in templates for node in t.nodelist.get_nodes_by_type(Node)]
    for node in nodes:
        if isinstance(node, ForNode):
            other.update(node.loopvars)
        for expression in _expressions(node):
            names = set(_names_read(expression))
            var = expression.var
            simple = (
                isinstance(node, VariableNode)
                and not expression.filters
                and isinstance(var, Variable)
                and len(var.lookups or ()) == 1
            )
            (bare if simple else other).update(names)
    return frozenset(bare - other)


class Renderer:
    """Renders one template key in one language (the tenant's text or the default) for many
    contexts: the sources are compiled once, and a row is rendered by putting its bare text
    variables (e.g. the member's name) into a rendering shared by every row with the same other
    values (e.g. the tier), so writing 500,000 messages does not render 500,000 templates."""

    def __init__(self, key: str, *, language: str, custom=None):
        self.spec = SPECS[key]
        self.language = language
        subject_source, body_source = default_texts(key, language)
        if custom is not None:
            subject_source, body_source = custom.subject or subject_source, custom.body
        self.subject = _compiled(subject_source)
        self.body = _compiled(body_source)
        self.slots = _slots(self.subject, self.body)
        self.shells: dict = {}

    def render(self, context: dict) -> tuple[str, str, str]:
        """(subject, body, redacted body or "" when nothing is secret), as ``render`` gives."""
        texts = {n: v for n, v in context.items() if n in self.slots and type(v) is str}
        secret = any(context.get(name) for name in self.spec.secrets)
        key = (secret, *sorted((n, v) for n, v in context.items() if n not in texts))
        try:
            shell = self.shells.get(key)
        except TypeError:  # an unhashable value (a list): render this row on its own
            key, shell = None, None
        if shell is None:
            shell = self._shell(context, texts, secret)
            if key is not None:
                if len(self.shells) > 10_000:
                    self.shells.clear()
                self.shells[key] = shell
        subject, body, redacted = shell
        for name, value in texts.items():
            marker = _MARKERS[name]
            subject, body = subject.replace(marker, value), body.replace(marker, value)
            if redacted:
                secret = REDACTED if name in self.spec.secrets else value
                redacted = redacted.replace(marker, secret)
        return subject.strip()[:200], body.strip(), redacted.strip()

    def _shell(self, context: dict, texts: dict, secret: bool) -> tuple[str, str, str]:
        values = {**context, **{name: _MARKERS[name] for name in texts}}
        with override(self.language):
            subject = self.subject.render(Context(values, autoescape=False))
            body = self.body.render(Context(values, autoescape=False))
            redacted = ""
            if secret:
                hidden = {n: REDACTED for n in self.spec.secrets if n not in texts}
                redacted = self.body.render(Context({**values, **hidden}, autoescape=False))
        return subject, body, redacted


class _Markers(dict):
    """A marker per variable name: NUL cannot occur in a value PostgreSQL stores."""

    def __missing__(self, name):
        self[name] = marker = f"\x00{name}\x00"
        return marker


_MARKERS = _Markers()


def render(key: str, context: dict, *, language: str, custom=None) -> tuple[str, str, str]:
    """Render ``key`` in ``language`` with the tenant's ``custom`` template (a MessageTemplate)
    or the default. Returns (subject, body, redacted body or "" when nothing is secret)."""
    return Renderer(key, language=language, custom=custom).render(context)
