"""Rules over HTTP with real PostgreSQL, the real Temporal dev server and the module's worker: a
rule on a cron of every second gets its Temporal Schedule (calendar from the cron, its time
zone), evaluates on its own, opens an alert on a drift and resolves it once the books are fixed;
disabling pauses the schedule, a change updates it, deletion deletes it; on-demand evaluations
read each source at its point in time; every bad rule or request is a 4xx."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from temporalio.client import Client
from temporalio.service import RPCError

from domain.reconciliation.scheduling import rule_schedule_id
from storage.database import Database
from tests.integration.reconciliation.books import Books, R, at, eventually, iso, running


def drift_rule(books: Books, pool: str, **fields: Any) -> dict[str, Any]:
    return {"name": "bank vs psp", "templateKind": "ledger_vs_pool_drift",
            "templateSpec": {"ledgerName": books.ledger,
                             "ledgerQuery": {"$match": {"address": "bank:"}},
                             "paymentsPoolID": pool},
            "severity": "high", "labels": {"team": "treasury"}, **fields}


async def _create(http: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    r = await http.post(f"{R}/rules", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json()["data"])


async def _alerts(http: httpx.AsyncClient, rule: str) -> list[dict[str, Any]]:
    r = await http.request("GET", f"{R}/alerts", json={"$match": {"ruleID": rule}})
    assert r.status_code == 200, r.text
    return list(r.json()["cursor"]["data"])


async def test_a_scheduled_rule_opens_and_resolves_its_alert_on_its_own(
        database_url: str, database: Database, temporal_env: Any,
        temporal_address: str) -> None:
    client: Client = temporal_env.client
    async with running(temporal_env, database, database_url, temporal_address) as (_, http):
        books = Books(http, database)
        pool = await books.open("acc-a")
        await books.book("bank:a", "users:1", "USD/2", 1000, at(1))
        await books.psp_balance("acc-a", "USD/2", 900, at(1))  # 1.00 USD short
        rule = await _create(http, drift_rule(books, pool, schedule={
            "kind": "cron", "expr": "* * * * * *", "tz": "Europe/Paris"}))
        assert rule["enabled"] is True and rule["cadence"] == "continuous"
        assert rule["schedule"] == {"kind": "cron", "expr": "* * * * * *", "tz": "Europe/Paris"}

        handle = client.get_schedule_handle(rule_schedule_id(rule["id"]))
        desc = await handle.describe()
        assert desc.schedule.spec.time_zone_name == "Europe/Paris"
        assert not desc.schedule.state.paused

        async def alert_open() -> dict[str, Any] | None:
            found = await _alerts(http, rule["id"])
            return found[0] if found and found[0]["status"] == "OPEN" else None

        alert = await eventually(alert_open, "the scheduled evaluation's alert")
        assert alert["severity"] == "high" and alert["labels"] == {"team": "treasury"}
        assert alert["periodID"] == "continuous"
        assert alert["evidence"]["drift"] == 100 and alert["evidence"]["asset"] == "USD/2"
        evals = (await http.request("GET", f"{R}/evaluations", json={
            "$match": {"ruleID": rule["id"]}})).json()["cursor"]["data"]
        assert evals and evals[-1]["result"] == "FAIL"
        assert set(evals[-1]["pitPerSource"]) == {"ledger", "pool"}

        # The books fixed (the PSP's balance as of now): the next evaluation resolves it.
        await books.psp_balance("acc-a", "USD/2", 1000, datetime.now(UTC) - timedelta(
            seconds=1))

        async def resolved() -> dict[str, Any] | None:
            found = (await http.get(f"{R}/alerts/{alert['id']}")).json()["data"]
            return found if found["status"] == "RESOLVED" else None

        done = await eventually(resolved, "the alert resolved by a passing evaluation")
        assert done["resolution"]["kind"] == "auto"
        timeline = (await http.get(f"{R}/alerts/{alert['id']}/events")).json()["cursor"]
        assert timeline["data"][0]["type"] == "fail"
        assert timeline["data"][0]["prevStatus"] is None
        assert timeline["data"][-1]["type"] == "pass"
        assert timeline["data"][-1]["newStatus"] == "RESOLVED"

        # Disabled: paused. Re-enabled on another cron: resumed with it. Deleted: gone.
        r = await http.patch(f"{R}/rules/{rule['id']}", json={"enabled": False})
        assert r.status_code == 200 and r.json()["data"]["enabled"] is False
        assert (await handle.describe()).schedule.state.paused
        r = await http.patch(f"{R}/rules/{rule['id']}", json={
            "enabled": True, "schedule": {"kind": "cron", "expr": "0 9 * * MON-FRI",
                                          "tz": "America/New_York"}})
        assert r.status_code == 200, r.text
        desc = await handle.describe()
        assert not desc.schedule.state.paused
        assert desc.schedule.spec.time_zone_name == "America/New_York"
        calendar = desc.schedule.spec.calendars[0]
        assert [(x.start, x.end) for x in calendar.hour] == [(9, 9)]
        assert [(x.start, x.end) for x in calendar.day_of_week] == [(1, 5)]
        assert (await http.delete(f"{R}/rules/{rule['id']}")).status_code == 204
        with pytest.raises(RPCError):
            await handle.describe()
        assert (await http.get(f"{R}/rules/{rule['id']}")).status_code == 404


async def test_on_demand_evaluations_and_their_refusals(
        database_url: str, database: Database, temporal_env: Any,
        temporal_address: str) -> None:
    async with running(temporal_env, database, database_url, temporal_address) as (_, http):
        books = Books(http, database)
        pool = await books.open("acc-a")
        await books.book("bank:a", "users:1", "USD/2", 1000, at(1))
        await books.psp_balance("acc-a", "USD/2", 1000, at(1))
        await books.book("bank:a", "users:1", "USD/2", 500, at(3))
        rule = await _create(http, drift_rule(books, pool))
        assert "schedule" not in rule

        r = await http.post(f"{R}/rules/{rule['id']}/evaluate", json={"at": iso(at(2))})
        assert r.status_code == 200, r.text
        ok = r.json()["data"]
        assert ok["result"] == "PASS" and ok["ruleID"] == rule["id"]
        assert ok["pitPerSource"] == {"ledger": "2025-01-01T02:00:00Z",
                                      "pool": "2025-01-01T02:00:00Z"}
        assert ok["evidence"][0]["proof"] == {"ledger": "-1000", "pool": "1000"}
        assert (await http.get(f"{R}/evaluations/{ok['id']}")).json()["data"] == ok

        # The ledger read after its later booking, the pool before: a drift of 5.00.
        r = await http.post(f"{R}/rules/{rule['id']}/evaluate", json={
            "sourcePITs": {"ledger": iso(at(4)), "pool": iso(at(2))}})
        failed = r.json()["data"]
        assert failed["result"] == "FAIL"
        assert failed["evidence"][0]["evidence"]["drift"] == 500
        # With a safety margin reaching back before the booking: in line again.
        margin = datetime.now(UTC) - at(2)
        r = await http.post(f"{R}/rules/{rule['id']}/evaluate", json={
            "safetyMargin": f"{int(margin.total_seconds())}s"})
        assert r.json()["data"]["result"] == "PASS", r.text
        assert len(await _alerts(http, rule["id"])) == 1

        bad_rules: list[tuple[dict[str, Any], str]] = [
            ({"schedule": {"kind": "cron", "expr": "every day"}}, "schedule.expr"),
            ({"schedule": {"kind": "cron", "expr": "61 * * * *"}}, "minutes"),
            ({"schedule": {"kind": "cron", "expr": "* * * * *", "tz": "Mars/Olympus"}},
             "schedule.tz"),
            ({"schedule": {"kind": "cron", "expr": "@daily", "safetyMargin": "soon"}},
             "safetyMargin"),
            ({"templateKind": "vibes"}, "templateKind"),
            ({"templateSpec": {"paymentsPoolID": pool}}, "ledgerName"),
            ({"templateSpec": {"ledgerName": "main", "paymentsPoolID": pool,
                               "ledgerQuery": {"$bad": 1}}}, "ledgerQuery"),
            ({"templateSpec": {"ledgerName": "main", "paymentsPoolID": pool,
                               "tolerance": -1}}, "tolerance"),
            ({"severity": "urgent"}, "severity"),
            ({"cadence": "hourly"}, "cadence"),
            ({"color": "red"}, "unknown rule fields"),
        ]
        for change, words in bad_rules:
            r = await http.post(f"{R}/rules", json={**drift_rule(books, pool), **change})
            assert (r.status_code, r.json()["errorCode"]) == (400, "VALIDATION"), r.text
            assert words in r.json()["errorMessage"], r.text
        r = await http.post(f"{R}/rules", json=drift_rule(Books(http, database, "nope"), pool))
        assert (r.status_code, r.json()["errorCode"]) == (404, "NOT_FOUND")
        r = await http.post(f"{R}/rules", json={
            "name": "t", "templateKind": "account_threshold",
            "templateSpec": {"ledgerName": "main"}})
        assert (r.status_code, r.json()["errorCode"]) == (400, "VALIDATION")

        future = iso(datetime.now(UTC) + timedelta(hours=1))
        for body, words in [({"at": future}, "at must not be in the future"),
                            ({"sourcePITs": {"ledger": future}}, "sourcePITs.ledger"),
                            ({"sourcePITs": {"bank": iso(at(1))}}, "unknown sources bank"),
                            ({"safetyMargin": "-5m"}, "safetyMargin")]:
            r = await http.post(f"{R}/rules/{rule['id']}/evaluate", json=body)
            assert (r.status_code, r.json()["errorCode"]) == (400, "VALIDATION"), r.text
            assert words in r.json()["errorMessage"], r.text
        r = await http.post(f"{R}/rules/unknown/evaluate")
        assert (r.status_code, r.json()["errorCode"]) == (404, "NOT_FOUND")

        # The pool deleted: the evaluation is an ERROR, stored, alerts untouched.
        assert (await http.delete(f"/api/payments/v3/pools/{pool}")).status_code == 204
        r = await http.post(f"{R}/rules/{rule['id']}/evaluate")
        assert r.status_code == 200, r.text
        assert r.json()["data"]["result"] == "ERROR"
        assert "not found" in r.json()["data"]["error"]
        assert len(await _alerts(http, rule["id"])) == 1

        # Disabled: no evaluation on demand.
        await http.patch(f"{R}/rules/{rule['id']}", json={"enabled": False})
        r = await http.post(f"{R}/rules/{rule['id']}/evaluate")
        assert (r.status_code, r.json()["errorCode"]) == (409, "CONFLICT")
