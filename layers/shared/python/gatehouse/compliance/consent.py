"""Which consent an attempt needs, by what the campaign is for and how it reaches people.

47 CFR 64.1200(a)(2): a telemarketing (marketing) call or text made with an autodialer or
an artificial or prerecorded voice needs prior express *written* consent; (a)(1) and
(a)(3): any other autodialed or artificial-voice attempt needs at least prior express
consent. An AI voice agent is an artificial voice (FCC 24-17, 2024-02-08). A live call
by a person needs no TCPA consent, but Gatehouse never contacts a person without
evidence of consent for the channel (DESIGN.md §6 gate 2), so ``express`` is the floor.

Written consent is only as good as its elements, 64.1200(f)(9): the seller it
authorizes, the number it covers, the person's signature (E-SIGN evidence counts), and
the disclosure that signing is not a condition of purchase. ``WrittenElement`` names
them; a record missing one is read as prior express consent, never as written.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Final

from gatehouse.compliance.state_rules import Channel, Technology


class Purpose(StrEnum):
    """What a campaign is for: marketing needs prior express written consent (47 CFR 64.1200(a)(2))."""

    MARKETING = "marketing"
    INFORMATIONAL = "informational"


class ConsentLevel(IntEnum):
    NONE = 0
    EXPRESS = 1
    EXPRESS_WRITTEN = 2


class WrittenElement(StrEnum):
    """The elements of prior express written consent, 47 CFR 64.1200(f)(9)."""

    SELLER = "seller"  # the agreement names the seller it authorizes
    NUMBER = "number"  # the number the person authorizes, which must be the number attempted
    SIGNATURE = "signature"  # signature or E-SIGN evidence: a reference, or IP with the form or recording
    NOT_A_CONDITION = "not_condition_of_purchase"  # (f)(9)(i)(B): the disclosure said so


TECHNOLOGIES: Final = {
    Channel.SMS: (Technology.AUTODIALED,),
    Channel.VOICE: (Technology.LIVE, Technology.PRERECORDED, Technology.ARTIFICIAL_VOICE),
}


def required(purpose: Purpose, technology: Technology) -> ConsentLevel:
    """The consent an attempt of this purpose and technology needs (64.1200(a)(1)-(3))."""
    if purpose is Purpose.MARKETING and technology.automated:
        return ConsentLevel.EXPRESS_WRITTEN
    return ConsentLevel.EXPRESS


def kind_name(channel: Channel, purpose: Purpose, technology: Technology) -> str:
    """The stable name of a campaign kind in reports: ``<channel>:<purpose>:<technology>``."""
    return f"{channel.value}:{purpose.value}:{technology.value}"


def kinds() -> list[tuple[Channel, Purpose, Technology]]:
    """Every campaign kind a tenant can run, in a stable order."""
    return [(ch, p, t) for ch in Channel for p in Purpose for t in TECHNOLOGIES[ch]]
