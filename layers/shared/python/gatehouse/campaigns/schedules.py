"""The one-time EventBridge Scheduler schedules that start campaigns at their ``start_at``.

Owns creating (or moving) a campaign's schedule and deleting it, in the schedule group
the template declares, with the role the scheduler assumes to invoke the scheduler
function. The schedule's input names only the tenant and the campaign; the function
asks everything again when it fires (``dispatch.scheduled.start_due``), so a schedule
left behind can never start a campaign that was cancelled or edited meanwhile. Never
decides whether a campaign may start.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final, Literal

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ConfigDict, Field

from gatehouse.campaigns.timing import at_expression, schedule_name
from gatehouse.config import get_settings
from gatehouse.models import GatehouseModel
from gatehouse.observability import logger

START_JOB: Final = "campaign_start"
# The scheduler retries a failed invocation for a day; past that the event goes to the DLQ.
RETRY_POLICY: Final = {"MaximumEventAgeInSeconds": 86_400, "MaximumRetryAttempts": 185}


class ScheduledStart(GatehouseModel):
    """What the schedule hands the scheduler function: ids only."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    job: Literal["campaign_start"] = START_JOB
    tenant_id: str = Field(pattern=r"^tnt_[a-z2-7]{26}$")
    campaign_id: str = Field(pattern=r"^cmp_[a-z2-7]{26}$")


def put_start(tenant_id: str, campaign_id: str, at: datetime, *, client: Any = None) -> None:
    """Create the campaign's schedule for ``at``, or move the one it has (UpdateSchedule)."""
    settings = get_settings()
    target: dict[str, Any] = {
        "Arn": settings.campaign_schedule_target_arn,
        "RoleArn": settings.campaign_schedule_role_arn,
        "Input": ScheduledStart(tenant_id=tenant_id, campaign_id=campaign_id).model_dump_json(),
        "RetryPolicy": RETRY_POLICY,
    }
    if settings.campaign_schedule_dlq_arn:
        target["DeadLetterConfig"] = {"Arn": settings.campaign_schedule_dlq_arn}
    request = {
        "Name": schedule_name(campaign_id),
        "GroupName": settings.campaign_schedule_group,
        "ScheduleExpression": at_expression(at),
        "ScheduleExpressionTimezone": "UTC",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "ActionAfterCompletion": "DELETE",
        "State": "ENABLED",
        "Target": target,
    }
    scheduler = client or _scheduler()
    try:
        scheduler.create_schedule(**request)
    except ClientError as exc:
        if _code(exc) != "ConflictException":
            raise
        scheduler.update_schedule(**request)


def delete_start(campaign_id: str, *, client: Any = None) -> bool:
    """Delete the campaign's schedule; False when it had none (fired, or never made).

    A deletion that fails is logged, not raised: the campaign has already left its
    scheduled state, and the function the schedule fires refuses anything not scheduled.
    """
    settings = get_settings()
    try:
        (client or _scheduler()).delete_schedule(
            Name=schedule_name(campaign_id), GroupName=settings.campaign_schedule_group
        )
    except ClientError as exc:
        if _code(exc) == "ResourceNotFoundException":
            return False
        logger.warning("campaign schedule not deleted", extra={"error": _code(exc)})
        return False
    except BotoCoreError as exc:
        logger.warning("campaign schedule not deleted", extra={"error": type(exc).__name__})
        return False
    return True


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _scheduler() -> Any:
    from gatehouse.clients import aws_client  # noqa: PLC0415

    return aws_client("scheduler")
