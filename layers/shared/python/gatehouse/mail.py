"""Outgoing mail (sign-in links, invitations): SES in AWS, a local outbox file off AWS.

The one switch is ``Settings.mail_outbox``: when set (the local runtime sets it), each
message is appended as one JSON line to that file, which ``make run`` prints; otherwise
the message goes through SES v2 from ``Settings.mail_sender``. Messages carry one-time
links, so nothing here logs a recipient, a subject line with data, or a body.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from gatehouse.clock import isoformat, utc_now
from gatehouse.config import get_settings
from gatehouse.errors import GatehouseError
from gatehouse.freshness import forgotten_on_restore
from gatehouse.observability import logger

_OUTBOX_LOCK = threading.Lock()
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


def _write_outbox(path: Path, message: Message) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"sent_at": isoformat(utc_now()), **asdict(message)}, sort_keys=True)
    with _OUTBOX_LOCK, path.open("a", encoding="utf-8") as outbox:
        outbox.write(line + "\n")


def _send_ses(message: Message, sender: str, region: str, endpoint_url: str | None) -> None:
    if not sender:
        raise MailUnavailable("no sender address is configured (GATEHOUSE_MAIL_SENDER)")
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 - only on the SES path

    try:
        _ses(region, endpoint_url).send_email(
            FromEmailAddress=sender,
            Destination={"ToAddresses": [message.to]},
            Content={
                "Simple": {
                    "Subject": {"Data": message.subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": message.text, "Charset": "UTF-8"}},
                }
            },
        )
    except (BotoCoreError, ClientError) as exc:
        logger.warning("mail not sent", extra={"error_type": type(exc).__name__})
        raise MailUnavailable("the message could not be sent; try again later") from exc


@lru_cache(maxsize=4)
def _ses(region: str, endpoint_url: str | None) -> Any:
    import boto3  # noqa: PLC0415 - boto3 costs ~200 ms on a cold start; only senders pay it

    return boto3.client("sesv2", region_name=region, endpoint_url=endpoint_url)


forgotten_on_restore(_ses.cache_clear)  # the client's credentials and connections
