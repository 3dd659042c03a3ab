"""docs/compliance-rules.md holds the rule book as the data file says it, prose kept around it."""

from __future__ import annotations

from gatehouse.compliance.state_rules import RULES, AttemptCap
from local.rulebook_doc import BEGIN, DOCUMENT, END, main, rendered, tables


def test_the_committed_document_matches_the_rules_file() -> None:
    committed = DOCUMENT.read_text(encoding="utf-8")
    assert rendered(committed) == committed, "run `python -m local.rulebook_doc write` and commit it"
    assert main(["rulebook_doc", "check"]) == 0


def test_a_changed_rule_makes_the_document_drift() -> None:
    committed = DOCUMENT.read_text(encoding="utf-8")
    florida = RULES.rule_for("FL")
    assert florida is not None
    looser = florida.model_copy(update={"attempt_cap": AttemptCap(attempts=4, hours=24)})
    book = RULES.model_copy(update={"rules": tuple(looser if r is florida else r for r in RULES.rules)})
    assert rendered(committed, book) != committed


def test_every_row_and_recording_state_is_in_the_tables() -> None:
    text = tables()
    assert text.startswith(BEGIN)
    assert text.endswith(END)
    for rule in RULES.rules:
        assert f"| {rule.state} | {rule.scope.value} |" in text
    for row in RULES.all_party_recording:
        assert f"| {row.state} | {row.citation} |" in text


def test_the_prose_outside_the_markers_is_kept() -> None:
    committed = DOCUMENT.read_text(encoding="utf-8")
    before, after = committed.split(BEGIN)[0], committed.split(END)[1]
    assert "## `state_zones.json`" in before
    assert "## Reason codes" in after
