"""The public URL a provider called, which its signature covers.

Twilio signs the exact URL it was given, so Gatehouse must rebuild that URL, not the
one the Lambda sees. A configured ``GATEHOUSE_PUBLIC_BASE_URL`` (a custom domain, or the
local runtime's address) wins; otherwise the request's Host, with the stage in the path
on an ``execute-api`` host, as API Gateway's own URL has it.
"""

from __future__ import annotations

import re
from typing import Final

from gatehouse.config import get_settings

_HOST: Final = re.compile(r"^[a-z0-9.-]{1,253}(:[0-9]{1,5})?$")


def public_base_url(host: str | None, stage: str | None) -> str | None:
    """``scheme://host[/stage]`` the provider used, or None when the request names no usable host."""
    configured = get_settings().public_base_url
    if configured:
        return configured
    name = (host or "").strip().lower()
    if not _HOST.fullmatch(name):
        return None
    if name.endswith(".amazonaws.com") and stage:
        return f"https://{name}/{stage}"
    return f"https://{name}"
