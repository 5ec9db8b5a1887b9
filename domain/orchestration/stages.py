"""Stage definitions: `{<kind>: {...}}`, one key per stage, kinds `send`, `delay`,
`wait_event`, `update`, `noop`, with Formance's fields and defaults (reference §3).

A definition is checked twice with the same code: at creation (`template=True`: a string that
still holds a `${var}` is accepted wherever a number, a bool, a duration or a date goes, since
only the instance's variables say what it will be), and when the instance reaches the stage,
once the variables are filled in (interpolation.py), where every value must convert. Errors
name the stage and the field."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticError

from domain.orchestration.durations import parse_duration
from domain.orchestration.errors import StageError
from domain.orchestration.interpolation import has_placeholder, interpolate

SEND, DELAY, WAIT_EVENT, UPDATE, NOOP = "send", "delay", "wait_event", "update", "noop"
KINDS = (SEND, DELAY, WAIT_EVENT, UPDATE, NOOP)
# Formance's defaults.
DEFAULT_ACCOUNT_LEDGER = "default"
DEFAULT_UPDATE_LEDGER = "main"
DEFAULT_PAYMENT_LEDGER = "orchestration-000-internal"
WORLD = "world"
MAIN_BALANCE = "main"


class _Spec(BaseModel):
    # A misspelt field is refused: silently ignoring it would move money differently.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class AccountRef(_Spec):
    id: str
    ledger: str = DEFAULT_ACCOUNT_LEDGER
    through_account: str = Field(WORLD, alias="throughAccount")
    allow_overdraft: bool | str = Field(False, alias="allowOverdraft")


class WalletRef(_Spec):
    id: str | None = None
    name: str | None = None
    balance: str = MAIN_BALANCE


class PaymentSource(_Spec):
    id: str
    ledger: str = DEFAULT_PAYMENT_LEDGER
    holding_account: str | None = Field(None, alias="holdingAccount")
    through_account: str = Field(WORLD, alias="throughAccount")
    allow_overdraft: bool | str = Field(False, alias="allowOverdraft")

    @property
    def holding(self) -> str:
        return self.holding_account or f"payment:{self.id.replace('-', '_')}"


class PaymentDestination(_Spec):
    psp: str
    type: str = "TRANSFER"
    source_account: str | None = Field(None, alias="sourceAccount")
    metadata: str = "formanceAccountID"
    waiting_validation: bool | str = Field(False, alias="waitingValidation")
    connector_id: str | None = Field(None, alias="connectorId")
    # Beyond Formance (false: Formance's behaviour, the stage ends once the initiation is
    # created): the stage waits for the initiation's final status and, if it did not go
    # through, reverses the debit that funded it and fails.
    await_final_status: bool | str = Field(False, alias="awaitFinalStatus")


class Source(_Spec):
    account: AccountRef | None = None
    wallet: WalletRef | None = None
    payment: PaymentSource | None = None


class Destination(_Spec):
    account: AccountRef | None = None
    wallet: WalletRef | None = None
    payment: PaymentDestination | None = None


class Monetary(_Spec):
    asset: str
    amount: int | str  # a big int, or a string holding one (after interpolation)


class Send(_Spec):
    source: Source
    destination: Destination
    amount: Monetary | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    timestamp: str | None = None


class Delay(_Spec):
    duration: str | None = None
    until: str | None = None


class WaitEvent(_Spec):
    event: str


class UpdateAccount(_Spec):
    id: str
    ledger: str = DEFAULT_UPDATE_LEDGER
    metadata: dict[str, str]


class Update(_Spec):
    account: UpdateAccount | None = None


class Noop(_Spec):
    pass


Spec = Send | Delay | WaitEvent | Update | Noop
_MODELS: dict[str, type[_Spec]] = {SEND: Send, DELAY: Delay, WAIT_EVENT: WaitEvent,
                                   UPDATE: Update, NOOP: Noop}


class Stage(BaseModel):
    """One parsed stage: its kind and spec."""

    model_config = ConfigDict(frozen=True)
    index: int
    kind: str
    spec: Send | Delay | WaitEvent | Update | Noop


def validate_stages(stages: object) -> list[dict[str, Any]]:
    """The definition's stages as given, once every one is valid as a template."""
    if not isinstance(stages, list):
        raise StageError(0, None, "stages", "must be an array of stages")
    for index, raw in enumerate(stages):
        parse_stage(raw, index, template=True)
    return stages


def resolve_stage(raw: object, index: int, variables: dict[str, str]) -> Stage:
    """The stage an instance runs: variables filled in, every value converted."""
    return parse_stage(interpolate(raw, variables), index, template=False)


def parse_stage(raw: object, index: int, *, template: bool) -> Stage:
    if not isinstance(raw, dict) or len(raw) != 1:
        shown = "an empty object" if raw == {} else (
            f"{len(raw)} keys ({', '.join(sorted(map(str, raw)))})" if isinstance(raw, dict)
            else type(raw).__name__)
        raise StageError(index, None, None,
                         f"a stage is an object with exactly one key (its kind), not {shown}")
    ((kind, body),) = raw.items()
    if kind not in _MODELS:
        raise StageError(index, None, None,
                         f"unknown stage kind {kind!r} (expected one of {', '.join(KINDS)})")
    if body is None and kind == NOOP:
        body = {}
    if not isinstance(body, dict):
        raise StageError(index, kind, None, "must be an object")
    try:
        spec = _MODELS[kind].model_validate(body)
    except PydanticError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise StageError(index, kind, field or None, _message(err)) from None
    _check(spec, index, kind, template)
    assert isinstance(spec, (Send, Delay, WaitEvent, Update, Noop))
    return Stage(index=index, kind=kind, spec=spec)


