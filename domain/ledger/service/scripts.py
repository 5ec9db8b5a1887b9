"""How a Numscript run reads the ledger: under row locks on the per-transaction path
(`ScriptStore`), or not at all on the set-based path (`NO_READS`, whose first read sends the
transaction back to the per-transaction path)."""

from __future__ import annotations

from typing import cast

from domain.ledger.models import CreateTransaction, Posting
from domain.ledger.ports import LedgerWriter
from domain.numscript import compile_program
from domain.numscript import execute as run_program


class ScriptStore:
    """The interpreter's view of the writer, whose balance reads lock the rows they read, in the
    order the interpreter asks. The postings' other rows are locked later, by the insert, so two
    scripts can lock each other's rows in opposite orders and deadlock. `hint` collects every
    (account, asset) an attempt touched; a retry first locks all of them in one sorted statement
    and answers from that, so the retries queue in one order instead of deadlocking again."""

    def __init__(self, w: LedgerWriter, hint: set[tuple[str, str]]) -> None:
        self.w = w
        self.hint = hint
        self.locked: dict[str, dict[str, int]] = {}

    async def prelock(self) -> None:
        if not self.hint:
            return
        query: dict[str, set[str]] = {}
        for account, asset in self.hint:
            query.setdefault(account, set()).add(asset)
        self.locked = await self.w.get_balances(query)

    async def get_balances(self, query: dict[str, set[str]]) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        missing: dict[str, set[str]] = {}
        for account, assets in query.items():
            known = self.locked.get(account, {})
            out[account] = {a: known[a] for a in assets if a in known}
            rest = {a for a in assets if a not in known}
            if rest:
                missing[account] = rest
            # A scale wildcard (EUR/*) is no row of its own: nothing to lock ahead for it.
            self.hint.update((account, a) for a in assets if not a.endswith("/*"))
        if missing:
            for account, found in (await self.w.get_balances(missing)).items():
                out.setdefault(account, {}).update(found)
        return out

    async def get_accounts_metadata(self, query: dict[str, set[str]]
                                    ) -> dict[str, dict[str, str]]:
        return await self.w.get_accounts_metadata(query)


class NeedsReads(Exception):
    """The script reads balances or metadata: not for the set-based path."""


class NoReads:
    """The LedgerWriter a submitted transaction's script sees: any read sends it back to the
    per-transaction path, where reads lock what they read."""

    async def get_balances(self, query: dict[str, set[str]]) -> dict[str, dict[str, int]]:
        raise NeedsReads

    async def get_accounts_metadata(self, query: dict[str, set[str]]
                                    ) -> dict[str, dict[str, str]]:
        raise NeedsReads


NO_READS = cast(LedgerWriter, NoReads())


async def run_script(cmd: CreateTransaction, w: LedgerWriter, hint: set[tuple[str, str]]
                     ) -> tuple[list[Posting], dict[str, str], dict[str, dict[str, str]]]:
    assert cmd.script is not None
    features: frozenset[str] = frozenset()
    program = compile_program(cmd.script.plain, features=features)
    store = ScriptStore(w, hint)
    await store.prelock()
    result = await run_program(program, dict(cmd.script.vars), store, features=features)
    postings = [Posting(p.source, p.destination, int(p.amount), p.asset)
                for p in result.postings]
    for p in postings:
        hint.update(((p.source, p.asset), (p.destination, p.asset)))
    return postings, dict(result.tx_metadata), {
        a: dict(m) for a, m in result.account_metadata.items()
    }
