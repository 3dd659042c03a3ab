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

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    HttpUrl,
    model_validator,
)

from gatehouse.clock import Instant
from gatehouse.compliance.consent import ConsentLevel, Purpose, WrittenElement, kind_name, kinds, required
from gatehouse.compliance.state_rules import Channel
from gatehouse.compliance.zones import ahead_of_library, normalize_state
from gatehouse.dnc.stamps import ScrubStamp, ScrubStatus
from gatehouse.models import GatehouseModel
from gatehouse.tenancy import TenantRecord
from gatehouse.tenancy.records import Subject, time_sort_key

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
    import phonenumbers  # noqa: PLC0415 - its metadata loads with it: only where a number is read

    try:
        number = phonenumbers.parse(text, "US")
    except phonenumbers.NumberParseException:
        raise InvalidPhone("is not a phone number") from None
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible != phonenumbers.ValidationResult.IS_POSSIBLE:  # local-only numbers lack an area code
        raise InvalidPhone("has the wrong number of digits")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if ahead_of_library(e164) is not None:
        return e164  # an area code in service that the number library does not know yet
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("is not an assigned number range")
    if phonenumbers.region_code_for_number(number) not in US_REGIONS:
        raise InvalidPhone("is not a US number")
    return e164


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


class ConsentEvidence(GatehouseModel):
    """Proof that the person agreed to be contacted on the given channels.

    ``type`` is what the client says it holds; ``level`` is what the evidence proves. A
    record said to be written consent counts as written only with every element of 47 CFR
    64.1200(f)(9) (``seller``, ``number``, the signature evidence, the disclosure that it is
    not a condition of purchase); missing one, it is prior express consent, and
    ``missing_written`` says which element is missing.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: ConsentType
    channels: Annotated[list[Channel], Field(min_length=1, max_length=2)]
    obtained_at: Instant
    source: ConsentSourceKind
    source_url: HttpUrl | None = None
    wording: Annotated[str, Field(min_length=1, max_length=2000)] | None = None
    wording_ref: Reference | None = None
    ip: Annotated[str | None, AfterValidator(_ip)] = None
    recording_ref: Reference | None = None
    # The elements of prior express written consent, 47 CFR 64.1200(f)(9).
    seller: Annotated[str, Field(min_length=2, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")] | None = None
    number: Phone | None = None
    signature_ref: Reference | None = None  # the signed form or the E-SIGN record
    not_condition_of_purchase: bool = False

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

    def missing_written(self, e164: str) -> list[WrittenElement]:
        """The (f)(9) elements this record lacks for the number ``e164`` (all of them unless written)."""
        if self.type is not ConsentType.EXPRESS_WRITTEN:
            return list(WrittenElement)
        signed = self.signature_ref is not None or (
            self.ip is not None and (self.source_url is not None or self.recording_ref is not None)
        )
        present = {
            WrittenElement.SELLER: self.seller is not None,
            WrittenElement.NUMBER: self.number == e164,
            WrittenElement.SIGNATURE: signed,
            WrittenElement.NOT_A_CONDITION: self.not_condition_of_purchase,
        }
        return [element for element, there in present.items() if not there]

    def level(self, e164: str) -> ConsentLevel:
        return ConsentLevel.EXPRESS if self.missing_written(e164) else ConsentLevel.EXPRESS_WRITTEN


class ContactInput(GatehouseModel):
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


class ContactChanges(GatehouseModel):
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


class EligibilityReason(StrEnum):
    """Why a channel or a campaign kind may not reach a contact: stable codes."""

    CONSENT_MISSING = "consent_missing"  # no evidence covers the channel
    CONSENT_NOT_WRITTEN = "consent_not_written"  # the campaign kind needs (f)(9) written consent
    SUPPRESSED = "suppressed"  # on the tenant's suppression list
    DNC_LISTED = "dnc_listed"  # on the Do-Not-Call registry
    DNC_UNSCRUBBED = "dnc_unscrubbed"  # not scrubbed yet; or, for marketing kinds, unscrubbed by choice
    DNC_ERROR = "dnc_error"  # the scrub failed (the stamp says why); never dialed unscrubbed
    ZONE_UNKNOWN = "zone_unknown"  # no time zone known, so no calling hours can be checked
    DELETED = "deleted"


class ChannelEligibility(GatehouseModel):
    """Whether a channel may reach the contact at all, and whether with written consent.

    ``eligible`` is the floor (prior express consent and every other intake fact);
    ``written`` says whether the consent also carries every (f)(9) element, which marketing
    by autodialed text or artificial or prerecorded voice needs; ``missing_written`` names
    what the best written record for the channel lacks.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    eligible: bool
    reasons: list[str]
    written: bool = False
    missing_written: list[WrittenElement] = []


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

    def subject(self) -> Subject | None:
        return Subject(self.contact_id)

    def time_key(self) -> tuple[str, str] | None:
        if self.deleted_at is not None:
            return DELETED_INDEX, time_sort_key(self.deleted_at, self.contact_id)
        # Ordered by the version of the data the answer relied on, not by when it was asked:
        # the re-scrub takes a contact when its data is getting old (stored before versions: at once).
        dated = self.dnc.dated_from(self.states) if self.dnc else None
        return RESCRUB_INDEX, time_sort_key(dated or NEVER_SCRUBBED, self.contact_id)

    def consent_covers(self, channel: Channel) -> bool:
        return any(evidence.covers(channel) for evidence in self.consent)

    def consent_level(self, channel: Channel) -> ConsentLevel:
        """The strongest consent the evidence proves for the channel."""
        levels = [e.level(self.e164) for e in self.consent if e.covers(channel)]
        return max(levels, default=ConsentLevel.NONE)

    def missing_written(self, channel: Channel) -> list[WrittenElement]:
        """What the most nearly complete written record for the channel lacks ([] when one is complete)."""
        gaps = [e.missing_written(self.e164) for e in self.consent if e.covers(channel)]
        return min(gaps, key=len, default=list(WrittenElement))


