"""What the scenarios read from PostgreSQL, the fake PSP and the webhook receiver: completion of
the asynchronous operations while the run goes on (so each gets a completion time), then the
invariants once everything has settled. Each invariant is a count of violations (goal: 0)."""

from __future__ import annotations

import asyncio
import re
import statistics
import time
from typing import Any

import asyncpg
import httpx

from chaos.load import FLOWS_LEDGER, LEDGER, Load, Op
from chaos.stack import ChaosStack

ASYNC_KINDS = ("payment initiation", "flow instance", "trigger firing", "reversal",
               "connector install")
_RID = re.compile(r"[0-9a-f]{32}")


async def _fetch(dsn: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        return list(await conn.fetch(sql, *args, timeout=30))
    finally:
        await conn.close()


async def poll_completions(load: Load, stack: ChaosStack) -> int:
    """Marks the asynchronous operations seen complete; returns how many are still open."""
    open_ops: dict[str, dict[str, Op]] = {k: {} for k in ASYNC_KINDS}
    for op in load.ops:
        if op.completed_at is None and op.kind in open_ops:
            open_ops[op.kind][op.ref] = op
    if not any(open_ops.values()):
        return 0
    try:
        done: dict[str, set[str]] = {k: set() for k in ASYNC_KINDS}
        if open_ops["payment initiation"]:
            done["payment initiation"] = {r["id"] for r in await _fetch(
                stack.dsn, "SELECT id FROM payments_initiations WHERE id = ANY($1) "
                "AND status = 'PROCESSED'", list(open_ops["payment initiation"]))}
        if open_ops["flow instance"]:
            done["flow instance"] = {r["id"] for r in await _fetch(
                stack.dsn, "SELECT id FROM orchestration_instances WHERE id = ANY($1) "
                "AND terminated", list(open_ops["flow instance"]))}
        if open_ops["reversal"]:
            done["reversal"] = {r["id"] for r in await _fetch(
                stack.dsn, "SELECT id FROM payments_initiations WHERE id = ANY($1) "
                "AND status = 'REVERSED'", list(open_ops["reversal"]))}
        if open_ops["connector install"]:
            done["connector install"] = {r["c"] for r in await _fetch(
                stack.dsn, "SELECT connector_id AS c FROM payments_accounts WHERE "
                "connector_id = ANY($1) GROUP BY 1", list(open_ops["connector install"]))}
        if open_ops["trigger firing"]:
            rows = await _fetch(
                stack.dsn, "SELECT o.event::text AS e FROM orchestration_occurrences o JOIN "
                "orchestration_instances i ON i.id = o.instance_id WHERE o.trigger_id = $1 "
                "AND i.terminated", load.setup["trigger"])
            seen = {rid for r in rows for rid in _RID.findall(r["e"])}
            done["trigger firing"] = seen & set(open_ops["trigger firing"])
    except Exception:  # PostgreSQL killed mid-query (any asyncpg error): next time
        return sum(len(v) for v in open_ops.values())
    left = 0
    for kind, ops in open_ops.items():
        for ref, op in ops.items():
            if ref in done[kind]:
                load.done(op, kind)
            else:
                left += 1
    return left


async def monitor(load: Load, stack: ChaosStack, stop: asyncio.Event) -> None:
    while not stop.is_set():
        await poll_completions(load, stack)
        await asyncio.sleep(0.5)


async def settle(load: Load, stack: ChaosStack, within: float) -> float:
    """Waits until every accepted operation has completed (or `within` s); returns seconds."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if await poll_completions(load, stack) == 0 and await _backlog(stack) == 0:
            break
        await asyncio.sleep(1.0)
    return time.monotonic() - started


async def _backlog(stack: ChaosStack) -> int:
    """Outbox events some consumer has not read, plus webhook deliveries not yet final: the
    dispatcher restarted every few seconds has a backlog to drain after the load stops."""
    try:
        rows = await _fetch(
            stack.dsn, "SELECT (SELECT count(*) FROM webhook_deliveries WHERE status IN "
            "('pending', 'delivering')) + (SELECT coalesce(sum(greatest(0, (SELECT "
            "coalesce(max(id), 0) FROM events_outbox) - last_event_id)), 0) FROM "
            "events_consumer_offsets) AS n")
    except Exception:  # PostgreSQL restarting: not drained yet
        return 1
    return int(rows[0]["n"])


def slowest_after_kills(load: Load, kills: list[float]) -> list[str]:
    """Per kill, the kind of the operation that finished last (what the takeover waited on)."""
    end = time.monotonic()
    out = []
    for kill in kills:
        ops = [op for op in load.ops if op.accepted_at < kill and op.kind != "ledger write"
               and (op.completed_at is None or op.completed_at > kill)]
        if ops:
            last = max(ops, key=lambda op: op.completed_at or end)
            out.append(f"{last.kind} {(last.completed_at or end) - kill:.1f}s")
    return out


def takeover_times(load: Load, kills: list[float], kind: str | None = None) -> list[float]:
    """Per kill: seconds from the kill until the last operation in flight at that moment
    (accepted before it, completed after) completed. A kill with nothing in flight is left
    out; an operation never completed counts as the end of the run (and as a violation)."""
    end = time.monotonic()
    out = []
    for kill in kills:
        ends = [(op.completed_at or end) - kill for op in load.ops
                if op.accepted_at < kill and (op.completed_at is None or op.completed_at > kill)
                and op.kind != "ledger write" and kind in (None, op.kind)]
        if ends:
            out.append(round(max(ends), 1))
    return out


def summary(values: list[float]) -> str:
    if not values:
        return "-"
    return (f"median {statistics.median(values):.1f} s, max {max(values):.1f} s "
            f"over {len(values)} kills")


async def invariants(load: Load, stack: ChaosStack) -> dict[str, int]:
    dsn = stack.dsn
    v: dict[str, int] = {}
    by_kind: dict[str, list[Op]] = {}
    for op in load.ops:
        by_kind.setdefault(op.kind, []).append(op)
    conn = await asyncpg.connect(dsn)
    try:
        v["ledger: a request id on two transactions"] = await conn.fetchval(
            "SELECT count(*) FROM (SELECT metadata->>'rid' FROM transactions WHERE ledger = $1 "
            "AND metadata ? 'rid' GROUP BY 1 HAVING count(*) > 1) d", LEDGER)
        v["ledger: an account other than world below zero (every ledger)"] = \
            await conn.fetchval("SELECT count(*) FROM accounts_volumes WHERE address <> 'world' "
                                "AND input - output < 0 AND address NOT LIKE '%world'")
        present = {r["rid"] for r in await conn.fetch(
            "SELECT metadata->>'rid' AS rid FROM transactions WHERE ledger = $1 "
            "AND metadata ? 'rid'", LEDGER)}
        acked = [op.ref for k in ("ledger write", "trigger firing") for op in by_kind.get(k, [])]
        v["ledger: acknowledged write missing"] = sum(1 for rid in acked if rid not in present)
        # The ledger pipeline: every log of the chaos ledger exported at least once (it is
        # at-least-once by design: resent ones are counted, not violations).
        logs = [int(r["id"]) for r in await conn.fetch(
            "SELECT id FROM logs WHERE ledger = $1", LEDGER)]
        for _ in range(60):
            if all(i in stack.receiver.exported for i in logs):
                break
            await asyncio.sleep(0.5)
        exported = stack.receiver.exported
        v["pipeline: a log never exported"] = sum(1 for i in logs if i not in exported)
        load.setup["pipeline logs exported twice or more"] = str(
            sum(1 for i in logs if exported.get(i, 0) > 1))
        # Rule evaluations: each answered one stored evaluation, none left unfinished.
        evals = await conn.fetch("SELECT result AS status FROM reconciliation_evaluations "
                                 "WHERE rule_id = $1", load.setup["rule"])
        answered = len(by_kind.get("rule evaluation", []))
        v["rule evaluations: answered without a stored evaluation"] = max(0, answered - len(
            evals))
        v["rule evaluations: not PASS"] = sum(1 for r in evals if r["status"] != "PASS")
        # Wallet holds: each confirmed hold's account paid out by exactly one transaction.
        holds = [op.ref for op in by_kind.get("wallet hold", []) if op.completed_at]
        rows = await conn.fetch(
            "SELECT split_part(account_address, ':', -1) AS hold, "
            "count(DISTINCT transaction_id) AS n FROM moves WHERE is_source AND "
            "account_address LIKE '%wallets:holds:%' GROUP BY 1")
        paid = {r["hold"]: int(r["n"]) for r in rows}
        v["wallet holds: confirmed not once"] = sum(
            1 for h in holds if paid.get(h.replace("-", ""), 0) != 1)
        v["wallet holds: accepted, never confirmed"] = sum(
            1 for op in by_kind.get("wallet hold", []) if op.completed_at is None)
        # Payment initiations: PROCESSED, one payment at the provider each.
        inits = [op.ref for op in by_kind.get("payment initiation", [])]
        processed = await conn.fetchval("SELECT count(*) FROM payments_initiations WHERE "
                                        "id = ANY($1) AND status = 'PROCESSED'", inits)
        v["payment initiations: not PROCESSED at the end"] = len(inits) - int(processed)
        # Reversals: REVERSED, one refund at the provider each (dummypay's payment reference
        # is the attempt's idempotency key: a second send would be a second payment).
        revs = [op.ref for op in by_kind.get("reversal", [])]
        v["reversals: not REVERSED at the end"] = len(revs) - int(await conn.fetchval(
            "SELECT count(*) FROM payments_initiations WHERE id = ANY($1) AND "
            "status = 'REVERSED'", revs))
        refunds = await conn.fetchval("SELECT count(*) FROM payments_payments WHERE "
                                      "connector_id = $1 AND status = 'REFUNDED'",
                                      load.setup["dummypay"])
        v["reversals: provider refunds beyond one per reversal"] = max(0, int(refunds) - len(
            revs))
        v["reversals: more than one reversal row per initiation"] = await conn.fetchval(
            "SELECT count(*) FROM (SELECT initiation_id FROM payments_initiation_reversals "
            "WHERE initiation_id = ANY($1) GROUP BY 1 HAVING count(*) > 1) d", revs)
        # Connector installs: one connector per request, its accounts fetched.
        installs = by_kind.get("connector install", [])
        v["connector installs: more connectors than requests"] = max(0, int(
            await conn.fetchval("SELECT count(*) FROM payments_connectors WHERE name LIKE "
                                "'chaos-%' AND name <> 'chaos-dummy'")) - len(installs))
        v["connector installs: accounts never fetched"] = sum(
            1 for op in installs if op.completed_at is None)
        # Flow instances: terminated without error, the send stage posted exactly once.
        flows = by_kind.get("flow instance", [])
        rows = await conn.fetch("SELECT id, terminated, error FROM orchestration_instances "
                                "WHERE id = ANY($1)", [op.ref for op in flows])
        v["flow instances: not terminated or in error"] = len(flows) - sum(
            1 for r in rows if r["terminated"] and not r["error"])
        sends = {r["a"]: int(r["n"]) for r in await conn.fetch(
            "SELECT split_part(account_address, ':', 2) AS a, count(DISTINCT transaction_id) "
            "AS n FROM moves WHERE ledger = $1 AND NOT is_source AND account_address LIKE "
            "'flows:%' GROUP BY 1", FLOWS_LEDGER)}
        v["flow instances: send stage not posted exactly once"] = sum(
            1 for op in flows if sends.get(op.key, 0) != 1)
        v["flow instances: more instances than requests"] = max(0, await conn.fetchval(
            "SELECT count(*) FROM orchestration_instances WHERE workflow_id = $1",
            load.setup["flow"]) - len(flows))
        # Triggers: one occurrence and one finished instance per matching transaction.
        occ = await conn.fetch("SELECT o.event::text AS e, i.terminated, i.error FROM "
                               "orchestration_occurrences o LEFT JOIN orchestration_instances i "
                               "ON i.id = o.instance_id WHERE o.trigger_id = $1",
                               load.setup["trigger"])
        fired: dict[str, int] = {}
        for r in occ:
            for rid in set(_RID.findall(r["e"])):
                fired[rid] = fired.get(rid, 0) + (1 if r["terminated"] and not r["error"]
                                                  else 100)
        trig = [op.ref for op in by_kind.get("trigger firing", [])]
        v["triggers: not fired exactly once (finished)"] = sum(
            1 for rid in trig if fired.get(rid) != 1)
        # The outbox consumers: all caught up; search holds every transaction once.
        last = await conn.fetchval("SELECT coalesce(max(id), 0) FROM events_outbox")
        behind = await conn.fetch("SELECT consumer, last_event_id FROM events_consumer_offsets")
        v["outbox: a consumer behind the last event"] = sum(
            1 for r in behind if r["last_event_id"] < last)
        v["search: a transaction without its document"] = await conn.fetchval(
            "SELECT count(*) FROM transactions t WHERE t.ledger IN ($1, $2) AND NOT EXISTS "
            "(SELECT 1 FROM search_documents d WHERE d.kind = 'TRANSACTION' AND "
            "d.ledger = t.ledger AND d.doc_id = t.id::text)", LEDGER, FLOWS_LEDGER)
        # Webhooks: one delivery row per committed-transactions event, each one succeeded
        # and received (with a 200) at least once.
        events = await conn.fetchval("SELECT count(*) FROM events_outbox WHERE type = "
                                     "'COMMITTED_TRANSACTIONS'")
        rows = await conn.fetch("SELECT id::text AS id, event_id, status FROM "
                                "webhook_deliveries WHERE config_id = $1::uuid",
                                load.setup["webhook"])
        v["webhooks: an event without its delivery"] = max(
            0, int(events) - len({r["event_id"] for r in rows}))
        v["webhooks: two deliveries for one event"] = len(rows) - len(
            {r["event_id"] for r in rows})
        v["webhooks: delivery not succeeded"] = sum(1 for r in rows
                                                    if r["status"] != "succeeded")
        ok = stack.receiver.ok
        v["webhooks: delivery never received with a 200"] = sum(1 for r in rows
                                                                if ok.get(r["id"], 0) < 1)
        load.setup["webhook deliveries"] = str(len(rows))
        load.setup["webhook duplicates"] = str(sum(ok.get(r["id"], 0) - 1 for r in rows
                                                   if ok.get(r["id"], 0) > 1))
        load.setup["webhook attempts"] = str(sum(stack.receiver.attempts.values()))
    finally:
        await conn.close()
    # The fake PSP: a key seen twice is a repeated call it deduplicated; two payments for one
    # initiation would be two keys, so the PSP's payments must equal the PROCESSED count.
    async with httpx.AsyncClient(base_url=stack.psp_url, timeout=10) as http:
        sends = (await http.get("/_fake/sends")).json()
    created = sum(sends["created"].values())
    v["payment initiations: provider payments beyond one per initiation"] = max(
        0, created - int(processed))
    load.setup["provider calls repeated with the same key"] = str(
        sum(n - 1 for n in sends["requests"].values() if n > 1))
    load.setup["provider payments"] = str(created)
    return {k: int(n) for k, n in v.items()}
