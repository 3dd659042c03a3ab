"""Small identity rules that need no AWS: who two-factor policy covers, CSRF decisions, token shapes."""

from __future__ import annotations

import pytest

from gatehouse.errors import CsrfRejected, Forbidden, TwoFactorRequired
from gatehouse.identity import csrf, tokens
from gatehouse.identity.caller import Caller, PrincipalType
from gatehouse.identity.permissions import Permission, Role, needs_two_factor
from gatehouse.identity.tokens import TokenKind

ALLOWED = ("https://app.gatehouse.test",)


@pytest.mark.parametrize(
    ("role", "covered"), [(Role.OWNER, True), (Role.ADMIN, True), (Role.MEMBER, False), (Role.VIEWER, False)]
)
def test_two_factor_policy_covers_owners_admins_approvers_and_billing(role: Role, covered: bool) -> None:
    assert needs_two_factor(role) is covered


def test_tokens_are_checked_by_shape_and_kind() -> None:
    token, digest = tokens.issue(TokenKind.SIGN_IN)
    assert tokens.digest_of(token, TokenKind.SIGN_IN) == digest
    assert tokens.digest_of(token, TokenKind.SESSION) is None  # a link is never a session
    assert tokens.digest_of(token + "x", TokenKind.SIGN_IN) is None


def session_request(**overrides: object) -> None:
    digest = tokens.digest("t" * 43)
    arguments: dict[str, object] = {
        "origin": ALLOWED[0],
        "referer": None,
        "allowed": ALLOWED,
        "cookie_token": "t" * 43,
        "header_token": "t" * 43,
        "session_digest": digest,
    }
    arguments.update(overrides)
    csrf.check_cookie_request("POST", **arguments)  # type: ignore[arg-type]


def test_a_same_origin_request_with_the_sessions_token_passes() -> None:
    session_request()
    session_request(origin=None, referer="https://app.gatehouse.test/settings")


@pytest.mark.parametrize(
    "overrides",
    [
        {"origin": "https://evil.example"},
        {"origin": None, "referer": None},
        {"origin": None, "referer": "https://evil.example/page"},
        {"header_token": None},
        {"cookie_token": "u" * 43, "header_token": "u" * 43},
    ],
)
def test_cross_site_or_tokenless_cookie_changes_are_refused(overrides: dict[str, object]) -> None:
    with pytest.raises(CsrfRejected):
        session_request(**overrides)


def test_reads_need_no_csrf_token() -> None:
    csrf.check_cookie_request(
        "GET",
        origin=None,
        referer=None,
        allowed=ALLOWED,
        cookie_token=None,
        header_token=None,
        session_digest="x",
    )


def test_pending_two_factor_and_support_access_limit_a_caller() -> None:
    pending = Caller(
        tenant_id="tnt_" + "a" * 26,
        role=Role.OWNER,
        principal_type=PrincipalType.USER,
        principal_id="u",
        two_factor_pending=True,
    )
    with pytest.raises(TwoFactorRequired):
        pending.require(Permission.MEMBERS_READ)
    pending.require(Permission.ACCOUNT_SELF, before_two_factor=True)
    support = Caller(
        tenant_id="tnt_" + "a" * 26,
        role=Role.OWNER,
        principal_type=PrincipalType.OPERATOR,
        principal_id="o",
        read_only=True,
    )
    support.require(Permission.AUDIT_READ)
    with pytest.raises(Forbidden, match="read-only"):
        support.require(Permission.MEMBERS_MANAGE)
