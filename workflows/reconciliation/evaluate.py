"""`reconciliation-rule-<id>-evaluate` (on demand) and `reconciliation-rule-<id>-<time>` (started
by the rule's Temporal Schedule): one evaluation of a rule. The rule is read as it is now, its
sources are read in parallel at their points in time (the evaluation's `at`, or its start,
minus the safety margin, unless the request names a point in time for a source), the template
is evaluated by the pure functions of domain/reconciliation/templates.py inside the workflow,
and the evaluation is stored together with the alert changes it makes. A source that cannot be
read (a pool deleted since) makes an ERROR evaluation, stored, that leaves alerts alone."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.reconciliation import stubs
    from activities.reconciliation.contracts import (
        ReadSourceInput,
        RuleRef,
        StoreEvaluationInput,
    )
    from domain.payments.durations import parse_go_duration
    from domain.reconciliation.evaluations import Evaluation, EvaluationResult
    from domain.reconciliation.rules import Rule
    from domain.reconciliation.scheduling import EvaluateInput
    from domain.reconciliation.templates import Outcome, evaluate, parse_spec
    from workflows import search_attributes
    from workflows.reconciliation.inputs import EVALUATE_WORKFLOW


@workflow.defn(name=EVALUATE_WORKFLOW)
class RuleEvaluationWorkflow:
    @workflow.run
    async def run(self, data: EvaluateInput) -> Evaluation | None:
        started = workflow.now()
        rule = (await stubs.load_rule(RuleRef(rule_id=data.rule_id))).rule
        if rule is None or (data.scheduled and not rule.enabled):
            return None  # deleted, or disabled, since this run was due
        sources = parse_spec(rule.template_kind, rule.template_spec)
        base = (data.at or started) - _margin(data, rule)
        pits = {name: data.source_pits.get(name, base) for name in sources}
        outcomes: list[Outcome] = []
        error: str | None = None
        try:
            readings = await asyncio.gather(*(
                stubs.read_source(ReadSourceInput(source=source, at=pits[name]))
                for name, source in sources.items()))
        except ActivityError as exc:
            error = str(exc.cause or exc)
        else:
            outcomes = evaluate(rule.template_kind, rule.template_spec,
                                dict(zip(sources, readings, strict=True)))
        if error is not None:
            result = EvaluationResult.ERROR
        elif all(o.passed for o in outcomes):
            result = EvaluationResult.PASS
        else:
            result = EvaluationResult.FAIL
        now = workflow.now()
        evaluation = Evaluation(
            id=str(workflow.uuid4()), rule_id=rule.id, result=result, started_at=started,
            ended_at=now, created_at=now,
            evidence={"error": error} if error else [o.entry() for o in outcomes],
            pit_per_source=pits, cost_units=len(sources), error=error)
        workflow.set_current_details(f"{result.value}: {len(outcomes)} outcomes")
        stored = await stubs.store_evaluation(StoreEvaluationInput(
            evaluation=evaluation, outcomes=outcomes, at=min(pits.values()),
            cadence=rule.cadence, tz=rule.tz, severity=rule.severity.value,
            labels=rule.labels))
        workflow.upsert_search_attributes([search_attributes.STATUS.value_set(result.value)])
        return stored


def _margin(data: EvaluateInput, rule: Rule) -> timedelta:
    if data.safety_margin_seconds is not None:
        return timedelta(seconds=data.safety_margin_seconds)
    if rule.schedule is not None and rule.schedule.safety_margin:
        return parse_go_duration(rule.schedule.safety_margin)
    return timedelta(0)
