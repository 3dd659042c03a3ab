"""Heartbeat: records when the scheduler last ran, so operators can see that schedules fire."""

from __future__ import annotations

from datetime import datetime

from gatehouse.clock import Clock, utc_now
from gatehouse.tenancy import GlobalRecord, get_directory


class SchedulerBeat(GlobalRecord):
    collection = "SYSTEM"

    job: str
    last_run_at: datetime
    runs: int = 0

    def partition_id(self) -> str:
        return "SCHEDULER"

    def sort_key(self) -> str:
        return self.job


def run_heartbeat(clock: Clock = utc_now) -> SchedulerBeat:
    directory = get_directory()
    beat = directory.get(SchedulerBeat, "SCHEDULER", "heartbeat") or SchedulerBeat(
        job="heartbeat", last_run_at=clock()
    )
    return directory.save(beat.model_copy(update={"last_run_at": clock(), "runs": beat.runs + 1}))


def last_heartbeat() -> SchedulerBeat | None:
    return get_directory().get(SchedulerBeat, "SCHEDULER", "heartbeat")
