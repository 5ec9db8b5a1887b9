"""Contract fuzzing of the served modules with schemathesis, over Formance's own OpenAPI specs.

The gate is `not_a_server_error`: any 5xx (or a request that never got an answer) fails the run.
Conformance of the answers to the spec's response schemas is recorded beside it, not gated: the
specs have quirks of their own, and each violation left is meant to be read and explained.

Every request is counted in an `after_call` hook rather than read from schemathesis' own
statistics, so the report says exactly what the stack received, per module."""

from __future__ import annotations

import itertools
import json
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from fuzz.strategies import FUZZ_LEDGER, Request, Seeds, requests

SPEC_ENV_DIR = "LEDGERFLOW_SHARED_DIR"
GATE_CHECK = "not_a_server_error"
_MODULE_RE = re.compile(r"^/api/([a-z]+)/")
# The gateway's own document at the top level: fuzzed as a module of its own.
GATEWAY = "gateway"


def module_of(path: str) -> str:
    match = _MODULE_RE.match(path)
    return match.group(1) if match else GATEWAY


def served_modules(base_url: str, headers: dict[str, str]) -> list[str]:
    """The modules the stack really serves: those whose routes go beyond the `_info` and
    `_healthcheck` that the gateway adds for every module it knows, so a module that lands later
    is fuzzed without touching this file."""
    resp = httpx.get(f"{base_url}/api/openapi.json", headers=headers, timeout=30)
    resp.raise_for_status()
    served = {GATEWAY}
    for path in resp.json()["paths"]:
        match = _MODULE_RE.match(path)
        if match and path.rsplit("/", 1)[-1] not in ("_info", "_healthcheck"):
            served.add(match.group(1))
    return sorted(served)


def load_spec(spec_path: Path, modules: list[str]) -> dict[str, Any]:
    """The merged stack spec, as served by the gateway (`/api/<module>/...`), cut down to the
    operations of `modules`. Components stay whole: `$ref`s from kept paths must resolve."""
    raw: dict[str, Any] = yaml.safe_load(spec_path.read_text())
    raw["paths"] = {path: item for path, item in raw["paths"].items()
                    if module_of(path) in modules}
    # Requests go to the base URL given to schemathesis, never to the spec's example servers.
    raw["servers"] = [{"url": "/"}]
    return raw


@dataclass
class Guard:
    """What the fuzzer must not touch: the stack's own resources. The bootstrap client is the one
    whose token the run uses; the wallets ledger holds every wallet, and writes to it through the
    ledger API (a schema, a v1 mapping, its deletion with its bucket) break the wallets module.
    The API is meant to refuse these itself (issue 14, point 4); the guard keeps every run
    meaningful whether or not it does, and the integrity check after the run says whether the
    stack was damaged anyway. `python -m fuzz --unguarded` runs without it, to test the API's
    own protection."""

    client_id: str
    buckets: frozenset[str] = frozenset({"_default"})
    ledgers: frozenset[str] = frozenset({"wallets-002"})
    enabled: bool = True
    blocked: Counter[str] = field(default_factory=Counter)
    # POSTs that only read.
    _READS = ("/logs/export", "/queries/{id}/run")
    _STRICT = ("/schemas/{version}", "/logs/import")

    def allows(self, method: str, path: str, params: dict[str, Any]) -> bool:
        method = method.upper()
        label = None
        if method == "POST" and params.get("ledger") == FUZZ_LEDGER \
                and path.endswith(self._STRICT):
            # Not the stack's: the ledger the Numscript cases write to. A schema (or an import
            # carrying one) would make it refuse every script that does not name it.
            label = f"{method} {path} (fuzz ledger kept lenient)"
        elif not self.enabled:
            return True
        elif path.startswith("/api/auth/clients/{clientId}") and method in ("DELETE", "PUT") \
                and params.get("clientId") == self.client_id:
            label = f"{method} {path} (bootstrap client)"
        elif path == "/api/ledger/v2/_/buckets/{bucket}" and method == "DELETE" \
                and params.get("bucket") in self.buckets:
            label = f"{method} {path} (system bucket)"
        elif path.startswith("/api/ledger/") and method not in ("GET", "HEAD", "OPTIONS") \
                and params.get("ledger") in self.ledgers and not path.endswith(self._READS):
            label = f"{method} {path} (system ledger)"
        if label:
            self.blocked[label] += 1
            return False
        return True


