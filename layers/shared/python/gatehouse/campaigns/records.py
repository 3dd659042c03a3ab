"""What a campaign is: channel, audience, content, senders, windows and limits, and where it stands.

``CampaignSpec`` is what a client writes (strictly validated: an SMS template must carry
an opt-out line and only known merge fields; windows parse as the calling-hours gate
reads them). ``Campaign`` is the stored record (collection ``CAMPAIGN``): the spec, the
status and who moved it there.
"""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Final, Literal, Self

from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from gatehouse.clock import Instant
from gatehouse.compliance.consent import TECHNOLOGIES, Purpose, kind_name
from gatehouse.compliance.hours import CampaignWindow
from gatehouse.compliance.state_rules import Channel, Technology
from gatehouse.errors import Invalid
from gatehouse.models import GatehouseModel
from gatehouse.tenancy import TenantRecord
from gatehouse.tenancy.records import Subject

MERGE_FIELDS: Final = frozenset({"first_name", "last_name"})
# Carriers and the CTIA handbook expect every marketing text to say how to stop them.
OPT_OUT_LINE: Final = re.compile(r"\b(reply|text)\s+stop\b", re.IGNORECASE)
E164 = Annotated[str, Field(pattern=r"^\+1[2-9][0-9]{9}$")]
Tag = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.:-]*$")]


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    SCHEDULED = "scheduled"  # approved and started ahead: a one-time schedule runs it at start_at
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Window(GatehouseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    days: Annotated[list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]], Field(min_length=1)]
    start: Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    end: Annotated[str, Field(pattern=r"^([01][0-9]|2[0-4]):[0-5][0-9]$")]

    @model_validator(mode="after")
    def _parses(self) -> Self:
        try:
            self.window()
        except Invalid as exc:
            raise ValueError(exc.message) from None
        return self

    def window(self) -> CampaignWindow:
        return CampaignWindow.of(self.days, self.start, self.end)


class Audience(GatehouseModel):
    """A saved filter over the tenant's contacts, or an explicit list of contact ids."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    contact_ids: Annotated[
        list[Annotated[str, Field(pattern=r"^con_[a-z2-7]{26}$")]], Field(max_length=10_000)
    ] = []
    tag: Tag | None = None
    state: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        by_filter = self.tag is not None or self.state is not None
        if bool(self.contact_ids) == by_filter:
            raise ValueError("give either contact_ids or a filter (tag and/or state)")
        return self


class SmsContent(GatehouseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["sms"] = "sms"
    template: Annotated[str, Field(min_length=1, max_length=1600)]

    @field_validator("template")
    @classmethod
    def _fields_and_opt_out(cls, template: str) -> str:
        try:
            named = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
        except ValueError:
            raise ValueError("the template's braces do not match") from None
        unknown = sorted(named - MERGE_FIELDS)
        if unknown:
            raise ValueError(f"unknown merge fields {unknown}; use {sorted(MERGE_FIELDS)}")
        if not OPT_OUT_LINE.search(template):
            raise ValueError('the template needs an opt-out line, e.g. "Reply STOP to opt out"')
        return template


class CallPlacement(StrEnum):
    """Who places a voice campaign's calls."""

    VOICE_AGENT = "voice_agent"  # the voice agent's own "create phone call" API dials the contact
    TWILIO = "twilio"  # Twilio dials the contact and connects the call to the agent's SIP URI or number


SipUri = Annotated[
    str, Field(max_length=256, pattern=r"^sips?:[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,190}(:[0-9]{1,5})?$")
]


Spoken = Annotated[str, Field(min_length=1, pattern=r"^[^\x00-\x1f\x7f]+$")]


class OptOutOffer(GatehouseModel):
    """The automated, interactive opt-out the agent offers on the call (47 CFR 64.1200(b)(2))."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: Annotated[str, Field(pattern=r"^[0-9*#]$", description="the key a person presses to opt out")]
    phrase: Annotated[Spoken, Field(max_length=120, description='what to say, e.g. "say stop calling"')]


class RetryPolicy(GatehouseModel):
    """Calls that end unanswered (voicemail, no answer, busy) are tried again, within every gate."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    attempts: Annotated[int, Field(ge=1, le=5, description="attempts in all, the first included")] = 1
    spacing_minutes: Annotated[int, Field(ge=60, le=10_080, description="from a call's end to a retry")] = 60


