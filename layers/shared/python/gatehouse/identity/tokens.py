"""One-time bearer tokens: invitations, sign-in links and sessions.

A token is ``<prefix>_<secret>`` where the secret is 256 random bits (43 URL-safe
characters). Only the SHA-256 of the secret is ever stored, and it is the lookup key
of the token's record, so reading the database never yields a usable token. A fast
hash is the right one for 256-bit secrets (nothing to brute-force). This module never
logs, stores or returns a token except to the caller that issued it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from enum import StrEnum


class TokenKind(StrEnum):
    INVITATION = "ghi"
    SIGN_IN = "ghm"
    SESSION = "ghs"


_RANDOM_PART = r"[A-Za-z0-9_-]{43}"


def issue(kind: TokenKind) -> tuple[str, str]:
    """A fresh token and the digest to store in its place."""
    secret = secrets.token_urlsafe(32)
    return f"{kind}_{secret}", digest(secret)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def digest_of(token: str, kind: TokenKind) -> str | None:
    """The stored digest a presented token would have, or None when it is not shaped like one."""
    match = re.fullmatch(rf"{kind}_({_RANDOM_PART})", token.strip())
    return digest(match.group(1)) if match else None
