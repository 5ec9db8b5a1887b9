"""Stage definitions: checked at creation as templates (errors naming the stage and field),
resolved with the instance's variables as Formance fills them, and planned into ledger and
wallet movements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.errors import ValidationError
from domain.orchestration.durations import parse_duration
from domain.orchestration.send_plan import (
    MOVE_FROM_LEDGER,
    MOVE_TO_LEDGER,
    LedgerTransfer,
    PaymentFunds,
    WalletCredit,
    WalletDebit,
    plan_send,
)
from domain.orchestration.stages import Delay, Send, delay_of, resolve_stage, validate_stages


def send(source: dict[str, Any], destination: dict[str, Any],
         amount: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"source": source, "destination": destination}
    if amount is not None:
        body["amount"] = {"asset": "USD/2", "amount": amount}
    return {"send": body}


ACC = {"account": {"id": "users:1", "ledger": "main"}}


@pytest.mark.parametrize(("stages", "message"), [
    ([{}], "stage 0: a stage is an object with exactly one key"),
    ([{"noop": {}}, {"send": {}, "delay": {}}], "stage 1: a stage is an object with exactly "
                                                "one key (its kind), not 2 keys"),
    ([{"transfer": {}}], "stage 0: unknown stage kind 'transfer'"),
    ([send({"account": {"id": "a"}, "wallet": {"id": "w"}}, ACC, 1)],
     "stage 0 (send): source: exactly one of account, wallet, payment must be set"),
    ([send({}, ACC, 1)], "stage 0 (send): source: exactly one of"),
    ([send(ACC, {"wallet": {}}, 1)], "destination.wallet: exactly one of id, name"),
    ([send({"payment": {"id": "p"}}, {"payment": {"psp": "dummypay"}})],
     "payment to a payment is not supported"),
    ([send(ACC, ACC)], "stage 0 (send): amount: is required"),
    ([send(ACC, ACC, "ten")], "amount.amount: 'ten' is not a non-negative integer"),
    ([send(ACC, ACC, -5)], "amount.amount: -5 is not a non-negative integer"),
    ([send(ACC, {"account": {"id": "b", "ledgr": "x"}}, 1)],
     "destination.account.ledgr: unknown field"),
    ([{"delay": {"duration": "5 minutes"}}], "stage 0 (delay): duration: invalid duration"),
    ([{"delay": {}}], "stage 0 (delay): exactly one of duration, until"),
    ([{"delay": {"duration": "1s", "until": "2030-01-01T00:00:00Z"}}], "exactly one of"),
    ([{"delay": {"until": "tomorrow"}}], "until: 'tomorrow' is not an RFC 3339"),
    ([{"wait_event": {}}], "stage 0 (wait_event): event: is required"),
    ([{"update": {}}], "stage 0 (update): account: is required"),
    ([{"update": {"account": {"id": "a"}}}], "account.metadata: is required"),
    ("not a list", "stages: must be an array"),
])
def test_invalid_definitions_name_the_stage_and_field(stages: Any, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_stages(stages)
    assert message in caught.value.message


def test_templates_are_accepted_where_values_convert_later() -> None:
    stages = [send({"account": {"id": "${from}", "allowOverdraft": "${overdraft}"}},
                   {"account": {"id": "users:${user}"}}, "${amount}"),
              {"delay": {"duration": "${wait}"}}, {"delay": {"until": "${when}"}},
              {"wait_event": {"event": "${name}"}}, {"noop": {}}, {"noop": None}]
    assert validate_stages(stages) == stages


def test_resolution_fills_variables_and_defaults() -> None:
    raw = send({"account": {"id": "users:${user}", "ledger": "${ledger}"}},
               {"account": {"id": "bank"}}, "${amount}")
    stage = resolve_stage(raw, 0, {"user": "7", "amount": "1000"})
    assert isinstance(stage.spec, Send)
    src = stage.spec.source.account
    assert src is not None and src.id == "users:7"
    assert src.ledger == "default"  # emptied by an unknown variable: the default applies
    assert stage.spec.amount is not None and stage.spec.amount.amount == "1000"


def test_resolution_refuses_values_that_do_not_convert() -> None:
    raw = send(ACC, {"account": {"id": "b"}}, "${amount}")
    with pytest.raises(ValidationError, match=r"amount\.amount: 'abc' is not a non-negative"):
        resolve_stage(raw, 2, {"amount": "abc"})
    with pytest.raises(ValidationError, match="stage 0 \\(delay\\): duration: invalid"):
        resolve_stage({"delay": {"duration": "${d}"}}, 0, {"d": "soon"})


def test_durations_and_until_from_workflow_time() -> None:
    assert parse_duration("1h30m") == timedelta(hours=1, minutes=30)
    assert parse_duration("1.5s") == timedelta(seconds=1.5)
    assert parse_duration("250ms") == timedelta(milliseconds=250)
    for bad in ("", "1", "1d", "-1s", "s"):
        with pytest.raises(ValueError):
            parse_duration(bad)
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert delay_of(Delay(until="2030-01-01T00:00:10Z"), now) == timedelta(seconds=10)
    assert delay_of(Delay(until="2029-01-01T00:00:00Z"), now) == timedelta(0)


def _plan(raw: dict[str, Any], **kw: Any) -> list[Any]:
    stage = resolve_stage(raw, 0, {})
    assert isinstance(stage.spec, Send)
    return plan_send(stage.spec, wallets_ledger="wallets-002",
                     wallet_ids=kw.pop("wallet_ids", {}), **kw)


def test_plan_account_to_account_same_and_across_ledgers() -> None:
    same = _plan(send({"account": {"id": "a", "ledger": "l1"}},
                      {"account": {"id": "b", "ledger": "l1"}}, 10))
    assert same == [LedgerTransfer(ledger="l1", source="a", destination="b", asset="USD/2",
                                   amount=10)]
    across = _plan(send({"account": {"id": "a", "ledger": "l1", "throughAccount": "out"}},
                        {"account": {"id": "b", "ledger": "l2", "throughAccount": "in",
                                     "allowOverdraft": True}}, 10))
    assert [(m.ledger, m.source, m.destination, m.overdraft) for m in across] == [
        ("l1", "a", "out", False), ("l2", "in", "b", True)]
    assert across[0].metadata == {MOVE_TO_LEDGER: "l2"}
    assert across[1].metadata == {MOVE_FROM_LEDGER: "l1"}


def test_plan_wallets() -> None:
    into = _plan(send({"account": {"id": "a", "ledger": "wallets-002"}}, {"wallet": {"id": "w"}},
                      5), wallet_ids={"destination": "w"})
    assert into == [WalletCredit(wallet_id="w", balance="main", from_account="a",
                                 asset="USD/2", amount=5)]
    across = _plan(send({"account": {"id": "a", "ledger": "main"}},
                        {"wallet": {"name": "bob"}}, 5), wallet_ids={"destination": "w"})
    assert isinstance(across[0], LedgerTransfer) and across[0].destination == "world"
    assert isinstance(across[1], WalletCredit) and across[1].from_account is None
    out = _plan(send({"wallet": {"id": "w", "balance": "b1"}}, {"wallet": {"id": "v"}}, 5),
                wallet_ids={"source": "w", "destination": "v"})
    assert out == [WalletCredit(wallet_id="v", balance="main", from_wallet="w",
                                from_balance="b1", asset="USD/2", amount=5)]
    to_account = _plan(send({"wallet": {"id": "w"}}, {"account": {"id": "x", "ledger": "l"}},
                            5), wallet_ids={"source": "w"})
    assert isinstance(to_account[0], WalletDebit) and to_account[0].to_account is None
    assert isinstance(to_account[1], LedgerTransfer) and to_account[1].destination == "x"


def test_plan_from_a_payment_books_it_once_then_moves_it() -> None:
    moves = _plan(send({"payment": {"id": "p-1"}}, {"account": {"id": "b", "ledger":
                                                                "orchestration-000-internal"}}),
                  payment=PaymentFunds(amount=300, asset="EUR/2"))
    assert moves[0] == LedgerTransfer(
        ledger="orchestration-000-internal", source="world", destination="payment:p_1",
        asset="EUR/2", amount=300, reference="payment:p_1", reference_conflict_is_done=True)
    assert isinstance(moves[1], LedgerTransfer) and moves[1].source == "payment:p_1"
