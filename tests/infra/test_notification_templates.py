"""The SES templates template.yaml declares are the package's own texts, one per notification kind."""

from __future__ import annotations

from typing import Any

from gatehouse.notifications import NotificationKind
from gatehouse.notifications.templates import TEMPLATES, resource_name, ses_resource


def test_every_kind_has_its_ses_template_from_the_package(resources: dict[str, Any]) -> None:
    declared = {name: r for name, r in resources.items() if r["Type"] == "AWS::SES::Template"}
    assert set(declared) == {resource_name(kind) for kind in NotificationKind}
    for kind in NotificationKind:
        assert declared[resource_name(kind)] == ses_resource(kind), (
            f"{kind}: edit templates.py, then the template"
        )


def test_template_names_follow_the_stack_and_the_kind() -> None:
    assert {t.name for t in TEMPLATES.values()} == {kind.value for kind in NotificationKind}
    assert ses_resource(NotificationKind.CAMPAIGN_PAUSED)["Properties"]["Template"]["TemplateName"] == {  # type: ignore[index]
        "Fn::Sub": "${AWS::StackName}-campaign_paused"
    }
