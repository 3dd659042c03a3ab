"""The identity side of the audit trail: who did what to which member or key.

Every state change in ``identity`` ends with one ``record`` call; secret values are
never passed (API keys are recorded by id, prefix and role only).
"""

from __future__ import annotations

from pydantic import BaseModel

from gatehouse import audit
from gatehouse.identity.caller import Caller
from gatehouse.observability import logger


def record(
    caller: Caller,
    action: str,
    target_type: str,
    target_id: str,
    *,
    before: BaseModel | None = None,
    after: BaseModel | None = None,
) -> audit.AuditEntry:
    return audit.append(
        caller.tenant_id,
        actor=audit.Actor.from_label(caller.actor),
        action=action,
        target=audit.Target(type=target_type, id=target_id),
        request_id=caller.request_id,
        source_ip=caller.source_ip,
        before=before.model_dump(mode="json", exclude={"version"}) if before else None,
        after=after.model_dump(mode="json", exclude={"version"}) if after else None,
    )


def record_personal(caller: Caller, action: str, target_type: str, target_id: str) -> None:
    """A person's own sign-in event: in their tenant's trail, or (operator console, no tenant) the log."""
    if caller.platform:
        logger.info("operator account event", extra={"action": action, "operator": caller.principal_id})
        return
    record(caller, action, target_type, target_id)
