"""Revocation as a person means it: 47 CFR 64.1200(a)(10) (FCC 24-24, in force since 2025-04-11).

Consent is revoked by any reasonable means. "stop", "quit", "end", "revoke", "opt out",
"cancel" and "unsubscribe" in reply to a text are revocations per se; other wording counts
when a reasonable person reads it as "stop contacting me". The table below is written from
the rule and from the carriers' published keyword lists (Twilio, AWS End User Messaging,
Telnyx, Bird; see docs/reference or the shared us-calling-rules reference), with people's
spelling, negations, ordinary replies that merely contain a word, Spanish, and what callers say
on a call (a spoken revocation counts as a texted one: "any reasonable means").

``test_precision_of_the_classifier`` prints the misses (revocations read as something
else) and the false opt-outs, and fails on any miss of a per-se word used as a request and
on any false opt-in; every row is also checked on its own.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import pytest

from gatehouse.compliance.optout import Intent, classify

OUT, HOLD, IN, HELP, NONE = Intent.OPT_OUT, Intent.UNCERTAIN, Intent.OPT_IN, Intent.HELP, Intent.NONE


@dataclass(frozen=True)
class Row:
    body: str
    expected: Intent
    per_se: bool = False  # a per-se word of (a)(10) used as a request: a miss is never tolerated


def per_se(*bodies: str) -> list[Row]:
    return [Row(b, OUT, per_se=True) for b in bodies]


def rows(expected: Intent, *bodies: str) -> list[Row]:
    return [Row(b, expected) for b in bodies]


TABLE: list[Row] = [
    # ---- the per-se words and the carriers' keywords, as sent
    *per_se(
        "STOP", "Stop", "stop.", "STOP!!!", "Quit", "END", "end.", "Revoke", "OPT OUT", "opt-out", "Opt_out",
        "CANCEL", "cancel!", "UNSUBSCRIBE", "Unsubscribe.", "STOPALL", "stop all", "OPTOUT", "un-subscribe",
        "s t o p", "S.T.O.P", "Stooooop", "STOP STOP", "stop 🛑", "⛔ stop",
    ),
    *rows(OUT, "REMOVE", "ARRET", "TD", "HALT", "DETENER", "PARAR", "FERMA", "Arrêt"),
    # ---- a per-se word used as a request anywhere in the reply
    *per_se(
        "I am revoking consent for this number", "I revoke my consent",
        "I hereby revoke consent to contact me",
        "cancel all of your texts", "Stop?? what is this", "please end these messages", "who is this? STOP",
        "Stop, I never signed up for this", "stop who is this", "STOP. Wrong person", "Please stop",
        "pls stop", "just stop", "Can you stop", "could you please just stop", "I said STOP",
        "I told you to stop",
        "you need to stop", "make it stop", "stop it", "quit it", "End it now", "omg STOP",
        "Stop sending me this stuff", "Stop with the texts", "stop these", "cancel my subscription",
        "cancel these alerts", "Cancel the reminders please", "please cancel all messages", "end the texts",
        "i want to stop receiving these", "how do i stop getting these texts", "I want to unsubscribe",
        "How do I unsubscribe?", "unsubscribe me from this list", "Opt me out", "I want to opt out",
        "opt out please", "I'm opting out", "Cancel. I never asked for this", "STOP\n\nSent from my iPhone",
        "Yes stop", "ok stop", "no. stop.", "Hi, please stop texting me. Thanks", "why won't you stop",
        "Stop texting me", "QUIT texting me", "quit messaging me", "end all contact", "stop contacting me",
        "revoke", "I revoked consent last week, stop", "Stopp", "stp", "unsubscibe", "Cancle", "stop at once",
        "I already unsubscribed??",
    ),
    # ---- plain-language requests a reasonable person reads as "stop contacting me"
    *rows(
        OUT,
        "cease contacting me", "Cease and desist", "take me off your list", "remove me from your list",
        "remove my number", "delete my number please", "don't text me", "Do not call me again",
        "never contact me again", "no more texts", "No more messages!!", "I don't want these messages",
        "I no longer wish to receive texts", "leave me alone", "lose my number", "Wrong number",
        "not interested", "I'm not interested", "go away", "I want out", "stop bothering me",
        "quit bugging me",
        # a short reply that only says "stop" in other words
        "No more", "NO MORE!!", "no more please", "Enough", "Enough!", "enough already", "that's enough",
        "Enough is enough", "ok that's enough, stop",
    ),
    # ---- Spanish
    *rows(
        OUT,
        "no me envíen más mensajes", "No me escriban", "para ya de escribirme", "dejen de llamarme",
        "Baja", "BAJA por favor", "cancelar", "Cancelar suscripción", "quiero darme de baja", "alto",
        "basta", "basta ya", "no más mensajes", "quítenme de la lista", "déjenme en paz", "número equivocado",
        "No me interesa", "no quiero recibir más mensajes", "borren mi número", "desuscribirme",
        "Para", "paren de enviarme mensajes",
        "No más", "no mas por favor", "Revocar", "revoco", "Revoco mi consentimiento",
        "quiero revocar mi consentimiento", "Cancela", "cancelen", "Cancelen por favor",
        "cancela los mensajes", "quitarme de la lista", "quiero quitarme de la lista", "no quiero mas",
        "No quiero más, gracias",
    ),
    # ---- said on a call: the caller's turns of a transcript are read the same way
    *rows(
        OUT,
        "stop calling me", "Please stop calling me.", "put me on your do not call list", "quit calling",
        "don't call here again", "Don't ever call this number again", "no more calls",
        "remove my number from your list", "add me to your DNC list", "take me off your calling list",
        "no me llame más", "quíteme de su lista", "no me vuelvan a llamar",
    ),
    *rows(
        NONE,
        "don't stop, tell me more", "call me back later", "can you call me back tomorrow",
        "sorry I missed your call", "hold on, let me stop the car", "the end of the month works for me",
        "you can call me anytime", "sure, go ahead", "what is this about?", "is this a robot?",
        "llámeme mañana", "sí, dígame",
    ),
    # ---- doubtful: held for a person to read (never an ordinary message, never a confirmation)
    *rows(
        HOLD,
        "cancel it", "I want to cancel", "can I cancel?", "I quit", "how do I stop this", "🛑", "⛔⛔",
        "who gave you my number?", "How did you get my number", "why do you keep texting me",
        "this is harassment", "spam", "this is a scam", "I'm reporting you", "f off", "go to hell",
        "No thanks", "no thank you", "I never signed up for this", "I'm blocking this number",
        "I will call my lawyer", "¿quién te dio mi número?", "no gracias", "cancel my account",
        "cancela eso",
    ),
    # ---- the same words in another sense, and negations: ordinary messages
    *rows(
        NONE,
        "cancel my appointment", "Can I cancel my appointment for Friday?", "I need to cancel my order",
        "the bus stop", "is the shuttle stop still at the church?", "when does it end",
        "What time does it end?",
        "the end", "end of story", "I'll stop by tomorrow", "can you stop by the office", "next stop: Boston",
        "there's a stop sign on Elm", "we had to stop the car", "I quit smoking last year", "I quit my job",
        "I had to end the call early", "stopped by earlier, nobody home", "don't stop", "Please don't stop",
        "don't stop texting me, I love these", "I won't cancel", "I'm not going to cancel", "never quit",
        "I don't want to unsubscribe", "dont cancel my appointment", "we will not stop until we win",
        "my stop is the next one", "on my end it works", "we'll end up late", "the weekend works",
        "Stop by at noon?", "the meeting will end at 5", "is the party cancelled?", "quiero cancelar mi cita",
        "la parada del autobús", "¿Cuándo termina?", "es para mañana", "la temperatura baja de noche",
        "el precio es muy alto", "gracias", "sí", "Yes", "yes thanks", "ok", "Sure", "thanks!",
        "See you at 3", "who is this?", "What's the address?", "sounds good", "👍", "😀😀", "🙂 thanks",
        "Can you call me tomorrow?", "Text me the details", "I'm interested", "maybe later",
        "Where do I start?", "", " ", "1234", "a" * 2000, "hello " * 333 + "x",
        # the new plain words in ordinary sentences
        "I have no more questions", "no more than 2 people please", "no more questions, thanks",
        "is there enough parking?", "that's not enough time", "we have enough", "enough for two?",
        "more than enough, thanks", "cancela mi cita", "cancelen mi pedido", "cancela la reunión",
        "no quiero más pizza", "voy a quitarme el abrigo",
    ),
    # ---- re-opt-in: only an explicit request
    *rows(
        IN,
        "START", "start", "Start.", "UNSTOP", "unstop!", "SUBSCRIBE", "resubscribe", "opt in",
        "opt me back in", "Please opt me back in", "subscribe me", "ALTA", "suscribir", "quiero suscribirme",
        "start texting me again", "yes start",
    ),
    *rows(HELP, "HELP", "help!", "info", "Ayuda"),
]  # fmt: skip

FALSE_OPT_IN_GUARDS = ["yes", "YES", "ok", "yes thanks", "sure", "Yes please", "sí", "y", "yep", "OK!", "👍"]


def _misses() -> list[tuple[Row, Intent]]:
    return [(r, got) for r in TABLE if r.expected is OUT and (got := classify(r.body)) is not OUT]


def _false_opt_outs() -> list[tuple[Row, Intent]]:
    return [(r, got) for r in TABLE if r.expected is not OUT and (got := classify(r.body)) is OUT]


def test_the_table_holds_enough_real_phrasings() -> None:
    """47 CFR 64.1200(a)(10), FCC 24-24: at least ~150 phrasings, every per-se word among them."""
    assert len({r.body for r in TABLE}) >= 150
    said = " ".join(r.body.casefold() for r in TABLE if r.per_se)
    for word in ("stop", "quit", "end", "revoke", "opt out", "cancel", "unsubscribe"):
        assert word in said


def test_precision_of_the_classifier(capsys: pytest.CaptureFixture[str]) -> None:
    """47 CFR 64.1200(a)(10), FCC 24-24: no per-se request missed, and nothing opts in by accident."""
    misses, false_outs = _misses(), _false_opt_outs()
    false_ins = [b for b in FALSE_OPT_IN_GUARDS if classify(b) is IN]
    false_ins += [r.body for r in TABLE if r.expected is not IN and classify(r.body) is IN]
    revocations = sum(r.expected is OUT for r in TABLE)
    caught = revocations - len(misses)
    flagged = caught + len(false_outs)
    report = [
        f"opt-out reading, 47 CFR 64.1200(a)(10) (FCC 24-24), {len(TABLE)} phrasings:",
        f"  revocations caught {caught}/{revocations}",
        f"  misses {len(misses)}: {[r.body for r, _ in misses]}",
        f"  false opt-outs {len(false_outs)}: {[r.body[:40] for r, _ in false_outs]}",
        f"  precision {caught / flagged if flagged else 1:.3f}, recall {caught / revocations:.3f}",
        f"  false opt-ins {len(false_ins)}: {false_ins}",
    ]
    with capsys.disabled():
        sys.stdout.write("\n" + "\n".join(report) + "\n")
    assert [r.body for r, _ in misses if r.per_se] == []
    assert false_ins == []


@pytest.mark.parametrize("row", TABLE, ids=lambda r: f"{r.expected.value}:{r.body[:30]!r}")
def test_each_phrasing_reads_as_a_person_means_it(row: Row) -> None:
    """47 CFR 64.1200(a)(10), FCC 24-24: each row of the table, on its own."""
    assert classify(row.body) is row.expected


@pytest.mark.parametrize("body", FALSE_OPT_IN_GUARDS)
def test_a_casual_yes_never_opts_in(body: str) -> None:
    """47 CFR 64.1200(a)(10), FCC 24-24: consent once revoked comes back only by an explicit request."""
    assert classify(body) is not IN


def test_a_long_reply_is_read_to_its_limit_without_failing() -> None:
    """47 CFR 64.1200(a)(10): a revocation inside a long reply still counts; 2,000 characters read."""
    padding = "I have been thinking about this for a while and " * 20
    assert len(padding + "please stop texting me") <= 2000
    assert classify(padding + "please stop texting me") is OUT
    assert classify("la la " * 400) is NONE
    assert classify("🛑" * 2000) is HOLD
