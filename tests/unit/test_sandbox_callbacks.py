"""The local sandbox's Twilio status callbacks: signed as Twilio signs them, and saying what Twilio
would say of the text (its id, its sender, its recipient, each status in turn)."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from twilio.request_validator import RequestValidator

from gatehouse.providers.sandbox import SandboxAdapters
from gatehouse.providers.sandbox_callbacks import Callback
from gatehouse.vault.schemas import TwilioCredentials

URL = "https://gatehouse.example/webhooks/twilio/ref/message-status"
TOKEN = "0123456789abcdef0123456789abcdef"
CREDENTIALS = TwilioCredentials(
    account_sid="AC" + "1" * 32, sender_numbers=["+15005550006", "+15005550007"], auth_token=TOKEN
)


def planned_for(sender: str | None) -> tuple[str, list[dict[str, str]]]:
    adapters = SandboxAdapters()
    planned: list[Callback] = []
    adapters.callbacks.plan = planned.extend  # type: ignore[method-assign]  # the poster, not the forms
    receipt = adapters.send_sms(
        "tnt_x", CREDENTIALS, to="+12125550101", body="Hi", status_callback=URL, sender=sender
    )
    forms = []
    for callback in planned:
        pairs = parse_qsl(callback.body.decode())
        assert RequestValidator(TOKEN).validate(URL, dict(pairs), callback.headers["X-Twilio-Signature"])
        forms.append(dict(pairs))
    assert receipt.provider_ref is not None
    return receipt.provider_ref, forms


@pytest.mark.parametrize(("sender", "said"), [("+15005550007", "+15005550007"), (None, "+15005550006")])
def test_each_status_callback_names_the_number_the_text_left_from(sender: str | None, said: str) -> None:
    sid, forms = planned_for(sender)
    assert [f["MessageStatus"] for f in forms] == ["queued", "sent", "delivered"]
    assert {(f["MessageSid"], f["From"], f["To"]) for f in forms} == {(sid, said, "+12125550101")}
