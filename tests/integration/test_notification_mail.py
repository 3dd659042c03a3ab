"""The SES path of a notification: the package's templates in SES, sent by name with their data.

moto keeps SES templates and renders them (``TestRenderTemplate``) but does not send an
SES v2 ``Content.Template`` yet, so the send itself is answered by botocore's Stubber,
which still checks the request against the service model; the data sent is then rendered
by moto from the template created out of the package's source.
"""

from __future__ import annotations

import json
from email import message_from_string
from typing import Any

import pytest
from botocore.stub import ANY, Stubber

from gatehouse import mail
from gatehouse.config import get_settings
from gatehouse.identity.permissions import Role
from gatehouse.notifications import NotificationKind, on_occurrence
from gatehouse.notifications.templates import TEMPLATES
from tests.conftest import TenantFixture, outbox
from tests.integration.test_notifications import submitted_by_member
from tests.support import clients
from tests.support.occurrences import last_occurrence

PREFIX = "gatehouse-test"
SENDER = "no-reply@gatehouse.test"


def test_in_aws_a_notification_names_its_ses_template_and_sends_its_data(
    api, tenant_a: TenantFixture, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    ses = clients.client("ses")
    for template in TEMPLATES.values():
        ses.create_template(
            Template={
                "TemplateName": f"{PREFIX}-{template.name}",
                "SubjectPart": template.subject,
                "TextPart": template.text,
            }
        )
    submitted_by_member(api, tenant_a)
    occurrence = last_occurrence(tenant_a.tenant_id, "campaign.submitted")
    monkeypatch.delenv("GATEHOUSE_MAIL_OUTBOX")
    monkeypatch.setenv("GATEHOUSE_MAIL_SENDER", SENDER)
    monkeypatch.setenv("GATEHOUSE_MAIL_TEMPLATE_PREFIX", PREFIX)
    get_settings.cache_clear()
    settings = get_settings()
    client = mail._ses(settings.region, settings.endpoint_url)  # the client the sender uses
    sent: list[dict[str, Any]] = []
    client.meta.events.register(
        "provide-client-params.sesv2.SendEmail", lambda params, **_: sent.append(params)
    )
    owner_and_admin = sorted(
        [(tenant_a.users[Role.OWNER], "owner@alpha.test"), (tenant_a.users[Role.ADMIN], "admin@alpha.test")]
    )
    with Stubber(client) as stub:
        for _, address in owner_and_admin:
            template = {"TemplateName": f"{PREFIX}-campaign_awaits_approval", "TemplateData": ANY}
            stub.add_response(
                "send_email",
                {"MessageId": "m"},
                {
                    "FromEmailAddress": SENDER,
                    "Destination": {"ToAddresses": [address]},
                    "Content": {"Template": template},
                },
            )
        on_occurrence(occurrence)
        stub.assert_no_pending_responses()

    assert outbox() == []
    data = json.loads(sent[0]["Content"]["Template"]["TemplateData"])
    rendered = ses.test_render_template(
        TemplateName=f"{PREFIX}-campaign_awaits_approval", TemplateData=json.dumps(data)
    )["RenderedTemplate"]
    local = mail.render(TEMPLATES[NotificationKind.CAMPAIGN_AWAITS_APPROVAL], data)
    by_ses = message_from_string(rendered)
    text = next(part for part in by_ses.walk() if part.get_content_type() == "text/plain")
    assert by_ses["Subject"] == local.subject
    assert text.get_payload(decode=True).decode("utf-8") == local.text  # type: ignore[union-attr]
    assert "Spring promo" in local.subject
