"""Reading an inbound text: opt-out, held for review, opt-in, help request, or an ordinary message.

This module owns one pure decision, ``classify``, read from 47 CFR 64.1200(a)(10) (FCC
24-24): consent is revoked by any reasonable means; "stop", "quit", "end", "revoke", "opt
out", "cancel" and "unsubscribe" in reply to a text are revocations per se, and other
wording counts when a reasonable person reads it as "stop contacting me" (a whole reply of
"no more", "enough" or "no más" among it). So a per-se word
used *as a request* anywhere in the reply revokes ("Stop?? what is this", "cancel all of
your texts"), in any case, spacing or punctuation, in English or Spanish, while the same
word in another sense does not ("the bus stop", "cancel my appointment", "when does it
end"). A reading it cannot settle (a per-se word whose sense it cannot tell, hostile or
doubtful wording) is ``UNCERTAIN``: never an ordinary message, so the caller holds the
number for a person to review. Only an explicit request opts in (START, UNSTOP, "opt me
back in"); "yes" never does. The tables are data, in ``optout_phrases``. It never stores,
suppresses or answers anything.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from enum import StrEnum
from typing import Final

from gatehouse.compliance.optout_phrases import (
    ADDRESSED_LEADS,
    BOUNDARIES,
    CANCEL_WORDS,
    CONTACT_OBJECTS,
    DESCRIBED_MARKERS,
    EMPTY_OBJECTS,
    FILLER,
    HELP_WORDS,
    LEAD_FILLER,
    NEGATIONS,
    NOUN_MARKERS,
    OPT_IN_REQUESTS,
    OPT_IN_WORDS,
    OPT_OUT_REQUESTS,
    OPT_OUT_WORDS,
    OTHER_OBJECTS,
    PARTICLES,
    SELF_LEADS,
    SENSE_WORDS,
    STOP_EMOJI,
    STRONG_WORDS,
    UNCERTAIN_PHRASES,
    VAGUE_FOR_CANCEL,
    WHOLE_REQUESTS,
)

__all__ = ["HELP_WORDS", "OPT_IN_WORDS", "OPT_OUT_WORDS", "Intent", "classify"]

# Twilio caps a body at 1600 characters; anything longer is read up to here and no further.
_MAX_READ: Final = 2000
_OBJECT_SPAN: Final = 6  # words after a per-se word that may name what it acts on
_NEGATION_SPAN: Final = 3  # "I do not want to cancel": the negation stands within three words


class Intent(StrEnum):
    OPT_OUT = "opt_out"
    UNCERTAIN = "uncertain"  # may be a revocation: hold the number until a person decides
    OPT_IN = "opt_in"
    HELP = "help"
    NONE = "none"


class _Reading(StrEnum):
    """How one per-se word is used in its clause."""

    REQUEST = "request"
    OTHER = "other"
    UNCLEAR = "unclear"


class _Lead(StrEnum):
    ADDRESSED = "addressed"  # asks the sender: "could you stop"
    SELF = "self"  # the person's own act: "I want to cancel"
    DESCRIBED = "described"  # something else: "when does it end"
    UNKNOWN = "unknown"


class _Object(StrEnum):
    NONE = "none"
    CONTACT = "contact"
    OTHER = "other"
    UNKNOWN = "unknown"


# (who the word is said of, what it acts on) -> how the word is used.
_SENSE: Final = {
    _Lead.ADDRESSED: {_Object.NONE: _Reading.REQUEST, _Object.UNKNOWN: _Reading.UNCLEAR},
    _Lead.SELF: {_Object.NONE: _Reading.UNCLEAR, _Object.UNKNOWN: _Reading.UNCLEAR},
    _Lead.DESCRIBED: {_Object.NONE: _Reading.OTHER, _Object.UNKNOWN: _Reading.OTHER},
    _Lead.UNKNOWN: {_Object.NONE: _Reading.UNCLEAR, _Object.UNKNOWN: _Reading.UNCLEAR},
}


def classify(body: object) -> Intent:
    """What an inbound text asks for. Opt-out wins over everything, then a doubtful reading."""
    if not isinstance(body, str):
        return Intent.NONE
    text = _fold(body[:_MAX_READ])
    words = re.findall(r"[a-z0-9]+", text)
    if not words:
        return Intent.UNCERTAIN if STOP_EMOJI & set(body[:_MAX_READ]) else Intent.NONE
    return _revocation(text, words) or _request(words)


def _revocation(text: str, words: list[str]) -> Intent | None:
    joined = " ".join(words)
    readings = set(_readings(text))
    if _is_keyword_reply(_strip_filler(words), joined) or _Reading.REQUEST in readings:
        return Intent.OPT_OUT
    if any(_unnegated(pattern, joined) for pattern in OPT_OUT_REQUESTS):
        return Intent.OPT_OUT
    if _Reading.UNCLEAR in readings or any(p.search(joined) for p in UNCERTAIN_PHRASES):
        return Intent.UNCERTAIN
    return None


def _request(words: list[str]) -> Intent:
    """Opt in or help, asked for explicitly; anything else is an ordinary message."""
    collapsed = "".join(_strip_filler(words))
    if collapsed in OPT_IN_WORDS or any(_unnegated(p, " ".join(words)) for p in OPT_IN_REQUESTS):
        return Intent.OPT_IN
    return Intent.HELP if collapsed in HELP_WORDS else Intent.NONE


def _fold(body: str) -> str:
    """Lower case without accents, apostrophes or long letter runs: "Arrêt", "STOOOP" -> "arret", "stop"."""
    decomposed = unicodedata.normalize("NFKD", body)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    text = re.sub(r"['\u2018\u2019\u02bc`]", "", plain.casefold())
    text = re.sub(r"([a-z])\1{2,}", r"\1", text)
    # "opt out", "opt-out", "un subscribe" are one word to every carrier
    text = re.sub(r"\bopt[\s_-]*out\b", "optout", text)
    text = re.sub(r"\bat once\b", "now", text)  # "stop at once" is no place to stop at
    return re.sub(r"\bun[\s_-]+subscribe\b", "unsubscribe", text)


def _strip_filler(words: list[str]) -> list[str]:
    start, end = 0, len(words)
    while start < end and words[start] in FILLER:
        start += 1
    while end > start and words[end - 1] in FILLER:
        end -= 1
    return words[start:end]


def _is_keyword_reply(core: list[str], joined: str) -> bool:
    """The whole reply is a keyword: "STOP", "s t o p", "stop stop", "STOP START", "not interested"."""
    if not core or _vague_cancel(core, joined):
        return False
    if "".join(core) in OPT_OUT_WORDS or " ".join(core) in WHOLE_REQUESTS:
        return True
    keywords = OPT_OUT_WORDS | OPT_IN_WORDS | HELP_WORDS
    return all(word in keywords for word in core) and any(word in OPT_OUT_WORDS for word in core)


def _vague_cancel(core: list[str], joined: str) -> bool:
    """ "cancel it": the appointment, or the texts? Not a keyword reply; the context reading decides."""
    words = joined.split()
    if len(core) != 1 or core[0] not in CANCEL_WORDS or core[0] not in words:
        return False
    after = words[words.index(core[0]) + 1 :]
    return bool(after) and after[0] in VAGUE_FOR_CANCEL


def _readings(text: str) -> Iterator[_Reading]:
    """How each per-se word of the reply is used, clause by clause."""
    for clause in re.split(r"[.!?;:,\n\u00bf\u00a1()\"]+|\s-+\s", text):
        words = re.findall(r"[a-z0-9]+", clause)
        for at, word in enumerate(words):
            if word in STRONG_WORDS:
                yield _Reading.OTHER if _negated(words[:at]) else _Reading.REQUEST
            elif word in SENSE_WORDS:
                yield _sense(words, at)


def _sense(words: list[str], at: int) -> _Reading:
    word, before = words[at], words[:at]
    if _negated(before) or (before and before[-1] in NOUN_MARKERS.get(word, ())):
        return _Reading.OTHER
    found = _object_of(word, words[at + 1 :])
    if found is _Object.CONTACT:
        return _Reading.REQUEST
    if found is _Object.OTHER:
        return _Reading.OTHER
    return _SENSE[_lead(before)][found]


def _lead(before: list[str]) -> _Lead:
    lead = " ".join(w for w in before if w not in LEAD_FILLER)
    if lead in ADDRESSED_LEADS or lead.endswith((" you to", " u to")):
        return _Lead.ADDRESSED
    if lead in SELF_LEADS:
        return _Lead.SELF
    if any(w in DESCRIBED_MARKERS for w in lead.split()):
        return _Lead.DESCRIBED
    return _Lead.UNKNOWN


def _object_of(word: str, after: list[str]) -> _Object:
    """What the per-se word acts on, read from the few words after it up to a boundary."""
    span: list[str] = []
    for token in after[:_OBJECT_SPAN]:
        if token in BOUNDARIES:
            break
        span.append(token)
    if span and span[0] in PARTICLES.get(word, ()):
        return _Object.OTHER
    for token in span:
        if token in CONTACT_OBJECTS:
            return _Object.CONTACT
        if token in OTHER_OBJECTS:
            return _Object.OTHER
    rest = [t for t in span if t not in EMPTY_OBJECTS]
    if word in CANCEL_WORDS and any(t in VAGUE_FOR_CANCEL for t in span[:1]):
        return _Object.UNKNOWN
    if not rest:
        return _Object.NONE
    # "stop worrying", "quit smoking": a gesture of another kind
    return _Object.OTHER if rest[0].endswith("ing") else _Object.UNKNOWN


def _negated(before: list[str]) -> bool:
    """A negation within three words, unless it asks ("can't you stop", "why won't you")."""
    tail = before[-_NEGATION_SPAN:]
    for at, word in enumerate(tail):
        if word in NEGATIONS:
            following = tail[at + 1] if at + 1 < len(tail) else ""
            if following not in {"you", "u"}:
                return True
    return False


def _unnegated(pattern: re.Pattern[str], joined: str) -> bool:
    """A match not preceded by a negation: "don't stop texting me" is no request to stop."""
    for match in pattern.finditer(joined):
        if match.group(0).split()[0] in NEGATIONS:
            return True
        if not _negated(joined[: match.start()].split()):
            return True
    return False
