"""A member's one-off reply in a conversation: one text through every campaign gate, once per Idempotency-Key.

The answer is 201 with the reply the first time, 200 with the same reply for a retry with
the same key (nothing is sent again), 409 ``reply_refused`` naming the gate, its reason and,
for calling hours and caps, when the reply may go.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path
from guards import CLOCK, caller, requires, scope
from pydantic import Field

from gatehouse.clock import Clock, utc_now
from gatehouse.conversations import replies
from gatehouse.conversations.replies import ReplyView
from gatehouse.identity.permissions import Permission
from routes.schemas import StrictBody, documented

router = Router()


ConversationId = Annotated[
    str,
    Path(
        pattern=r"^con_[a-z2-7]{26}\.(sms|voice)$",
        description="conversation id: `<contact id>.<channel>` (replies go in `sms` conversations)",
    ),
]
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        pattern=replies.IDEMPOTENCY_KEY.pattern,
        description="names the reply: a retry with the same key and text gets the first reply, nothing sent",
    ),
]


class ReplyRequest(StrictBody):
    body: str = Field(
        min_length=1,
        max_length=replies.BODY_MAX,
        pattern=r"\S",
        description="the text to send; the person's number is never needed",
    )


@router.post(
    "/conversations/<conversation_id>/messages",
    middlewares=requires(Permission.CONVERSATIONS_REPLY),
    summary="Answer the person with a one-off text: the campaign's gates, one claim, sent once per key",
    tags=["conversations"],
    responses=documented(201, ReplyView, 400, 404, 409),
)
def reply_in_conversation(
    conversation_id: ConversationId,
    request: Annotated[ReplyRequest, Body()],
    idempotency_key: IdempotencyKey,
) -> Response[ReplyView]:
    clock: Clock = router.context.get(CLOCK, utc_now)
    done = replies.reply(
        scope(router), caller(router), conversation_id, request.body, idempotency_key, clock=clock
    )
    return Response(
        status_code=201 if done.created else 200, body=done.reply, content_type="application/json"
    )
