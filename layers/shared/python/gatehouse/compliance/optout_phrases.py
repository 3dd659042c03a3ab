"""The word and phrase tables that ``optout.classify`` reads; data only, no decisions.

Every entry is folded as ``classify`` folds a text: lower case, no accents, no
apostrophes ("Don't" -> "dont", "envíen" -> "envien"). Sources: the per-se words of 47
CFR 64.1200(a)(10) (FCC 24-24), the default keyword lists of Twilio, AWS End User
Messaging, Telnyx and Bird, and the Spanish short-code keywords (BAJA to leave, ALTA to
join) as US carriers' Spanish-language programs use them.
"""

from __future__ import annotations

import re
from typing import Final

# A whole reply that is only one of these (with politeness around it) revokes.
OPT_OUT_WORDS: Final = frozenset(
    {
        # the per-se words, then Twilio, AWS End User Messaging, Telnyx and Bird
        "stop", "quit", "end", "revoke", "optout", "cancel", "unsubscribe",
        "stopall", "remove", "arret", "td", "halt", "detener", "parar", "ferma", "cancelall",
        # the same, as people type them
        "unsub", "unsubcribe", "unsuscribe", "unsubscibe", "unsubsribe", "unsubscribed", "unsubscrib",
        "unsubscrive", "stoptexting", "stopp", "stp", "sotp", "stpo", "sop", "stip", "qiut",
        "cancle", "cancell", "revoked", "revoking",
        # plain words a reasonable person means as "stop contacting me" when they are the whole reply
        "enough",
        # Spanish: "cancel", "stop", "enough", "leave" (BAJA is the short-code keyword), "revoke",
        # and "cancel" said to the sender ("cancela", "cancele", "cancelen")
        "cancelar", "alto", "basta", "baja", "para", "desuscribir", "desuscribirme", "revocar", "revoco",
        "cancela", "cancele", "cancelen",
    }
)  # fmt: skip
# Words that revoke wherever they stand as a request: no other everyday sense.
STRONG_WORDS: Final = frozenset(
    {
        "unsubscribe", "unsub", "unsubcribe", "unsuscribe", "unsubscibe", "unsubsribe", "unsubscrib",
        "unsubscrive", "unsubscribed", "optout", "stopall", "cancelall", "revoke", "revoking", "revoked",
        "revokes", "desuscribir", "desuscribirme", "desuscribanme", "revocar", "revoco", "revocamos",
    }
)  # fmt: skip
# Per-se words with other everyday senses ("the bus stop", "cancel my appointment"): read in context.
SENSE_WORDS: Final = frozenset(
    {
        "stop",
        "quit",
        "end",
        "cancel",
        "cancelar",
        "cancela",
        "cancele",
        "cancelen",
        "parar",
        "detener",
        "halt",
    }
)
# The forms of "cancel" whose object may be vague: "cancel it", "cancela eso".
CANCEL_WORDS: Final = frozenset({"cancel", "cancelar", "cancela", "cancele", "cancelen"})

OPT_IN_WORDS: Final = frozenset(
    {"start", "unstop", "subscribe", "resubscribe", "optin", "resume", "alta", "suscribir", "suscribirme"}
)
HELP_WORDS: Final = frozenset({"help", "info", "ayuda", "aide"})
# Words that pad a whole-reply keyword without changing it: "stop please", "ok just stop now".
# "yes" is here so that "yes" alone is no keyword at all: it never opts in. "enough" is not: alone
# it revokes ("enough already", "that's enough").
FILLER: Final = frozenset(
    {
        "please", "pls", "plz", "plse", "now", "thanks", "thank", "you", "thankyou", "thx", "ty", "ok",
        "okay", "k", "asap", "immediately", "right", "just", "already", "it", "sir", "maam", "again",
        "me", "lol", "omg", "seriously", "oh", "hey", "hi", "hello", "god", "dude", "man", "all", "this",
        "thats", "for", "real", "bye", "goodbye", "sorry", "por", "favor", "ya", "yes", "yeah",
        "sure", "si", "gracias", "ahora", "mismo", "forever",
    }
)  # fmt: skip
NEGATIONS: Final = frozenset(
    {"dont", "never", "wont", "cant", "not", "didnt", "cannot", "doesnt", "shouldnt", "wouldnt", "nunca"}
)

# ------------------------------------------------------------ reading a per-se word in context

