"""What an artificial or prerecorded voice call must say: who calls, and how to stop the calls.

47 CFR 64.1200(b)(1): every artificial or prerecorded voice message states, at the
beginning, the identity of the business responsible for the call; (b)(2): it offers an
automated, interactive opt-out (a key press or a spoken request) that puts the number on
the caller's do-not-call list at once. The rule text ties (b)(2) to telemarketing, but
the reference the gates follow states it for every such call and the strictest reading
wins, so neither part depends on the campaign's purpose: a voice campaign whose
technology is ``artificial_voice`` or ``prerecorded`` declares its ``opening`` (naming
the seller: the tenant, or the ``seller`` it calls for) and its ``opt_out`` (key and
phrase), marketing or informational. ``check`` refuses a campaign that lacks them with a
422 located on the field; ``missing`` is what the dispatch gate asks, so a campaign
stored before this rule never dials without them; ``variables`` is what the agent is
given at placement (``opening``, ``opt_out_key``, ``opt_out_phrase``), and
``Disclosures`` what a call record keeps of them. It reads no table and no clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from pydantic import ConfigDict

from gatehouse.campaigns.records import CampaignSpec, VoiceContent
from gatehouse.compliance.state_rules import Channel, Technology
from gatehouse.errors import Invalid
from gatehouse.models import GatehouseModel

SPOKEN_BY_MACHINE: Final = frozenset({Technology.ARTIFICIAL_VOICE, Technology.PRERECORDED})
VARIABLES: Final = ("opening", "opt_out_key", "opt_out_phrase")
_FIELD: Final = "body.content.voice"


class DisclosuresInvalid(Invalid):
    """The campaign lacks what 47 CFR 64.1200(b) makes it say; the same shape as a schema error."""

    status = 422
    code = "validation_error"


class Disclosures(GatehouseModel):
    """What a call was configured to say: kept on its record."""

    model_config = ConfigDict(frozen=True)

    opening: str
    opt_out_key: str
    opt_out_phrase: str


def required(spec: CampaignSpec) -> bool:
    """A call by an artificial (an AI agent) or prerecorded voice, whatever its purpose: (b)(1)-(2) apply."""
    return spec.channel is Channel.VOICE and spec.reach in SPOKEN_BY_MACHINE


def problems(spec: CampaignSpec, tenant_name: str | None) -> list[dict[str, str]]:
    """Each missing or wrong disclosure, located on its field (none when the campaign needs none)."""
    content = spec.content
    if not required(spec) or not isinstance(content, VoiceContent):
        return []
    found: list[dict[str, str]] = []
    if content.opening is None:
        found.append(_at("opening", "an artificial or prerecorded voice call opens by naming the business"))
    else:
        seller = content.seller or tenant_name
        if not seller or _folded(seller) not in _folded(content.opening):
            found.append(_at("opening", "the opening must name the business the call is made for"))
    if content.opt_out is None:
        found.append(_at("opt_out", "an artificial or prerecorded voice call offers an automated opt-out"))
    return found


def check(spec: CampaignSpec, tenant_name: str | None) -> None:
    """Refuse (422, field-located) a campaign that lacks the (b)(1)-(2) disclosures; changes nothing."""
    found = problems(spec, tenant_name)
    if found:
        raise DisclosuresInvalid("request does not match the schema", details=found)


def missing(spec: CampaignSpec) -> bool:
    """The campaign needs the disclosures and does not declare both (a record stored before the rule)."""
    content = spec.content
    return required(spec) and (
        not isinstance(content, VoiceContent) or content.opening is None or content.opt_out is None
    )


def of(content: VoiceContent) -> Disclosures | None:
    if content.opening is None or content.opt_out is None:
        return None
    return Disclosures(
        opening=content.opening, opt_out_key=content.opt_out.key, opt_out_phrase=content.opt_out.phrase
    )


def variables(content: VoiceContent) -> dict[str, str]:
    """The agent's dynamic variables at placement (none when the campaign declares none)."""
    declared = of(content)
    return declared.model_dump() if declared is not None else {}


def from_metadata(metadata: Mapping[str, object] | None) -> Disclosures | None:
    """The disclosures a call's events carry back in its metadata (None: not all three, as text)."""
    values = {name: (metadata or {}).get(name) for name in VARIABLES}
    if not all(isinstance(v, str) and v for v in values.values()):
        return None
    return Disclosures.model_validate(values)


def _at(name: str, reason: str) -> dict[str, str]:
    return {"field": f"{_FIELD}.{name}", "reason": reason}


def _folded(text: str) -> str:
    return re.sub(r"\s+", " ", text.casefold()).strip()
