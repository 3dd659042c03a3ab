"""One isolation case per API route: how to aim a request at tenant A's resources.

The harness runs every case as tenant B (must get 404 or only its own data) and
as every role of tenant A (must get exactly what the permission matrix allows).
A route without a case here fails ``test_every_route_has_an_isolation_case``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from gatehouse.clock import utc_now
from gatehouse.contacts.imports import CallerRef, ImportJob, ImportStatus
from gatehouse.contacts.keys import contact_id_for
from gatehouse.contacts.records import ContactInput
from gatehouse.contacts.service import new_contact
from gatehouse.dnc import WORDING, LoadKind, acknowledge, load
from gatehouse.identity.api_keys import create_api_key
from gatehouse.identity.caller import Caller, operator
from gatehouse.identity.members import Membership, add_member
from gatehouse.identity.permissions import Role
from gatehouse.identity.users import ensure_user
from gatehouse.ids import new_id
from gatehouse.suppression import SuppressionSource, suppress
from gatehouse.vault import Provider, connect
from tests.conftest import TenantFixture


class Kind(Enum):
    PUBLIC = "public"  # no tenant data at all
    COLLECTION = "collection"  # lists the caller's own tenant only
    RESOURCE = "resource"  # names one resource by id: another tenant's id is 404
    NAMED = "named"  # names the caller's own resource by a fixed name (a provider): never another's
    # Public, and the body carries a one-time credential minted for tenant A: what it
    # does is decided by the credential alone, never by who else presents it.
    CREDENTIAL = "credential"
    PLATFORM = "platform"  # platform operators only: every tenant role of every tenant is refused


class Auth(Enum):
    KEY = "key"  # each role is played by that role's API key
    SESSION = "session"  # the route acts on the signed-in person: each role is played by a session cookie


@dataclass
class Target:
    method: str
    # A path, or a function of the owning person's user id (a person's own resource, e.g. a session).
    path: str | Callable[[str], str]
    # A body, or a function of the acting person's user id that builds one (e.g. a fresh TOTP code).
    body: Any = None
    secrets: list[str] = field(default_factory=list)  # tenant A values that must never leak
    raw_body: str | None = None  # a body sent as is (text/plain), instead of ``body`` as JSON
    headers: dict[str, str] | None = None

    def body_for(self, user_id: str) -> Any:
        return self.body(user_id) if callable(self.body) else self.body

    def path_for(self, user_id: str) -> str:
        return self.path(user_id) if callable(self.path) else self.path


@dataclass(frozen=True)
class Case:
    kind: Kind
    target: Callable[[TenantFixture], Target]
    auth: Auth = Auth.KEY


ORIGIN = "https://app.gatehouse.test"


def session_headers(user_id: str, tenant_id: str | None) -> dict[str, str]:
    """The cookies and CSRF header a browser signed in as ``user_id`` would send."""
    from gatehouse.identity import sessions

    issued = sessions.start(user_id, tenant_id, two_factor_pending=False, source_ip=None)
    return {
        "Cookie": f"__Host-gatehouse_session={issued.token}; __Host-gatehouse_csrf={issued.csrf_token}",
        "X-CSRF-Token": issued.csrf_token,
        "Origin": ORIGIN,
    }


def with_headers(target: Target, how: dict[str, Any]) -> dict[str, Any]:
    """The call's credentials with the target's own headers added (the credentials' win)."""
    if not target.headers:
        return how
    return {**how, "headers": {**target.headers, **how.get("headers", {})}}


def credentials(tenant: TenantFixture, role: Role, case: Case) -> dict[str, Any]:
    """How ``role`` of ``tenant`` calls ``case``: its API key, or a session of its member."""
    if case.auth is Auth.SESSION:
        return {"headers": session_headers(tenant.users[role], tenant.tenant_id)}
    return {"token": tenant.keys[role]}


def operator_headers() -> tuple[str, dict[str, str]]:
    """A platform operator's console session (its user id, and the headers it sends)."""
    from gatehouse.identity.operators import grant_operator

    user = grant_operator(f"{new_id('op')}@operators.test")
    return user.user_id, session_headers(user.user_id, None)


def spare_invitation(tenant: TenantFixture) -> str:
    from gatehouse.identity.invitations import invite

    return invite(
        tenant.scope, fixture_operator(tenant), email=f"{new_id('x')}@invited.test", role=Role.VIEWER
    ).invitation_id


def invitation_token(tenant: TenantFixture) -> str:
    from gatehouse.identity.invitations import invite
    from tests.conftest import outbox
    from tests.support.mailbox import last_token

    address = f"{new_id('x')}@invited.test"
    invite(tenant.scope, fixture_operator(tenant), email=address, role=Role.VIEWER)
    return last_token(outbox(), address, "invitation")


def fixture_operator(tenant: TenantFixture) -> Caller:
    return operator(tenant.tenant_id, "fixtures", request_id="fixtures")


def spare_member(tenant: TenantFixture) -> str:
    user = ensure_user(f"{new_id('x')}@spare.test")
    add_member(
        tenant.scope, fixture_operator(tenant), user_id=user.user_id, email=user.email, role=Role.VIEWER
    )
    return user.user_id


def spare_key(tenant: TenantFixture) -> str:
    issued = create_api_key(tenant.scope, fixture_operator(tenant), name="spare", role=Role.VIEWER)
    return issued.key.key_id


TWILIO_SID = "AC" + "a1" * 16
TWILIO_TOKEN = "0f" * 16


def twilio_credentials(tenant: TenantFixture) -> dict[str, Any]:
    return {
        "account_sid": TWILIO_SID,
        "auth_token": TWILIO_TOKEN,
        "sender_numbers": ["+15005550006"],
    }


def connected_twilio(tenant: TenantFixture) -> str:
    """Connect tenant A's Twilio integration; the values that must never reach anyone else."""
    connect(tenant.scope, fixture_operator(tenant), Provider.TWILIO, twilio_credentials(tenant))
    return TWILIO_SID


ENDPOINT_HOST = "alpha-hooks.example.com"


def spare_endpoint(tenant: TenantFixture) -> str:
    """An event endpoint of tenant A; its id and host must never reach tenant B."""
    from gatehouse.endpoints import manage
    from gatehouse.events.occurrence import EventType

    made = manage.register(
        tenant.scope, fixture_operator(tenant), f"https://{ENDPOINT_HOST}/in", [EventType.MESSAGE_SENT]
    )
    return made.endpoint.endpoint_id


SUPPRESSED_NUMBER = "+12025550143"


def suppressed_number(tenant: TenantFixture) -> str:
    """Put a number on tenant A's suppression list; its hash reference must never reach tenant B."""
    added = suppress(tenant.scope, fixture_operator(tenant), SUPPRESSED_NUMBER, SuppressionSource.MANUAL)
    return added.entry.ref


HELD_NUMBER = "+12025550166"
HELD_TEXT = "who gave you this number, Alphaperson?"


def held_reply(tenant: TenantFixture) -> str:
    """A doubtful reply to tenant A, held for review; its contact id, number and text stay A's."""
    from gatehouse.webhooks.inbound_sms import InboundSms, receive

    receive(tenant.scope, InboundSms(new_id("SM"), HELD_NUMBER, HELD_TEXT), request_id="fixtures")
    return contact_id_for(tenant.tenant_id, HELD_NUMBER)


TEXTER_NUMBER = "+12025550177"
TEXTER_WORDS = "Can Alphaperson call me tomorrow at 10?"


def spare_conversation(tenant: TenantFixture) -> str:
    """A text to tenant A that needs a reply: its conversation id; its number and words stay A's."""
    from gatehouse.webhooks.inbound_sms import InboundSms, receive

    receive(tenant.scope, InboundSms(new_id("SM"), TEXTER_NUMBER, TEXTER_WORDS), request_id="fixtures")
    return f"{contact_id_for(tenant.tenant_id, TEXTER_NUMBER)}.sms"


CONTACT_PHONE = "+14155550101"
CONTACT_NAME = "Alphaperson"
CSV_UPLOAD = "phone,first_name\n+13125550102,Importee\n"


def spare_contact(tenant: TenantFixture) -> str:
    """A contact of tenant A; its number and name must never reach anyone else."""
    request = ContactInput(phone=CONTACT_PHONE, first_name=CONTACT_NAME, state="CA")
    contact = new_contact(tenant.scope, request, actor="operator:fixtures", now=utc_now(), suppressed=False)
    existing = tenant.scope.get(type(contact), contact.contact_id)
    if existing is None:
        tenant.scope.save(contact)
    return contact.contact_id


def uploaded_import(tenant: TenantFixture) -> str:
    """An import of tenant A whose file is in the bucket, waiting to be started."""
    import boto3

    from gatehouse.config import get_settings

    job = ImportJob(
        import_id=new_id("imp"),
        requested_by=CallerRef.of(fixture_operator(tenant)),
        status=ImportStatus.AWAITING_UPLOAD,
        object_key=f"imports/{tenant.tenant_id}/upload.csv",
        created_at=utc_now(),
        created_by="operator:fixtures",
    )
    boto3.client("s3").put_object(
        Bucket=get_settings().import_bucket, Key=job.object_key, Body=CSV_UPLOAD.encode()
    )
    tenant.scope.save(job)
    return job.import_id


CAMPAIGN = {
    "name": "Alphacampaign",
    "channel": "sms",
    "audience": {"tag": "vip"},
    "content": {"kind": "sms", "template": "Hi {first_name}. Reply STOP to opt out."},
    "senders": {"numbers": ["+14155550100"]},
    "windows": [{"days": ["mon"], "start": "10:00", "end": "18:00"}],
}


def spare_campaign(
    tenant: TenantFixture, *, submitted: bool = False, approved: bool = False, running: bool = False
) -> str:
    from gatehouse.campaigns import lifecycle
    from gatehouse.campaigns.records import CampaignSpec

    campaign = lifecycle.create(tenant.scope, fixture_operator(tenant), CampaignSpec.model_validate(CAMPAIGN))
    steps = ["submit"] * (submitted or approved or running) + ["approve"] * (approved or running)
    for action in [*steps, *["start"] * running]:
        lifecycle.transition(tenant.scope, fixture_operator(tenant), campaign.campaign_id, action)
    return campaign.campaign_id


CALL_ID = "call_alpha"
CALL_WORDS = "Agent: hello Alphaperson\nUser: stop calling Alphaperson"


def spare_call(tenant: TenantFixture) -> tuple[str, str]:
    """A call of tenant A to its contact, in one of its campaigns, with a recording held in A's prefix.

    Returns (contact id, campaign id); the transcript's name must never reach anyone else.
    """
    from datetime import timedelta

    from gatehouse.tenancy.objects import TenantObjects
    from gatehouse.voice.links import CampaignCall
    from gatehouse.webhooks.voice_events import CallRecord

    contact_id, campaign_id = spare_contact(tenant), spare_campaign(tenant)
    objects = TenantObjects(tenant.tenant_id)
    key = objects.key("calls", contact_id, f"{CALL_ID}.wav")
    objects.put(key, b"RIFF-alpha", content_type="audio/wav")
    call = CallRecord(
        contact_id=contact_id,
        call_id=CALL_ID,
        direction="outbound",
        status="ended",
        transcript=CALL_WORDS,
        recording_key=key,
        campaign_id=campaign_id,
        retain_until=utc_now() + timedelta(days=30),
        received_at=utc_now(),
    )
    tenant.scope.save(call)
    tenant.scope.save(CampaignCall(campaign_id=campaign_id, contact_id=contact_id, call_id=CALL_ID))
    return contact_id, campaign_id


def paused_campaign(tenant: TenantFixture) -> str:
    from gatehouse.campaigns import lifecycle

    campaign_id = spare_campaign(tenant, running=True)
    lifecycle.transition(tenant.scope, fixture_operator(tenant), campaign_id, "pause")
    return campaign_id


def spare_import(tenant: TenantFixture) -> str:
    job = ImportJob(
        import_id=new_id("imp"),
        requested_by=CallerRef.of(fixture_operator(tenant)),
        status=ImportStatus.COMPLETED,
        created_at=utc_now(),
        created_by="operator:fixtures",
    )
    tenant.scope.save(job)
    return job.import_id


def sign_in_token(tenant: TenantFixture) -> str:
    from gatehouse.identity.sign_in import request_link
    from tests.conftest import outbox
    from tests.support.mailbox import last_token

    address = next(
        m.email for m in tenant.scope.query(Membership).items if m.user_id == tenant.users[Role.OWNER]
    )
    request_link(address, source_ip=None, sleep=lambda _: None)
    return last_token(outbox(), address, "sign-in")


def spare_session(tenant: TenantFixture, user_id: str | None = None) -> str:
    from gatehouse.identity import sessions

    owner = user_id or tenant.users[Role.OWNER]
    return sessions.start(
        owner, tenant.tenant_id, two_factor_pending=False, source_ip=None
    ).session.session_id


def enrolment_code(user_id: str) -> str:
    """Start enrolling ``user_id`` and return a code that confirms it."""
    import pyotp

    from gatehouse.identity import two_factor

    return pyotp.TOTP(two_factor.enrol(user_id, "iso").secret).now()


def enabled_code(user_id: str) -> str:
    """Enrol and confirm ``user_id``; return a code for the next time step (a fresh one)."""
    import time

    import pyotp

    from gatehouse.identity import two_factor

    totp = pyotp.TOTP(two_factor.enrol(user_id, "iso").secret)
    two_factor.confirm(user_id, totp.now())
    return totp.at(time.time() + 30)


def declared_date(_: TenantFixture) -> str:
    """A date declared by an operator (global, no tenant's): its id, for the withdraw route."""
    from datetime import date

    from gatehouse.compliance.declared import DeclaredKind, declare
    from gatehouse.identity.caller import PrincipalType

    console = Caller(
        tenant_id="",
        role=Role.OWNER,
        principal_type=PrincipalType.OPERATOR,
        principal_id="fixtures",
        platform=True,
    )
    added = declare(console, "LA", date(2026, 12, 24), DeclaredKind.HOLIDAY, f"Proclamation {new_id('p')}")
    return added.date_id


def suspended(tenant: TenantFixture) -> str:
    from gatehouse.identity.tenants import TenantEntry, TenantStatus
    from gatehouse.tenancy import get_directory

    entry = get_directory().get(TenantEntry, tenant.tenant_id, "PROFILE")
    assert entry is not None
    get_directory().save(entry.model_copy(update={"status": TenantStatus.SUSPENDED}))
    return tenant.tenant_id


def acknowledged(tenant: TenantFixture) -> str:
    """Tenant A's owner acknowledgment; the acknowledging actor must never reach tenant B."""
    return acknowledge(tenant.scope, fixture_operator(tenant), WORDING).acknowledgment.acknowledged_by


def webhook_ref(tenant: TenantFixture) -> str:
    """Tenant A's webhook ref; it must never reach tenant B."""
    from gatehouse.webhooks.refs import ensure_ref

    return ensure_ref(tenant.scope)


SMS_HELP = "Alpha Clinic: call 555 for help"


def sms_help(tenant: TenantFixture) -> str:
    from gatehouse.webhooks.inbound_sms import set_help_text

    set_help_text(tenant.scope, fixture_operator(tenant), SMS_HELP)
    return SMS_HELP


def billing_customer(tenant: TenantFixture) -> str:
    """Tenant A's Stripe customer (sandbox); it must never reach tenant B."""
    from gatehouse.billing import open_checkout
    from gatehouse.billing.account import BillingAccount

    open_checkout(tenant.scope, fixture_operator(tenant), success_url=RETURN_URL, cancel_url=RETURN_URL)
    account = tenant.scope.require(BillingAccount, "ACCOUNT")
    assert account.customer_id is not None
    return account.customer_id


RETURN_URL = "https://app.gatehouse.test/billing"


def loaded_registry(tenant: TenantFixture) -> str:
    """Load a registry file into tenant A; its reference must never reach tenant B."""
    return load(tenant.scope, fixture_operator(tenant), "202", ["2025550143"], LoadKind.FULL).registry_ref


CASES: dict[tuple[str, str], Case] = {
    ("GET", "/health"): Case(Kind.PUBLIC, lambda t: Target("GET", "/health")),
    ("GET", "/docs"): Case(Kind.PUBLIC, lambda t: Target("GET", "/docs")),
    ("GET", "/openapi.json"): Case(Kind.PUBLIC, lambda t: Target("GET", "/openapi.json")),
    ("GET", "/members"): Case(
        Kind.COLLECTION,
        lambda t: Target("GET", "/members", secrets=[t.users[Role.OWNER], f"owner@{'alpha'}.test"]),
    ),
    ("PATCH", "/members/<user_id>"): Case(
        Kind.RESOURCE, lambda t: Target("PATCH", f"/members/{spare_member(t)}", body={"role": "member"})
    ),
    ("DELETE", "/members/<user_id>"): Case(
        Kind.RESOURCE, lambda t: Target("DELETE", f"/members/{spare_member(t)}")
    ),
    ("GET", "/api-keys"): Case(Kind.COLLECTION, lambda t: Target("GET", "/api-keys", secrets=[spare_key(t)])),
    ("POST", "/api-keys"): Case(
        Kind.COLLECTION, lambda t: Target("POST", "/api-keys", body={"name": "iso", "role": "viewer"})
    ),
    ("DELETE", "/api-keys/<key_id>"): Case(
        Kind.RESOURCE, lambda t: Target("DELETE", f"/api-keys/{spare_key(t)}")
    ),
    ("POST", "/api-keys/<key_id>/rotate"): Case(
        Kind.RESOURCE, lambda t: Target("POST", f"/api-keys/{spare_key(t)}/rotate")
    ),
    ("GET", "/audit"): Case(
        Kind.COLLECTION, lambda t: Target("GET", "/audit", secrets=[t.users[Role.OWNER]])
    ),
    ("POST", "/audit/verify"): Case(
        Kind.COLLECTION, lambda t: Target("POST", "/audit/verify", body={"full": True})
    ),
    ("GET", "/audit/export"): Case(
        Kind.COLLECTION, lambda t: Target("GET", "/audit/export", secrets=[spare_key(t)])
    ),
    ("GET", "/audit/checkpoints"): Case(Kind.COLLECTION, lambda t: Target("GET", "/audit/checkpoints")),
    ("GET", "/audit/public-key"): Case(Kind.PUBLIC, lambda t: Target("GET", "/audit/public-key")),
    ("GET", "/event-endpoints"): Case(
        Kind.COLLECTION,
        lambda t: Target("GET", "/event-endpoints", secrets=[spare_endpoint(t), ENDPOINT_HOST]),
    ),
    ("POST", "/event-endpoints"): Case(
        Kind.COLLECTION,
        lambda t: Target(
            "POST",
            "/event-endpoints",
            body={"url": "https://iso-hooks.example.com/in", "event_types": ["message.sent"]},
        ),
    ),
    ("GET", "/event-endpoints/<endpoint_id>"): Case(
        Kind.RESOURCE,
        lambda t: Target("GET", f"/event-endpoints/{spare_endpoint(t)}", secrets=[ENDPOINT_HOST]),
    ),
    ("PATCH", "/event-endpoints/<endpoint_id>"): Case(
        Kind.RESOURCE,
        lambda t: Target(
            "PATCH",
            f"/event-endpoints/{spare_endpoint(t)}",
            body={"description": "iso"},
            secrets=[ENDPOINT_HOST],
        ),
    ),
    ("DELETE", "/event-endpoints/<endpoint_id>"): Case(
        Kind.RESOURCE,
        lambda t: Target("DELETE", f"/event-endpoints/{spare_endpoint(t)}", secrets=[ENDPOINT_HOST]),
    ),
    ("POST", "/event-endpoints/<endpoint_id>/secret"): Case(
        Kind.RESOURCE,
        lambda t: Target("POST", f"/event-endpoints/{spare_endpoint(t)}/secret", secrets=[ENDPOINT_HOST]),
    ),
    ("POST", "/event-endpoints/<endpoint_id>/test"): Case(
        Kind.RESOURCE,
        lambda t: Target("POST", f"/event-endpoints/{spare_endpoint(t)}/test", secrets=[ENDPOINT_HOST]),
    ),
    ("GET", "/event-endpoints/<endpoint_id>/deliveries"): Case(
        Kind.RESOURCE,
        lambda t: Target("GET", f"/event-endpoints/{spare_endpoint(t)}/deliveries", secrets=[ENDPOINT_HOST]),
    ),
    ("GET", "/integrations"): Case(
        Kind.COLLECTION,
        lambda t: Target("GET", "/integrations", secrets=[connected_twilio(t), TWILIO_TOKEN[-4:]]),
    ),
    ("POST", "/integrations/<provider>"): Case(
        Kind.COLLECTION,
        lambda t: Target("POST", "/integrations/twilio", body=twilio_credentials(t), secrets=[TWILIO_TOKEN]),
    ),
    ("GET", "/integrations/<provider>"): Case(
        Kind.NAMED, lambda t: Target("GET", "/integrations/twilio", secrets=[connected_twilio(t)])
    ),
    ("PATCH", "/integrations/<provider>"): Case(
        Kind.NAMED,
        lambda t: Target(
            "PATCH",
            "/integrations/twilio",
            body={"sender_numbers": ["+15005550007"]},
            secrets=[connected_twilio(t)],
        ),
    ),
    ("DELETE", "/integrations/<provider>"): Case(
        Kind.NAMED, lambda t: Target("DELETE", "/integrations/twilio", secrets=[connected_twilio(t)])
    ),
    ("POST", "/integrations/<provider>/test"): Case(
        Kind.NAMED,
        lambda t: Target("POST", "/integrations/twilio/test", secrets=[connected_twilio(t), TWILIO_TOKEN]),
    ),
    ("POST", "/suppressions"): Case(
        Kind.COLLECTION,
        lambda t: Target("POST", "/suppressions", body={"number": "(202) 555-0188", "reason": "asked"}),
    ),
    ("GET", "/suppressions"): Case(
        Kind.COLLECTION, lambda t: Target("GET", "/suppressions", secrets=[suppressed_number(t)])
    ),
    ("POST", "/suppressions/check"): Case(
        Kind.COLLECTION,
        lambda t: Target(
            "POST",
            "/suppressions/check",
            body={"numbers": [SUPPRESSED_NUMBER]},
            secrets=[suppressed_number(t), SUPPRESSED_NUMBER],
        ),
    ),
    ("POST", "/suppressions/remove"): Case(
        Kind.RESOURCE,
        lambda t: Target(
            "POST",
            "/suppressions/remove",
            body={"number": SUPPRESSED_NUMBER, "reason": "new written consent on file"},
            secrets=[suppressed_number(t)],
        ),
    ),
    ("GET", "/conversations"): Case(
        Kind.COLLECTION,
        lambda t: Target(
            "GET", "/conversations", secrets=[spare_conversation(t), TEXTER_NUMBER, TEXTER_WORDS]
        ),
    ),
    ("GET", "/conversations/counts"): Case(
        Kind.COLLECTION, lambda t: Target("GET", "/conversations/counts", secrets=[spare_conversation(t)])
    ),
    ("GET", "/conversations/<conversation_id>"): Case(
        Kind.RESOURCE,
        lambda t: Target("GET", f"/conversations/{spare_conversation(t)}", secrets=[TEXTER_NUMBER]),
    ),
    ("GET", "/conversations/<conversation_id>/messages"): Case(
        Kind.RESOURCE,
        lambda t: Target(
            "GET", f"/conversations/{spare_conversation(t)}/messages", secrets=[TEXTER_NUMBER, TEXTER_WORDS]
        ),
    ),
    ("POST", "/conversations/<conversation_id>/read"): Case(
        Kind.RESOURCE, lambda t: Target("POST", f"/conversations/{spare_conversation(t)}/read")
    ),
    # A person takes a conversation: each role plays its own signed-in member.
    ("PUT", "/conversations/<conversation_id>/assignee"): Case(
        Kind.RESOURCE,
        lambda t: Target(
            "PUT",
            f"/conversations/{spare_conversation(t)}/assignee",
            body=lambda user_id: {"user_id": user_id},
        ),
        Auth.SESSION,
    ),
    ("GET", "/optout-reviews"): Case(
        Kind.COLLECTION,
        lambda t: Target("GET", "/optout-reviews", secrets=[held_reply(t), HELD_NUMBER, HELD_TEXT]),
    ),
    ("POST", "/optout-reviews/<contact_id>/suppress"): Case(
        Kind.RESOURCE, lambda t: Target("POST", f"/optout-reviews/{held_reply(t)}/suppress")
    ),
    ("POST", "/optout-reviews/<contact_id>/release"): Case(
        Kind.RESOURCE,
        lambda t: Target(
            "POST", f"/optout-reviews/{held_reply(t)}/release", body={"reason": "asked who we are, no more"}
        ),
    ),
    ("GET", "/invitations"): Case(
        Kind.COLLECTION, lambda t: Target("GET", "/invitations", secrets=[spare_invitation(t)])
    ),
    ("POST", "/invitations"): Case(
        Kind.COLLECTION,
        lambda t: Target("POST", "/invitations", body={"email": f"{new_id('x')}@iso.test", "role": "viewer"}),
    ),
    ("DELETE", "/invitations/<invitation_id>"): Case(
        Kind.RESOURCE, lambda t: Target("DELETE", f"/invitations/{spare_invitation(t)}")
    ),
    ("POST", "/invitations/accept"): Case(
        Kind.CREDENTIAL, lambda t: Target("POST", "/invitations/accept", body={"token": invitation_token(t)})
    ),
    ("POST", "/sign-in/link"): Case(
        Kind.PUBLIC, lambda t: Target("POST", "/sign-in/link", body={"email": "owner@alpha.test"})
    ),
    ("POST", "/sign-in/session"): Case(
        Kind.CREDENTIAL, lambda t: Target("POST", "/sign-in/session", body={"token": sign_in_token(t)})
    ),
    ("GET", "/session"): Case(Kind.COLLECTION, lambda t: Target("GET", "/session"), Auth.SESSION),
    ("DELETE", "/session"): Case(Kind.COLLECTION, lambda t: Target("DELETE", "/session"), Auth.SESSION),
    ("GET", "/sessions"): Case(
        Kind.COLLECTION, lambda t: Target("GET", "/sessions", secrets=[spare_session(t)]), Auth.SESSION
    ),
    ("DELETE", "/sessions/<session_id>"): Case(
        Kind.RESOURCE,
        lambda t: Target("DELETE", lambda uid: f"/sessions/{spare_session(t, uid)}"),
        Auth.SESSION,
    ),
    ("DELETE", "/sessions"): Case(Kind.COLLECTION, lambda t: Target("DELETE", "/sessions"), Auth.SESSION),
    # One's own preferences: tenant B's person sees and changes only their own, never A's.
    ("GET", "/me/notifications"): Case(
        Kind.COLLECTION, lambda t: Target("GET", "/me/notifications"), Auth.SESSION
    ),
    ("PUT", "/me/notifications"): Case(
        Kind.COLLECTION,
        lambda t: Target("PUT", "/me/notifications", body={"off": ["campaign_started"]}),
        Auth.SESSION,
    ),
    ("POST", "/account/two-factor"): Case(
        Kind.COLLECTION, lambda t: Target("POST", "/account/two-factor"), Auth.SESSION
    ),
    ("POST", "/account/two-factor/confirm"): Case(
        Kind.COLLECTION,
        lambda t: Target(
            "POST", "/account/two-factor/confirm", body=lambda uid: {"code": enrolment_code(uid)}
        ),
        Auth.SESSION,
    ),
    ("POST", "/account/two-factor/disable"): Case(
        Kind.COLLECTION,
        lambda t: Target("POST", "/account/two-factor/disable", body=lambda uid: {"code": enabled_code(uid)}),
        Auth.SESSION,
    ),
    ("POST", "/session/two-factor"): Case(
        Kind.COLLECTION,
        lambda t: Target("POST", "/session/two-factor", body=lambda uid: {"code": enabled_code(uid)}),
        Auth.SESSION,
    ),
    ("GET", "/security-policy"): Case(Kind.COLLECTION, lambda t: Target("GET", "/security-policy")),
    ("GET", "/operator/tenants"): Case(Kind.PLATFORM, lambda t: Target("GET", "/operator/tenants")),
    ("POST", "/operator/tenants/<tenant_id>/suspend"): Case(
        Kind.PLATFORM,
        lambda t: Target("POST", f"/operator/tenants/{t.tenant_id}/suspend", body={"reason": "isolation"}),
    ),
    ("POST", "/operator/tenants/<tenant_id>/reactivate"): Case(
        Kind.PLATFORM, lambda t: Target("POST", f"/operator/tenants/{suspended(t)}/reactivate")
    ),
    ("POST", "/operator/tenants/<tenant_id>/support-session"): Case(
        Kind.PLATFORM, lambda t: Target("POST", f"/operator/tenants/{t.tenant_id}/support-session")
    ),
    ("GET", "/operator/declared-dates"): Case(
        Kind.PLATFORM, lambda t: Target("GET", "/operator/declared-dates")
    ),
    ("POST", "/operator/declared-dates"): Case(
        Kind.PLATFORM,
        lambda t: Target(
            "POST",
            "/operator/declared-dates",
            body={
                "state": "LA",
                "day": "2026-12-31",
                "kind": "holiday",
                "source": f"Proclamation {new_id('p')}",
            },
        ),
    ),
    ("POST", "/operator/declared-dates/<date_id>/withdraw"): Case(
        Kind.PLATFORM,
        lambda t: Target(
            "POST", f"/operator/declared-dates/{declared_date(t)}/withdraw", body={"reason": "isolation"}
        ),
    ),
    ("GET", "/declared-dates"): Case(Kind.COLLECTION, lambda t: Target("GET", "/declared-dates")),
    ("PUT", "/security-policy"): Case(
        Kind.COLLECTION, lambda t: Target("PUT", "/security-policy", body={"require_two_factor": False})
    ),
    ("GET", "/dnc/status"): Case(
        Kind.COLLECTION,
        lambda t: Target("GET", "/dnc/status", secrets=[loaded_registry(t), acknowledged(t)]),
    ),
    ("GET", "/dnc/acknowledgment"): Case(
        Kind.COLLECTION, lambda t: Target("GET", "/dnc/acknowledgment", secrets=[acknowledged(t)])
    ),
    ("POST", "/dnc/acknowledgment"): Case(
        Kind.COLLECTION, lambda t: Target("POST", "/dnc/acknowledgment", body={"wording": WORDING})
    ),
    ("POST", "/dnc/registry/<area_code>"): Case(
        Kind.COLLECTION,
        lambda t: Target(
            "POST",
            "/dnc/registry/212",
            raw_body="2125550100\n2125550101\n",
            headers={"Content-Type": "text/plain"},
            secrets=[loaded_registry(t)],
        ),
    ),
    ("POST", "/dnc/state-lists/<state>"): Case(
        Kind.COLLECTION,
        lambda t: Target(
            "POST",
            "/dnc/state-lists/TX",
            raw_body="2125550100\n5125550101\n",
            headers={"Content-Type": "text/plain"},
        ),
    ),
    ("GET", "/integrations/webhooks"): Case(
        Kind.COLLECTION, lambda t: Target("GET", "/integrations/webhooks", secrets=[webhook_ref(t)])
    ),
    ("GET", "/settings/sms-help"): Case(
        Kind.COLLECTION, lambda t: Target("GET", "/settings/sms-help", secrets=[sms_help(t)])
    ),
    ("GET", "/billing"): Case(Kind.COLLECTION, lambda t: Target("GET", "/billing")),
    ("POST", "/billing/checkout"): Case(
        Kind.COLLECTION,
        lambda t: Target(
            "POST", "/billing/checkout", body={"success_url": RETURN_URL, "cancel_url": RETURN_URL}
        ),
    ),
    ("POST", "/billing/portal"): Case(
        Kind.NAMED,
        lambda t: Target(
            "POST", "/billing/portal", body={"return_url": RETURN_URL}, secrets=[billing_customer(t)]
        ),
    ),
    ("PUT", "/settings/sms-help"): Case(
        Kind.COLLECTION,
        lambda t: Target("PUT", "/settings/sms-help", body={"help_text": "Reply STOP to opt out."}),
    ),
    ("GET", "/settings/retention"): Case(Kind.COLLECTION, lambda t: Target("GET", "/settings/retention")),
    ("PUT", "/settings/retention"): Case(
        Kind.COLLECTION,
        lambda t: Target(
            "PUT", "/settings/retention", body={"message_bodies_days": 30, "dnc_rescrub_days": 14}
        ),
    ),
}

CASES.update(
    {
        ("POST", "/contacts"): Case(
            Kind.COLLECTION,
            lambda t: Target("POST", "/contacts", body={"phone": "+13125550199", "state": "IL"}),
        ),
        ("GET", "/contacts"): Case(
            Kind.COLLECTION,
            lambda t: Target("GET", "/contacts", secrets=[spare_contact(t), CONTACT_PHONE, CONTACT_NAME]),
        ),
        ("GET", "/contacts/export"): Case(
            Kind.COLLECTION,
            lambda t: Target(
                "GET", "/contacts/export", secrets=[spare_contact(t), CONTACT_PHONE, CONTACT_NAME]
            ),
        ),
        ("POST", "/contacts/imports"): Case(
            Kind.COLLECTION, lambda t: Target("POST", "/contacts/imports", raw_body=CSV_UPLOAD)
        ),
        ("POST", "/contacts/imports/uploads"): Case(
            Kind.COLLECTION, lambda t: Target("POST", "/contacts/imports/uploads")
        ),
        ("POST", "/contacts/imports/<import_id>/start"): Case(
            Kind.RESOURCE, lambda t: Target("POST", f"/contacts/imports/{uploaded_import(t)}/start")
        ),
        ("GET", "/contacts/imports/<import_id>"): Case(
            Kind.RESOURCE, lambda t: Target("GET", f"/contacts/imports/{spare_import(t)}")
        ),
        ("GET", "/contacts/imports/<import_id>/errors"): Case(
            Kind.RESOURCE, lambda t: Target("GET", f"/contacts/imports/{spare_import(t)}/errors")
        ),
        ("GET", "/contacts/<contact_id>"): Case(
            Kind.RESOURCE,
            lambda t: Target("GET", f"/contacts/{spare_contact(t)}", secrets=[CONTACT_PHONE, CONTACT_NAME]),
        ),
        ("PATCH", "/contacts/<contact_id>"): Case(
            Kind.RESOURCE, lambda t: Target("PATCH", f"/contacts/{spare_contact(t)}", body={"tags": ["iso"]})
        ),
        ("DELETE", "/contacts/<contact_id>"): Case(
            Kind.RESOURCE, lambda t: Target("DELETE", f"/contacts/{spare_contact(t)}")
        ),
        ("POST", "/contacts/<contact_id>/erase"): Case(
            Kind.RESOURCE, lambda t: Target("POST", f"/contacts/{spare_contact(t)}/erase")
        ),
        ("GET", "/contacts/<contact_id>/data"): Case(
            Kind.RESOURCE,
            lambda t: Target(
                "GET", f"/contacts/{spare_contact(t)}/data", secrets=[CONTACT_PHONE, CONTACT_NAME]
            ),
        ),
    }
)

CASES.update(
    {
        ("POST", "/campaigns"): Case(Kind.COLLECTION, lambda t: Target("POST", "/campaigns", body=CAMPAIGN)),
        ("GET", "/campaigns"): Case(
            Kind.COLLECTION,
            lambda t: Target("GET", "/campaigns", secrets=[spare_campaign(t), "Alphacampaign"]),
        ),
        ("GET", "/campaigns/<campaign_id>"): Case(
            Kind.RESOURCE,
            lambda t: Target("GET", f"/campaigns/{spare_campaign(t)}", secrets=["Alphacampaign"]),
        ),
        ("PUT", "/campaigns/<campaign_id>"): Case(
            Kind.RESOURCE,
            lambda t: Target("PUT", f"/campaigns/{spare_campaign(t)}", body={**CAMPAIGN, "name": "Renamed"}),
        ),
        ("POST", "/campaigns/<campaign_id>/submit"): Case(
            Kind.RESOURCE, lambda t: Target("POST", f"/campaigns/{spare_campaign(t)}/submit")
        ),
        ("POST", "/campaigns/<campaign_id>/approve"): Case(
            Kind.RESOURCE, lambda t: Target("POST", f"/campaigns/{spare_campaign(t, submitted=True)}/approve")
        ),
        ("POST", "/campaigns/<campaign_id>/reject"): Case(
            Kind.RESOURCE,
            lambda t: Target(
                "POST", f"/campaigns/{spare_campaign(t, submitted=True)}/reject", body={"reason": "not yet"}
            ),
        ),
        ("POST", "/campaigns/<campaign_id>/cancel"): Case(
            Kind.RESOURCE, lambda t: Target("POST", f"/campaigns/{spare_campaign(t)}/cancel")
        ),
        ("GET", "/campaigns/<campaign_id>/preflight"): Case(
            Kind.RESOURCE, lambda t: Target("GET", f"/campaigns/{spare_campaign(t)}/preflight")
        ),
        ("GET", "/campaigns/<campaign_id>/report"): Case(
            Kind.RESOURCE, lambda t: Target("GET", f"/campaigns/{spare_campaign(t)}/report")
        ),
        ("GET", "/campaigns/<campaign_id>/report/export"): Case(
            Kind.RESOURCE, lambda t: Target("GET", f"/campaigns/{spare_campaign(t)}/report/export")
        ),
        ("POST", "/campaigns/<campaign_id>/start"): Case(
            Kind.RESOURCE, lambda t: Target("POST", f"/campaigns/{spare_campaign(t, approved=True)}/start")
        ),
        ("POST", "/campaigns/<campaign_id>/pause"): Case(
            Kind.RESOURCE, lambda t: Target("POST", f"/campaigns/{spare_campaign(t, running=True)}/pause")
        ),
        ("POST", "/campaigns/<campaign_id>/resume"): Case(
            Kind.RESOURCE, lambda t: Target("POST", f"/campaigns/{paused_campaign(t)}/resume")
        ),
        ("GET", "/campaigns/<campaign_id>/runs"): Case(
            Kind.RESOURCE, lambda t: Target("GET", f"/campaigns/{spare_campaign(t)}/runs")
        ),
        ("GET", "/contacts/<contact_id>/calls"): Case(
            Kind.RESOURCE,
            lambda t: Target("GET", f"/contacts/{spare_call(t)[0]}/calls", secrets=["Alphaperson", CALL_ID]),
        ),
        ("GET", "/contacts/<contact_id>/calls/export"): Case(
            Kind.RESOURCE,
            lambda t: Target("GET", f"/contacts/{spare_call(t)[0]}/calls/export", secrets=["Alphaperson"]),
        ),
        ("GET", "/contacts/<contact_id>/calls/<call_id>/transcript"): Case(
            Kind.RESOURCE,
            lambda t: Target(
                "GET", f"/contacts/{spare_call(t)[0]}/calls/{CALL_ID}/transcript", secrets=["Alphaperson"]
            ),
        ),
        ("GET", "/contacts/<contact_id>/calls/<call_id>/recording"): Case(
            Kind.RESOURCE,
            lambda t: Target(
                "GET", f"/contacts/{spare_call(t)[0]}/calls/{CALL_ID}/recording", secrets=["calls/"]
            ),
        ),
        ("GET", "/campaigns/<campaign_id>/calls"): Case(
            Kind.RESOURCE,
            lambda t: Target("GET", f"/campaigns/{spare_call(t)[1]}/calls", secrets=["Alphaperson", CALL_ID]),
        ),
        ("GET", "/campaigns/<campaign_id>/calls/export"): Case(
            Kind.RESOURCE,
            lambda t: Target("GET", f"/campaigns/{spare_call(t)[1]}/calls/export", secrets=["Alphaperson"]),
        ),
        ("GET", "/campaign-policy"): Case(Kind.COLLECTION, lambda t: Target("GET", "/campaign-policy")),
        ("GET", "/access-policy"): Case(Kind.COLLECTION, lambda t: Target("GET", "/access-policy")),
        ("PUT", "/access-policy"): Case(
            Kind.COLLECTION, lambda t: Target("PUT", "/access-policy", body={"conversation_access": "all"})
        ),
        # The acting person assigns themselves: a member of tenant A, never of B.
        ("PUT", "/campaigns/<campaign_id>/members"): Case(
            Kind.RESOURCE,
            lambda t: Target(
                "PUT",
                f"/campaigns/{spare_campaign(t)}/members",
                body=lambda uid: {"user_ids": [uid]},
                secrets=["Alphacampaign"],
            ),
        ),
        ("PUT", "/campaign-policy"): Case(
            Kind.COLLECTION, lambda t: Target("PUT", "/campaign-policy", body={"four_eyes": False})
        ),
    }
)

REPLY_TEXT = "Yes, Alphaperson here: 10 tomorrow works."


def reply_thread(tenant: TenantFixture) -> str:
    """Tenant A's campaign texted a person who answered; its conversation id (the API's clock is pinned)."""
    from tests.support.conversations import connected_tenant, receive_directly, thread

    connected_tenant(tenant.scope)
    return thread(tenant.scope, receive_directly, phone=REPLY_PHONE).conversation_id


REPLY_PHONE = "+12125550177"

CASES.update(
    {
        ("POST", "/conversations/<conversation_id>/messages"): Case(
            Kind.RESOURCE,
            lambda t: Target(
                "POST",
                f"/conversations/{reply_thread(t)}/messages",
                body={"body": REPLY_TEXT},
                headers={"Idempotency-Key": "isolation-reply-1"},
                secrets=[REPLY_PHONE, REPLY_TEXT],
            ),
        ),
    }
)

# What each state-changing route must write to the audit log: exactly one entry with this action.
AUDITED: dict[tuple[str, str], str] = {
    ("PUT", "/conversations/<conversation_id>/assignee"): "conversation.assigned",
    ("POST", "/campaigns"): "campaign.created",
    ("PUT", "/campaigns/<campaign_id>"): "campaign.edited",
    ("POST", "/campaigns/<campaign_id>/submit"): "campaign.submitted",
    ("POST", "/campaigns/<campaign_id>/approve"): "campaign.approved",
    ("POST", "/campaigns/<campaign_id>/reject"): "campaign.rejected",
    ("POST", "/campaigns/<campaign_id>/cancel"): "campaign.cancelled",
    ("POST", "/campaigns/<campaign_id>/start"): "campaign.started",
    ("POST", "/campaigns/<campaign_id>/pause"): "campaign.paused",
    ("POST", "/campaigns/<campaign_id>/resume"): "campaign.resumed",
    ("PUT", "/campaign-policy"): "campaign_policy.changed",
    ("PUT", "/access-policy"): "access_policy.changed",
    ("PUT", "/campaigns/<campaign_id>/members"): "campaign.members_assigned",
    ("POST", "/contacts"): "contact.created",
    ("PATCH", "/contacts/<contact_id>"): "contact.updated",
    ("DELETE", "/contacts/<contact_id>"): "contact.deleted",
    ("POST", "/contacts/imports"): "contacts.import_started",
    ("POST", "/contacts/imports/uploads"): "contacts.upload_created",
    ("POST", "/contacts/imports/<import_id>/start"): "contacts.import_started",
    ("PATCH", "/members/<user_id>"): "member.role_changed",
    ("DELETE", "/members/<user_id>"): "member.removed",
    ("POST", "/api-keys"): "api_key.created",
    ("DELETE", "/api-keys/<key_id>"): "api_key.revoked",
    ("POST", "/api-keys/<key_id>/rotate"): "api_key.rotated",
    ("POST", "/integrations/<provider>"): "integration.connected",
    ("PATCH", "/integrations/<provider>"): "integration.updated",
    ("DELETE", "/integrations/<provider>"): "integration.revoked",
    ("POST", "/integrations/<provider>/test"): "integration.tested",
    ("POST", "/event-endpoints"): "event_endpoint.created",
    ("PATCH", "/event-endpoints/<endpoint_id>"): "event_endpoint.updated",
    ("DELETE", "/event-endpoints/<endpoint_id>"): "event_endpoint.deleted",
    ("POST", "/event-endpoints/<endpoint_id>/secret"): "event_endpoint.secret_rotated",
    ("POST", "/event-endpoints/<endpoint_id>/test"): "event_endpoint.tested",
    ("POST", "/suppressions"): "suppression.added",
    ("POST", "/suppressions/remove"): "suppression.removed",
    ("POST", "/optout-reviews/<contact_id>/suppress"): "suppression.hold_confirmed",
    ("POST", "/optout-reviews/<contact_id>/release"): "suppression.hold_released",
    ("POST", "/contacts/<contact_id>/erase"): "contact.erased",
    ("POST", "/invitations"): "invitation.created",
    ("DELETE", "/invitations/<invitation_id>"): "invitation.revoked",
    ("POST", "/invitations/accept"): "invitation.accepted",
    ("POST", "/sign-in/session"): "session.started",
    ("DELETE", "/session"): "session.ended",
    ("DELETE", "/sessions/<session_id>"): "session.revoked",
    ("DELETE", "/sessions"): "session.signed_out_everywhere",
    ("POST", "/account/two-factor"): "two_factor.enrolment_started",
    ("PUT", "/me/notifications"): "notifications.preferences_changed",
    ("POST", "/account/two-factor/confirm"): "two_factor.enabled",
    ("POST", "/account/two-factor/disable"): "two_factor.disabled",
    ("POST", "/session/two-factor"): "session.two_factor_verified",
    ("PUT", "/security-policy"): "security_policy.changed",
    ("POST", "/operator/tenants/<tenant_id>/suspend"): "tenant.suspended",
    ("POST", "/operator/tenants/<tenant_id>/reactivate"): "tenant.reactivated",
    ("POST", "/operator/tenants/<tenant_id>/support-session"): "operator.support_started",
    ("POST", "/dnc/acknowledgment"): "dnc.acknowledged",
    ("POST", "/dnc/registry/<area_code>"): "dnc.registry_loaded",
    ("POST", "/dnc/state-lists/<state>"): "dnc.state_list_loaded",
    ("PUT", "/settings/sms-help"): "sms_help.changed",
    ("PUT", "/settings/retention"): "retention.changed",
    ("POST", "/billing/checkout"): "billing.checkout_started",
    ("POST", "/billing/portal"): "billing.portal_opened",
    ("POST", "/conversations/<conversation_id>/messages"): "conversation.replied",
}
# Routes whose method is not GET but change nothing in a tenant (a sign-in link is a global,
# expiring token: asking for one is not a tenant event, and unknown addresses must look the same).
# Marking a conversation read changes only the unread marker: a read, counted per person per day
# (``conversation.reads_counted``), never an entry of its own.
READ_ONLY_POSTS = {
    ("POST", "/audit/verify"),
    ("POST", "/sign-in/link"),
    ("POST", "/suppressions/check"),
    ("POST", "/conversations/<conversation_id>/read"),
}
# Routes that change a global list, not a tenant: no tenant's chain records them; the record
# itself keeps who changed it and when (a declared date is withdrawn, never deleted).
PLATFORM_RECORDED = {
    ("POST", "/operator/declared-dates"),
    ("POST", "/operator/declared-dates/<date_id>/withdraw"),
}
# Entries a route writes besides its own: later, from its asynchronous follow-up (the intake
# function finishing an import), or as a second action it takes (an erasure suppresses the number).
FOLLOW_UP_ACTIONS = {
    ("POST", "/contacts/imports"): {"contacts.imported"},
    ("POST", "/contacts/imports/<import_id>/start"): {"contacts.imported"},
    ("POST", "/contacts/<contact_id>/erase"): {"suppression.added"},
    ("POST", "/campaigns/<campaign_id>/start"): {"dispatch_run.started"},
    ("POST", "/campaigns/<campaign_id>/resume"): {"dispatch_run.started"},
}

# Routes whose change is not one transaction with its entry: the change is written first and
# the entry appended after, so a failed append leaves it standing. Every other state-changing
# route commits its change and its entry together (test_a_change_whose_entry_cannot_be_written_is_not_made).
WRITE_THEN_APPEND = {
    # Sign-in, sessions and two-factor enrolment write the person's own global records (their
    # session, their second factor) and record the event afterwards (``audit.record_personal``),
    # which for an operator in the console goes to the log, not to a tenant's chain.
    ("POST", "/sign-in/session"),
    ("DELETE", "/session"),
    ("DELETE", "/sessions/<session_id>"),
    ("DELETE", "/sessions"),
    ("POST", "/account/two-factor"),
    ("POST", "/account/two-factor/confirm"),
    ("POST", "/account/two-factor/disable"),
    ("POST", "/session/two-factor"),
    # Starting a support session issues a session and ends the console one before the entry.
    ("POST", "/operator/tenants/<tenant_id>/support-session"),
    # A registry file is written in batches of 25 items, far beyond one transaction.
    ("POST", "/dnc/registry/<area_code>"),
    ("POST", "/dnc/state-lists/<state>"),  # the same, for a state's list
    # The Stripe customer (made at the first checkout) exists at Stripe before anything is
    # recorded here; its record and lookup are kept even when the checkout's entry fails.
    ("POST", "/billing/checkout"),
    # A reply's claim is written on the contact's ledger before the provider is called (gate 7),
    # and the text is out before its record and entry commit together: a failed append leaves
    # the claim (a retry with the key never sends again), never a second text.
    ("POST", "/conversations/<conversation_id>/messages"),
}


def missing_cases(routes: set[tuple[str, str]], cases: dict[tuple[str, str], Case]) -> set[tuple[str, str]]:
    return routes - set(cases)
