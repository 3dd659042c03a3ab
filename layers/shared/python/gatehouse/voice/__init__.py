"""What was said and offered on a call, and what follows from it.

``turns`` reads a transcript as (role, text) turns; ``revocations`` reads the caller's
turns (never the agent's) with the opt-out reader and suppresses or holds the number;
``disclosures`` holds the opening and opt-out that every artificial or prerecorded
call must carry (47 CFR 64.1200(b)(1)-(2)); ``retries`` settles an unanswered call's
outcome (a retry deferred, or final). Nothing here logs a transcript or a number.
"""
