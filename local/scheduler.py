"""EventBridge schedules on timers: each Schedule event of the template fires its function in-process.

EventBridge Scheduler's one-time schedules (``at(...)``, created by the code in the
template's schedule groups) are fired by ``fire_due``: each one whose instant has come on
the given clock invokes its target function with the schedule's Input and is then deleted,
as ``ActionAfterCompletion: DELETE`` does; one whose invocation failed stays, and is tried
again at the next call (the service retries too).

Owns turning ``rate(N minutes|hours|days)`` into an interval (``cron(...)`` has no
fixed interval and is skipped with a log line unless an interval override is
given), building the event the target receives (the rule's constant Input when
the template sets one, exactly as EventBridge delivers it; otherwise the
"Scheduled Event" envelope), and one daemon timer thread per rule that stops on
``stop()``. Never decides what a job does.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from local.functions import Invocation, LocalFunction
from local.intrinsics import ACCOUNT_ID, REGION
from local.template import Schedule

log = logging.getLogger("local.scheduler")
_RATE = re.compile(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_AT = re.compile(r"at\(\s*(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\s*\)")
RUNS_KEPT = 1000  # recent runs kept for callers that wait on them; a long `make run` must not grow


def rate_seconds(expression: str) -> int | None:
    """Seconds between runs of a ``rate(...)`` expression; None for anything else (cron)."""
    match = _RATE.fullmatch(expression.strip())
    if match is None:
        return None
    unit = match.group(2).rstrip("s")
    return int(match.group(1)) * _UNIT_SECONDS[unit]


@dataclass(frozen=True)
class Job:
    rule: str
    function: LocalFunction
    interval: float
    input: str | None  # the rule's constant Input, resolved

    @property
    def rule_arn(self) -> str:
        return f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{self.rule}"

    def event(self) -> Any:
        if self.input is not None:
            return json.loads(self.input)
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": ACCOUNT_ID,
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": REGION,
            "resources": [self.rule_arn],
            "detail": {},
        }


@dataclass(frozen=True)
class Run:
    rule: str
    at: datetime
    outcome: Invocation


def plan_job(
    rule: str, function: LocalFunction, schedule: Schedule, payload: str | None, interval: float | None
) -> Job | None:
    """The timer for one schedule; None (with a log line) when it cannot run locally."""
    if not schedule.enabled:
        log.info("schedule %s is disabled in the template; not run", rule)
        return None
    seconds = interval if interval is not None else rate_seconds(schedule.expression)
    if seconds is None:
        log.info("schedule %s (%s) has no fixed rate; not run locally", rule, schedule.expression)
        return None
    return Job(rule, function, float(seconds), payload)


def at_instant(expression: str, zone: str | None) -> datetime | None:
    """The instant of a one-time ``at(yyyy-mm-ddThh:mm:ss)`` expression in its zone; None otherwise."""
    match = _AT.fullmatch(expression.strip())
    if match is None:
        return None
    local = datetime.fromisoformat(match.group(1)).replace(tzinfo=ZoneInfo(zone or "UTC"))
    return local.astimezone(UTC)


@dataclass(frozen=True)
class OneTimeRun:
    group: str
    schedule: str
    at: datetime
    outcome: Invocation


def fire_due(
    client: Any, groups: Iterable[str], functions: Iterable[LocalFunction], now: datetime
) -> list[OneTimeRun]:
    """Fire every enabled one-time schedule of ``groups`` due at ``now``; delete each that succeeded."""
    by_name = {fn.name: fn for fn in functions}
    fired: list[OneTimeRun] = []
    for group in groups:
        for name in _schedule_names(client, group):
            schedule = client.get_schedule(GroupName=group, Name=name)
            at = at_instant(schedule["ScheduleExpression"], schedule.get("ScheduleExpressionTimezone"))
            if at is None or at > now or schedule.get("State", "ENABLED") != "ENABLED":
                continue
            target = schedule["Target"]
            function = by_name.get(target["Arn"].split(":")[6])
            if function is None:
                log.warning("schedule %s targets %s, which is not served here", name, target["Arn"])
                continue
            outcome = function.invoke(json.loads(target.get("Input") or "{}"))
            if outcome.failed:
                log.warning("one-time schedule %s failed: %s", name, outcome.payload.get("errorMessage"))
            else:
                client.delete_schedule(GroupName=group, Name=name)
            fired.append(OneTimeRun(group, name, at, outcome))
    return fired


def _schedule_names(client: Any, group: str) -> list[str]:
    names: list[str] = []
    request: dict[str, Any] = {"GroupName": group}
    while True:
        page = client.list_schedules(**request)
        names.extend(item["Name"] for item in page.get("Schedules", []) if item.get("GroupName") == group)
        if not page.get("NextToken"):
            return names
        request["NextToken"] = page["NextToken"]


class Scheduler:
    def __init__(
        self, jobs: list[Job], ticks: list[tuple[str, float, Callable[[], Any]]] | None = None
    ) -> None:
        self.jobs = jobs
        self.ticks = ticks or []  # (name, interval, action): the runtime's own periodic work
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._runs: deque[Run] = deque(maxlen=RUNS_KEPT)
        self._changed = threading.Condition()

    @property
    def runs(self) -> list[Run]:
        with self._changed:
            return list(self._runs)

    def start(self) -> None:
        self._stop.clear()
        for job in self.jobs:
            thread = threading.Thread(
                target=self._loop, args=(job,), name=f"schedule-{job.rule}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        for name, interval, action in self.ticks:
            thread = threading.Thread(
                target=self._tick, args=(interval, action), name=f"tick-{name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        self._threads.clear()

    def fire(self, job: Job) -> Run:
        """Deliver one scheduled event to the job's function now."""
        outcome = job.function.invoke(job.event())
        if outcome.failed:
            log.warning("scheduled %s failed: %s", job.rule, outcome.payload.get("errorMessage"))
        run = Run(job.rule, datetime.now(UTC), outcome)
        with self._changed:
            self._runs.append(run)
            self._changed.notify_all()
        return run

    def wait_for_runs(self, rule: str, count: int, timeout: float) -> list[Run]:
        """Block until ``rule`` has run ``count`` times (or ``timeout`` passes); returns its runs."""
        with self._changed:
            self._changed.wait_for(lambda: len(self._of(rule)) >= count, timeout=timeout)
            return self._of(rule)

    def _of(self, rule: str) -> list[Run]:
        return [run for run in self._runs if run.rule == rule]

    def _loop(self, job: Job) -> None:
        while not self._stop.wait(job.interval):
            self.fire(job)

    def _tick(self, interval: float, action: Callable[[], Any]) -> None:
        while not self._stop.wait(interval):
            try:
                action()
            except Exception:  # a timer thread must outlive one failed round
                log.exception("periodic local work failed")