def _message(err: Any) -> str:
    if err["type"] == "missing":
        return "is required"
    if err["type"] == "extra_forbidden":
        return "unknown field"
    return str(err["msg"])


# --- semantic checks --------------------------------------------------------------------------

class _Checker:
    def __init__(self, index: int, kind: str, template: bool) -> None:
        self.index, self.kind, self.template = index, kind, template

    def fail(self, field: str | None, problem: str) -> StageError:
        return StageError(self.index, self.kind, field, problem)

    def skip(self, value: object) -> bool:
        return self.template and has_placeholder(value)

    def one_of(self, field: str, options: dict[str, object]) -> str:
        given = [name for name, value in options.items() if value is not None]
        if len(given) != 1:
            raise self.fail(field, f"exactly one of {', '.join(options)} must be set"
                            + (f" (got {', '.join(given)})" if given else ""))
        return given[0]

    def integer(self, field: str, value: int | str) -> None:
        if self.skip(value):
            return
        number = as_int(value)
        if number is None or number < 0:
            raise self.fail(field, f"{value!r} is not a non-negative integer")

    def boolean(self, field: str, value: bool | str) -> None:
        if not self.skip(value) and as_bool(value) is None:
            raise self.fail(field, f"{value!r} is not a boolean")

    def date(self, field: str, value: str | None) -> None:
        if value is not None and not self.skip(value) and as_datetime(value) is None:
            raise self.fail(field, f"{value!r} is not an RFC 3339 date-time")

    def text(self, field: str, value: str | None) -> None:
        if value is not None and value == "" and not self.template:
            raise self.fail(field, "must not be empty")


def _check(spec: _Spec, index: int, kind: str, template: bool) -> None:
    c = _Checker(index, kind, template)
    if isinstance(spec, Send):
        _check_send(c, spec)
    elif isinstance(spec, Delay):
        which = c.one_of("", {"duration": spec.duration, "until": spec.until})
        if which == "duration" and spec.duration is not None and not c.skip(spec.duration):
            try:
                parse_duration(spec.duration)
            except ValueError as exc:
                raise c.fail("duration", str(exc)) from None
        c.date("until", spec.until)
    elif isinstance(spec, WaitEvent):
        if spec.event == "" and not template:
            raise c.fail("event", "must not be empty")
    elif isinstance(spec, Update):
        if spec.account is None:
            raise c.fail("account", "is required")
        c.text("account.id", spec.account.id)


def _check_send(c: _Checker, spec: Send) -> None:
    src = c.one_of("source", {"account": spec.source.account, "wallet": spec.source.wallet,
                              "payment": spec.source.payment})
    dst = c.one_of("destination", {"account": spec.destination.account,
                                   "wallet": spec.destination.wallet,
                                   "payment": spec.destination.payment})
    if src == dst == "payment":
        raise c.fail(None, "a send from a payment to a payment is not supported")
    for side, wallet in (("source", spec.source.wallet), ("destination",
                                                          spec.destination.wallet)):
        if wallet is not None:
            c.one_of(f"{side}.wallet", {"id": wallet.id, "name": wallet.name})
    for side, account in (("source", spec.source.account),
                          ("destination", spec.destination.account)):
        if account is not None:
            c.text(f"{side}.account.id", account.id)
            c.boolean(f"{side}.account.allowOverdraft", account.allow_overdraft)
    if spec.source.payment is not None:
        c.boolean("source.payment.allowOverdraft", spec.source.payment.allow_overdraft)
    if spec.destination.payment is not None:
        payment = spec.destination.payment
        c.boolean("destination.payment.waitingValidation", payment.waiting_validation)
        c.boolean("destination.payment.awaitFinalStatus", payment.await_final_status)
        if not c.skip(payment.type) and payment.type not in ("TRANSFER", "PAYOUT"):
            raise c.fail("destination.payment.type", "must be TRANSFER or PAYOUT")
    if spec.amount is None:
        if src != "payment":
            raise c.fail("amount", "is required (only a payment source has a default)")
    else:
        c.integer("amount.amount", spec.amount.amount)
        c.text("amount.asset", spec.amount.asset)
    c.date("timestamp", spec.timestamp)


# --- conversions (after interpolation) --------------------------------------------------------

def as_int(value: int | str) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(value.strip()) if value.strip().lstrip("-").isdigit() else None
    except ValueError:
        return None


def as_bool(value: bool | str) -> bool | None:
    if isinstance(value, bool):
        return value
    return {"true": True, "false": False, "1": True, "0": False}.get(value.strip().lower())


def as_datetime(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def delay_of(spec: Delay, now: datetime) -> timedelta:
    """How long a resolved delay stage waits from `now` (workflow time)."""
    if spec.duration is not None:
        return parse_duration(spec.duration)
    assert spec.until is not None
    until = as_datetime(spec.until)
    assert until is not None
    return max(until - now, timedelta(0))
