"""Outgoing mail (sign-in links, invitations, notifications): SES in AWS, a local outbox file off AWS.

The one switch is ``Settings.mail_outbox``: when set (the local runtime sets it), each
message is appended as one JSON line to that file, which ``make run`` prints; otherwise
the message goes through SES v2 from ``Settings.mail_sender``. A ``Templated`` message
names an SES template (``<Settings.mail_template_prefix>-<name>``, declared in the
template) and its data: SES renders it in AWS, ``render`` renders the same text into the
outbox. Messages carry one-time links, so nothing here logs a recipient, a subject line
with data, or a body.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from gatehouse.clock import isoformat, utc_now
from gatehouse.config import get_settings
from gatehouse.errors import GatehouseError
from gatehouse.freshness import forgotten_on_restore
from gatehouse.observability import logger

_OUTBOX_LOCK = threading.Lock()
# The part of SES's (Handlebars) template syntax our templates use: plain {{name}} fields.
_FIELD: Final = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# Where the tenant console lives on the API's origin: sign-in and invitation links open its pages.
CONSOLE_PATH = "/app"


class MailUnavailable(GatehouseError):
    status = 503
    code = "mail_unavailable"


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    text: str


@dataclass(frozen=True)
class MailTemplate:
    """A subject and a text with ``{{field}}`` placeholders: one SES template, ``<prefix>-<name>``."""

    name: str
    subject: str
    text: str

    def fields(self) -> set[str]:
        return set(_FIELD.findall(self.subject)) | set(_FIELD.findall(self.text))


@dataclass(frozen=True)
class Templated:
    to: str
    template: MailTemplate
    data: dict[str, str]


def render(template: MailTemplate, data: dict[str, str]) -> Message:
    """The message SES makes of ``template`` and ``data`` (KeyError for a field without a value)."""

    def value(match: re.Match[str]) -> str:
        return data[match.group(1)]

    return Message(to="", subject=_FIELD.sub(value, template.subject), text=_FIELD.sub(value, template.text))


def send_templated(message: Templated) -> None:
    """Send through the SES template in AWS; render the same template into the outbox off AWS."""
    settings = get_settings()
    rendered = render(message.template, message.data)  # a missing field fails here, in both places
    if settings.mail_outbox:
        _write_outbox(
            Path(settings.mail_outbox),
            Message(to=message.to, subject=rendered.subject, text=rendered.text),
            template=message.template.name,
        )
    else:
        if not settings.mail_template_prefix:
            raise MailUnavailable("no template prefix is configured (GATEHOUSE_MAIL_TEMPLATE_PREFIX)")
        name = f"{settings.mail_template_prefix}-{message.template.name}"
        content = {"Template": {"TemplateName": name, "TemplateData": json.dumps(message.data)}}
        _send_ses_content(message.to, content, settings.mail_sender, settings.region, settings.endpoint_url)
    logger.info("mail sent", extra={"transport": "outbox" if settings.mail_outbox else "ses"})


def send(message: Message) -> None:
    settings = get_settings()
    if settings.mail_outbox:
        _write_outbox(Path(settings.mail_outbox), message)
    else:
        _send_ses(message, settings.mail_sender, settings.region, settings.endpoint_url)
    logger.info("mail sent", extra={"transport": "outbox" if settings.mail_outbox else "ses"})


def read_outbox(path: Path) -> list[dict[str, Any]]:
    """Every message written to a local outbox, oldest first."""
    if not path.exists():
        return []
    with _OUTBOX_LOCK:
        lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _write_outbox(path: Path, message: Message, *, template: str | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fields: dict[str, Any] = {"sent_at": isoformat(utc_now()), **asdict(message)}
    if template is not None:
        fields["template"] = template
    line = json.dumps(fields, sort_keys=True)
    with _OUTBOX_LOCK, path.open("a", encoding="utf-8") as outbox:
        outbox.write(line + "\n")


def _send_ses(message: Message, sender: str, region: str, endpoint_url: str | None) -> None:
    content = {
        "Simple": {
            "Subject": {"Data": message.subject, "Charset": "UTF-8"},
            "Body": {"Text": {"Data": message.text, "Charset": "UTF-8"}},
        }
    }
    _send_ses_content(message.to, content, sender, region, endpoint_url)


def _send_ses_content(
    to: str, content: dict[str, Any], sender: str, region: str, endpoint_url: str | None
) -> None:
    if not sender:
        raise MailUnavailable("no sender address is configured (GATEHOUSE_MAIL_SENDER)")
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 - only on the SES path

    try:
        _ses(region, endpoint_url).send_email(
            FromEmailAddress=sender, Destination={"ToAddresses": [to]}, Content=content
        )
    except (BotoCoreError, ClientError) as exc:
        logger.warning("mail not sent", extra={"error_type": type(exc).__name__})
        raise MailUnavailable("the message could not be sent; try again later") from exc


@lru_cache(maxsize=4)
def _ses(region: str, endpoint_url: str | None) -> Any:
    import boto3  # noqa: PLC0415 - boto3 costs ~200 ms on a cold start; only senders pay it

    return boto3.client("sesv2", region_name=region, endpoint_url=endpoint_url)


forgotten_on_restore(_ses.cache_clear)  # the client's credentials and connections