@dataclass
class Finding:
    module: str
    operation: str
    status: int | None
    method: str
    url: str
    body: str
    response: str
    count: int = 1

    def as_dict(self) -> dict[str, Any]:
        return {"module": self.module, "operation": self.operation, "status": self.status,
                "count": self.count, "reproducer": {"method": self.method, "url": self.url,
                                                    "body": self.body},
                "response": self.response}


def _text(data: bytes | str | None, limit: int = 600) -> str:
    if data is None:
        return ""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


@dataclass
class Tally:
    """Everything the hooks saw, per module and operation."""

    cases: Counter[str] = field(default_factory=Counter)  # per module
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    server_errors: dict[tuple[str, str], Finding] = field(default_factory=dict)
    network_errors: dict[str, Finding] = field(default_factory=dict)
    conformance: dict[tuple[str, str], Finding] = field(default_factory=dict)
    conformance_count: Counter[str] = field(default_factory=Counter)
    per_operation: Counter[str] = field(default_factory=Counter)
    # errorCode of the 4xx answers, per module: how deep the inputs got (a COMPILATION_FAILED
    # reached the Numscript parser, an INSUFFICIENT_FUND its interpreter).
    error_codes: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    # One example of each 4xx answer without the Formance error shape.
    odd_errors: dict[str, str] = field(default_factory=dict)

    def count_error(self, module: str, op: str, status: int, content: bytes) -> None:
        code = _error_code(content)
        self.error_codes[module][code] += 1
        if code.startswith("(") and op not in self.odd_errors:
            self.odd_errors[op] = f"{status} {_text(content, 200)}"

    def record(self, case: Any, response: Any) -> None:
        op = f"{case.method.upper()} {case.path}"
        module = module_of(case.path)
        self.cases[module] += 1
        self.statuses[module][response.status_code] += 1
        self.per_operation[op] += 1
        request = response.request
        if 400 <= response.status_code < 500:
            self.count_error(module, op, response.status_code, response.content)
        if response.status_code >= 500:
            # One finding per operation and answer: shrinking sends the same fault many times.
            key = (op, _text(response.content, 200))
            if key in self.server_errors:
                self.server_errors[key].count += 1
            else:
                # The whole body (within reason): it is the reproducer.
                self.server_errors[key] = Finding(
                    module, op, response.status_code, request.method or "", request.url or "",
                    _text(request.body, 20_000), _text(response.content))
            return
        try:
            case.operation.validate_response(response, case=case)
        except Exception as exc:  # a FailureGroup: the answer does not match the spec
            message = _failure_summary(exc)
            self.conformance_count[module] += 1
            key = (op, message)
            if key in self.conformance:
                self.conformance[key].count += 1
            else:
                self.conformance[key] = Finding(
                    module, op, response.status_code, request.method or "", request.url or "",
                    _text(request.body), message + "\n" + _text(response.content, 400))

    def record_targeted(self, request: Request, response: httpx.Response | None) -> None:
        module = module_of(request.path)
        self.cases[module] += 1
        self.per_operation[f"{request.operation} (targeted)"] += 1
        body = json.dumps(request.body) if request.body is not None else ""
        url = request.path + ("?" + "&".join(f"{k}={v}" for k, v in request.query.items())
                              if request.query else "")
        if response is None:
            if request.operation in self.network_errors:
                self.network_errors[request.operation].count += 1
            else:
                self.network_errors[request.operation] = Finding(
                    module, request.operation, None, request.method, url, _text(body, 20_000),
                    "no answer (timeout or connection error)")
            return
        self.statuses[module][response.status_code] += 1
        if 400 <= response.status_code < 500:
            self.count_error(module, request.operation, response.status_code, response.content)
        if response.status_code >= 500:
            key = (request.operation, _text(response.content, 200))
            if key in self.server_errors:
                self.server_errors[key].count += 1
            else:
                self.server_errors[key] = Finding(
                    module, request.operation, response.status_code, request.method, url,
                    _text(body, 20_000), _text(response.content))

    def record_network_error(self, case: Any, request: Any) -> None:
        op = f"{case.method.upper()} {case.path}"
        module = module_of(case.path)
        self.cases[module] += 1
        if op in self.network_errors:
            self.network_errors[op].count += 1
        else:
            self.network_errors[op] = Finding(module, op, None, request.method or "",
                                              request.url or "", _text(request.body),
                                              "no answer (timeout or connection error)")