# Words in front of a request that only pad it: "omg please just stop".
LEAD_FILLER: Final = frozenset(
    {
        "please", "pls", "plz", "just", "ok", "okay", "omg", "hey", "hi", "hello", "seriously", "oh", "so",
        "really", "kindly", "guys", "yall", "dude", "man", "sir", "maam", "lol", "ugh", "god", "again",
        "and", "but", "then", "yes", "yeah", "no", "now", "all", "por", "favor", "ya", "already", "wtf",
    }
)  # fmt: skip
# What comes before the word when the reply asks the sender to stop: "could you stop", "I said stop".
ADDRESSED_LEADS: Final = frozenset(
    {
        "", "you", "u", "can you", "could you", "will you", "would you", "can u", "cant you", "wont you",
        "why dont you", "why wont you", "why cant you", "you need to", "you have to", "you must",
        "you should", "i said", "i said to", "i told you", "i already said", "i already told you",
        "time to", "make it", "i beg you", "go ahead and", "you can", "you may", "i asked you",
        "i am asking you", "im asking you", "i am telling you", "im telling you", "pueden", "puede",
        "necesito que", "quiero que", "favor de",
    }
)  # fmt: skip
# ... or asks for the sender's own act: "I want to cancel" (cancel what? the object decides).
SELF_LEADS: Final = frozenset(
    {
        "i", "i want to", "i would like to", "id like to", "i wish to", "i wanna", "i need to", "i have to",
        "i am going to", "im going to", "i will", "ill", "can i", "could i", "how do i", "how can i",
        "how to", "we want to", "i want", "i am", "im", "i hereby", "let me", "quiero", "necesito",
        "deseo", "me gustaria", "como puedo", "puedo", "i would like", "id like", "help me",
    }
)  # fmt: skip
# A lead with one of these describes something else stopping or ending: "when does it end".
DESCRIBED_MARKERS: Final = frozenset(
    {
        "it", "its", "they", "we", "he", "she", "does", "did", "do", "is", "was", "are", "were", "when",
        "where", "what", "whats", "the", "a", "an", "had", "has", "have", "i", "will", "would", "should",
        "may", "might", "cuando", "donde", "que", "el", "la",
    }
)  # fmt: skip
# The word just before marks a noun: "the bus stop", "the end", "next stop".
NOUN_MARKERS: Final = {
    "stop": frozenset(
        {
            "the", "a", "an", "bus", "shuttle", "train", "next", "last", "first", "final", "one", "each",
            "every", "rest", "pit", "truck", "full", "whistle", "subway", "metro", "tram", "tour", "my",
            "our", "your", "his", "her", "their", "this", "non", "1st", "2nd", "3rd", "two",
        }
    ),
    "end": frozenset(
        {
            "the", "a", "an", "week", "month", "year", "dead", "back", "deep", "rear", "front", "tail",
            "happy", "east", "west", "north", "south", "low", "high", "my", "our", "your", "their", "far",
        }
    ),
}  # fmt: skip
# The word just after marks another sense: "stop by", "stop sign", "end of", "end up".
PARTICLES: Final = {
    "stop": frozenset({"by", "in", "over", "sign", "signs", "light", "lights", "at", "off", "on"}),
    "end": frozenset({"of", "up", "date", "result", "time", "user", "game", "zone"}),
    "quit": frozenset({"on", "my", "your", "his", "her"}),
}
# A boundary inside an unpunctuated reply: "stop who is this", "stop i never signed up".
BOUNDARIES: Final = frozenset(
    {"who", "what", "why", "how", "where", "i", "im", "ive", "idk", "quien", "que", "wtf", "lol"}
)
# Objects that name the contact itself: "cancel all of your texts", "end these messages".
CONTACT_OBJECTS: Final = frozenset(
    {
        "texts", "text", "txts", "txt", "texting", "messages", "msgs", "messaging", "sms", "calls",
        "calling", "emails", "emailing", "contact", "contacting", "robocalls", "alerts", "notifications",
        "reminders", "updates", "promotions", "offers", "subscription", "subscriptions", "marketing",
        "spam", "spamming", "receiving", "getting", "sending", "these", "those", "them", "consent",
        "list", "program", "service", "mensajes", "textos", "llamadas", "suscripcion", "notificaciones",
        "alertas", "promociones", "ringing", "phoning", "bugging", "bothering", "harassing",
    }
)  # fmt: skip
# Objects of another sense: "cancel my appointment", "I quit my job", "end the call".
OTHER_OBJECTS: Final = frozenset(
    {
        "appointment", "appointments", "appt", "appt.", "order", "orders", "reservation", "reservations",
        "booking", "bookings", "meeting", "meetings", "visit", "visits", "payment", "payments", "trip",
        "ride", "flight", "delivery", "card", "class", "classes", "lesson", "session", "consultation",
        "call", "tour", "pickup", "job", "car", "truck", "smoking", "drinking", "show", "game", "movie",
        "party", "event", "shift", "lease", "day", "week", "month", "year", "lunch", "dinner", "date",
        "check", "transfer", "cita", "citas", "pedido", "orden", "reserva", "reservacion", "visita", "pago",
        "viaje", "clase", "trabajo", "auto", "carro", "reunion", "compra",
    }
)  # fmt: skip
# Objects that say nothing more: "stop it", "quit it now".
EMPTY_OBJECTS: Final = frozenset(
    {
        "it", "this", "that", "now", "please", "pls", "plz", "already", "right", "asap", "thanks",
        "thank", "you", "immediately", "all", "of", "the", "your", "ur", "any", "my", "ok", "forever",
        "for", "good", "again", "ya", "ahora", "por", "favor", "todo", "todos", "de", "mis", "los", "las",
        "sus", "el", "la", "lol", "either", "anymore", "every", "single", "one", "these", "those", "them",
    }
)  # fmt: skip
# For "cancel" these name something unknown ("cancel it": the appointment, or the texts?).
VAGUE_FOR_CANCEL: Final = frozenset({"it", "this", "that", "todo", "eso", "esto"})

