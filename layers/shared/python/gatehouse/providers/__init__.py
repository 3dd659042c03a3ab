"""Provider adapters: the only code that talks to Twilio, the voice agent, the DNC provider and SES.

Each adapter receives plaintext credentials from ``gatehouse.vault.resolve`` for one
call and keeps nothing. ``live`` adapters call the real services over HTTPS;
``sandbox`` adapters (the local runtime, never AWS) record every call in memory and
answer as a healthy provider would. ``adapters()`` picks by the deployment's
provider mode.
"""

from gatehouse.providers.base import CheckResult, CheckStatus, ProviderAdapters, adapters
from gatehouse.providers.checks import CheckRequest, request_check, run_check

__all__ = [
    "CheckRequest",
    "CheckResult",
    "CheckStatus",
    "ProviderAdapters",
    "adapters",
    "request_check",
    "run_check",
]
