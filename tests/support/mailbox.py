"""Reading one-time tokens out of the mail the code under test sent (the local outbox)."""

from __future__ import annotations

import re
from typing import Any

_TOKEN = {"invitation": re.compile(r"ghi_[A-Za-z0-9_-]{43}"), "sign-in": re.compile(r"ghm_[A-Za-z0-9_-]{43}")}


def token_in(message: dict[str, Any], kind: str) -> str:
    found = _TOKEN[kind].search(message["text"])
    assert found, f"no {kind} token in the message"
    return found.group(0)


def last_token(messages: list[dict[str, Any]], to: str, kind: str) -> str:
    mine = [m for m in messages if m["to"] == to and _TOKEN[kind].search(m["text"])]
    assert mine, f"no {kind} message to {to}"
    return token_in(mine[-1], kind)
