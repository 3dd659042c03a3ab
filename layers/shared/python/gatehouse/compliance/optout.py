"""Reading an inbound text: opt-out, opt-in, help request, or an ordinary message.

This module owns one pure decision, ``classify``. It goes past every carrier's keyword
list: the per-se revocation words of FCC 24-18 and the carriers' words in any case,
spacing and punctuation ("Stop!", " s t o p", "STOP."), padded with politeness ("stop
please", "please just stop"), and plain requests a reasonable person reads as "stop
contacting me" ("stop texting me", "take me off your list", "don't text me"), while an
ordinary message that merely contains a word ("is the shuttle stop still at the
church?") stays a message. When a text both opts out and asks for anything else, the
opt-out wins. It never stores, suppresses or answers anything.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from typing import Final

# Longer texts are not keyword replies; only their opening is read for requests.
_MAX_READ: Final = 2000


class Intent(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    NONE = "none"


OPT_OUT_WORDS: Final = frozenset(
    {
        # FCC 24-18 per se, Twilio, AWS End User Messaging, Telnyx, Bird
        "stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout", "remove",
        "arret", "td", "halt", "detener", "parar", "ferma", "cancelall",
        # the same, as people type them
        "unsub", "unsubcribe", "unsuscribe", "unsubscibe", "unsubsribe", "unsubscribed", "stoptexting",
        "cancelar", "alto", "basta",
    }
)  # fmt: skip
OPT_IN_WORDS: Final = frozenset({"start", "unstop", "yes", "subscribe", "resubscribe", "optin", "resume"})
HELP_WORDS: Final = frozenset({"help", "info", "ayuda", "aide"})
# Words that pad a keyword without changing it: "stop please", "ok just stop now".
_FILLER: Final = frozenset(
    {
        "please", "pls", "plz", "plse", "now", "thanks", "thank", "you", "thankyou", "thx", "ty", "ok",
        "okay", "k", "asap", "immediately", "right", "just", "already", "it", "sir", "maam", "again",
        "me", "lol", "omg", "seriously", "oh", "hey", "hi", "hello", "god", "dude", "man", "all", "this",
        "thats", "enough", "for", "real", "bye", "goodbye", "sorry", "por", "favor",
    }
)  # fmt: skip
_NEGATIONS: Final = frozenset({"dont", "do", "never", "wont", "cant", "not", "didnt", "cannot"})

_CONTACT_NOUN: Final = r"(texts?|txts?|messages?|msgs?|sms|calls?|emails?|spam|robocalls?|contact)"
_REQUESTS: Final = tuple(
    re.compile(pattern)
    for pattern in (
        # "stop texting me", "quit calling", "cease contacting", "stop these messages"
        r"\b(stop|quit|cease|halt)\s+(texting|txting|texing|messaging|msging|calling|contacting|"
        r"sending|emailing|spamming|bothering|harassing|harrassing|ringing|phoning)\b",
        rf"\b(stop|quit|cease)\s+((the|these|those|all|your|ur|any)\s+)*{_CONTACT_NOUN}\b",
        # "end these texts", but not "end the call"
        r"\b(end|halt)\s+((the|these|those|all|your|ur|any)\s+)*(texts|txts|messages|msgs|sms|calls|"
        r"texting|messaging|robocalls)\b",
        # "don't text me", "do not call", "never contact me again", "don't send me anything"
        r"\b(dont|do not|never|pls dont|please dont)\s+(ever\s+)?(text|txt|message|msg|call|contact|email|"
        r"sms|send|ring|phone|bother|spam)\b",
        # "remove me", "delete my number", "take me off your list", "opt me out"
        r"\b(remove|delete|erase|unsubscribe|unsub)\s+(me|us|this number|my\s+(number|cell|phone|info|"
        r"information|details|contact|name|data|account|email))\b",
        r"\btake\s+(me|us|my number|my name|this number)\s+(off|out of)\b",
        r"\bopt(ing|ed)?\s+((me|us|my number)\s+)?out\b",
        r"\b(unsubscribe|unsubscribed|unsub|optout|stopall)\b",
        rf"\bno\s+more\s+{_CONTACT_NOUN}\b",
        r"\b(dont|do not|no longer)\s+(want|wish|need)\s+(to\s+(get|receive)\s+)?"
        rf"((these|your|any|ur|the)\s+)*{_CONTACT_NOUN}\b",
        r"\b(leave me alone|lose my number|wrong number|wrong person|not the right person)\b",
        r"\b(i said|i told you|i told you to|i asked you to|i already said|i already told you to)\s+"
        r"(stop|quit|unsubscribe|remove me)\b",
        r"\b(can|could|will|would)\s+(you|u)\s+(please\s+|pls\s+|just\s+)*(stop|quit)"
        r"(\s+(it|now|already|please|pls))*$",
        r"\bno\s+mas\s+(mensajes|textos|llamadas)\b",
        r"\b(no me|dejen de)\s+(escriban|envien|llamen|manden|escribir|enviar|llamar)\b",
    )
)
_WHOLE_REQUESTS: Final = frozenset(
    {"not interested", "im not interested", "i am not interested", "no interest", "go away"}
)
_LEADING_KEYWORD: Final = re.compile(
    r"^\W*(stop|stopall|unsubscribe|quit|cancel|end|revoke|opt\W?out|remove|arret|halt)\s*[.!,;:\n]"
)
_SHOUTED: Final = re.compile(r"\b(STOP|STOPALL|UNSUBSCRIBE|OPTOUT|OPT OUT)\b")


def classify(body: object) -> Intent:
    """What an inbound text asks for; anything unreadable is an ordinary message."""
    if not isinstance(body, str):
        return Intent.NONE
    text = _fold(body[:_MAX_READ])
    words = re.findall(r"[a-z0-9]+", text)
    core = _strip_filler(words)
    if _is_opt_out(body[:_MAX_READ], text, words, core):
        return Intent.OPT_OUT
    collapsed = "".join(core)
    if collapsed in OPT_IN_WORDS or core == ["opt", "in"]:
        return Intent.OPT_IN
    if collapsed in HELP_WORDS:
        return Intent.HELP
    return Intent.NONE


def _fold(body: str) -> str:
    """Lower case without accents or apostrophes: "Arrêt", "DON\u2019T" -> "arret", "dont"."""
    decomposed = unicodedata.normalize("NFKD", body)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"['\u2018\u2019\u02bc`]", "", plain.casefold())


def _strip_filler(words: list[str]) -> list[str]:
    start, end = 0, len(words)
    while start < end and words[start] in _FILLER:
        start += 1
    while end > start and words[end - 1] in _FILLER:
        end -= 1
    return words[start:end]


def _is_opt_out(raw: str, text: str, words: list[str], core: list[str]) -> bool:
    if core and ("".join(core) in OPT_OUT_WORDS or _only_keywords(core)):
        return True
    if " ".join(core) in _WHOLE_REQUESTS or _LEADING_KEYWORD.match(text):
        return True
    if any(c.islower() for c in raw) and _SHOUTED.search(raw):
        return True
    joined = " ".join(words)
    return any(_unnegated(pattern, joined) for pattern in _REQUESTS)


def _only_keywords(core: list[str]) -> bool:
    """ "stop stop stop", "STOP START", "unsubscribe cancel": every word a keyword, one an opt-out."""
    keywords = OPT_OUT_WORDS | OPT_IN_WORDS | HELP_WORDS
    return all(word in keywords for word in core) and any(word in OPT_OUT_WORDS for word in core)


def _unnegated(pattern: re.Pattern[str], joined: str) -> bool:
    """A match not preceded by a negation: "don't stop texting me" is no request to stop."""
    for match in pattern.finditer(joined):
        before = joined[: match.start()].split()
        if match.group(0).split()[0] in _NEGATIONS or not before or before[-1] not in _NEGATIONS:
            return True
    return False
