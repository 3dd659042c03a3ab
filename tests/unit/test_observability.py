"""Logs never carry secrets: secret-named keys and key-shaped values are masked."""

from __future__ import annotations

from gatehouse.observability import MASK, scrub

TOKEN = "ghk_" + "a" * 26 + "_" + "B" * 43


def test_secret_named_keys_are_masked_at_any_depth() -> None:
    cleaned = scrub({"headers": {"Authorization": f"Bearer {TOKEN}"}, "auth_token": "x", "ok": 1})
    assert cleaned == {"headers": {"Authorization": MASK}, "auth_token": MASK, "ok": 1}


def test_key_shaped_values_are_masked_inside_messages() -> None:
    assert TOKEN not in scrub({"message": f"saw {TOKEN} here"})["message"]
    assert scrub(["a", TOKEN]) == ["a", MASK]


def test_one_time_tokens_are_masked_inside_messages() -> None:
    for prefix in ("ghi", "ghm", "ghs"):
        token = f"{prefix}_" + "Zz9_-" * 8 + "abc"
        assert scrub({"message": f"link {token}."})["message"] == f"link {MASK}."
