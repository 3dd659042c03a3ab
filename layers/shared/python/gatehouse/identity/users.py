"""Global user identities and the e-mail lookup that finds them.

An identity is global (one person, many tenants); what a person may do inside a
tenant lives in that tenant's membership, never here.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import EmailStr

from gatehouse.clock import Clock, utc_now
from gatehouse.errors import Conflict
from gatehouse.ids import new_id
from gatehouse.tenancy import GlobalRecord, get_directory


class UserIdentity(GlobalRecord):
    collection = "USER"

    user_id: str
    email: str
    created_at: datetime
    is_operator: bool = False
    # "Sign out everywhere": sessions started before this moment are refused, whatever the index shows.
    sessions_revoked_at: datetime | None = None

    def partition_id(self) -> str:
        return self.user_id

    def sort_key(self) -> str:
        return "PROFILE"


class EmailIndex(GlobalRecord):
    collection = "EMAIL"

    email: str
    user_id: str

    def partition_id(self) -> str:
        return self.email

    def sort_key(self) -> str:
        return "USER"


def normalize_email(email: EmailStr | str) -> str:
    return str(email).strip().lower()


def find_user_by_email(email: str) -> UserIdentity | None:
    directory = get_directory()
    index = directory.get(EmailIndex, normalize_email(email), "USER")
    return directory.get(UserIdentity, index.user_id, "PROFILE") if index else None


def get_user(user_id: str) -> UserIdentity | None:
    return get_directory().get(UserIdentity, user_id, "PROFILE")


def ensure_user(email: str, *, clock: Clock = utc_now) -> UserIdentity:
    """The identity for an address, created (with its lookup) the first time it is seen."""
    existing = find_user_by_email(email)
    if existing:
        return existing
    directory = get_directory()
    address = normalize_email(email)
    user = directory.save(UserIdentity(user_id=new_id("usr"), email=address, created_at=clock()))
    try:
        directory.save(EmailIndex(email=address, user_id=user.user_id))
    except Conflict:
        # Another request registered the address first: theirs wins; ours is never reachable.
        found = find_user_by_email(address)
        if found:
            return found
        raise
    return user