class VoiceContent(GatehouseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["voice"] = "voice"
    agent_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{4,128}$")]
    max_duration_seconds: Annotated[int, Field(ge=30, le=3600)] = 600
    placed_by: CallPlacement = CallPlacement.VOICE_AGENT
    # Where Twilio connects an answered call (placed_by "twilio" only): the agent's SIP URI or number.
    agent_sip_uri: SipUri | None = None
    agent_number: E164 | None = None
    # Recording a call in an all-party-consent state needs everyone told: the agent must announce it.
    records_calls: bool = False
    announces_recording: bool = False
    # 47 CFR 64.1200(b)(1)-(2): what an artificial or prerecorded call says first (it names the
    # business) and the opt-out it offers; required of such campaigns, whatever their purpose.
    opening: Annotated[Spoken, Field(max_length=500)] | None = None
    opt_out: OptOutOffer | None = None
    # The business the calls are made for, when not the tenant itself: the opening must name it.
    seller: Annotated[Spoken, Field(max_length=120)] | None = None
    retry: RetryPolicy = RetryPolicy()

    @model_validator(mode="after")
    def _agent_reachable(self) -> Self:
        targets = (self.agent_sip_uri is not None) + (self.agent_number is not None)
        if self.placed_by is CallPlacement.TWILIO and targets != 1:
            raise ValueError("a call placed by Twilio needs agent_sip_uri or agent_number (one of them)")
        if self.placed_by is CallPlacement.VOICE_AGENT and targets:
            raise ValueError("agent_sip_uri and agent_number are for calls placed by Twilio")
        if self.announces_recording and not self.records_calls:
            raise ValueError("announces_recording is for campaigns that record calls (records_calls)")
        return self


class SenderPool(GatehouseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    messaging_service_sid: Annotated[str, Field(pattern=r"^MG[0-9a-fA-F]{32}$")] | None = None
    numbers: Annotated[list[E164], Field(max_length=100)] = []

    @model_validator(mode="after")
    def _some(self) -> Self:
        if self.messaging_service_sid is None and not self.numbers:
            raise ValueError("give a messaging_service_sid and/or sender numbers")
        return self


class CampaignSpec(GatehouseModel):
    """Everything a client sets on a campaign; approval covers exactly this."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[^\x00-\x1f\x7f]+$")]
    channel: Channel
    # Unsaid, a campaign is marketing: the stricter consent applies until the tenant says otherwise.
    purpose: Purpose = Purpose.MARKETING
    # Unsaid: texts are autodialed, calls carry the voice agent's artificial voice.
    technology: Technology | None = None
    audience: Audience
    content: Annotated[SmsContent | VoiceContent, Field(discriminator="kind")]
    senders: SenderPool
    windows: Annotated[list[Window], Field(min_length=1, max_length=14)]
    max_attempts_per_contact: Annotated[int, Field(ge=1, le=10)] = 1
    throughput_per_sender_per_minute: Annotated[int, Field(ge=1, le=600)] = 60
    # When the run starts (a one-time schedule; unset: when started) and after which no batch is planned.
    start_at: Instant | None = None
    end_at: Instant | None = None

    @field_validator("start_at", "end_at")
    @classmethod
    def _in_utc(cls, moment: datetime | None) -> datetime | None:
        # Stored in UTC to the second: the schedule's at() expression has no finer unit.
        return None if moment is None else moment.astimezone(UTC).replace(microsecond=0)

    @model_validator(mode="before")
    @classmethod
    def _technology_said(cls, data: object) -> object:
        """Stored and shown explicitly, so an approval covers the technology the attempts use."""
        if isinstance(data, dict) and data.get("technology") is None:
            default = _DEFAULT_TECHNOLOGY.get(str(data.get("channel")))
            if default is not None:
                return {**data, "technology": default}
        return data

    @model_validator(mode="after")
    def _content_fits_channel(self) -> Self:
        if self.content.kind != self.channel.value:
            raise ValueError(f"a {self.channel.value} campaign needs {self.channel.value} content")
        if self.content.kind == "voice" and not self.senders.numbers:
            raise ValueError("a voice campaign needs sender numbers: a call shows one as its caller id")
        if self.technology is not None and self.technology not in TECHNOLOGIES[self.channel]:
            allowed = sorted(t.value for t in TECHNOLOGIES[self.channel])
            raise ValueError(f"a {self.channel.value} campaign's technology is one of {allowed}")
        content = self.content
        if (
            isinstance(content, VoiceContent)
            and content.placed_by is CallPlacement.VOICE_AGENT
            and self.reach is not Technology.ARTIFICIAL_VOICE
        ):
            raise ValueError("calls placed by the voice agent speak with an artificial voice")
        if isinstance(content, VoiceContent) and content.retry.attempts > self.max_attempts_per_contact:
            # Located on the field, as a schema error is: the batch counts every retry as an attempt.
            raise _located(
                ("content", "voice", "retry", "attempts"),
                "retry_over_limit",
                "more than max_attempts_per_contact",
                content.retry.attempts,
            )
        if self.start_at is not None and self.end_at is not None and self.end_at <= self.start_at:
            raise _located("end_at", "end_after_start", "end_at must be after start_at", self.end_at)
        return self

    @property
    def reach(self) -> Technology:
        """The technology the attempts use: the one declared, or the channel's own."""
        if self.technology is not None:
            return self.technology
        return Technology.AUTODIALED if self.channel is Channel.SMS else Technology.ARTIFICIAL_VOICE

    @property
    def kind(self) -> str:
        """``<channel>:<purpose>:<technology>``: what the consent gate and the reports go by."""
        return kind_name(self.channel, self.purpose, self.reach)

    @property
    def records_calls(self) -> bool:
        return isinstance(self.content, VoiceContent) and self.content.records_calls

    @property
    def announces_recording(self) -> bool:
        return isinstance(self.content, VoiceContent) and self.content.announces_recording


def _located(field: str | tuple[str, ...], kind: str, message: str, value: object) -> ValidationError:
    """A model-level rule's failure located on its field, as a schema error is."""
    loc = (field,) if isinstance(field, str) else field
    return ValidationError.from_exception_data(
        "CampaignSpec",
        [InitErrorDetails(type=PydanticCustomError(kind, message), loc=loc, input=value)],
    )


_DEFAULT_TECHNOLOGY: Final = {"sms": Technology.AUTODIALED, "voice": Technology.ARTIFICIAL_VOICE}


class Transition(GatehouseModel):
    model_config = ConfigDict(frozen=True)

    status: CampaignStatus
    at: datetime
    by: str
    reason: str | None = None


class Campaign(TenantRecord):
    collection = "CAMPAIGN"

    campaign_id: str
    spec: CampaignSpec
    status: CampaignStatus
    created_at: datetime
    created_by: str
    submitted_by: str | None = None
    approved_by: str | None = None
    history: list[Transition] = []
    # Who sees its contacts and conversations when the tenant scopes access (``campaigns.members``):
    # outside the spec, so no change of it needs approval again.
    assigned_members: list[str] = []

    def sort_key(self) -> str:
        return self.campaign_id

    def subject(self) -> Subject | None:
        """A member kept to their campaigns (scoped access) sees only the campaigns assigned to them."""
        return Subject.campaign(self.campaign_id)


class CampaignPolicy(TenantRecord):
    """Tenant rules for approvals: with four-eyes on, the submitter never approves their own campaign."""

    collection = "POLICY"

    four_eyes: bool = False
    changed_by: str | None = None
    changed_at: datetime | None = None

    def sort_key(self) -> str:
        return "campaigns"
