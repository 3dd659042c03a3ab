"""Logger, tracer and metrics shared by every function.

Structured JSON logs scrub secrets before they are written: keys that name a
secret are masked, and anything shaped like a Gatehouse API key is masked
wherever it appears in a message. Metrics go out as CloudWatch EMF in the
``Gatehouse`` namespace.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Final

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.logging.types import LogRecord

SERVICE = "gatehouse"
MASK = "*****"
_SECRET_KEYS = re.compile(
    r"(authorization|api[_-]?key|token|secret|password|cookie|auth[_-]?token|signature)", re.IGNORECASE
)
# API keys, and the one-time tokens of invitations, sign-in links and sessions.
_SECRET_VALUES = re.compile(r"ghk_[a-z2-7]{26}_[A-Za-z0-9_-]{43}|gh[ims]_[A-Za-z0-9_-]{43}")


def scrub(value: Any) -> Any:
    """A copy of ``value`` with secret-named keys and key-shaped strings masked."""
    if isinstance(value, dict):
        return {k: (MASK if _SECRET_KEYS.search(str(k)) else scrub(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        return _SECRET_VALUES.sub(MASK, value)
    return value


class ScrubbingFormatter(LambdaPowertoolsFormatter):
    def serialize(self, log: LogRecord) -> str:
        return super().serialize(scrub(log))


# Libraries whose DEBUG records carry request data verbatim: Powertools' resolver logs
# each route's arguments (credentials, e-mail addresses, sign-in tokens), botocore and
# urllib3 log request bodies (an e-mail with a sign-in link, say). Capped at INFO, so no
# log level setting (POWERTOOLS_LOG_LEVEL, POWERTOOLS_DEBUG, a root logger at DEBUG)
# can let those records through.
VERBATIM_DEBUG_LOGGERS: Final = ("aws_lambda_powertools.event_handler", "botocore", "boto3", "urllib3")


def cap_library_debug_logs() -> None:
    for name in VERBATIM_DEBUG_LOGGERS:
        library = logging.getLogger(name)
        if library.level < logging.INFO:
            library.setLevel(logging.INFO)


cap_library_debug_logs()
logger = Logger(service=SERVICE, logger_formatter=ScrubbingFormatter())
tracer = Tracer(service=SERVICE)
metrics = Metrics(service=SERVICE, namespace="Gatehouse")
