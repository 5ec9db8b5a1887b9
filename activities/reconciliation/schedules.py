"""A rule's Temporal Schedule, made to match the rule as stored: absent for a rule deleted or
not on a cron; otherwise created or updated (calendar from the cron, time zone, the run's search
attributes) and paused exactly while the rule is disabled. Reading the rule each time makes the
sync idempotent and the latest rule win, whatever order syncs run in."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from temporalio import activity
from temporalio.client import (
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes
from temporalio.service import RPCError, RPCStatusCode

from domain.reconciliation.cron import CronRange, parse_cron
from domain.reconciliation.rules import Rule
from domain.reconciliation.scheduling import EvaluateInput, rule_schedule_id


@dataclass(frozen=True)
class ScheduleTarget:
    """What a rule's schedule starts: the evaluation workflow's type name and the search
    attributes its runs carry (given by the composition root: activities import no workflow)."""

    workflow: str
    config_key: SearchAttributeKey[str]
    kind_key: SearchAttributeKey[str]


def _ranges(ranges: tuple[CronRange, ...]) -> list[ScheduleRange]:
    return [ScheduleRange(r.start, r.end, r.step) for r in ranges]


def _schedule(rule: Rule, target: ScheduleTarget) -> Schedule:
    assert rule.schedule is not None and rule.schedule.expr is not None
    cron = parse_cron(rule.schedule.expr)
    calendar = ScheduleCalendarSpec(
        second=_ranges(cron.second), minute=_ranges(cron.minute), hour=_ranges(cron.hour),
        day_of_month=_ranges(cron.day_of_month), month=_ranges(cron.month),
        day_of_week=_ranges(cron.day_of_week), comment=rule.schedule.expr)
    sid = rule_schedule_id(rule.id)
    return Schedule(
        action=ScheduleActionStartWorkflow(
            target.workflow, EvaluateInput(rule_id=rule.id, scheduled=True), id=sid,
            task_queue=activity.info().task_queue,
            typed_search_attributes=TypedSearchAttributes([
                SearchAttributePair(target.config_key, rule.id),
                SearchAttributePair(target.kind_key, rule.template_kind.value)]),
            static_summary=f"Evaluate rule {rule.name!r} ({rule.template_kind.value})"),
        spec=ScheduleSpec(calendars=[calendar], time_zone_name=rule.schedule.tz or "UTC"),
        # An evaluation still running when the next is due is not piled onto: skipped.
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
        state=ScheduleState(paused=not rule.enabled,
                            note="rule disabled" if not rule.enabled else f"rule {rule.id}"))


async def sync_schedule(rule: Rule | None, rule_id: str, target: ScheduleTarget) -> str:
    handle = activity.client().get_schedule_handle(rule_schedule_id(rule_id))
    if rule is None or not rule.scheduled:
        try:
            await handle.delete()
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
        return "absent"
    wanted = _schedule(rule, target)

    def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
        return ScheduleUpdate(schedule=wanted, search_attributes=TypedSearchAttributes([
            SearchAttributePair(target.config_key, rule.id),
            SearchAttributePair(target.kind_key, rule.template_kind.value)]))

    try:
        await handle.update(replace)
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
        with contextlib.suppress(ScheduleAlreadyRunningError):  # created by a retried attempt
            await activity.client().create_schedule(
                rule_schedule_id(rule.id), wanted, search_attributes=TypedSearchAttributes([
                    SearchAttributePair(target.config_key, rule.id),
                    SearchAttributePair(target.kind_key, rule.template_kind.value)]))
    return "paused" if not rule.enabled else "active"
