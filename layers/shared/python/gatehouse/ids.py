"""Identifiers: random, URL-safe, prefixed by what they name.

Tenant ids have a strict shape (``tnt_`` + 26 base32 characters) because every
tenant-owned partition key begins with one: the shape guarantees a tenant id can
never contain the ``#`` separator or look like a global key prefix.
"""

from __future__ import annotations

import base64
import re
import secrets

TENANT_ID_PATTERN = re.compile(r"^tnt_[a-z2-7]{26}$")
_ENTITY_ID_PATTERN = re.compile(r"^[a-z]{2,4}_[a-z2-7]{26}$")


def _random_base32(n_bytes: int = 16) -> str:
    return base64.b32encode(secrets.token_bytes(n_bytes)).decode("ascii").rstrip("=").lower()[:26]


def new_id(prefix: str) -> str:
    return f"{prefix}_{_random_base32()}"


def new_tenant_id() -> str:
    return new_id("tnt")


def is_tenant_id(value: str) -> bool:
    return bool(TENANT_ID_PATTERN.fullmatch(value))


def is_entity_id(value: str, prefix: str) -> bool:
    return value.startswith(f"{prefix}_") and bool(_ENTITY_ID_PATTERN.fullmatch(value))
