"""Triggers: their expressions checked at creation, and their evaluation against an event.

`filter` must evaluate to `true` for the trigger to fire (anything else is no match, as in
Formance); each of `vars` is evaluated and stringified (expr/functions.py `stringify`). `event`
is bound to the event's payload.

`link(obj, rel)` reads a linked resource, as Formance's does: the `uri` of the entry named
`rel` in `obj.links`, fetched, its `data`. The interpreter does no I/O, so `evaluate_with_links`
evaluates, and when an expression needs a resource not fetched yet, fetches it through the
caller's `fetch` (the API's or the consumer's HTTP client) and evaluates again (expressions are
pure and cheap), at most MAX_LINKS resources per evaluation. Without `fetch`, link() is an
error of that expression only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any, TypeVar

from domain.errors import ValidationError
from domain.orchestration.expr import Compiled, ExprError, compile_expression
from domain.orchestration.expr.compiled import LINK
from domain.orchestration.expr.functions import stringify
from domain.orchestration.models import Trigger, TriggerTest

T = TypeVar("T")
Link = Callable[[Any, Any], Any]
Fetch = Callable[[str], Awaitable[Any]]
_VAR_NAME_MAX = 128
MAX_LINKS = 8


class NeedsLink(Exception):  # a request, not an error: fetch it and evaluate again
    """Raised through the interpreter (it is no ExprError) by link() for a resource not
    fetched yet."""

    def __init__(self, uri: str) -> None:
        super().__init__(uri)
        self.uri = uri


def link_from(fetched: dict[str, Any]) -> Link:
    """A link() answering from `fetched` (uri -> data, or the ExprError of its fetch)."""

    def link(obj: Any, rel: Any) -> Any:
        if not isinstance(obj, dict):
            raise ExprError("link() takes an object with links")
        for entry in obj.get("links") or []:
            if isinstance(entry, dict) and entry.get("name") == rel:
                uri = entry.get("uri")
                if not isinstance(uri, str) or not uri:
                    raise ExprError(f"link(): the link {rel!r} has no uri")
                if uri not in fetched:
                    raise NeedsLink(uri)
                value = fetched[uri]
                if isinstance(value, ExprError):
                    raise value
                return value
        raise ExprError(f"link(): no link named {rel!r}")

    return link


async def evaluate_with_links(evaluate: Callable[[Link], T], fetch: Fetch | None) -> T:
    """`evaluate(link)` until it needs no resource it has not got (see the module's doc)."""
    if fetch is None:
        return evaluate(_no_link)
    fetched: dict[str, Any] = {}
    while True:
        try:
            return evaluate(link_from(fetched))
        except NeedsLink as need:
            if len(fetched) >= MAX_LINKS:
                fetched[need.uri] = ExprError(f"link(): more than {MAX_LINKS} linked resources")
                continue
            try:
                fetched[need.uri] = await fetch(need.uri)
            except Exception as exc:  # any failure of the read is this expression's error
                fetched[need.uri] = ExprError(f"link(): {need.uri}: {exc}")


def check_expressions(filter_source: str | None, variables: dict[str, Any]) -> None:
    """400 naming the expression that does not compile (syntax, unknown name or function)."""
    if filter_source is not None and filter_source.strip():
        try:
            compile_expression(filter_source)
        except ExprError as exc:
            raise ValidationError(f"filter: {exc.message}") from None
    for name, source in variables.items():
        if not name or len(name) > _VAR_NAME_MAX:
            raise ValidationError(f"vars: invalid variable name {name!r}")
        if not isinstance(source, str) or not source.strip():
            raise ValidationError(f"vars.{name}: must be an expression (a non-empty string)")
        try:
            compile_expression(source)
        except ExprError as exc:
            raise ValidationError(f"vars.{name}: {exc.message}") from None


# Trigger expressions are evaluated for every event of their type: parsed once.
_compiled = lru_cache(maxsize=1024)(compile_expression)


def _no_link(obj: Any, rel: Any) -> Any:
    raise ExprError("link() cannot read linked resources here")


def _run(compiled: Compiled, payload: Any, link: Link | None) -> Any:
    return compiled.evaluate({"event": payload}, {LINK: link or _no_link})


def matches(trigger: Trigger, payload: Any, link: Link | None = None) -> tuple[bool, str | None]:
    """Whether the filter lets the event through, and the filter's error if it failed."""
    if trigger.filter is None or not trigger.filter.strip():
        return True, None
    try:
        result = _run(_compiled(trigger.filter), payload, link)
    except ExprError as exc:
        return False, exc.message
    return result is True, None


def variables(trigger: Trigger, payload: Any, link: Link | None = None
              ) -> dict[str, tuple[str | None, str | None]]:
    """Each variable's (value, error)."""
    out: dict[str, tuple[str | None, str | None]] = {}
    for name, source in trigger.vars.items():
        try:
            out[name] = (stringify(_run(_compiled(source), payload, link)), None)
        except ExprError as exc:
            out[name] = (None, exc.message)
    return out


def evaluate_trigger(trigger: Trigger, payload: Any, link: Link | None = None) -> TriggerTest:
    match, error = matches(trigger, payload, link)
    return TriggerTest(match=match, filter_error=error,
                       variables=variables(trigger, payload, link))


def instance_variables(trigger: Trigger, payload: Any, link: Link | None = None
                       ) -> dict[str, str]:
    """The variables an instance started by this trigger gets; ExprError if one fails (the
    occurrence then records the error and no instance starts)."""
    values: dict[str, str] = {}
    for name, (value, error) in variables(trigger, payload, link).items():
        if error is not None:
            raise ExprError(f"vars.{name}: {error}")
        assert value is not None
        values[name] = value
    return values