def _error_code(content: bytes) -> str:
    try:
        body = json.loads(content)
    except ValueError:
        return "(not JSON)"
    code = body.get("errorCode") if isinstance(body, dict) else None
    return str(code) if code else "(no errorCode)"


def _failure_summary(exc: BaseException) -> str:
    parts = []
    for failure in getattr(exc, "exceptions", [exc]):
        title = getattr(failure, "title", type(failure).__name__)
        detail = str(getattr(failure, "message", "") or failure).strip().splitlines()
        parts.append(f"{title}: {detail[0] if detail else ''}"[:300])
    return " | ".join(sorted(set(parts)))


@dataclass
class Profile:
    name: str
    max_time: int  # seconds of fuzzing, a hard bound whatever the profile
    max_examples: int  # per operation and phase
    phases: tuple[str, ...] = ("examples", "coverage", "fuzzing", "stateful")
    # Keep generating until max_time is spent (schemathesis repeats its fuzzing and stateful
    # phases), or stop after one pass over the operations.
    repeat: bool = True
    # NUL characters in strings: PostgreSQL cannot store them, so they are the first thing an API
    # in front of it gets wrong; turning them off lets a run look past that one fault.
    allow_nul: bool = True
    # Part of max_time for the targeted requests (Numscript, filters, cursors), and their cap.
    targeted_share: float = 0.25
    targeted_max: int = 1_000_000


# One pass with a few cases per operation: a smoke test of every operation that fits in
# `make test`. The long profile adds the coverage phase (boundary and invalid values of every
# parameter) and the stateful one (chains through the links schemathesis infers).
SHORT = Profile("short", max_time=150, max_examples=4, phases=("examples", "fuzzing"),
                repeat=False, targeted_max=150)
LONG = Profile("long", max_time=900, max_examples=100)


def run_schemathesis(spec: dict[str, Any], base_url: str, token: str, profile: Profile,
                     guard: Guard, tally: Tally, *, max_time: float,
                     seed: int | None = None) -> dict[str, Any]:
    import schemathesis
    from schemathesis.config import SchemathesisConfig
    from schemathesis.engine import Status, events, from_schema

    config: dict[str, Any] = {
        "base-url": base_url,
        "headers": {"Authorization": f"Bearer {token}"},
        # One request at a time: the machine is shared, and a 5xx must not be a load artefact.
        "workers": 1,
        "request-timeout": 30,
        "generation": {"max-examples": profile.max_examples, "mode": "all",
                       "allow-x00": profile.allow_nul},
        # Only the gate is a schemathesis check: a conformance failure would make Hypothesis
        # shrink and stop exploring that operation, hiding the server errors behind it.
        "checks": {"enabled": False, GATE_CHECK: {"enabled": True}},
        "phases": {name: {"enabled": name in profile.phases}
                   for name in ("examples", "coverage", "fuzzing", "stateful")},
        "suppress-health-check": ["all"],
        "warnings": False,
        "cache": {"enabled": False},
    }
    if profile.repeat:
        config["max-time"] = max(1, int(max_time))
    if seed is not None:
        config["seed"] = seed
    schema = schemathesis.openapi.from_dict(spec, config=SchemathesisConfig.from_dict(config))
    deadline = time.monotonic() + max_time
    summary: dict[str, Any] = {"operations": len(list(schema.get_all_operations())),
                               "errors": []}

    @schema.hook
    def filter_case(context: Any, case: Any) -> bool:
        return guard.allows(case.method, case.path, dict(case.path_parameters or {}))

    @schema.hook
    def after_call(context: Any, case: Any, response: Any) -> None:
        tally.record(case, response)
        # The engine's own max-time is given only to a repeating profile (it makes the engine
        # repeat); this bounds both.
        if time.monotonic() > deadline and not summary.get("budget_spent"):
            summary["budget_spent"] = True
            stream.stop()

    @schema.hook
    def after_network_error(context: Any, case: Any, request: Any) -> None:
        tally.record_network_error(case, request)

    stream = from_schema(schema).execute()
    started = time.monotonic()
    for event in stream:
        if isinstance(event, events.NonFatalError):
            summary["errors"].append(f"{event.label}: {_text(str(event.value), 300)}")
        elif isinstance(event, events.FatalError):
            raise RuntimeError(f"schemathesis stopped: {event.exception!r}")
        elif isinstance(event, events.ScenarioFinished) and event.status == Status.FAILURE:
            # schemathesis' own verdict of the gate check, a cross-check of the hook's tally.
            summary.setdefault("engine_failures", []).append(event.recorder.label)
        elif isinstance(event, events.EngineFinished):
            summary["stop_reason"] = ("time budget spent" if summary.get("budget_spent")
                                      else str(event.stop_reason))
    summary["seconds"] = round(time.monotonic() - started, 1)
    return summary


