"""Mail transport: SES in AWS (from the configured sender), the outbox file off AWS."""

from __future__ import annotations

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from gatehouse import mail
from gatehouse.config import get_settings
from tests.conftest import outbox


def test_off_aws_messages_land_in_the_outbox(aws: None) -> None:
    mail.send(mail.Message(to="a@b.test", subject="s", text="t"))
    assert [(m["to"], m["subject"], m["text"]) for m in outbox()] == [("a@b.test", "s", "t")]


def test_in_aws_messages_go_through_ses_from_the_sender(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GATEHOUSE_MAIL_OUTBOX")
    monkeypatch.setenv("GATEHOUSE_MAIL_SENDER", "no-reply@gatehouse.test")
    get_settings.cache_clear()
    boto3.client("ses", region_name="us-east-1").verify_domain_identity(Domain="gatehouse.test")
    mail.send(mail.Message(to="person@example.test", subject="Sign in", text="link"))
    sent = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    assert [(m.source, m.destinations["ToAddresses"]) for m in sent] == [
        ("no-reply@gatehouse.test", ["person@example.test"])
    ]
    assert outbox() == []


def test_without_a_sender_nothing_is_sent(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GATEHOUSE_MAIL_OUTBOX")
    monkeypatch.setenv("GATEHOUSE_MAIL_SENDER", "")
    get_settings.cache_clear()
    with pytest.raises(mail.MailUnavailable):
        mail.send(mail.Message(to="person@example.test", subject="s", text="t"))
