"""The fuzz harness's own logic: what the guard lets through, which operations get targeted
inputs, and that the mutated inputs stay the shapes the API reads (JSON, base64 cursors)."""

from __future__ import annotations

import json
from types import SimpleNamespace

from hypothesis import given, settings

from fuzz.run import Guard, Tally, module_of
from fuzz.strategies import (
    FUZZ_LEDGER,
    Program,
    Request,
    Seeds,
    decode_cursor,
    encode_cursor,
    filters,
    mutated_cursor,
    mutated_program,
    requests,
)


def test_guard_blocks_only_the_stacks_own_resources() -> None:
    guard = Guard(client_id="boot")
    assert not guard.allows("DELETE", "/api/auth/clients/{clientId}", {"clientId": "boot"})
    assert not guard.allows("PUT", "/api/auth/clients/{clientId}", {"clientId": "boot"})
    assert guard.allows("DELETE", "/api/auth/clients/{clientId}", {"clientId": "other"})
    assert not guard.allows("DELETE", "/api/ledger/v2/_/buckets/{bucket}",
                            {"bucket": "_default"})
    assert guard.allows("DELETE", "/api/ledger/v2/_/buckets/{bucket}", {"bucket": "b1"})
    assert not guard.allows("POST", "/api/ledger/v2/{ledger}/schemas/{version}",
                            {"ledger": "wallets-002", "version": "v1"})
    # Reads of the system ledger stay fuzzed, POSTs that only read included.
    assert guard.allows("GET", "/api/ledger/v2/{ledger}/transactions", {"ledger": "wallets-002"})
    assert guard.allows("POST", "/api/ledger/v2/{ledger}/logs/export",
                        {"ledger": "wallets-002"})
    assert sum(guard.blocked.values()) == 4
    assert Guard(client_id="boot", enabled=False).allows(
        "DELETE", "/api/auth/clients/{clientId}", {"clientId": "boot"})


def test_module_of_gateway_paths() -> None:
    assert module_of("/api/ledger/v2/{ledger}") == "ledger"
    assert module_of("/versions") == "gateway"


@settings(max_examples=50, deadline=None)
@given(mutated_cursor([encode_cursor({"pageSize": 2, "bound": [3], "order": "desc"})]))
def test_mutated_cursors_are_base64_json(cursor: str) -> None:
    assert isinstance(decode_cursor(cursor), dict)


@settings(max_examples=50, deadline=None)
@given(filters, mutated_program([Program("send [COIN 10] (\n source = @a\n destination = @b\n)",
                                          {"a": "users:1"})]))
def test_filters_and_programs_serialise(query: object, program: Program) -> None:
    json.dumps(query)
    json.dumps(program.variables)
    assert isinstance(program.text, str)



_SEEDS = Seeds(programs=[Program("send [COIN 1] (\n source = @world\n destination = @a\n)", {})],
               cursors=[encode_cursor({"pageSize": 1, "bound": [1]})])


@settings(max_examples=50, deadline=None)
@given(requests(_SEEDS))
def test_targeted_requests_name_their_operation(request: Request) -> None:
    method, template = request.operation.split(" ", 1)
    assert method == request.method
    assert template.replace("{ledger}", FUZZ_LEDGER) == request.path
    json.dumps(request.body)


class _Op:
    def validate_response(self, response: object, case: object) -> None:
        raise ValueError("does not match")


def _answer(status: int, content: bytes) -> SimpleNamespace:
    return SimpleNamespace(status_code=status, content=content, request=SimpleNamespace(
        method="POST", url="http://x/api/ledger/v2/l/transactions", body=b'{"a": 1}'))


def test_tally_counts_every_answer_and_keeps_one_reproducer_per_fault() -> None:
    tally = Tally()
    case = SimpleNamespace(method="post", path="/api/ledger/v2/{ledger}/transactions",
                           operation=_Op())
    tally.record(case, _answer(400, b'{"errorCode":"VALIDATION","errorMessage":"x"}'))
    tally.record(case, _answer(404, b"not json"))
    for _ in range(3):
        tally.record(case, _answer(500, b'{"errorCode":"INTERNAL"}'))
    assert tally.cases["ledger"] == 5
    assert tally.error_codes["ledger"] == {"VALIDATION": 1, "(not JSON)": 1}
    (finding,) = tally.server_errors.values()
    assert finding.count == 3 and finding.body == '{"a": 1}'
    assert tally.conformance_count["ledger"] == 2  # the 4xx answers were validated too
