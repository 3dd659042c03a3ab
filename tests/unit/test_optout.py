"""Inbound texts: every way people say stop is an opt-out; ordinary replies stay messages."""

from __future__ import annotations

import pytest

from gatehouse.compliance.optout import HELP_WORDS, OPT_IN_WORDS, OPT_OUT_WORDS, Intent, classify

OPT_OUTS = [
    # the carriers' and the FCC's words, exactly
    "STOP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPT OUT", "OPT-OUT",
    "OPTOUT", "REMOVE", "ARRET", "TD", "HALT", "DETENER", "PARAR", "FERMA", "stop", "Stop", "sToP",
    # case, spacing and punctuation
    "Stop!", "STOP.", "stop!!!", " stop ", "\tSTOP\n", " s t o p", "S.T.O.P.", "s-t-o-p", "STOP?",
    "opt out", "Opt Out.", "opt_out", "Unsubscribe!", "un subscribe", "Arrêt", "\uff33\uff34\uff2f\uff30",
    "stop 🙏", "🛑 STOP 🛑",
    "STOP STOP STOP", "stop, stop", "Stop Stop", "STOP START", "stop.unsubscribe",
    # padded with politeness
    "stop please", "STOP PLEASE", "Please stop", "please STOP.", "pls stop", "Stop it", "stop now",
    "ok stop", "Just stop", "please just stop already", "stop thanks", "Stop thank you", "unsubscribe me",
    "Remove me", "remove me please", "quit it", "cancel please", "END. thanks",
    # plain-language requests
    "Please stop texting me", "stop texting me", "stop calling", "Stop calling me!", "stop messaging me",
    "stop sending me these messages", "Stop contacting me", "quit texting me", "cease contacting me",
    "stop these texts", "stop all messages", "stop the calls please", "take me off your list",
    "Take me off this list", "take my number off your list", "please remove me from your list",
    "remove my number", "delete my number", "don't text me", "Don\u2019t text me again", "do not call me",
    "do not contact me", "never text me again", "Dont ever call me", "don't send me these", "no more texts",
    "no more messages please", "I don't want these texts", "i do not want to receive your messages",
    "I no longer want texts", "leave me alone", "lose my number", "wrong number", "Sorry wrong number",
    "end the texts", "I want to end these messages",
    "opt me out", "I want to opt out", "please opt me out", "How do I unsubscribe?", "i said stop",
    "I told you to stop", "I told you stop", "can you please stop", "could you stop", "not interested",
    "I'm not interested", "STOP who is this", "Stop, who is this?", "Stop! I never signed up",
    "Cancel. I never asked for this", "STOP\n\nSent from my iPhone", "who is this? STOP",
    "no más mensajes", "no me escriban", "basta", "alto", "cancelar", "Détener",
]  # fmt: skip

# "YES" opted in here once, as some carriers take it; 47 CFR 64.1200(a)(10) (FCC 24-24) makes a
# revocation stand until the person asks to come back, so a casual "yes" is now an ordinary reply.
CASUAL_YES = ["YES", "yes", "Yes please", "yes!"]
ORDINARY = [
    "is the shuttle stop still at the church?", "don't stop now, that's great",
    "Please don't stop texting me",
    "I'll stop by tomorrow", "can you stop by the office later?", "please stop by at 3", "the end",
    "What time does the event end?", "when does it end", "Can I cancel my appointment?",
    "I need to cancel my order and reorder", "Please remove the onions from my order", "I quit smoking!",
    "There's a stop sign missing on Main St", "IS THE BUS STOP OPEN", "Next stop: Chicago",
    "thanks!", "ok", "See you Tuesday", "Who is this?", "What's the address?", "I'm interested, call me",
    "Can you call me at 5?", "Text me the details", "Sounds great", "Yes, I'll be there at 3",
    "y", "no", "maybe later", "help me with my order please", "I need info on pricing",
    "Where do I start?", "Can I start next week?", "stopped by yesterday, nobody was there",
    "the show must go on", "end of story, see you there", "I'm going to quit my job lol",
    "call me after noon",
    "remind me tomorrow", "Remove my appointment for Friday", "I had to end the call early",
    "we had to stop the car", "Delete my last message, typo",
    "never mind", "", "   ", "🙂", "1234", "?!", "a" * 3000, *CASUAL_YES,
]  # fmt: skip

OPT_INS = ["START", "start", "Start.", "UNSTOP", "unstop!", " START ", "opt in", "SUBSCRIBE"]

HELPS = ["HELP", "help", "Help!", "HELP ME", "INFO", "info?", "help please", "ayuda"]


@pytest.mark.parametrize("body", OPT_OUTS)
def test_opt_outs(body: str) -> None:
    """47 CFR 64.1200(a)(10), FCC 24-24: revocation by any reasonable means, per-se words in any form."""
    assert classify(body) is Intent.OPT_OUT


@pytest.mark.parametrize("body", ORDINARY)
def test_ordinary_messages_stay_messages(body: str) -> None:
    assert classify(body) is Intent.NONE


@pytest.mark.parametrize("body", OPT_INS)
def test_opt_ins(body: str) -> None:
    assert classify(body) is Intent.OPT_IN


@pytest.mark.parametrize("body", HELPS)
def test_help(body: str) -> None:
    assert classify(body) is Intent.HELP


def test_the_tables_are_large_enough() -> None:
    assert len(set(OPT_OUTS)) >= 100
    assert len(set(ORDINARY)) >= 40


@pytest.mark.parametrize("word", sorted(OPT_OUT_WORDS))
def test_every_opt_out_word_alone_and_shouted(word: str) -> None:
    assert classify(word) is Intent.OPT_OUT
    assert classify(word.upper() + "!") is Intent.OPT_OUT


def test_keyword_sets_do_not_overlap() -> None:
    assert not OPT_OUT_WORDS & OPT_IN_WORDS
    assert not OPT_OUT_WORDS & HELP_WORDS
    assert not OPT_IN_WORDS & HELP_WORDS


@pytest.mark.parametrize("body", [None, 42, b"STOP", ["STOP"]])
def test_anything_but_text_is_no_keyword(body: object) -> None:
    assert classify(body) is Intent.NONE


def test_intent_values_are_stable_strings() -> None:
    assert [intent.value for intent in Intent] == ["opt_out", "uncertain", "opt_in", "help", "none"]
