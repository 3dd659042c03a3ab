"""A call's transcript as turns: (role, text) pairs, and which of them the person called said.

Vendors give turns as objects (Retell's ``transcript_object``: ``{"role": "agent"|"user",
"content": ...}``) or as plain text, one ``Role: words`` line per turn (Retell's
``transcript``). ``from_text`` reads the plain form; a line without a known role label
continues the turn before it. Only the caller's roles count as the person's words: an
agent's, a system prompt's or a tool's text is never read as theirs (an agent that offers
"say stop calling" revokes nothing), and text under no label is nobody's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Final

Turn = tuple[str, str]  # (role, text)

CALLER_ROLES: Final = frozenset({"user", "customer", "caller", "human", "contact"})
AGENT_ROLES: Final = frozenset({"agent", "assistant", "bot", "ai"})
MAX_TURNS: Final = 2000  # a transcript is stored up to 100,000 characters; no call says more
_LABEL: Final = re.compile(
    rf"^\s*({'|'.join(sorted(CALLER_ROLES | AGENT_ROLES))})\s*:\s?(.*)$", re.IGNORECASE
)


def from_text(transcript: str | None) -> list[Turn]:
    """The turns of a plain ``Agent: ...`` / ``User: ...`` transcript, in order."""
    turns: list[Turn] = []
    role, lines = "", []
    for line in (transcript or "").splitlines():
        labelled = _LABEL.match(line)
        if labelled is None:
            lines.append(line)
            continue
        if lines and any(part.strip() for part in lines):
            turns.append((role, "\n".join(lines).strip()))
        role, lines = labelled.group(1).lower(), [labelled.group(2)]
    if lines and any(part.strip() for part in lines):
        turns.append((role, "\n".join(lines).strip()))
    return turns[:MAX_TURNS]


def is_caller(role: str) -> bool:
    return role.strip().lower() in CALLER_ROLES


def caller_words(turns: Iterable[Turn]) -> Iterator[str]:
    """The text of each of the caller's turns, at most ``MAX_TURNS`` turns read."""
    for n, (role, text) in enumerate(turns):
        if n >= MAX_TURNS:
            return
        if isinstance(role, str) and isinstance(text, str) and is_caller(role) and text.strip():
            yield text
