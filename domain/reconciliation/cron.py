"""Cron expressions of rule schedules, parsed here (pure) so that one that does not parse is a
400 when the rule is saved, never a schedule Temporal refuses later. The parsed form is a set of
ranges per field, which the schedule activity hands to Temporal as a calendar spec (Temporal's
recommended form; its cron strings are a legacy translation).

Five fields (minute hour day-of-month month day-of-week) or six (seconds first, for short
cadences); `*`, `a`, `a-b`, `*/n`, `a-b/n`, `a/n`, comma lists, month and day names (JAN, MON);
day-of-week 0-7 with 0 and 7 both Sunday; and the macros @yearly, @annually, @monthly, @weekly,
@daily, @midnight, @hourly."""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import ValidationError

MACROS = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_MONTHS = {n: i + 1 for i, n in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"])}
_DAYS = {n: i for i, n in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}


@dataclass(frozen=True)
class CronRange:
    start: int
    end: int
    step: int = 1


@dataclass(frozen=True)
class Cron:
    second: tuple[CronRange, ...]
    minute: tuple[CronRange, ...]
    hour: tuple[CronRange, ...]
    day_of_month: tuple[CronRange, ...]
    month: tuple[CronRange, ...]
    day_of_week: tuple[CronRange, ...]


def parse_cron(expr: str) -> Cron:
    """ValidationError naming the field unless `expr` is a cron expression as described above."""
    if not isinstance(expr, str) or not expr.strip():
        raise ValidationError("schedule.expr: a cron expression is required")
    text = MACROS.get(expr.strip().lower(), expr.strip())
    fields = text.split()
    if len(fields) == 5:
        fields = ["0", *fields]
    if len(fields) != 6:
        raise ValidationError(f"schedule.expr: {expr!r} is not a cron expression: expected 5 "
                              "fields (minute hour day-of-month month day-of-week) or 6 "
                              "(seconds first)")
    second, minute, hour, dom, month, dow = fields
    return Cron(
        second=_field(second, "seconds", 0, 59, {}),
        minute=_field(minute, "minutes", 0, 59, {}),
        hour=_field(hour, "hours", 0, 23, {}),
        day_of_month=_field(dom, "day-of-month", 1, 31, {}),
        month=_field(month, "month", 1, 12, _MONTHS),
        day_of_week=_sundays(_field(dow, "day-of-week", 0, 7, _DAYS)),
    )


def _field(text: str, name: str, low: int, high: int, names: dict[str, int]
           ) -> tuple[CronRange, ...]:
    out = []
    for part in text.split(","):
        out.append(_part(part, name, low, high, names))
    return tuple(out)


def _part(part: str, name: str, low: int, high: int, names: dict[str, int]) -> CronRange:
    def bad(why: str) -> ValidationError:
        return ValidationError(f"schedule.expr: invalid {name} field {part!r}: {why}")

    base, slash, step_text = part.partition("/")
    step = 1
    if slash:
        if not step_text.isdigit() or int(step_text) < 1:
            raise bad("the step must be a positive integer")
        step = int(step_text)
    if base == "*":
        return CronRange(low, high if name != "day-of-week" else 6, step)
    first, dash, last = base.partition("-")
    start = _value(first, names, bad)
    end = _value(last, names, bad) if dash else (high if slash else start)
    if not (low <= start <= high and low <= end <= high):
        raise bad(f"values must be within {low}-{high}")
    if end < start:
        raise bad("a range must not run backwards")
    return CronRange(start, end, step)


def _value(text: str, names: dict[str, int], bad: object) -> int:
    if text.isdigit():
        return int(text)
    if text.upper() in names:
        return names[text.upper()]
    assert callable(bad)
    raise bad("expected a number" + (" or a name" if names else ""))


def _sundays(ranges: tuple[CronRange, ...]) -> tuple[CronRange, ...]:
    """Day 7 is Sunday, as 0 (Temporal knows 0-6 only)."""
    out: list[CronRange] = []
    for r in ranges:
        if r.end == 7:
            if r.start <= 7 and (7 - r.start) % r.step == 0:
                out.append(CronRange(0, 0))
            if r.start <= 6:
                out.append(CronRange(r.start, 6, r.step))
        else:
            out.append(r)
    return tuple(out)
