"""Alerts driven by on-demand evaluations (real PostgreSQL, Temporal and worker): one alert per
rule, fingerprint and period; a repeated identical failure counts without notifying; every
action (ack, resolve, accept, snooze, unsnooze) and its refusals; a snoozed alert's failures
are muted and the first failure after `until` clears the snooze; a resolved alert reopens in
place, one accepted by the business only on other evidence; a passing evaluation resolves it;
the timeline records each transition and the outbox carries those that notify."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text

from storage.database import Database
from storage.events.dispatcher import OutboxDispatcher
from storage.webhooks.consumer import WebhookDeliveriesConsumer
from tests.integration.reconciliation.books import Books, R, at, iso, running
from tests.integration.reconciliation.test_rules import drift_rule


class Alerts:
    def __init__(self, http: httpx.AsyncClient, rule: str) -> None:
        self.http = http
        self.rule = rule

    async def evaluate(self, hours: float) -> dict[str, Any]:
        r = await self.http.post(f"{R}/rules/{self.rule}/evaluate", json={"at": iso(at(hours))})
        assert r.status_code == 200, r.text
        return dict(r.json()["data"])

    async def only(self) -> dict[str, Any]:
        r = await self.http.request("GET", f"{R}/alerts", json={"$match": {"ruleID": self.rule}})
        (alert,) = r.json()["cursor"]["data"]
        return dict(alert)

    async def act(self, alert: str, action: str, status: int = 200, code: str | None = None,
                  **body: Any) -> dict[str, Any]:
        r = await self.http.post(f"{R}/alerts/{alert}/{action}", json=body)
        assert r.status_code == status, r.text
        if code is not None:
            assert r.json()["errorCode"] == code
        return dict(r.json().get("data") or r.json())

    async def last_event(self, alert: str) -> dict[str, Any]:
        data = (await self.http.get(f"{R}/alerts/{alert}/events",
                                    params={"pageSize": 100})).json()["cursor"]["data"]
        return dict(data[-1])


async def _published(database: Database) -> dict[str, int]:
    async with database.engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT type, count(*) FROM events_outbox WHERE app = 'reconciliation' "
            "AND type LIKE '%ALERT' GROUP BY type"))).all()
    return {r[0]: int(r[1]) for r in rows}


async def test_alert_lifecycle_actions_and_refusals(
        database_url: str, database: Database, temporal_env: Any,
        temporal_address: str) -> None:
    async with running(temporal_env, database, database_url, temporal_address) as (_, http):
        books = Books(http, database)
        pool = await books.open("acc-a")
        await books.book("bank:a", "users:1", "USD/2", 1000, at(1))
        await books.psp_balance("acc-a", "USD/2", 900, at(1))  # 1.5h: short 100
        await books.psp_balance("acc-a", "USD/2", 800, at(2))  # 2.5h: short 200
        await books.psp_balance("acc-a", "USD/2", 1000, at(3))  # 3.5h: in line
        r = await http.post(f"{R}/rules", json=drift_rule(books, pool))
        a = Alerts(http, r.json()["data"]["id"])

        first = await a.evaluate(1.5)
        alert = await a.only()
        assert (alert["status"], alert["occurrenceCount"]) == ("OPEN", 1)
        assert alert["lastEvaluationID"] == first["id"]
        aid = alert["id"]
        ev = await a.last_event(aid)
        assert (ev["type"], ev["prevStatus"], ev["notify"]) == ("fail", None, True)

        await a.evaluate(1.5)  # the same break again: counted, kept, not published
        assert (await a.only())["occurrenceCount"] == 2
        assert (await a.last_event(aid))["notify"] is False
        await a.evaluate(2.5)  # it grew: published
        assert (await a.only())["evidence"]["drift"] == 200
        assert (await a.last_event(aid))["notify"] is True

        acked = await a.act(aid, "ack", by="ops", note="looking")
        assert acked["status"] == "ACKNOWLEDGED" and acked["ack"]["by"] == "ops"
        await a.act(aid, "ack", 409, "CONFLICT", by="ops")
        await a.act(aid, "ack", 400, "VALIDATION", note="who?")
        past = iso(datetime.now(UTC) - timedelta(minutes=1))
        await a.act(aid, "snooze", 400, "VALIDATION", by="ops", until=past)
        await a.act(aid, "snooze", 400, "VALIDATION", by="ops")
        later = iso(datetime.now(UTC) + timedelta(hours=1))
        snoozed = await a.act(aid, "snooze", by="ops", until=later, note="weekend")
        assert snoozed["snooze"]["by"] == "ops" and snoozed["status"] == "ACKNOWLEDGED"
        await a.evaluate(1.5)  # other evidence, but snoozed: muted
        muted = await a.last_event(aid)
        assert (muted["type"], muted["notify"]) == ("fail", False)
        assert (await a.only())["snooze"]["until"] == later.replace("+00:00", "Z")
        assert "snooze" not in await a.act(aid, "unsnooze", by="ops")
        await a.act(aid, "unsnooze", 409, "CONFLICT", by="ops")

        # A snooze that ran out: the first failure after it clears it.
        soon = iso(datetime.now(UTC) + timedelta(seconds=1))
        await a.act(aid, "snooze", by="ops", until=soon)
        await asyncio.sleep(1.5)
        await a.evaluate(2.5)
        assert "snooze" not in await a.only()
        cleared = await a.last_event(aid)
        assert cleared["payload"]["snoozeCleared"] is True and cleared["notify"] is True

        fixed = await a.act(aid, "resolve", by="ops", transactionRefs=["tx-42"])
        assert fixed["status"] == "RESOLVED"
        assert fixed["resolution"]["kind"] == "fixed_by_booking"
        assert fixed["resolution"]["transactionRefs"] == ["tx-42"]
        for action in ("resolve", "snooze", "ack", "accept"):
            await a.act(aid, action, 409, "CONFLICT", by="ops", note="n", until=later)

        await a.evaluate(2.5)  # failing again: reopened in place
        reopened = await a.only()
        assert (reopened["id"], reopened["status"]) == (aid, "OPEN")
        assert "resolution" not in reopened and "ack" not in reopened
        ev = await a.last_event(aid)
        assert (ev["isReopen"], ev["prevStatus"], ev["newStatus"]) == (True, "RESOLVED", "OPEN")

        await a.act(aid, "accept", 400, "VALIDATION", by="cfo")
        accepted = await a.act(aid, "accept", by="cfo", note="bank fee, booked next month")
        assert accepted["resolution"]["kind"] == "accepted_by_business"
        await a.evaluate(2.5)  # the accepted break, unchanged: stays resolved
        still = await a.only()
        assert still["status"] == "RESOLVED" and (await a.last_event(aid))["notify"] is False
        await a.evaluate(1.5)  # another break: reopened
        assert (await a.only())["status"] == "OPEN"
        passed = await a.evaluate(3.5)  # the books in line: resolved automatically
        assert passed["result"] == "PASS"
        done = await a.only()
        assert done["status"] == "RESOLVED" and done["resolution"]["kind"] == "auto"
        assert done["resolution"]["by"] == "system"
        assert done["occurrenceCount"] == 8

        page = (await http.get(f"{R}/alerts/{aid}/events", params={"pageSize": 10})).json()
        assert len(page["cursor"]["data"]) == 10 and page["cursor"]["hasMore"] is True
        rest = (await http.get(f"{R}/alerts/{aid}/events",
                               params={"cursor": page["cursor"]["next"]})).json()
        kinds = [e["type"] for e in page["cursor"]["data"] + rest["cursor"]["data"]]
        assert kinds == ["fail", "fail", "fail", "ack", "snooze", "fail", "unsnooze", "snooze",
                         "fail", "resolve", "fail", "accept", "fail", "fail", "pass"]
        assert await _published(database) == {
            "OPENED_ALERT": 3, "UPDATED_ALERT": 2, "ACKNOWLEDGED_ALERT": 1,
            "SNOOZED_ALERT": 2, "UNSNOOZED_ALERT": 1, "RESOLVED_ALERT": 3}

        for path in ("alerts/nope", "alerts/nope/events", "evaluations/nope"):
            r = await http.get(f"{R}/{path}")
            assert (r.status_code, r.json()["errorCode"]) == (404, "NOT_FOUND")
        await a.act("nope", "ack", 404, "NOT_FOUND", by="ops")
        r = await http.post(f"{R}/alerts/{aid}/ack", content=b"[")
        assert (r.status_code, r.json()["errorCode"]) == (400, "VALIDATION")


async def test_a_daily_rule_opens_one_alert_per_day_in_its_time_zone(
        database_url: str, database: Database, temporal_env: Any,
        temporal_address: str) -> None:
    async with running(temporal_env, database, database_url, temporal_address) as (_, http):
        books = Books(http, database)
        pool = await books.open("acc-a")
        await books.book("bank:a", "users:1", "USD/2", 1000, at(1))
        await books.psp_balance("acc-a", "USD/2", 900, at(1))
        r = await http.post(f"{R}/rules", json=drift_rule(
            books, pool, cadence="daily",
            schedule={"kind": "on_demand", "tz": "Asia/Tokyo"}))
        rule = r.json()["data"]["id"]
        a = Alerts(http, rule)
        await a.evaluate(2)  # 11:00 in Tokyo on Jan 1st
        await a.evaluate(16)  # 01:00 in Tokyo on Jan 2nd: the same break, another period
        await a.evaluate(17)
        r = await http.request("GET", f"{R}/alerts", json={"$match": {"ruleID": rule}})
        found = {x["periodID"]: x["occurrenceCount"] for x in r.json()["cursor"]["data"]}
        assert found == {"2025-01-01": 1, "2025-01-02": 2}
        r = await http.request("GET", f"{R}/alerts", json={"$match": {"periodID": "2025-01-02"}})
        assert len(r.json()["cursor"]["data"]) == 1


async def test_alert_events_reach_webhook_configs_through_the_outbox(
        database_url: str, database: Database, temporal_env: Any,
        temporal_address: str) -> None:
    async with running(temporal_env, database, database_url, temporal_address) as (_, http):
        r = await http.post("/api/webhooks/configs", json={
            "endpoint": "https://example.com/hook",
            "eventTypes": ["reconciliation.opened_alert", "reconciliation.resolved_alert"]})
        assert r.status_code == 200, r.text
        books = Books(http, database)
        pool = await books.open("acc-a")
        await books.book("bank:a", "users:1", "USD/2", 1000, at(1))
        await books.psp_balance("acc-a", "USD/2", 900, at(1))
        await books.psp_balance("acc-a", "USD/2", 1000, at(2))
        r = await http.post(f"{R}/rules", json=drift_rule(books, pool))
        a = Alerts(http, r.json()["data"]["id"])
        await a.evaluate(1.5)  # opens
        await a.evaluate(1.5)  # the same again: not published
        await a.evaluate(2.5)  # resolves
        dispatcher = OutboxDispatcher(database, WebhookDeliveriesConsumer(), batch_size=100)
        while await dispatcher.dispatch_batch():
            pass
        async with database.engine.connect() as conn:
            types = sorted((await conn.execute(text(
                "SELECT o.type FROM webhook_deliveries d JOIN events_outbox o "
                "ON o.id = d.event_id"))).scalars())
        assert types == ["OPENED_ALERT", "RESOLVED_ALERT"]
