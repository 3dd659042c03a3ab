"""Each person's notification preferences in a tenant: which kinds they turned off.

One ``NotificationPreferences`` per person per tenant (collection ``NOTIFY_PREFS``, sort
key the user id); no record means every kind is on. Compliance kinds (``ALWAYS_ON``) are
shown as on and cannot be turned off: a request that tries is refused whole (422) and
changes nothing. Every change is audited with before and after. Preferences belong to a
person: an API key or an operator has none.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict

from gatehouse import audit
from gatehouse.clock import Clock, utc_now
from gatehouse.errors import Forbidden, Invalid
from gatehouse.identity.caller import Caller, PrincipalType
from gatehouse.identity.permissions import Permission
from gatehouse.models import GatehouseModel
from gatehouse.notifications.kinds import ALWAYS_ON, NotificationKind
from gatehouse.tenancy import TenantRecord, TenantScope


class AlwaysOn(Invalid):
    status = 422
    code = "always_on"


class NotificationPreferences(TenantRecord):
    collection = "NOTIFY_PREFS"

    user_id: str
    off: list[NotificationKind] = []
    changed_at: datetime | None = None

    def sort_key(self) -> str:
        return self.user_id


class KindSetting(GatehouseModel):
    model_config = ConfigDict(frozen=True)

    kind: NotificationKind
    enabled: bool
    always_on: bool


class PreferencesView(GatehouseModel):
    model_config = ConfigDict(frozen=True)

    items: list[KindSetting]

    @classmethod
    def of(cls, off: list[NotificationKind]) -> PreferencesView:
        return cls(
            items=[
                KindSetting(kind=kind, enabled=kind not in off, always_on=kind in ALWAYS_ON)
                for kind in NotificationKind
            ]
        )


class _Audited(GatehouseModel):
    off: list[NotificationKind]


def preferences_of(scope: TenantScope, user_id: str) -> NotificationPreferences:
    return scope.get(NotificationPreferences, user_id) or NotificationPreferences(user_id=user_id)


def my_preferences(scope: TenantScope, caller: Caller) -> PreferencesView:
    caller.require(Permission.ACCOUNT_SELF)
    return PreferencesView.of(preferences_of(scope, _person(caller)).off)


def set_my_preferences(
    scope: TenantScope, caller: Caller, off: list[NotificationKind], *, clock: Clock = utc_now
) -> PreferencesView:
    """Replace the kinds the caller turned off; compliance kinds among them refuse the whole request."""
    caller.require(Permission.ACCOUNT_SELF)
    user_id = _person(caller)
    refused = sorted(set(off) & ALWAYS_ON)
    if refused:
        raise AlwaysOn(
            "compliance notifications always go out and cannot be turned off",
            details=[{"field": "off", "reason": f"{kind.value} is always on"} for kind in refused],
        )
    current = preferences_of(scope, user_id)
    wanted = sorted(set(off))
    if wanted == sorted(current.off):
        return PreferencesView.of(current.off)
    changed = current.model_copy(update={"off": wanted, "changed_at": clock()})
    with audit.recorded(
        scope,
        caller,
        "notifications.preferences_changed",
        "member",
        user_id,
        before=_Audited(off=current.off),
        after=_Audited(off=wanted),
    ) as txn:
        saved = txn.save(changed)
    return PreferencesView.of(saved.off)


def _person(caller: Caller) -> str:
    if caller.principal_type is not PrincipalType.USER or caller.platform:
        raise Forbidden("notification preferences belong to a person: sign in to change yours")
    return caller.principal_id
