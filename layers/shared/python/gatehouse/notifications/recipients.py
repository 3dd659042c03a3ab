"""Who hears of a notification: the tenant's owners and admins, and a campaign's submitter.

Members are read through the data door, a page at a time (a tenant has few owners and
admins, but the membership collection is paged like any other). Only members with an
e-mail count; the submitter (``Campaign.submitted_by``) is added for campaign kinds when
they are still a member. A person is not mailed about what their own request just did
(``SELF_EVIDENT``), and each person's preferences apply except to compliance kinds.
"""

from __future__ import annotations

from dataclasses import dataclass

from gatehouse.identity.members import Membership
from gatehouse.identity.permissions import Role
from gatehouse.notifications.kinds import ALWAYS_ON, CAMPAIGN_KINDS, SELF_EVIDENT, NotificationKind
from gatehouse.notifications.preferences import preferences_of
from gatehouse.tenancy import TenantScope

_PAGE = 100
_TOLD = frozenset({Role.OWNER, Role.ADMIN})
_USER = "user:"


@dataclass(frozen=True)
class Recipient:
    user_id: str
    email: str
    role: Role


def recipients(
    scope: TenantScope, kind: NotificationKind, *, actor: str | None, submitted_by: str | None
) -> list[Recipient]:
    """The people to mail about ``kind``, in user id order, preferences applied."""
    people = {m.user_id: m for m in _owners_and_admins(scope)}
    submitter = _user_id(submitted_by)
    if kind in CAMPAIGN_KINDS and submitter is not None and submitter not in people:
        member = scope.get(Membership, submitter)
        if member is not None:
            people[submitter] = member
    if kind in SELF_EVIDENT:
        people.pop(_user_id(actor) or "", None)
    chosen = [m for _, m in sorted(people.items()) if m.email]
    if kind not in ALWAYS_ON:
        chosen = [m for m in chosen if kind not in preferences_of(scope, m.user_id).off]
    return [Recipient(user_id=m.user_id, email=m.email, role=m.role) for m in chosen]


def _owners_and_admins(scope: TenantScope) -> list[Membership]:
    found: list[Membership] = []
    cursor: str | None = None
    while True:
        page = scope.query(Membership, limit=_PAGE, cursor=cursor)
        found.extend(m for m in page.items if m.role in _TOLD)
        cursor = page.cursor
        if cursor is None:
            return found


def _user_id(actor: str | None) -> str | None:
    if actor is None or not actor.startswith(_USER):
        return None
    return actor.removeprefix(_USER) or None
