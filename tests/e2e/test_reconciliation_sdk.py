"""The official Formance Python SDK drives reconciliation against Ledgerflow served by uvicorn
(a background thread, a free port) with the reconciliation worker: a policy over a ledger whose
bank accounts mirror a PSP pool, runs OK and NOT_OK with their drift, lists and reads; a rule
evaluated on demand opens an alert, which is acknowledged, snoozed, unsnoozed, resolved, and
whose timeline is read; rules are listed, patched and deleted; refusals come back as the SDK's
error type with the Formance codes. All through `sdk.reconciliation.v1`."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from formance_sdk_python import SDK
from formance_sdk_python.models import reconciliation as models

from config.modules import ModuleSettings
from config.reconciliation import ReconciliationSettings
from storage.database import Database
from tests.e2e.conftest import ServeApp
from tests.integration.reconciliation.books import Books, at
from tests.temporal_stack import ModuleStack, unique_modules


@pytest.fixture
def modules() -> ModuleSettings:
    return dataclasses.replace(unique_modules(), reconciliation=ReconciliationSettings(
        task_queue=f"reconciliation-e2e-{uuid.uuid4().hex[:12]}"))


async def test_policies_runs_rules_and_alerts_with_the_sdk(
        serve_app: ServeApp, database: Database, database_url: str, temporal_env: Any,
        temporal_address: str, modules: ModuleSettings) -> None:
    served = serve_app(module_settings=modules, temporal_address=temporal_address)
    stack = ModuleStack("reconciliation", temporal_env, database, database_url,
                        temporal_address, modules=modules)
    v1 = SDK(server_url=served).reconciliation.v1
    async with stack.worker(), httpx.AsyncClient(base_url=served) as http:
        books = Books(http, database)
        pool = await books.open("acc-a")
        await books.book("bank:a", "users:1", "USD/2", 1000, at(1))
        await books.psp_balance("acc-a", "USD/2", 1000, at(1))
        await books.psp_balance("acc-a", "USD/2", 700, at(3))

        info = await v1.get_server_info_reconciliation_async()
        assert info.server_info is not None and info.server_info.version

        created = await v1.create_policy_async(request={
            "name": "bank vs psp", "ledger_name": "main",
            "ledger_query": {"$match": {"address": "bank:"}}, "payments_pool_id": pool})
        assert created.status_code == 201 and created.policy_response is not None
        policy = created.policy_response.data
        got = await v1.get_policy_async(request={"policy_id": policy.id})
        assert got.policy_response is not None
        assert got.policy_response.data.payments_pool_id == pool

        ok = await v1.reconcile_async(request={"policy_id": policy.id, "reconciliation_request": {
            "reconciled_at_ledger": at(2), "reconciled_at_payments": at(2)}})
        assert ok.reconciliation_response is not None
        assert ok.reconciliation_response.data.status == "OK"
        short = await v1.reconcile_async(request={
            "policy_id": policy.id, "reconciliation_request": {
                "reconciled_at_ledger": at(4), "reconciled_at_payments": at(4)}})
        assert short.reconciliation_response is not None
        run = short.reconciliation_response.data
        assert (run.status, run.drift_balances) == ("NOT_OK", {"USD/2": 300})
        assert run.error == "balance drift for asset USD/2"
        listed = await v1.list_reconciliations_async(request={"page_size": 1})
        assert listed.reconciliations_cursor_response is not None
        cursor = listed.reconciliations_cursor_response.cursor
        assert [r.id for r in cursor.data] == [run.id] and cursor.has_more
        again = await v1.get_reconciliation_async(request={"reconciliation_id": run.id})
        assert again.reconciliation_response is not None
        assert again.reconciliation_response.data.ledger_balances == {"USD/2": -1000}
        policies = await v1.list_policies_async(request={})
        assert policies.policies_cursor_response is not None
        assert [p.id for p in policies.policies_cursor_response.cursor.data] == [policy.id]

        with pytest.raises(models.ErrorsErrorResponse) as refused:
            await v1.reconcile_async(request={"policy_id": policy.id, "reconciliation_request": {
                "reconciled_at_ledger": datetime.now(UTC) + timedelta(days=1),
                "reconciled_at_payments": at(1)}})
        assert refused.value.data.error_code == "VALIDATION"
        with pytest.raises(models.ErrorsErrorResponse) as missing:
            await v1.get_policy_async(request={"policy_id": "nope"})
        assert missing.value.data.error_code == "NOT_FOUND"

        rule_created = await v1.create_rule_async(request={
            "name": "drift", "template_kind": models.TemplateKind.LEDGER_VS_POOL_DRIFT,
            "template_spec": {"ledgerName": "main",
                              "ledgerQuery": {"$match": {"address": "bank:"}},
                              "paymentsPoolID": pool},
            "severity": models.Severity.CRITICAL, "labels": {"desk": "eu"},
            "schedule": {"kind": models.ScheduleKind.ON_DEMAND, "safety_margin": "1m"}})
        assert rule_created.status_code == 201 and rule_created.rule_response is not None
        rule = rule_created.rule_response.data
        assert rule.cadence == models.Cadence.CONTINUOUS and rule.enabled

        evaluated = await v1.evaluate_rule_async(request={
            "rule_id": rule.id, "evaluate_rule_request": {"at": at(4)}})
        assert evaluated.status_code == 200 and evaluated.evaluation_response is not None
        evaluation = evaluated.evaluation_response.data
        assert evaluation.result == models.Result.FAIL
        assert evaluation.pit_per_source is not None
        assert set(evaluation.pit_per_source) == {"ledger", "pool"}
        evaluations = await v1.list_evaluations_async(request={})
        assert evaluations.evaluations_cursor_response is not None
        assert [e.id for e in evaluations.evaluations_cursor_response.cursor.data] == \
            [evaluation.id]
        one = await v1.get_evaluation_async(request={"evaluation_id": evaluation.id})
        assert one.evaluation_response is not None

        alerts = await v1.list_alerts_async(request={"request_body": {
            "$match": {"ruleID": rule.id}}})
        assert alerts.alerts_cursor_response is not None
        (alert,) = alerts.alerts_cursor_response.cursor.data
        assert (alert.status, alert.severity) == (models.Status.OPEN, models.Severity.CRITICAL)
        aid = alert.id
        acked = await v1.ack_alert_async(request={"alert_id": aid,
                                                  "ack_alert_request": {"by": "ops"}})
        assert acked.alert_response is not None
        assert acked.alert_response.data.status == models.Status.ACKNOWLEDGED
        snoozed = await v1.snooze_alert_async(request={"alert_id": aid, "snooze_alert_request": {
            "by": "ops", "until": datetime.now(UTC) + timedelta(hours=2)}})
        assert snoozed.alert_response is not None
        assert snoozed.alert_response.data.snooze is not None
        unsnoozed = await v1.unsnooze_alert_async(request={
            "alert_id": aid, "unsnooze_alert_request": {"by": "ops"}})
        assert unsnoozed.alert_response is not None
        assert unsnoozed.alert_response.data.snooze is None
        resolved = await v1.resolve_alert_async(request={"alert_id": aid,
                                                         "resolve_alert_request": {
            "by": "ops", "note": "booked", "transaction_refs": ["42"]}})
        assert resolved.alert_response is not None
        resolution = resolved.alert_response.data.resolution
        assert resolution is not None and resolution.kind == models.ResolutionKind.FIXED_BY_BOOKING
        with pytest.raises(models.ErrorsErrorResponse) as conflict:
            await v1.snooze_alert_async(request={"alert_id": aid, "snooze_alert_request": {
                "by": "ops", "until": datetime.now(UTC) + timedelta(hours=2)}})
        assert conflict.value.data.error_code == "CONFLICT"
        await v1.evaluate_rule_async(request={"rule_id": rule.id,
                                              "evaluate_rule_request": {"at": at(4)}})
        accepted = await v1.accept_alert_async(request={"alert_id": aid, "accept_alert_request": {
            "by": "cfo", "note": "known fee"}})
        assert accepted.alert_response is not None
        assert accepted.alert_response.data.resolution is not None
        assert accepted.alert_response.data.resolution.kind == \
            models.ResolutionKind.ACCEPTED_BY_BUSINESS
        got_alert = await v1.get_alert_async(request={"alert_id": aid})
        assert got_alert.alert_response is not None
        assert got_alert.alert_response.data.occurrence_count == 2
        timeline = await v1.list_alert_events_async(request={"alert_id": aid})
        assert timeline.alert_events_cursor_response is not None
        kinds = [e.type for e in timeline.alert_events_cursor_response.cursor.data]
        assert [k.value for k in kinds] == ["fail", "ack", "snooze", "unsnooze", "resolve",
                                            "fail", "accept"]

        rules = await v1.list_rules_async(request={})
        assert rules.rules_cursor_response is not None
        assert [r.id for r in rules.rules_cursor_response.cursor.data] == [rule.id]
        patched = await v1.patch_rule_async(request={"rule_id": rule.id, "rule_patch_request": {
            "enabled": False, "severity": models.Severity.LOW}})
        assert patched.rule_response is not None
        assert (patched.rule_response.data.enabled,
                patched.rule_response.data.severity) == (False, models.Severity.LOW)
        disabled = await v1.evaluate_rule_async(request={"rule_id": rule.id})
        assert disabled.status_code == 409 and disabled.error_response is not None
        assert disabled.error_response.error_code == "CONFLICT"
        deleted = await v1.delete_rule_async(request={"rule_id": rule.id})
        assert deleted.status_code == 204
        assert (await v1.delete_policy_async(request={"policy_id": policy.id})).status_code \
            == 204