class ContactView(GatehouseModel):
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
    eligibility_by_kind: dict[str, ChannelEligibility] = Field(
        description="per campaign kind (<channel>:<purpose>:<technology>): eligible, or the reasons not"
    )
    created_at: datetime
    updated_at: datetime | None
    deleted_at: datetime | None
    import_id: str | None
    version: int

    @classmethod
    def of(cls, contact: Contact) -> ContactView:
        data = contact.model_dump(exclude={"e164", "created_by", "updated_by", "deleted_by"})
        return cls.model_validate(
            {
                **data,
                "phone": contact.e164,
                "eligibility_by_kind": by_kind(contact.eligibility, unscrubbed=_unscrubbed(contact)),
                "dnc_status": dnc_status_of(contact),
            }
        )


def by_kind(
    eligibility: dict[Channel, ChannelEligibility], *, unscrubbed: bool = False
) -> dict[str, ChannelEligibility]:
    """Per campaign kind (``<channel>:<purpose>:<technology>``): eligible, or the reasons it is not.

    A kind that needs written consent (47 CFR 64.1200(a)(2)) adds ``consent_not_written``
    to the channel's reasons when the evidence lacks an (f)(9) element. A marketing kind adds
    ``dnc_unscrubbed`` for a number the owner chose not to scrub (``unscrubbed``) unless the
    consent is written (the 47 CFR 64.1200(c)(2)(ii) exemption), as gate 4 decides.
    """
    verdicts: dict[str, ChannelEligibility] = {}
    for channel, purpose, technology in kinds():
        base = eligibility.get(channel)
        if base is None:
            continue
        reasons = list(base.reasons)
        needs_written = required(purpose, technology) is ConsentLevel.EXPRESS_WRITTEN
        if needs_written and not base.written and EligibilityReason.CONSENT_MISSING.value not in reasons:
            reasons.insert(0, EligibilityReason.CONSENT_NOT_WRITTEN.value)
        if unscrubbed and purpose is Purpose.MARKETING and not base.written:
            reasons.append(EligibilityReason.DNC_UNSCRUBBED.value)
        verdicts[kind_name(channel, purpose, technology)] = base.model_copy(
            update={"eligible": not reasons, "reasons": reasons}
        )
    return verdicts


NOT_SCRUBBED: Final = "not_scrubbed"


def _unscrubbed(contact: Contact) -> bool:
    return contact.dnc is not None and contact.dnc.status is ScrubStatus.UNSCRUBBED


def dnc_status_of(contact: Contact) -> str:
    """``clear``, ``listed``, ``error``, ``unscrubbed`` (no provider, acknowledged) or ``not_scrubbed``."""
    return contact.dnc.status.value if contact.dnc else NOT_SCRUBBED
