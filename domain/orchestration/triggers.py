"""Triggers: their expressions checked at creation, and their evaluation against an event.

`filter` must evaluate to `true` for the trigger to fire (anything else is no match, as in
Formance); each of `vars` is evaluated and stringified (expr/functions.py `stringify`). `event`
is bound to the event's payload. `link(obj, rel)` is given by the caller (it reads another
resource); without one, it is an error of that expression only."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from domain.errors import ValidationError
from domain.orchestration.expr import Compiled, ExprError, compile_expression
from domain.orchestration.expr.compiled import LINK
from domain.orchestration.expr.functions import stringify
from domain.orchestration.models import Trigger, TriggerTest

Link = Callable[[Any, Any], Any]
_VAR_NAME_MAX = 128


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
