"""One signed POST to a tenant's endpoint, to a vetted public address only (the SSRF guard).

At every send the host is resolved once (``socket.getaddrinfo``) and refused when *any*
address it resolves to is not global (``ipaddress``'s ``is_global``: loopback, private,
link-local with 169.254.169.254, CGNAT, reserved, IPv4-mapped IPv6 of those) or is
multicast. The connection then goes to the vetted address itself, with TLS verified
against the host name (SNI and certificate), so a DNS answer that changes between the
check and the connection (a rebind) cannot move the request. Redirects are never
followed; timeouts are 5 s to connect and 10 s in all. The answer's body is never read
beyond a few bytes and never kept.

The one exception is ``http://127.0.0.1:<port>`` where ``events_allow_loopback`` is set:
the local runtime's receiver (``gatehouse.endpoints.urls``).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from gatehouse.endpoints.records import FailureClass
from gatehouse.endpoints.urls import is_local_receiver, is_public_address

CONNECT_SECONDS: Final = 5.0
TOTAL_SECONDS: Final = 10.0
RESPONSE_BYTES_READ: Final = 1024

Resolver = Callable[[str, int], list[str]]


@dataclass(frozen=True)
class Answer:
    """What one attempt came to: a status code, or the class of failure before one came."""

    status_code: int | None
    error: FailureClass | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Refused(Exception):
    """The host may not be reached: it did not resolve, or resolved to an address that is not public."""

    def __init__(self, why: FailureClass) -> None:
        super().__init__(why.value)
        self.why = why


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the system resolver)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Refused(FailureClass.UNRESOLVED) from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def vetted_address(host: str, port: int, resolver: Resolver = resolve) -> str:
    """The address to connect to: the first of the host's addresses, once every one of them is public."""
    try:
        addresses = [host] if _is_literal(host) else resolver(host, port)
    except Refused:
        raise
    except OSError:
        raise Refused(FailureClass.UNRESOLVED) from None
    if not addresses:
        raise Refused(FailureClass.UNRESOLVED)
    if not all(is_public_address(a) for a in addresses):
        raise Refused(FailureClass.SSRF_REFUSED)
    return addresses[0]


def post(url: str, body: bytes, headers: Mapping[str, str], *, resolver: Resolver = resolve) -> Answer:
    """POST ``body`` to ``url`` once, on the guard's terms; never raises for what the endpoint did."""
    parts = urlsplit(url)
    port = parts.port
    host = parts.hostname or ""
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    timeout = urllib3.Timeout(connect=CONNECT_SECONDS, total=TOTAL_SECONDS)
    try:
        if is_local_receiver(parts, port):
            pool: Any = urllib3.HTTPConnectionPool(
                "127.0.0.1", port, timeout=timeout, retries=False, maxsize=1
            )
        elif parts.scheme == "https" and port in (None, 443):
            address = vetted_address(host, 443, resolver)
            pool = urllib3.HTTPSConnectionPool(
                address,
                443,
                timeout=timeout,
                retries=False,
                maxsize=1,
                cert_reqs="CERT_REQUIRED",
                server_hostname=host,
                assert_hostname=host,
            )
        else:
            return Answer(None, FailureClass.SSRF_REFUSED)
    except Refused as refused:
        return Answer(None, refused.why)
    with pool:
        return _send(pool, target, body, {**headers, "host": _host_header(host, port)})


def _send(pool: Any, target: str, body: bytes, headers: Mapping[str, str]) -> Answer:
    try:
        response = pool.urlopen(
            "POST", target, body=body, headers=dict(headers), redirect=False, preload_content=False
        )
    except (ConnectTimeoutError, ReadTimeoutError, TimeoutError):
        return Answer(None, FailureClass.TIMEOUT)
    except SSLError:
        return Answer(None, FailureClass.TLS)
    except (NewConnectionError, ProtocolError, HTTPError, OSError):
        return Answer(None, FailureClass.CONNECTION)
    try:
        response.read(RESPONSE_BYTES_READ)  # a receiver may expect its answer to be read; no more is
    except (HTTPError, OSError):
        pass
    finally:
        response.release_conn()
    status = int(response.status)
    if 300 <= status < 400:
        return Answer(status, FailureClass.REDIRECT)
    if 200 <= status < 300:
        return Answer(status, None)
    return Answer(status, FailureClass.HTTP_STATUS)


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _host_header(host: str, port: int | None) -> str:
    name = f"[{host}]" if ":" in host else host
    return name if port is None else f"{name}:{port}"
