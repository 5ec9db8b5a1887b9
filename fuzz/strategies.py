"""Inputs the specs cannot describe, for the parts of the API that parse a language of their own.

The specs type a Numscript program as a string, a ledger filter as "any object" and a cursor as a
string, so schemathesis alone almost never writes a program that parses, a filter with a real
operator or a cursor that decodes: the interpreter, the filter compiler and the cursor decoder
would only ever see their first line of input checks. Here:

* Numscript: the conformance programs of ../shared/numscript-testdata, mutated token by token
  (edge amounts, portions, assets, accounts, dropped and repeated tokens), with their variables
  mutated too, sent to the fuzz ledger, whose accounts the seeding funded.
* Filters: the Formance filter language ($match, $lt, ..., $and/$or/$not) over the fields of
  every list, with values of every JSON type and of the edges of each kind.
* Cursors: real cursors of every list, taken at seeding, with a value replaced, a key dropped or
  added.

They are sent in a phase of their own before schemathesis' (see `run_targeted`)."""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

FUZZ_LEDGER = "fuzz-ledger"

# --- JSON values, with the edges the parsers have to refuse or handle -------------------------

EDGE_INTS = [0, -1, 1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 10**40, -(10**40)]
EDGE_STRINGS = ["", " ", "0", "-1", "1.5", "1e3", "NaN", "Infinity", "null", "true",
                "9223372036854775808", "1" + "0" * 40, "2026-12-01T00:00:00Z",
                "2026-13-45T99:99:99Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z",
                "users:", ":", "users::001", "users:001", "world", "%", "_", "users:%",
                "\\", "'", '"', "$match", "[", "]", "{}", "USD/2", "USD/2 100", "a" * 300,
                "\u00e9\u4e2d\U0001f600", "\u202e"]

scalars: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(EDGE_INTS), st.integers(), st.sampled_from(EDGE_STRINGS),
    st.text(max_size=20), st.booleans(), st.none(),
    st.floats(allow_nan=False, allow_infinity=False),
)
json_values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.text(max_size=8), children, max_size=4)),
    max_leaves=8,
)

# --- Filters ----------------------------------------------------------------------------------

FILTER_FIELDS = ["address", "account", "source", "destination", "reference", "id", "timestamp",
                 "inserted_at", "insertion_date", "updated_at", "reverted_at", "reverted",
                 "first_usage", "balance", "balance[USD/2]", "balance[]", "metadata",
                 "metadata[foo]", "metadata[]", "metadata[a[b]]", "date", "type", "name",
                 "bucket", "features[HASH_LOGS]", "revertedAt", "unknown"]
FILTER_OPERATORS = ["$match", "$lt", "$lte", "$gt", "$gte", "$like", "$in", "$exists", "$eq",
                    "$and", "$or", "$not", "match", ""]

leaf_filters: st.SearchStrategy[Any] = st.builds(
    lambda op, name, value: {op: {name: value}},
    st.sampled_from(FILTER_OPERATORS),
    st.one_of(st.sampled_from(FILTER_FIELDS), st.text(max_size=12)),
    st.one_of(json_values, st.lists(scalars, max_size=5)),
)
filters: st.SearchStrategy[Any] = st.recursive(
    st.one_of(leaf_filters, json_values),
    lambda children: st.one_of(
        st.builds(lambda op, items: {op: items}, st.sampled_from(["$and", "$or"]),
                  st.lists(children, max_size=4)),
        st.builds(lambda item: {"$not": item}, children),
        st.dictionaries(st.sampled_from(["$and", "$or", "$not", "$match"]), children,
                        min_size=2, max_size=3),
    ),
    max_leaves=6,
)

# --- Numscript --------------------------------------------------------------------------------

_TOKEN = re.compile(r'"[^"\n]*"|\[[A-Za-z0-9_/*]+ [^\]]*\]|[@$][\w:{}$-]*|\d+(?:\.\d+)?%?|'
                    r'\d+/\d+|[A-Za-z_][\w/]*|[^\s\w]|\s+')