# ------------------------------------------------------------ whole phrases

CONTACT_NOUN: Final = r"(texts?|txts?|messages?|msgs?|sms|calls?|emails?|spam|robocalls?|contact)"
_DET: Final = r"((the|these|those|all|your|ur|any|of)\s+)*"
OPT_OUT_REQUESTS: Final = tuple(
    re.compile(pattern)
    for pattern in (
        # "stop texting me", "quit calling", "cease contacting", "stop these messages"
        r"\b(stop|quit|cease|halt|end)\s+(texting|txting|texing|messaging|msging|calling|contacting|"
        r"sending|emailing|spamming|bothering|harassing|harrassing|ringing|phoning|bugging)\b",
        rf"\b(stop|quit|cease)\s+{_DET}{CONTACT_NOUN}\b",
        # "end these texts", but not "end the call"
        rf"\b(end|halt|cancel)\s+{_DET}(texts|txts|messages|msgs|sms|calls|texting|messaging|robocalls)\b",
        r"\bcease and desist\b",
        # "don't text me", "do not call", "never contact me again", "don't send me anything"
        r"\b(dont|do not|never|pls dont|please dont)\s+(ever\s+)?(text|txt|message|msg|call|contact|email|"
        r"sms|send|ring|phone|bother|spam)\b",
        # "remove me", "delete my number", "take me off your list", "opt me out"
        r"\b(remove|delete|erase|unsubscribe|unsub)\s+(me|us|this number|my\s+(number|cell|phone|info|"
        r"information|details|contact|name|data|account|email))\b",
        r"\btake\s+(me|us|my number|my name|this number)\s+(off|out of)\b",
        r"\bopt(ing|ed)?\s+((me|us|my number)\s+)?out\b",
        rf"\bno\s+more\s+{CONTACT_NOUN}\b",
        r"\b(dont|do not|no longer)\s+(want|wish|need)\s+(to\s+(get|receive)\s+)?"
        rf"((these|your|any|ur|the)\s+)*{CONTACT_NOUN}\b",
        r"\b(leave me alone|lose (my|this) number|wrong number|wrong person|not the right person)\b",
        # said on a call: "put me on your do not call list", "add me to the DNC list"
        r"\b(do not call|dont call|dnc|no call)\s+list\b",
        r"\b(stop|quit)\s+(bothering|harassing|bugging)\b",
        # Spanish: "no más mensajes", "no me envíen más mensajes", "dejen de escribirme",
        # "para ya de escribirme", "darme de baja", "quítenme de la lista", "déjenme en paz"
        r"\bno\s+mas\s+(mensajes|textos|llamadas|sms)\b",
        # ("no me llame más" addresses one caller as usted: the singular forms count as the plural)
        r"\b(no me|dejen de|deja de|dejes de|para de|paren de|para ya de|paren ya de)\s+(mas\s+)?"
        r"(escriban|envien|llamen|manden|contacten|molesten|escribir|enviar|llamar|mandar|molestar|"
        r"contactar|escribirme|enviarme|llamarme|mandarme|molestarme|contactarme|textear|textearme|"
        r"escriba|envie|llame|mande|contacte|moleste)\b",
        # "no me vuelva a llamar", "no vuelvan a llamarme"
        r"\bno\s+(me\s+)?(vuelva|vuelvan|vuelvas)\s+a\s+(llamar|llamarme|escribir|escribirme|contactar|"
        r"contactarme)\b",
        r"\bde\s+baja\b",
        r"\b(quitenme|quitame|quiteme|sacame|saquenme|saqueme|borrenme|borrame|borreme|eliminenme|eliminame|"
        r"elimineme)\b",
        r"\b(borren|borra|eliminen|elimina|quiten|quita)\s+mi\s+(numero|telefono|celular)\b",
        # "quitarme de la lista", "quiero sacarme de su lista" (not "quitarme el abrigo")
        r"\b(quitarme|sacarme|borrarme|eliminarme)\s+de\s+((la|las|su|sus|tu|esta|este|los)\s+)?"
        r"(lista|listas|contactos|base de datos)\b",
        r"\b(dejenme|dejame|dejeme)\s+en\s+paz\b",
        r"\bno\s+(quiero|deseo)\s+(recibir\s+)?(mas\s+)?(sus\s+|los\s+|estos\s+)?"
        r"(mensajes|textos|llamadas|sms)\b",
        r"\b(numero equivocado|no me interesa|no estoy interesad[oa])\b",
    )
)
WHOLE_REQUESTS: Final = frozenset(
    {
        "not interested",
        "im not interested",
        "i am not interested",
        "no interest",
        "go away",
        "i want out",
        "count me out",
        "leave me out",
        "take me off",
        # short replies that say "stop" without its words (47 CFR 64.1200(a)(10): any reasonable means)
        "no more",
        "enough is enough",
        "no mas",
        "ya no mas",
        "no quiero mas",
        "no quiero nada mas",
    }
)
# Hostile or doubtful wording: a person may mean "stop contacting me", or may not. Held for review.
UNCERTAIN_PHRASES: Final = tuple(
    re.compile(pattern)
    for pattern in (
        r"\b(fuck|f|screw|piss)\s+(off|you|u)\b",
        r"\b(go to hell|get lost|shut up|drop dead|bugger off)\b",
        r"\b(who|how|where)\s+(gave|did|gives)\s+(you|u)\s+(get\s+)?(my|this)\s+(number|info|cell)\b",
        r"\bwhere did (you|u) get (my|this) (number|info)\b",
        r"\bwhy (do|are|does|would|is) (you|u|they|this number|this) (keep )?(texting|messaging|calling|"
        r"contacting|text|message|call|contact|sending)\b",
        r"\b(harass|harassment|spam|spammer|scam|scammer|scammers|unsolicited)\b",
        r"\breport(ing)? (you|u|this|your number)\b",
        r"\b(lawyer|attorney|sue you|lawsuit|fcc|ftc)\b",
        r"\bblock(ed|ing)? (you|u|this|your number|this number)\b",
        r"\b(no thanks|no thank you|no thx|no ty)\b",
        r"\b(never|didnt|did not)\s+(signed|sign)\s+up\b",
        r"\b(never|didnt|did not)\s+(gave|give)\s+(you|u)\s+(my\s+)?(number|permission|consent)\b",
        r"\bquien\s+(te|les|le)\s+dio\s+mi\s+numero\b",
        r"\bcomo\s+(obtuvieron|consiguieron|obtuvo|consiguio|tienen|tiene)\s+mi\s+numero\b",
        r"\b(no gracias|acoso|estafa|voy a (reportar|denunciar))\b",
    )
)
# Emoji a reply may consist of that look like "stop": 🛑 ⛔ 🚫 ✋.
STOP_EMOJI: Final = frozenset({"\U0001f6d1", "\u26d4", "\U0001f6ab", "\u270b"})

# An explicit request to be messaged again (a casual "yes" is none).
OPT_IN_REQUESTS: Final = tuple(
    re.compile(pattern)
    for pattern in (
        r"\bopt(ing)?\s+(me\s+|us\s+)?(back\s+)?in\b",
        r"\b(re)?subscribe\s+(me|us)\b",
        r"\bstart\s+(texting|messaging|sending)\s+(me\s+)?(texts\s+|messages\s+)?again\b",
        r"\b(volver a|quiero)\s+(suscribirme|suscribir)\b",
        r"\bde\s+alta\b",
    )
)
