"""What URL a tenant may register as an event endpoint, checked at registration (pure).

``https://`` only, on port 443 (or none given), no userinfo, a syntactically valid host
name or a public IP literal; nothing with a fragment. This is the first check only: a
name can resolve to anything later, so ``gatehouse.endpoints.transport`` resolves and
vets the address again at every send. The one exception, for the local runtime's own
receiver, is ``http://127.0.0.1:<port>`` when ``events_allow_loopback`` is set (never in
AWS: the template does not set it).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Final
from urllib.parse import SplitResult, urlsplit

from pydantic import AfterValidator

from gatehouse.config import get_settings

MAX_URL_LENGTH: Final = 2048
_LABEL: Final = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TLD: Final = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
_PATH: Final = re.compile(r"^[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$")


_NAT64: Final = ipaddress.ip_network("64:ff9b::/96")


def is_public_address(address: str) -> bool:
    """Whether an address is global and unicast, and so is any IPv4 address it carries.

    IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4, Teredo) are judged by it:
    a NAT64 gateway would turn ``64:ff9b::a00:1`` into 10.0.0.1.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if not ip.is_global or ip.is_multicast:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        carried = [ip.ipv4_mapped, ip.sixtofour, ip.teredo[1] if ip.teredo else None]
        if ip in _NAT64:
            carried.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        return all(is_public_address(str(v4)) for v4 in carried if v4 is not None)
    return True


class UrlRefused(ValueError):
    """The URL cannot be an event endpoint; the message says why, without echoing it."""


def check_endpoint_url(url: str) -> str:
    """The URL as given when it may be registered; UrlRefused saying why otherwise."""
    if len(url) > MAX_URL_LENGTH:
        raise UrlRefused("the URL is too long")
    if any(ord(c) <= 0x20 or ord(c) >= 0x7F for c in url):
        raise UrlRefused("the URL may contain only visible ASCII characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UrlRefused("not a valid URL") from None
    if is_local_receiver(parts, port):
        return url
    if parts.scheme != "https":
        raise UrlRefused("the URL must start with https://")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UrlRefused("the URL may not carry a user name or password")
    if port not in (None, 443):
        raise UrlRefused("the URL must use port 443")
    if parts.fragment or "#" in url:
        raise UrlRefused("the URL may not have a fragment")
    if not _PATH.fullmatch(parts.path) or (parts.query and not _PATH.fullmatch(parts.query)):
        raise UrlRefused("the URL's path or query has characters that are not allowed")
    _check_host(parts.hostname or "")
    return url


def is_local_receiver(parts: SplitResult, port: int | None) -> bool:
    """``http://127.0.0.1:<port>/...``, allowed only where ``events_allow_loopback`` is set."""
    return (
        get_settings().events_allow_loopback
        and parts.scheme == "http"
        and parts.hostname == "127.0.0.1"
        and port is not None
        and parts.username is None
        and not parts.fragment
    )


def _check_host(host: str) -> None:
    if not host:
        raise UrlRefused("the URL has no host")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        _check_name(host)
        return
    if not is_public_address(str(address)):
        raise UrlRefused("the URL's address is not a public one")


def _check_name(host: str) -> None:
    labels = host.rstrip(".").split(".")
    if len(host) > 253 or len(labels) < 2:
        raise UrlRefused("the URL's host must be a fully qualified domain name")
    if not all(_LABEL.fullmatch(label) for label in labels):
        raise UrlRefused("the URL's host is not a valid domain name")
    if not _TLD.fullmatch(labels[-1]):
        raise UrlRefused("the URL's host is not a valid domain name")
    if labels[-1] in {"localhost", "local", "internal", "localdomain"} or host == "localhost":
        raise UrlRefused("the URL's address is not a public one")


EndpointUrl = Annotated[str, AfterValidator(check_endpoint_url)]