def run_targeted(base_url: str, token: str, seeds: Seeds, tally: Tally, *, max_time: float,
                 max_cases: int, seed: int | None = None) -> int:
    """Numscript programs, filters and cursors (fuzz/strategies.py), sent straight to the
    fuzz ledger and the lists: schemathesis' engine would put them through its own generation,
    where they end up a few percent of its cases. Batches of Hypothesis examples, each batch
    seeded from `seed`, until the time or the case budget is spent. Returns the cases sent."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed

    deadline = time.monotonic() + max_time
    sent = 0
    headers = {"Authorization": f"Bearer {token}"}
    http = httpx.Client(base_url=base_url, headers=headers, timeout=30)

    @settings(max_examples=50, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(requests(seeds))
    def batch(request: Request) -> None:
        nonlocal sent
        if sent >= max_cases or time.monotonic() > deadline:
            return
        sent += 1
        try:
            resp = http.request(request.method, request.path, params=request.query,
                                json=request.body)
        except httpx.HTTPError:
            tally.record_targeted(request, None)
            return
        tally.record_targeted(request, resp)

    try:
        for i in itertools.count():
            if sent >= max_cases or time.monotonic() > deadline:
                break
            hypothesis_seed((seed or 0) * 1_000_003 + i)(batch)()
    finally:
        http.close()
    return sent


def integrity_problems(base_url: str, client_id: str, client_secret: str,
                       guard: Guard) -> list[str]:
    """After the run: does everything the stack needs still work? A fresh token for the bootstrap
    client with its scopes intact, every module answering, and a wallet that can be made,
    credited and read (which fails once the wallets ledger is deleted or reconfigured)."""
    from fuzz.stack import client_credentials_token

    problems = []
    try:
        token = client_credentials_token(base_url, client_id, client_secret)
    except Exception as exc:
        return [f"the bootstrap client no longer gets a token: {exc}"]
    headers = {"Authorization": f"Bearer {token}"}

    def expect(resp: httpx.Response, *statuses: int) -> httpx.Response:
        if resp.status_code not in statuses:
            problems.append(f"{resp.request.method} {resp.request.url.path}: "
                            f"{resp.status_code} {_text(resp.content, 300)}")
        return resp

    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as http:
        for path in ("/versions", f"/api/auth/clients/{client_id}", "/api/wallets/wallets",
                     "/api/webhooks/configs", "/api/ledger/v2"):
            expect(http.get(path), 200)
        created = expect(http.post("/api/wallets/wallets",
                                   json={"name": "fuzz-integrity", "metadata": {}}), 201)
        if created.status_code == 201:
            wallet = created.json()["data"]["id"]
            expect(http.post(f"/api/wallets/wallets/{wallet}/credit",
                             json={"amount": {"asset": "USD/2", "amount": 100}}), 204)
            balance = expect(http.get(f"/api/wallets/wallets/{wallet}/balances/main"), 200)
            if balance.status_code == 200 and balance.json()["data"]["assets"] != {"USD/2": 100}:
                problems.append(f"wallet balance after a credit of 100 USD/2: {balance.text}")
        for ledger in guard.ledgers:
            resp = expect(http.get(f"/api/ledger/v2/{ledger}"), 200)
            if resp.status_code == 200 and resp.json()["data"].get("deletedAt"):
                problems.append(f"system ledger {ledger} was deleted")
    return problems


def report(tally: Tally, summary: dict[str, Any], modules: list[str], profile: Profile,
           guard: Guard, integrity: list[str]) -> dict[str, Any]:
    return {
        "profile": profile.name,
        "modules": modules,
        "operations": summary.get("operations"),
        "seconds": summary.get("seconds"),
        "stop_reason": summary.get("stop_reason"),
        "cases": dict(sorted(tally.cases.items())),
        "cases_total": sum(tally.cases.values()),
        "statuses": {m: dict(sorted(c.items())) for m, c in sorted(tally.statuses.items())},
        "error_codes": {m: dict(c.most_common()) for m, c in sorted(tally.error_codes.items())},
        "cases_per_operation": dict(sorted(tally.per_operation.items())),
        "odd_4xx": dict(sorted(tally.odd_errors.items())),
        "server_errors": [f.as_dict() for f in tally.server_errors.values()],
        "network_errors": [f.as_dict() for f in tally.network_errors.values()],
        "schema_violations": dict(sorted(tally.conformance_count.items())),
        "schema_violation_kinds": [f.as_dict() for f in tally.conformance.values()],
        "seeds": summary.get("seeds"),
        "targeted_cases": summary.get("targeted_cases"),
        "guard_blocked": dict(guard.blocked),
        "integrity_problems": integrity,
        "engine_errors": summary.get("errors", []),
        "engine_failures": summary.get("engine_failures", []),
    }


def passed(result: dict[str, Any]) -> bool:
    return not (result["server_errors"] or result["network_errors"]
                or result["integrity_problems"] or result["engine_failures"])


def print_summary(result: dict[str, Any]) -> None:
    print(f"fuzz profile {result['profile']}: {result['cases_total']} cases on "
          f"{result['operations']} operations in {result['seconds']} s "
          f"({result['stop_reason']}); {result.get('targeted_cases')} of them targeted "
          f"(Numscript, filters, cursors); seeds {result.get('seeds')}")
    for module in result["modules"]:
        print(f"  {module:<10} cases={result['cases'].get(module, 0):<6} "
              f"statuses={result['statuses'].get(module, {})} "
              f"schema_violations={result['schema_violations'].get(module, 0)}")
        codes = list(result["error_codes"].get(module, {}).items())[:10]
        if codes:
            print(f"             4xx codes: {dict(codes)}")
    for kind, items in (("SERVER ERROR", result["server_errors"]),
                        ("NO ANSWER", result["network_errors"])):
        for f in items:
            rep = f["reproducer"]
            print(f"{kind} x{f['count']} {f['operation']} -> {f['status']}\n"
                  f"    {rep['method']} {rep['url']}\n    body: {rep['body']}\n"
                  f"    answer: {f['response']}")
    for f in result["schema_violation_kinds"]:
        print(f"schema x{f['count']} {f['operation']} -> {f['status']}: "
              f"{f['response'].splitlines()[0]}")
    for label, count in result["guard_blocked"].items():
        print(f"guard: skipped {count} x {label}")
    for problem in result["integrity_problems"]:
        print(f"INTEGRITY: {problem}")
    for error in result["engine_errors"]:
        print(f"schemathesis: {error}")
    for failure in result["engine_failures"]:
        print(f"schemathesis check failed: {failure}")


def write_json(result: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, default=str))
