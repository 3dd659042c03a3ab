"""``GET /audit`` filters by actor and by target across the whole log, page after page.

A filtered page reads ``limit`` entries and keeps those that match, so it may be short and
still carry a cursor; following the cursors gives exactly the matching entries of the log.
"""

from __future__ import annotations

from typing import Any

import pytest

from gatehouse.identity.permissions import Role
from tests.conftest import TenantFixture


def _every(api, token: str, **query: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Every entry the filters admit, following the cursors two entries at a time (newest first)."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = api(
            "GET",
            "/audit",
            token=token,
            query={"limit": "2", **query, **({"cursor": cursor} if cursor else {})},
        )
        assert page.status == 200, page.body
        body = page.json()
        assert len(body["items"]) <= 2
        found.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return found


def _label(part: dict[str, str]) -> str:
    return f"{part['type']}:{part['id']}"


def _keys_made_by(api, tokens: tuple[str, ...]) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """One viewer key made by each caller in turn (each an audited ``api_key.created``)."""
    return [
        api("POST", "/api-keys", token=token, body={"name": f"k{n}", "role": "viewer"}).json()
        for n, token in enumerate(tokens)
    ]


def test_entries_by_one_actor_or_about_one_target_are_all_found_and_only_they(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture
) -> None:
    owner, admin = tenant_a.keys[Role.OWNER], tenant_a.keys[Role.ADMIN]
    made = _keys_made_by(api, (owner, admin, owner, admin, owner))
    everything = _every(api, owner)
    admin_actor = next(_label(e["actor"]) for e in everything if e["target"]["id"] == made[1]["key_id"])
    expected = [e for e in everything if _label(e["actor"]) == admin_actor]
    assert len(expected) >= 2

    assert _every(api, owner, actor=admin_actor) == expected
    target = f"api_key:{made[2]['key_id']}"
    about = _every(api, owner, target=target)
    assert about == [e for e in everything if _label(e["target"]) == target]
    assert [e["action"] for e in about] == ["api_key.created"]
    both = _every(api, owner, actor=admin_actor, action="api_key.created")
    assert [e["target"]["id"] for e in both] == [made[3]["key_id"], made[1]["key_id"]]  # newest first


def test_a_filtered_page_fills_itself_from_further_reads_and_stops_after_a_few(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture
) -> None:
    """Newest first the admin's keys are the 2nd and 4th entries: one page of two holds both."""
    owner, admin = tenant_a.keys[Role.OWNER], tenant_a.keys[Role.ADMIN]
    made = _keys_made_by(api, (admin, owner, admin, owner))
    newest = api("GET", "/audit", token=owner, query={"limit": "4"}).json()["items"]
    admin_actor = _label(newest[1]["actor"])
    assert [_label(e["actor"]) == admin_actor for e in newest] == [False, True, False, True]

    page = api("GET", "/audit", token=owner, query={"limit": "2", "actor": admin_actor}).json()
    assert [e["target"]["id"] for e in page["items"]] == [made[2]["key_id"], made[0]["key_id"]]
    # Nothing matches: five reads of one entry each, then an empty page with a cursor to the rest.
    none = api("GET", "/audit", token=owner, query={"limit": "1", "action": "no.such_action"}).json()
    assert none["items"] == []
    assert none["next_cursor"] is not None
    rest = _every(api, owner, action="no.such_action")
    assert rest == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("actor", "robot:usr_x"),  # not an actor type
        ("actor", "user"),
        ("actor", "user:"),
        ("target", "Api-Key:x"),
        ("target", "api_key:has space"),
        ("target", "api_key:" + "x" * 201),
    ],
)
def test_a_malformed_actor_or_target_filter_gets_a_clear_4xx(  # type: ignore[no-untyped-def]
    api, tenant_a: TenantFixture, name: str, value: str
) -> None:
    answer = api("GET", "/audit", token=tenant_a.keys[Role.OWNER], query={name: value})
    assert answer.status in {400, 422}, answer.body
    error = answer.json()["error"]
    assert f"query.{name}" in {d.get("field") for d in error["details"]}, error
