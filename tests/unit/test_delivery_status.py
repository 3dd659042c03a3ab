"""Delivery statuses only move forward, and a voice campaign says who places its calls."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gatehouse.campaigns.records import VoiceContent
from gatehouse.dispatch.delivery import FINAL, TWILIO_CALL, TWILIO_MESSAGE, DeliveryStatus, moves_forward

S = DeliveryStatus


@pytest.mark.parametrize(
    ("current", "new", "moves"),
    [
        (None, S.QUEUED, True),
        (None, S.DELIVERED, True),
        (S.QUEUED, S.SENT, True),
        (S.SENT, S.DELIVERED, True),
        (S.SENT, S.UNDELIVERED, True),
        (S.SENT, S.QUEUED, False),
        (S.SENT, S.SENT, False),
        (S.DELIVERED, S.SENT, False),
        (S.DELIVERED, S.UNDELIVERED, False),
        (S.UNDELIVERED, S.DELIVERED, False),
        (S.INITIATED, S.RINGING, True),
        (S.RINGING, S.ANSWERED, True),
        (S.ANSWERED, S.COMPLETED, True),
        (S.RINGING, S.NO_ANSWER, True),
        (S.COMPLETED, S.ANSWERED, False),
        (S.BUSY, S.COMPLETED, False),
        (S.ANSWERED, S.RINGING, False),
    ],
)
def test_a_status_moves_only_forward(current: S | None, new: S, moves: bool) -> None:
    assert moves_forward(current, new) is moves


def test_every_final_status_is_reachable_from_twilios_words() -> None:
    assert set(TWILIO_MESSAGE.values()) | set(TWILIO_CALL.values()) >= FINAL


@pytest.mark.parametrize(
    "content",
    [
        {"agent_id": "agent_1", "placed_by": "twilio"},
        {
            "agent_id": "agent_1",
            "placed_by": "twilio",
            "agent_number": "+13125550100",
            "agent_sip_uri": "sip:a@b.c",
        },
        {"agent_id": "agent_1", "agent_number": "+13125550100"},
        {"agent_id": "agent_1", "placed_by": "twilio", "agent_sip_uri": "http://evil.example/twiml"},
    ],
)
def test_a_voice_campaign_names_exactly_one_way_to_reach_the_agent(content: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        VoiceContent.model_validate(content)


def test_twilio_placement_with_a_sip_uri_is_accepted() -> None:
    content = VoiceContent.model_validate(
        {"agent_id": "agent_1", "placed_by": "twilio", "agent_sip_uri": "sip:a@b.c"}
    )
    assert content.agent_sip_uri == "sip:a@b.c"