KEYWORDS = ["vars", "send", "source", "destination", "max", "from", "to", "remaining", "kept",
            "allowing", "unbounded", "overdraft", "up", "set_tx_meta", "set_account_meta",
            "save", "meta", "balance", "overdraft", "oneof", "through", "print", "account",
            "monetary", "portion", "number", "string", "asset", "*", "{", "}", "(", ")", "[",
            "]", "=", "%", "/", "+", "-", ",", "@", "$", "\n"]
EDGE_AMOUNTS = ["0", "-1", "1", "9223372036854775807", "9223372036854775808", "1" + "0" * 40,
                "1.5", "*"]
EDGE_PORTIONS = ["0%", "100%", "101%", "-5%", "1/0", "0/0", "1/3", "3/2", "99999999999999999%",
                 "1/99999999999999999999", "0.5%", "33.333333333333333333%"]
EDGE_ASSETS = ["USD/2", "COIN", "USD/0", "USD/99", "USD/-1", "usd", "A" * 70, "EUR/2", "*"]
EDGE_ACCOUNTS = ["@world", "@users:001", "@users:002", "@a", "@", "@:", "@users::x", "@a" * 50,
                 "@world:x", "@$x", "@{x}"]


@dataclass(frozen=True)
class Program:
    text: str
    variables: dict[str, Any]


@dataclass
class Seeds:
    """What the strategies start from: programs, accounts to fund, real cursors."""

    programs: list[Program] = field(default_factory=list)
    balances: dict[tuple[str, str], int] = field(default_factory=dict)
    cursors: list[str] = field(default_factory=list)


def load_programs(testdata: Path) -> Seeds:
    seeds = Seeds()
    for path in sorted(testdata.glob("*.num")):
        spec_file = path.with_name(path.name + ".specs.json")
        variables: dict[str, Any] = {}
        if spec_file.exists():
            spec = json.loads(spec_file.read_text())
            for case in [spec, *spec.get("testCases", [])]:
                variables = variables or dict(case.get("variables") or {})
                for bal in case.get("balances") or []:
                    if isinstance(bal, dict) and isinstance(bal.get("amount"), int) \
                            and bal["amount"] > 0:
                        key = (str(bal.get("account")), str(bal.get("asset")))
                        seeds.balances[key] = max(seeds.balances.get(key, 0),
                                                  min(bal["amount"], 10**12))
        seeds.programs.append(Program(path.read_text(), variables))
    return seeds


def _mutate_token(draw: st.DrawFn, token: str) -> str:
    if token.strip() == "":
        return token
    if re.fullmatch(r"\d+(\.\d+)?%|\d+/\d+", token):
        return draw(st.sampled_from(EDGE_PORTIONS))
    if re.fullmatch(r"\d+(\.\d+)?", token):
        return draw(st.sampled_from(EDGE_AMOUNTS))
    if token.startswith("["):
        return f"[{draw(st.sampled_from(EDGE_ASSETS))} {draw(st.sampled_from(EDGE_AMOUNTS))}]"
    if token.startswith("@"):
        return draw(st.sampled_from(EDGE_ACCOUNTS))
    if token.startswith('"'):
        return draw(st.sampled_from(['""', '"' + "k" * 200 + '"', '"\\"', "\"a'b\"", '"\u00e9"']))
    return draw(st.sampled_from(KEYWORDS))


@st.composite
def mutated_program(draw: st.DrawFn, programs: list[Program]) -> Program:
    program = draw(st.sampled_from(programs))
    tokens = _TOKEN.findall(program.text)
    for _ in range(draw(st.integers(0, 3))):
        if not tokens:
            break
        i = draw(st.integers(0, len(tokens) - 1))
        action = draw(st.sampled_from(["replace", "replace", "delete", "repeat", "insert",
                                       "truncate"]))
        if action == "replace":
            tokens[i] = _mutate_token(draw, tokens[i])
        elif action == "delete":
            del tokens[i]
        elif action == "repeat":
            tokens.insert(i, tokens[i])
        elif action == "insert":
            tokens.insert(i, " " + draw(st.sampled_from(KEYWORDS)) + " ")
        else:
            tokens = tokens[:i]
    variables = dict(program.variables)
    change_one: bool = draw(st.booleans())
    if variables and change_one:
        name = draw(st.sampled_from(sorted(variables)))
        variables[name] = draw(st.one_of(
            json_values, st.sampled_from(EDGE_ACCOUNTS).map(lambda a: a.lstrip("@")),
            st.builds(lambda asset, amount: f"{asset} {amount}", st.sampled_from(EDGE_ASSETS),
                      st.sampled_from(EDGE_AMOUNTS)),
            st.sampled_from(EDGE_PORTIONS)))
    if draw(st.integers(0, 9)) == 0:
        variables[draw(st.text(max_size=6))] = draw(json_values)
    return Program("".join(tokens), variables)


