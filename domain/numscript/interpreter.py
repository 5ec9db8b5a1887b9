"""Executes a compiled program against a ``Store`` (semantics: reference/numscript.md §3-§9).

Store access is batched. Before the variables are bound, and again before the statements run, the
interpreter evaluates in *collect mode* the expressions that name what will be read (source
accounts and the sent asset, ``balance()``/``overdraft()``/``meta()`` arguments) and asks the store
once for all of it. Whatever that pass could not foresee (an account read from metadata, say) is
fetched when first needed: the statement is rolled back, the missing rows are fetched, and the
statement runs again. A row is never requested twice in one execution.

Balances are kept as ``base`` (what the store said) plus ``delta`` (what this execution moved), so
credits to accounts never read need no store access, and a ``oneof`` branch or a statement retry
rolls back by restoring a copy of ``delta`` alone.

The interpreter itself is synchronous; only the store calls are awaited.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Final, NoReturn

from domain.numscript import features as ff
from domain.numscript.allotment import resolve_shares, split
from domain.numscript.analysis import has_calls, statement_exprs
from domain.numscript.ast import (
    BOUNDED_OVERDRAFT,
    UNBOUNDED_OVERDRAFT,
    AccountTemplate,
    BinOp,
    Call,
    Const,
    Destination,
    DstAccount,
    DstAllotment,
    DstInOrder,
    DstKept,
    DstOneof,
    Expr,
    FnStatement,
    MonetaryExpr,
    Neg,
    Program,
    Save,
    Send,
    Source,
    SrcAccount,
    SrcAllotment,
    SrcCapped,
    SrcInOrder,
    SrcOneof,
    SrcScaling,
    Statement,
    VarDecl,
    VarRef,
)
from domain.numscript.errors import (
    BadPortionParsingError,
    CannotCastToStringError,
    ExperimentalFeatureError,
    InvalidAccountNameError,
    InvalidAllotmentInSendAllError,
    InvalidAssetError,
    InvalidColorError,
    InvalidMonetaryLiteralError,
    InvalidNestedMetaError,
    InvalidNumberLiteralError,
    InvalidPostingError,
    InvalidUnboundedAddressInScalingError,
    InvalidUnboundedInSendAllError,
    MetadataNotFoundError,
    MismatchedCurrencyError,
    MissingFundsError,
    MissingVariableError,
    NegativeAmountError,
    NegativeBalanceError,
    NumscriptError,
    NumscriptTypeError,
    QueryBalanceError,
    QueryMetadataError,
    UnboundVariableError,
)
from domain.numscript.ports import SCALE_WILDCARD, Store, matches_wildcard
from domain.numscript.result import ExecutionResult, Posting
from domain.numscript.values import (
    COLOR_RE,
    WORLD,
    AccountName,
    AssetName,
    Monetary,
    Value,
    apply_binop,
    apply_neg,
    describe,
    fold_asset,
    is_valid_account,
    is_valid_asset,
    make_monetary,
    parse_typed,
    render,
    split_scale,
    type_name,
)

_Key = tuple[str, str]  # (account, ledger asset name)


class _Chunk:
    """Funds pulled from one sender, waiting in the queue for receivers (FIFO)."""

    __slots__ = ("account", "amount", "color")

    def __init__(self, account: str, color: str, amount: int) -> None:
        self.account = account
        self.color = color
        self.amount = amount


_Queue = deque[_Chunk]

_SEND_ALL: Final = -1  # "take everything available" in the scaling helper


class _NeedsFetch(Exception):
    """A balance row or metadata entry that the collect pass did not foresee."""

    def __init__(self, key: _Key | None = None, meta: _Key | None = None) -> None:
        super().__init__()
        self.key = key
        self.meta = meta


class _Unknown(Exception):
    """Collect mode only: a value that depends on data not fetched yet."""


def plan(program: Program) -> None:
    """Work out once, at compile time, what the statements made only of literals will read."""
    program.flags = program.pragma_features | program.host_features
    static: list[Statement] = []
    dynamic: list[Statement] = []
    for st in program.statements:
        if all(isinstance(e, Const) for e in statement_exprs(st)):
            static.append(st)
        else:
            dynamic.append(st)
    # Every flag on: a statement whose flag is missing at run time fails before reading anyway.
    probe = _Execution(program, _NO_STORE, ff.KNOWN_FEATURES)
    for st in static:
        probe.collect_statement(st)
    program.static_reads = frozenset(probe.wanted)
    program.static_patterns = frozenset(probe.wanted_patterns)
    program.dynamic_statements = tuple(dynamic)


async def run(
    program: Program,
    variables: Mapping[str, str],
    store: Store,
    features: frozenset[str] = frozenset(),
) -> ExecutionResult:
    flags = program.flags | features if features else program.flags
    ex = _Execution(program, store, flags)
    ex.wanted.update(program.static_reads)
    ex.wanted_patterns.update(program.static_patterns)
    if program.vars:
        complete = await ex.bind_vars(variables)
    else:
        complete = False
    if not complete:
        for st in program.dynamic_statements:
            ex.collect_statement(st)
    if ex.wanted or ex.wanted_patterns:
        await ex.fetch()
    for st in program.statements:
        while True:
            saved_delta = ex.delta.copy()
            saved_postings = len(ex.postings)
            try:
                ex.statement(st)
                break
            except _NeedsFetch as missing:
                ex.delta = saved_delta
                del ex.postings[saved_postings:]
                ex.collect_statement(st)
                if missing.key is not None:
                    ex.wanted.add(missing.key)
                await ex.fetch()
    if ex.postings:
        ex.check_postings()
    return ExecutionResult(ex.postings, ex.tx_meta, ex.account_meta)


class _NoStore:
    async def get_balances(self, query: dict[str, set[str]]) -> dict[str, dict[str, int]]:
        raise AssertionError("planning never reads")

    async def get_accounts_metadata(self, query: dict[str, set[str]]) -> dict[str, dict[str, str]]:
        raise AssertionError("planning never reads")


_NO_STORE: Final = _NoStore()


class _Execution:
    __slots__ = (
        "account_meta",
        "base",
        "collecting",
        "delta",
        "env",
        "flags",
        "in_origin",
        "meta_cache",
        "patterns",
        "postings",
        "program",
        "store",
        "tx_meta",
        "wanted",
        "wanted_meta",
        "wanted_patterns",
    )

    def __init__(self, program: Program, store: Store, flags: frozenset[str]) -> None:
        self.program = program
        self.store = store
        self.flags = flags
        self.env: dict[str, Value] = {}
        self.base: dict[_Key, int] = {}
        self.delta: dict[_Key, int] = {}
        self.patterns: set[_Key] = set()  # (account, base asset) fetched with a wildcard
        self.meta_cache: dict[_Key, str | None] = {}
        self.wanted: set[_Key] = set()
        self.wanted_patterns: set[_Key] = set()
        self.wanted_meta: set[_Key] = set()
        self.postings: list[Posting] = []
        self.tx_meta: dict[str, str] = {}
        self.account_meta: dict[str, dict[str, str]] = {}
        self.collecting = False
        self.in_origin = False

    # --- store access --------------------------------------------------------------------------

    async def fetch(self) -> None:
        base = self.base
        query: dict[str, set[str]] = {}
        for key in self.wanted:
            if key not in base and not self._covered(key):
                query.setdefault(key[0], set()).add(key[1])
        for key in self.wanted_patterns:
            if key not in self.patterns:
                query.setdefault(key[0], set()).add(key[1] + SCALE_WILDCARD)
        self.wanted.clear()
        self.wanted_patterns.clear()
        if query:
            answer = await self.store.get_balances(query)
            for account, assets in query.items():
                row = answer.get(account) or {}
                for asset in assets:
                    if asset.endswith(SCALE_WILDCARD):
                        prefix = asset[: -len(SCALE_WILDCARD)]
                        self.patterns.add((account, prefix))
                        for name, amount in row.items():
                            if matches_wildcard(name, prefix):
                                base[(account, name)] = _checked_amount(account, name, amount)
                    else:
                        amount = row.get(asset, 0)
                        base[(account, asset)] = _checked_amount(account, asset, amount)
        if self.wanted_meta:
            meta_query: dict[str, set[str]] = {}
            for account, meta_key in self.wanted_meta:
                if (account, meta_key) not in self.meta_cache:
                    meta_query.setdefault(account, set()).add(meta_key)
            self.wanted_meta.clear()
            if meta_query:
                meta_answer = await self.store.get_accounts_metadata(meta_query)
                for account, meta_keys in meta_query.items():
                    meta_row = meta_answer.get(account) or {}
                    for meta_key in meta_keys:
                        value = meta_row.get(meta_key)
                        if value is not None and not isinstance(value, str):
                            raise QueryMetadataError(
                                f"store returned a non-string metadata {account}/{meta_key}"
                            )
                        self.meta_cache[(account, meta_key)] = value

    def _covered(self, key: _Key) -> bool:
        if not self.patterns:
            return False
        asset = key[1]
        slash = asset.find("/")
        return (key[0], asset if slash < 0 else asset[:slash]) in self.patterns

    def read(self, key: _Key) -> int:
        b = self.base.get(key)
        if b is None:
            if not self._covered(key):
                raise _NeedsFetch(key)
            self.base[key] = b = 0
        d = self.delta.get(key)
        return b if d is None else b + d

    def move(self, key: _Key, amount: int) -> None:
        delta = self.delta
        delta[key] = delta.get(key, 0) + amount

    # --- variables -----------------------------------------------------------------------------

    async def bind_vars(self, inputs: Mapping[str, str]) -> bool:
        """Bind every variable. Returns whether the statements were already collected with a
        complete environment (so that ``run`` need not collect them again)."""
        env = self.env
        origins: list[VarDecl] = []
        for decl in self.program.vars:
            if decl.origin is not None:
                origins.append(decl)
                continue
            raw = inputs.get(decl.name)
            if raw is None:
                raise MissingVariableError(
                    f"missing value for variable ${decl.name}", line=decl.line, column=decl.col
                )
            env[decl.name] = _parse_input(decl, raw, "variable")
        if not origins:
            for st in self.program.dynamic_statements:
                self.collect_statement(st)
            return True
        # Speculative pass: what can be foreseen with the inputs alone.
        real_env = env
        self.env = dict(env)
        self.collecting = True
        complete = True
        for decl in origins:
            try:
                self.env[decl.name] = self.origin(decl)
            except (_Unknown, NumscriptError):
                complete = False
        for st in self.program.dynamic_statements:
            self.collect_statement(st)
        self.collecting = False
        self.env = real_env
        await self.fetch()
        for decl in origins:
            while True:
                try:
                    env[decl.name] = self.origin(decl)
                    break
                except _NeedsFetch as missing:
                    if missing.key is not None:
                        self.wanted.add(missing.key)
                    if missing.meta is not None:
                        self.wanted_meta.add(missing.meta)
                    await self.fetch()
        return complete

    def origin(self, decl: VarDecl) -> Value:
        origin = decl.origin
        assert origin is not None
        self.in_origin = True
        try:
            if type(origin) is Call and origin.name == "meta":
                return self.meta(decl, origin)
            if type(origin) is not Call and ff.MID_SCRIPT_FUNCTION_CALL not in self.flags:
                self.experimental(ff.MID_SCRIPT_FUNCTION_CALL, origin, "an expression as origin")
            return self.ev(origin)
        finally:
            self.in_origin = False

    def meta(self, decl: VarDecl, call: Call) -> Value:
        account = self.ev_account(call.args[0])
        key = self.ev(call.args[1])
        if type(key) is not str:
            self.type_error("string", key, call.args[1])
        assert isinstance(key, str)
        if self.collecting:
            self.wanted_meta.add((account, key))
            raise _Unknown
        cache_key = (str(account), key)
        if cache_key not in self.meta_cache:
            raise _NeedsFetch(meta=cache_key)
        raw = self.meta_cache[cache_key]
        if raw is None:
            raise MetadataNotFoundError(
                f"account @{account} has no metadata {key!r}", line=call.line, column=call.col
            )
        return _parse_input(decl, raw, "metadata for")

    # --- collect mode --------------------------------------------------------------------------

    def collect_statement(self, st: Statement) -> None:
        self.collecting = True
        try:
            if type(st) is Send:
                asset = self._collect_asset(st.amount, st.all_asset)
                if asset is not None:
                    self._collect_source(st.source, asset)
                if has_calls_in_destination(st.destination):
                    self._collect_destination(st.destination)
            elif type(st) is Save:
                asset = self._collect_asset(st.amount, st.all_asset)
                account = self._try_account(st.account)
                if asset is not None and account is not None:
                    self.wanted.add((account, asset))
            elif type(st) is FnStatement:
                self._collect_exprs(st.args)
        finally:
            self.collecting = False

    def _try(self, e: Expr) -> Value | None:
        try:
            return self.ev(e)
        except (_Unknown, NumscriptError):
            return None

    def _try_account(self, e: Expr) -> str | None:
        value = self._try(e)
        return value if type(value) is AccountName else None

    def _collect_exprs(self, exprs: Iterable[Expr | None]) -> None:
        for e in exprs:
            if e is not None and type(e) is not Const and has_calls(e):
                self._try(e)

    def _collect_asset(self, amount: Expr | None, all_asset: Expr | None) -> str | None:
        if amount is not None:
            value = self._try(amount)
            return value.asset if type(value) is Monetary else None
        assert all_asset is not None
        value = self._try(all_asset)
        return value if type(value) is AssetName else None

    def _collect_source(self, s: Source, asset: str) -> None:
        if isinstance(s, SrcAccount):
            self._collect_exprs((s.bound,))
            if s.overdraft == UNBOUNDED_OVERDRAFT:
                return
            account = self._try_account(s.account)
            if account is None or account == WORLD:
                return
            color = ""
            if s.color is not None:
                value = self._try(s.color)
                if type(value) is not str:
                    return
                assert isinstance(value, str)
                color = value
            self.wanted.add((account, fold_asset(asset, color)))
        elif isinstance(s, SrcScaling):
            account = self._try_account(s.account)
            if account is not None and account != WORLD:
                self.wanted_patterns.add((account, split_scale(asset)[0]))
        elif isinstance(s, SrcInOrder | SrcOneof):
            for item in s.items:
                self._collect_source(item, asset)
        elif isinstance(s, SrcAllotment):
            self._collect_exprs(s.portions)
            for item in s.items:
                self._collect_source(item, asset)
        else:
            assert isinstance(s, SrcCapped)
            self._collect_exprs((s.cap,))
            self._collect_source(s.source, asset)

    def _collect_destination(self, d: Destination) -> None:
        if isinstance(d, DstAccount):
            self._collect_exprs((d.account,))
        elif isinstance(d, DstAllotment):
            self._collect_exprs(d.portions)
            for t in d.targets:
                self._collect_destination(t)
        elif isinstance(d, DstInOrder | DstOneof):
            self._collect_exprs(d.caps)
            for t in d.targets:
                self._collect_destination(t)
            self._collect_destination(d.remaining)

    # --- expressions ---------------------------------------------------------------------------

    def ev(self, e: Expr) -> Value:
        if isinstance(e, Const):
            return e.value
        if isinstance(e, VarRef):
            try:
                return self.env[e.name]
            except KeyError:
                if self.collecting:
                    raise _Unknown from None
                raise UnboundVariableError(
                    f"variable ${e.name} is not bound", line=e.line, column=e.col
                ) from None
        if isinstance(e, MonetaryExpr):
            return make_monetary(self.ev(e.asset), self.ev(e.amount), e.line, e.col)
        if isinstance(e, BinOp):
            return apply_binop(e.op, self.ev(e.left), self.ev(e.right), e.line, e.col)
        if isinstance(e, Neg):
            return apply_neg(self.ev(e.operand), e.line, e.col)
        if isinstance(e, AccountTemplate):
            return self.interpolate(e)
        assert isinstance(e, Call)
        return self.call(e)

    def interpolate(self, e: AccountTemplate) -> AccountName:
        if ff.ACCOUNT_INTERPOLATION not in self.flags:
            self.experimental(ff.ACCOUNT_INTERPOLATION, e, "account interpolation")
        parts: list[str] = []
        for part in e.parts:
            if isinstance(part, str):
                parts.append(part)
                continue
            value = self.ev(part)
            t = type(value)
            if t is AccountName or t is str or t is int:
                parts.append(str(value))
            else:
                raise CannotCastToStringError(
                    f"cannot interpolate {type_name(value)} {describe(value)} into an account",
                    line=part.line,
                    column=part.col,
                )
        name = ":".join(parts)
        if not is_valid_account(name):
            raise InvalidAccountNameError(
                f"invalid account name @{name}", line=e.line, column=e.col
            )
        return AccountName(name)

    def call(self, e: Call) -> Value:
        name = e.name
        if not self.in_origin and ff.MID_SCRIPT_FUNCTION_CALL not in self.flags:
            self.experimental(ff.MID_SCRIPT_FUNCTION_CALL, e, f"calling {name}() here")
        if name == "balance" or name == "overdraft":
            if name == "overdraft" and ff.OVERDRAFT_FUNCTION not in self.flags:
                self.experimental(ff.OVERDRAFT_FUNCTION, e, "overdraft()")
            account = self.ev_account(e.args[0])
            asset = self.ev(e.args[1])
            if type(asset) is not AssetName:
                self.type_error("asset", asset, e.args[1])
            assert isinstance(asset, str)
            key = (str(account), asset)
            if self.collecting:
                self.wanted.add(key)
                return Monetary(asset, 0)
            balance = self.read(key)
            if name == "overdraft":
                return Monetary(asset, -balance if balance < 0 else 0)
            if balance < 0:
                raise NegativeBalanceError(
                    f"balance of @{account} in {asset} is negative ({balance})",
                    line=e.line,
                    column=e.col,
                )
            return Monetary(asset, balance)
        if name == "get_asset" or name == "get_amount":
            flag = ff.GET_ASSET_FUNCTION if name == "get_asset" else ff.GET_AMOUNT_FUNCTION
            if flag not in self.flags:
                self.experimental(flag, e, f"{name}()")
            value = self.ev(e.args[0])
            if type(value) is not Monetary:
                self.type_error("monetary", value, e.args[0])
            assert isinstance(value, Monetary)
            return AssetName(value.asset) if name == "get_asset" else value.amount
        # meta() is legal only as a whole variable origin, which ``origin`` handles.
        raise InvalidNestedMetaError(
            "meta() can only be used as the whole origin of a variable",
            line=e.line,
            column=e.col,
        )

    def ev_account(self, e: Expr) -> AccountName:
        value = self.ev(e)
        if type(value) is not AccountName:
            self.type_error("account", value, e)
        assert isinstance(value, AccountName)
        return value

    def ev_cap(self, e: Expr, asset: str) -> int:
        """A monetary of the statement's asset, as its amount."""
        value = self.ev(e)
        if type(value) is not Monetary:
            self.type_error("monetary", value, e)
        assert isinstance(value, Monetary)
        if value.asset != asset:
            raise MismatchedCurrencyError(
                f"mismatched assets: expected {asset}, got {describe(value)}",
                line=e.line,
                column=e.col,
            )
        return value.amount

    def ev_color(self, e: Expr) -> str:
        if ff.ASSET_COLORS not in self.flags:
            self.experimental(ff.ASSET_COLORS, e, "asset colours")
        value = self.ev(e)
        if type(value) is not str:
            self.type_error("string", value, e)
        assert isinstance(value, str)
        if COLOR_RE.fullmatch(value) is None:
            raise InvalidColorError(
                f"invalid colour {value!r} (expected upper-case letters)",
                line=e.line,
                column=e.col,
            )
        return value

    def type_error(self, expected: str, value: Value, at: Expr) -> NoReturn:
        raise NumscriptTypeError(
            f"expected {expected}, got {type_name(value)} {describe(value)}",
            line=at.line,
            column=at.col,
        )

    def experimental(self, flag: str, at: Expr | Source | Destination, what: str) -> NoReturn:
        raise ExperimentalFeatureError(
            f"{what} needs the feature flag {flag!r}", line=at.line, column=at.col
        )

    # --- statements ----------------------------------------------------------------------------

    def statement(self, st: Statement) -> None:
        if type(st) is Send:
            self.send(st)
        elif type(st) is Save:
            self.save(st)
        else:
            assert isinstance(st, FnStatement)
            self.fn_statement(st)

    def send(self, st: Send) -> None:
        queue: _Queue = deque()
        if st.amount is not None:
            value = self.ev(st.amount)
            if type(value) is not Monetary:
                self.type_error("monetary", value, st.amount)
            assert isinstance(value, Monetary)
            asset, total = value.asset, value.amount
            if total < 0:
                raise NegativeAmountError(
                    f"cannot send a negative amount: {describe(value)}",
                    line=st.amount.line,
                    column=st.amount.col,
                )
            got = self.pull(st.source, total, asset, queue)
            if got < total:
                raise MissingFundsError(
                    f"not enough funds: needed {asset} {total}, available {asset} {got}",
                    asset=asset,
                    needed=total,
                    available=got,
                    line=st.line,
                    column=st.col,
                )
        else:
            assert st.all_asset is not None
            asset_value = self.ev(st.all_asset)
            if type(asset_value) is not AssetName:
                self.type_error("asset", asset_value, st.all_asset)
            assert isinstance(asset_value, str)
            asset = asset_value
            total = self.pull_all(st.source, asset, queue)
        if total:
            self.send_to(st.destination, total, asset, queue)

    def save(self, st: Save) -> None:
        if st.amount is not None:
            value = self.ev(st.amount)
            if type(value) is not Monetary:
                self.type_error("monetary", value, st.amount)
            assert isinstance(value, Monetary)
            if value.amount < 0:
                raise NegativeAmountError(
                    f"cannot save a negative amount: {describe(value)}",
                    line=st.amount.line,
                    column=st.amount.col,
                )
            key = (str(self.ev_account(st.account)), value.asset)
            balance = self.read(key)
            # The reference clamps at zero, which also lifts an already negative balance to 0.
            self.move(key, max(balance - value.amount, 0) - balance)
        else:
            assert st.all_asset is not None
            asset = self.ev(st.all_asset)
            if type(asset) is not AssetName:
                self.type_error("asset", asset, st.all_asset)
            assert isinstance(asset, str)
            key = (str(self.ev_account(st.account)), asset)
            balance = self.read(key)
            if balance > 0:
                self.move(key, -balance)

    def fn_statement(self, st: FnStatement) -> None:
        args = [self.ev(a) for a in st.args]
        if st.name == "set_tx_meta":
            key, value = args
            if type(key) is not str:
                self.type_error("string", key, st.args[0])
            assert isinstance(key, str)
            self.tx_meta[key] = render(value)
        else:
            account, key, value = args
            if type(account) is not AccountName:
                self.type_error("account", account, st.args[0])
            if type(key) is not str:
                self.type_error("string", key, st.args[1])
            assert isinstance(key, str)
            self.account_meta.setdefault(str(account), {})[key] = render(value)

    # --- sources -------------------------------------------------------------------------------

    def pull(self, s: Source, want: int, asset: str, queue: _Queue) -> int:
        """Pull up to ``want`` from ``s``; return what was obtained."""
        if isinstance(s, SrcAccount):
            account = self.ev_account(s.account)
            color = "" if s.color is None else self.ev_color(s.color)
            key_asset = fold_asset(asset, color) if color else asset
            kind = s.overdraft
            if account == WORLD or kind == UNBOUNDED_OVERDRAFT:
                take = want
            else:
                available = self.read((account, key_asset))
                if kind == BOUNDED_OVERDRAFT:
                    assert s.bound is not None
                    limit = self.ev_cap(s.bound, asset)
                    if limit > 0:
                        available += limit
                take = want if want < available else (available if available > 0 else 0)
            if take > 0:
                self.move((account, key_asset), -take)
                queue.append(_Chunk(account, color, take))
            return take
        if isinstance(s, SrcInOrder):
            got = 0
            for item in s.items:
                got += self.pull(item, want - got, asset, queue)
            return got
        if isinstance(s, SrcCapped):
            cap = self.ev_cap(s.cap, asset)
            return self.pull(s.source, max(0, min(want, cap)), asset, queue)
        if isinstance(s, SrcAllotment):
            shares = s.static_shares or self.shares(s.portions, s)
            for item, part in zip(s.items, split(want, shares), strict=True):
                got = self.pull(item, part, asset, queue)
                if got < part:
                    raise MissingFundsError(
                        f"not enough funds in an allotment clause: needed {asset} {part}, "
                        f"available {asset} {got}",
                        asset=asset,
                        needed=part,
                        available=got,
                        line=item.line,
                        column=item.col,
                    )
            return want
        if isinstance(s, SrcOneof):
            if ff.ONEOF not in self.flags:
                self.experimental(ff.ONEOF, s, "oneof")
            for item in s.items[:-1]:
                saved_delta = self.delta.copy()
                saved_queue = len(queue)
                saved_postings = len(self.postings)
                got = self.pull(item, want, asset, queue)
                if got >= want:
                    return got
                self.delta = saved_delta
                while len(queue) > saved_queue:
                    queue.pop()
                del self.postings[saved_postings:]
            return self.pull(s.items[-1], want, asset, queue)
        assert isinstance(s, SrcScaling)
        return self.pull_scaling(s, want, asset, queue)

    def pull_all(self, s: Source, asset: str, queue: _Queue) -> int:
        """Pull everything ``s`` can give (send-all)."""
        if isinstance(s, SrcAccount):
            account = self.ev_account(s.account)
            color = "" if s.color is None else self.ev_color(s.color)
            key_asset = fold_asset(asset, color) if color else asset
            if account == WORLD or s.overdraft == UNBOUNDED_OVERDRAFT:
                raise InvalidUnboundedInSendAllError(
                    f"cannot send all from @{account}: its funds are unbounded",
                    line=s.line,
                    column=s.col,
                )
            available = self.read((account, key_asset))
            if s.overdraft == BOUNDED_OVERDRAFT:
                assert s.bound is not None
                limit = self.ev_cap(s.bound, asset)
                if limit > 0:
                    available += limit
            if available > 0:
                self.move((account, key_asset), -available)
                queue.append(_Chunk(account, color, available))
                return available
            return 0
        if isinstance(s, SrcInOrder):
            return sum(self.pull_all(item, asset, queue) for item in s.items)
        if isinstance(s, SrcCapped):
            cap = self.ev_cap(s.cap, asset)
            return self.pull(s.source, max(0, cap), asset, queue)
        if isinstance(s, SrcAllotment):
            raise InvalidAllotmentInSendAllError(
                "an allotment source cannot be used to send all", line=s.line, column=s.col
            )
        if isinstance(s, SrcOneof):
            if ff.ONEOF not in self.flags:
                self.experimental(ff.ONEOF, s, "oneof")
            return self.pull_all(s.items[0], asset, queue)
        assert isinstance(s, SrcScaling)
        return self.pull_scaling(s, _SEND_ALL, asset, queue)

    def pull_scaling(self, s: SrcScaling, want: int, asset: str, queue: _Queue) -> int:
        """Convert the account's other scales of the same asset into ``asset`` through the swap
        account (whole units only, finest scale first), then pull from the account itself."""
        if ff.ASSET_SCALING not in self.flags:
            self.experimental(ff.ASSET_SCALING, s, "asset scaling")
        account = str(self.ev_account(s.account))
        swap = str(self.ev_account(s.swap))
        if account == WORLD:
            raise InvalidUnboundedAddressInScalingError(
                "@world cannot be the account of a scaling source", line=s.line, column=s.col
            )
        base_name, scale = split_scale(asset)
        own = self.read((account, asset))
        need = want - max(own, 0) if want != _SEND_ALL else -1
        if want == _SEND_ALL or need > 0:
            conversions: list[tuple[str, int]] = []
            gained = 0
            for other, other_scale, balance in self._other_scales(account, base_name, asset):
                if want != _SEND_ALL and need <= 0:
                    break
                if other_scale > scale:
                    factor = 10 ** (other_scale - scale)
                    units = balance // factor
                    if want != _SEND_ALL:
                        units = min(units, need)
                    spent, obtained = units * factor, units
                else:
                    factor = 10 ** (scale - other_scale)
                    spent = balance if want == _SEND_ALL else min(balance, -(-need // factor))
                    obtained = spent * factor
                if spent > 0:
                    conversions.append((other, spent))
                    gained += obtained
                    need -= obtained
            if gained:
                for other, spent in conversions:
                    self.postings.append(Posting(account, swap, spent, other))
                    self.move((account, other), -spent)
                    self.move((swap, other), spent)
                self.postings.append(Posting(swap, account, gained, asset))
                self.move((swap, asset), -gained)
                self.move((account, asset), gained)
        available = self.read((account, asset))
        take = available if want == _SEND_ALL or want > available else want
        if take > 0:
            self.move((account, asset), -take)
            queue.append(_Chunk(account, "", take))
            return take
        return 0

    def _other_scales(self, account: str, base_name: str, asset: str) -> list[tuple[str, int, int]]:
        names = {
            name
            for acc, name in (*self.base, *self.delta)
            if acc == account and name != asset and matches_wildcard(name, base_name)
        }
        found = []
        for name in names:
            balance = self.read((account, name))
            if balance > 0:
                found.append((name, split_scale(name)[1], balance))
        found.sort(key=lambda row: -row[1])
        return found

    def shares(
        self, portions: tuple[Expr | None, ...], at: SrcAllotment | DstAllotment
    ) -> tuple[Fraction, ...]:
        values: list[Fraction | None] = []
        for p in portions:
            if p is None:
                values.append(None)
                continue
            value = self.ev(p)
            if type(value) is not Fraction:
                self.type_error("portion", value, p)
            assert isinstance(value, Fraction)
            values.append(value)
        return resolve_shares(values, at.line, at.col)

    # --- destinations --------------------------------------------------------------------------

    def send_to(self, d: Destination, amount: int, asset: str, queue: _Queue) -> None:
        if isinstance(d, DstAccount):
            self.receive(str(self.ev_account(d.account)), amount, asset, queue)
        elif isinstance(d, DstKept):
            self.receive(None, amount, asset, queue)
        elif isinstance(d, DstAllotment):
            shares = d.static_shares or self.shares(d.portions, d)
            for target, part in zip(d.targets, split(amount, shares), strict=True):
                if part:
                    self.send_to(target, part, asset, queue)
        elif isinstance(d, DstInOrder):
            left = amount
            for cap_expr, target in zip(d.caps, d.targets, strict=True):
                if not left:
                    break
                cap = self.ev_cap(cap_expr, asset)
                give = cap if cap < left else left
                if give > 0:
                    self.send_to(target, give, asset, queue)
                    left -= give
            if left:
                self.send_to(d.remaining, left, asset, queue)
        else:
            assert isinstance(d, DstOneof)
            if ff.ONEOF not in self.flags:
                self.experimental(ff.ONEOF, d, "oneof")
            for cap_expr, target in zip(d.caps, d.targets, strict=True):
                if self.ev_cap(cap_expr, asset) >= amount:
                    self.send_to(target, amount, asset, queue)
                    return
            self.send_to(d.remaining, amount, asset, queue)

    def receive(self, receiver: str | None, amount: int, asset: str, queue: _Queue) -> None:
        """Consume ``amount`` from the head of the sender queue. ``None`` is ``kept``: the funds
        go back to their senders and no posting is emitted. Consecutive chunks of one sender
        make one posting for this receiver."""
        delta = self.delta
        postings = self.postings
        p_source: str | None = None
        p_color = ""
        p_amount = 0
        while amount > 0:
            chunk = queue[0]
            available = chunk.amount
            if available <= amount:
                take = available
                queue.popleft()
            else:
                take = amount
                chunk.amount = available - take
            amount -= take
            color = chunk.color
            key_asset = fold_asset(asset, color) if color else asset
            if receiver is None:
                key = (chunk.account, key_asset)
                delta[key] = delta.get(key, 0) + take
                continue
            key = (receiver, key_asset)
            delta[key] = delta.get(key, 0) + take
            if p_source == chunk.account and p_color == color:
                p_amount += take
            else:
                if p_source is not None:
                    postings.append(
                        Posting(p_source, receiver, p_amount, _fold(asset, p_color), p_color)
                    )
                p_source, p_color, p_amount = chunk.account, color, take
        if p_source is not None and receiver is not None:
            postings.append(Posting(p_source, receiver, p_amount, _fold(asset, p_color), p_color))

    # --- final check ---------------------------------------------------------------------------

    def check_postings(self) -> None:
        for p in self.postings:
            if p.amount < 0 or not is_valid_asset(p.asset):
                raise InvalidPostingError(
                    f"invalid posting: {p.amount} {p.asset!r} from @{p.source} to @{p.destination}"
                )


def _fold(asset: str, color: str) -> str:
    return fold_asset(asset, color) if color else asset


def has_calls_in_destination(d: Destination) -> bool:
    if isinstance(d, DstAccount):
        return has_calls(d.account)
    if isinstance(d, DstKept):
        return False
    if isinstance(d, DstAllotment):
        return any(p is not None and has_calls(p) for p in d.portions) or any(
            has_calls_in_destination(t) for t in d.targets
        )
    return (
        any(has_calls(c) for c in d.caps)
        or any(has_calls_in_destination(t) for t in d.targets)
        or has_calls_in_destination(d.remaining)
    )


def _checked_amount(account: str, asset: str, amount: object) -> int:
    if type(amount) is not int:
        raise QueryBalanceError(
            f"store returned a non-integer balance for @{account} {asset}: {amount!r}"
        )
    return amount


def _parse_input(decl: VarDecl, raw: object, what: str) -> Value:
    if type(raw) is int and decl.type_name == "number":
        return raw  # a JSON number given for a number variable is unambiguous
    if not isinstance(raw, str):
        cls = _INPUT_ERRORS.get(decl.type_name, NumscriptTypeError)
        raise cls(
            f"{what} ${decl.name} must be a string, got {raw!r}", line=decl.line, column=decl.col
        )
    try:
        return parse_typed(decl.type_name, raw)
    except NumscriptError as err:
        raise type(err)(
            f"{what} ${decl.name}: {err.message}", line=decl.line, column=decl.col
        ) from None


_INPUT_ERRORS: Final[dict[str, type[NumscriptError]]] = {
    "number": InvalidNumberLiteralError,
    "monetary": InvalidMonetaryLiteralError,
    "portion": BadPortionParsingError,
    "account": InvalidAccountNameError,
    "asset": InvalidAssetError,
}
