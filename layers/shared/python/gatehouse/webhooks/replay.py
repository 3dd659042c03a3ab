"""Once per provider event: a replayed or duplicated delivery gets the first answer and changes nothing.

The claim is Powertools idempotency on the idempotency table: one conditional put of
the event's key (provider, tenant, provider id) before the domain runs, the reply saved
on success, the claim dropped on failure (so the provider's retry runs again), records
expiring after seven days, beyond any provider's retry window. A delivery that arrives
while the same event is in progress waits briefly for the first one's reply instead of
running it twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Final

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

from gatehouse.clients import aws_client
from gatehouse.config import get_settings
from gatehouse.errors import Conflict

EXPIRES_AFTER_SECONDS: Final = 7 * 24 * 3600
WAIT_SECONDS: Final = 0.1
# A duplicate waits up to 10 s for the first delivery's answer: inside Twilio's 15 s webhook timeout.
WAIT_ROUNDS: Final = 100


@dataclass(frozen=True)
class Reply:
    """What a webhook answers; saved with the claim and given back to every replay."""

    status: int
    content_type: str
    body: str


def once(
    event_key: str,
    handle: Callable[[], Reply],
    *,
    lambda_context: Any = None,
    replayed: Callable[[Reply], Reply] | None = None,
) -> Reply:
    """Run ``handle`` for the first delivery of ``event_key``; every other delivery gets its reply.

    ``replayed`` turns the saved reply into what a repeated delivery gets instead (an
    inbound text's answer is itself a message, which must go out once, not once per
    delivery). With the Lambda context, a claim whose invocation timed out expires with it
    instead of blocking the provider's retry for the whole in-progress window.
    """
    persistence = DynamoDBPersistenceLayer(
        table_name=get_settings().idempotency_table, boto3_client=aws_client("dynamodb")
    )
    config = IdempotencyConfig(expires_after_seconds=EXPIRES_AFTER_SECONDS)
    if lambda_context is not None:
        config.register_lambda_context(lambda_context)

    ran = False

    def process(key: str) -> dict[str, Any]:
        nonlocal ran
        ran = True
        return asdict(handle())

    claimed = idempotent_function(
        process,
        data_keyword_argument="key",
        persistence_store=persistence,
        config=config,
        key_prefix="gatehouse.webhook",
    )
    for _ in range(WAIT_ROUNDS):
        try:
            reply = Reply(**claimed(key=event_key))
        except IdempotencyAlreadyInProgressError:
            time.sleep(WAIT_SECONDS)
            continue
        return reply if ran or replayed is None else replayed(reply)
    raise Conflict("the same event is still being processed; retry")