def script_body(program: Program) -> dict[str, Any]:
    return {"plain": program.text, "vars": program.variables}


# --- Cursors ----------------------------------------------------------------------------------

def decode_cursor(token: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))


def encode_cursor(state: Any) -> str:
    text = json.dumps(state, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@st.composite
def mutated_cursor(draw: st.DrawFn, cursors: list[str]) -> str:
    state = decode_cursor(draw(st.sampled_from(cursors)))
    if isinstance(state, dict) and state:
        key = draw(st.sampled_from(sorted(state)))
        action = draw(st.sampled_from(["replace", "replace", "drop", "add"]))
        if action == "replace":
            state[key] = draw(json_values)
        elif action == "drop":
            del state[key]
        else:
            state[draw(st.text(max_size=8))] = draw(json_values)
    return encode_cursor(state)


# --- Targeted requests ---------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    operation: str  # "METHOD /path/template", as the report names operations
    method: str
    path: str
    query: dict[str, str]
    body: Any = None


_FILTERED_LISTS = [f"/api/ledger/v2/{FUZZ_LEDGER}/{name}"
                   for name in ("transactions", "accounts", "volumes", "logs",
                                "aggregate/balances")] + ["/api/ledger/v2"]
_CURSOR_LISTS = [*_FILTERED_LISTS, f"/api/ledger/{FUZZ_LEDGER}/transactions",
                 f"/api/ledger/{FUZZ_LEDGER}/accounts", f"/api/ledger/{FUZZ_LEDGER}/logs",
                 "/api/wallets/wallets", "/api/wallets/transactions", "/api/wallets/holds",
                 "/api/webhooks/configs", "/api/webhooks/deliveries", "/api/auth/clients"]


def _template(path: str) -> str:
    return path.replace(f"/{FUZZ_LEDGER}", "/{ledger}", 1)


def _script_request(kind: str, program: Program, dry_run: bool) -> Request:
    script = script_body(program)
    query = {"dryRun": "true"} if dry_run else {}
    base = f"/api/ledger/v2/{FUZZ_LEDGER}" if kind in ("v2", "bulk") \
        else f"/api/ledger/{FUZZ_LEDGER}"
    path, body = {
        "v2": (f"{base}/transactions", {"script": script, "metadata": {}}),
        "bulk": (f"{base}/_bulk", [{"action": "CREATE_TRANSACTION", "data": {"script": script}}]),
        "v1": (f"{base}/transactions", {"script": script}),
        "v1-script": (f"{base}/script", script),
        "v1-batch": (f"{base}/transactions/batch", {"transactions": [{"script": script}]}),
    }[kind]
    return Request(f"POST {_template(path)}", "POST", path, query, body)


def requests(seeds: Seeds) -> st.SearchStrategy[Request]:
    """Programs to run, filters to compile, cursors to decode."""
    variants: list[st.SearchStrategy[Request]] = [
        st.builds(lambda path, f: Request(f"GET {_template(path)}", "GET", path, {}, f),
                  st.sampled_from(_FILTERED_LISTS), filters)]
    if seeds.programs:
        variants.append(st.builds(
            _script_request, st.sampled_from(["v2", "v2", "v2", "bulk", "v1", "v1-script",
                                              "v1-batch"]),
            mutated_program(seeds.programs), st.booleans()))
    if seeds.cursors:
        variants.append(st.builds(
            lambda path, c: Request(f"GET {_template(path)}", "GET", path, {"cursor": c}),
            st.sampled_from(_CURSOR_LISTS), mutated_cursor(seeds.cursors)))
    return st.one_of(*variants)
