"""What a call event says, in one shape whichever vendor sent it.

``gatehouse.webhooks.voice_wire`` reads each vendor's own body (Retell's ``call`` object,
Vapi's server messages, Twilio's status callbacks) into these models; everything after it
(``voice_events.record_event``, the delivery status, the revocation reading of the
person's turns) works on this shape only. Field names follow the first vendor's
(Retell's) where they already said the right thing, so records and tests written before
the second vendor keep their meaning. Nothing here reads a table, a clock or a secret.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final

from pydantic import ConfigDict, Field

from gatehouse.models import GatehouseModel

TURN_MAX: Final = 10_000
TURNS_MAX: Final = 2_000


class CallEventType(StrEnum):
    CALL_STARTED = "call_started"
    CALL_ENDED = "call_ended"
    CALL_ANALYZED = "call_analyzed"
    # A step before the call is answered or ends (Twilio's initiated and ringing, Vapi's queued ...).
    CALL_PROGRESS = "call_progress"


class Speaker(StrEnum):
    AGENT = "agent"
    USER = "user"  # the person called


class Turn(GatehouseModel):
    """One utterance of the transcript: who spoke, and what."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    role: Speaker
    content: str = Field(max_length=TURN_MAX)


class CallOutcome(StrEnum):
    ANSWERED = "answered"
    VOICEMAIL = "voicemail"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    FAILED = "failed"


class CallAnalysis(GatehouseModel):
    """The vendor's own reading of the call, after it ended (never a decision of ours)."""

    model_config = ConfigDict(extra="ignore")

    disposition: str | None = Field(default=None, max_length=100)
    do_not_call: bool = False
    call_summary: str | None = Field(default=None, max_length=5000)
    user_sentiment: str | None = Field(default=None, max_length=32)
    call_successful: bool | None = None
    in_voicemail: bool | None = None
    custom_analysis_data: dict[str, Any] = {}


class CallPayload(GatehouseModel):
    """The call as its vendor describes it, in Gatehouse's vendor-neutral shape.

    Timestamps are milliseconds since the epoch; ``turns`` is the transcript turn by turn
    (``transcript`` the same as one text, where the vendor gives one); ``outcome`` is what
    became of the dialing, where the event says; ``cost_cents`` what the vendor charged.
    """

    model_config = ConfigDict(extra="ignore")

    call_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,128}$")
    vendor: str = Field(default="retell", max_length=16)
    agent_id: str | None = Field(default=None, max_length=128)
    call_type: str | None = Field(default=None, max_length=32)
    direction: str = "outbound"
    from_number: str | None = Field(default=None, max_length=32)
    to_number: str | None = Field(default=None, max_length=32)
    call_status: str | None = Field(default=None, max_length=64)
    start_timestamp: int | None = None
    end_timestamp: int | None = None
    duration_seconds: int | None = Field(default=None, ge=0)  # where the vendor gives no timestamps
    disconnection_reason: str | None = Field(default=None, max_length=100)
    disposition: str | None = Field(default=None, max_length=100)
    outcome: CallOutcome | None = None
    answered_by: str | None = Field(default=None, max_length=32)  # Twilio's answering-machine detection
    transcript: str | None = None
    turns: list[Turn] = Field(default=[], max_length=TURNS_MAX)
    recording_url: str | None = Field(default=None, max_length=2048)
    public_log_url: str | None = Field(default=None, max_length=2048)
    call_analysis: CallAnalysis | None = None
    cost_cents: float | None = Field(default=None, ge=0)
    metadata: dict[str, Any] = {}
    dynamic_variables: dict[str, str] = {}

    @property
    def contact_number(self) -> str | None:
        return self.from_number if self.direction == "inbound" else self.to_number

    @property
    def summary(self) -> str | None:
        return self.call_analysis.call_summary if self.call_analysis else None

    @property
    def sentiment(self) -> str | None:
        return self.call_analysis.user_sentiment if self.call_analysis else None

    def said_by(self, role: Speaker) -> list[str]:
        """What one side said, turn by turn (the person's turns: what a revocation is read from)."""
        return [turn.content for turn in self.turns if turn.role is role]


class CallEvent(GatehouseModel):
    """One verified event about one call. ``wire_type`` is the vendor's own name for it
    (with the status, where one event type carries several), the key that applies it once."""

    model_config = ConfigDict(extra="ignore")

    event: CallEventType
    call: CallPayload
    wire_type: str = Field(default="", max_length=64)

    @property
    def once_key(self) -> str:
        return self.wire_type or self.event.value
