"""Asking the integration check function, the one function the API may have open credentials for it.

The API's role opens no provider credentials, so a credentials check, a DNC lookup and a
member's reply are each sent to the integration check function as a request naming the
tenant and never a secret, and answered synchronously. ``ask`` is that round trip: the
function's JSON answer, or ``NotAnswered`` (unreachable, not configured, a function
error, an answer that is not JSON), which each caller turns into its own fixed failure.
The message of ``NotAnswered`` names the kind of failure only, never a value.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from gatehouse.clients import aws_client
from gatehouse.config import get_settings
from gatehouse.models import GatehouseModel
from gatehouse.observability import logger


class NotAnswered(Exception):
    """The check function gave no answer; ``error_type`` is its error's type when it raised one."""

    def __init__(self, why: str, error_type: str | None = None) -> None:
        super().__init__(why)
        self.error_type = error_type


def configured() -> bool:
    """Whether this deployment delegates to a check function (the API in AWS and in the local runtime)."""
    return bool(get_settings().integration_check_function)


def ask(request: GatehouseModel, *, what: str) -> Any:
    """The check function's answer to ``request`` (``what`` names the request in the logs)."""
    function = get_settings().integration_check_function
    if not function:
        raise NotAnswered("no integration check function is configured")
    try:
        reply = aws_client("lambda").invoke(
            FunctionName=function, InvocationType="RequestResponse", Payload=request.model_dump_json()
        )
        payload: Any = json.loads(reply["Payload"].read() or b"null")
    except (ClientError, BotoCoreError, ValueError) as exc:
        logger.warning(f"{what} could not be delegated", extra={"error": type(exc).__name__})
        raise NotAnswered("the check function could not be invoked") from None
    if reply.get("FunctionError"):
        error_type = payload.get("errorType") if isinstance(payload, dict) else None
        logger.warning(f"{what} failed in the check function", extra={"error": error_type})
        raise NotAnswered("the check function failed", error_type if isinstance(error_type, str) else None)
    return payload
