"""What Gatehouse keeps about a person it may contact, and the evidence that it may.

``ContactInput`` is what an API client or a CSV row supplies (validated strictly,
phone normalized to E.164); ``Contact`` is the stored record, which adds what intake
works out: the candidate time zones, the states whose rules apply, the Do-Not-Call
stamp and the per-channel eligibility with its reasons.

Stored item body (through the data door, collection ``CONTACT``, sort key = contact id)::

    contact_id, e164, first_name, last_name, email, state, postal_code, tags, external_id,
    consent        list of ConsentEvidence (append-only),
    zones, states  derived at intake from the number and the state on record,
    dnc            the last Do-Not-Call ScrubStamp, or None (not scrubbed yet, so not dialable),
    suppressed     the suppression list held the number at the last intake check,
    eligibility    {"sms": {"eligible", "reasons"}, "voice": {...}},
    created_at/by, updated_at/by, deleted_at/by, import_id.
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Final, Self

import phonenumbers
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    model_validator,
)

from gatehouse.compliance.state_rules import Channel
from gatehouse.compliance.zones import normalize_state
from gatehouse.dnc.stamps import ScrubStamp
from gatehouse.tenancy import TenantRecord
from gatehouse.tenancy.records import time_sort_key

# Numbers Gatehouse may hold: the US and the territories whose law the rule book covers.
US_REGIONS: Final = frozenset({"US", "PR", "VI", "GU", "AS", "MP"})
CONTACT_ID_PATTERN: Final = r"^con_[a-z2-7]{26}$"
# Time-index names: a live contact waits there for its next DNC re-scrub, a deleted one for its purge.
RESCRUB_INDEX: Final = "CONTACT_DNC"
DELETED_INDEX: Final = "CONTACT_DELETED"
NEVER_SCRUBBED: Final = datetime(1970, 1, 1, tzinfo=UTC)


class InvalidPhone(ValueError):
    """A phone number that is not a valid US number; the message says why, never the number."""


def normalize_phone(raw: str) -> str:
    """E.164 for a US number written in any common way; ``InvalidPhone`` otherwise."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        raise InvalidPhone("is empty")
    if len(text) > 32:
        raise InvalidPhone("is too long to be a phone number")
    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        raise InvalidPhone("is not a phone number") from None
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible != phonenumbers.ValidationResult.IS_POSSIBLE:  # local-only numbers lack an area code
        raise InvalidPhone("has the wrong number of digits")
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("is not an assigned number range")
    if phonenumbers.region_code_for_number(number) not in US_REGIONS:
        raise InvalidPhone("is not a US number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _phone(value: str) -> str:
    return normalize_phone(value)


def _state(value: str | None) -> str | None:
    return normalize_state(value)


def _ip(value: str | None) -> str | None:
    return None if value is None else str(ipaddress.ip_address(value.strip()))


Phone = Annotated[str, AfterValidator(_phone)]
StateCode = Annotated[str | None, AfterValidator(_state)]
Name = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")]
Tag = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.:-]*$")]
Email = Annotated[
    str, Field(max_length=254, pattern=r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
]
PostalCode = Annotated[str, Field(pattern=r"^[0-9]{5}(-[0-9]{4})?$")]
ExternalId = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")]
Reference = Annotated[str, Field(min_length=1, max_length=512, pattern=r"^[^\x00-\x1f\x7f]+$")]


class ConsentType(StrEnum):
    """Prior express written consent (what marketing needs), or prior express consent."""

    EXPRESS_WRITTEN = "express_written"
    EXPRESS = "express"


class ConsentSourceKind(StrEnum):
    WEB_FORM = "web_form"
    IMPORT = "import"
    API_CLIENT = "api_client"
    PAPER = "paper"
    VERBAL_RECORDED = "verbal_recorded"


class ConsentEvidence(BaseModel):
    """Proof that the person agreed to be contacted on the given channels."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: ConsentType
    channels: Annotated[list[Channel], Field(min_length=1, max_length=2)]
    obtained_at: AwareDatetime
    source: ConsentSourceKind
    source_url: HttpUrl | None = None
    wording: Annotated[str, Field(min_length=1, max_length=2000)] | None = None
    wording_ref: Reference | None = None
    ip: Annotated[str | None, AfterValidator(_ip)] = None
    recording_ref: Reference | None = None

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.wording is None and self.wording_ref is None:
            raise ValueError("give the wording shown (wording) or a reference to it (wording_ref)")
        if self.source is ConsentSourceKind.WEB_FORM and self.source_url is None:
            raise ValueError("web form consent needs the form's source_url")
        if self.source is ConsentSourceKind.VERBAL_RECORDED and self.recording_ref is None:
            raise ValueError("recorded verbal consent needs its recording_ref")
        if len(set(self.channels)) != len(self.channels):
            raise ValueError("channels repeat")
        return self

    def covers(self, channel: Channel) -> bool:
        return channel in self.channels


class ContactInput(BaseModel):
    """A contact as a client supplies it; the phone is the person's identity within a tenant."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    phone: Phone
    first_name: Name | None = None
    last_name: Name | None = None
    email: Email | None = None
    state: StateCode = None
    postal_code: PostalCode | None = None
    tags: Annotated[list[Tag], Field(max_length=20)] = []
    external_id: ExternalId | None = None
    consent: Annotated[list[ConsentEvidence], Field(max_length=20)] = []


class ContactChanges(BaseModel):
    """A merge patch of a contact: given fields replace, null clears; consent is only ever added."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    first_name: Name | None = None
    last_name: Name | None = None
    email: Email | None = None
    state: StateCode = None
    postal_code: PostalCode | None = None
    tags: Annotated[list[Tag], Field(max_length=20)] | None = None
    external_id: ExternalId | None = None
    add_consent: Annotated[list[ConsentEvidence], Field(max_length=20)] = []


class ChannelEligibility(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    eligible: bool
    reasons: list[str]


class Contact(TenantRecord):
    collection = "CONTACT"

    contact_id: str
    e164: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    state: str | None = None
    postal_code: str | None = None
    tags: list[str] = []
    external_id: str | None = None
    consent: list[ConsentEvidence] = []
    zones: list[str] = []
    states: list[str] = []
    dnc: ScrubStamp | None = None
    suppressed: bool = False
    eligibility: dict[Channel, ChannelEligibility] = {}
    created_at: datetime
    created_by: str
    updated_at: datetime | None = None
    updated_by: str | None = None
    deleted_at: datetime | None = None
    deleted_by: str | None = None
    import_id: str | None = None

    def sort_key(self) -> str:
        return self.contact_id

    def time_key(self) -> tuple[str, str] | None:
        if self.deleted_at is not None:
            return DELETED_INDEX, time_sort_key(self.deleted_at, self.contact_id)
        # Ordered by the version of the data the answer relied on, not by when it was asked:
        # the re-scrub takes a contact when its data is getting old (stored before versions: at once).
        dated = self.dnc.dated_from(self.states) if self.dnc else None
        return RESCRUB_INDEX, time_sort_key(dated or NEVER_SCRUBBED, self.contact_id)

    def consent_covers(self, channel: Channel) -> bool:
        return any(evidence.covers(channel) for evidence in self.consent)


class ContactView(BaseModel):
    """A contact as the API shows it (to the tenant that owns it)."""

    contact_id: str
    phone: str
    first_name: str | None
    last_name: str | None
    email: str | None
    state: str | None
    postal_code: str | None
    tags: list[str]
    external_id: str | None
    consent: list[ConsentEvidence]
    zones: list[str]
    states: list[str]
    dnc: ScrubStamp | None
    # Plain to see: ``unscrubbed`` (no provider, on the owner's acknowledgment) is never "checked".
    dnc_status: str
    suppressed: bool
    eligibility: dict[Channel, ChannelEligibility]
    created_at: datetime
    updated_at: datetime | None
    deleted_at: datetime | None
    import_id: str | None
    version: int

    @classmethod
    def of(cls, contact: Contact) -> ContactView:
        data = contact.model_dump(exclude={"e164", "created_by", "updated_by", "deleted_by"})
        return cls.model_validate({**data, "phone": contact.e164, "dnc_status": dnc_status_of(contact)})


NOT_SCRUBBED: Final = "not_scrubbed"


def dnc_status_of(contact: Contact) -> str:
    """``clear``, ``listed``, ``error``, ``unscrubbed`` (no provider, acknowledged) or ``not_scrubbed``."""
    return contact.dnc.status.value if contact.dnc else NOT_SCRUBBED
