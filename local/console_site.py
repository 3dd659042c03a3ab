"""The tenant console's built files (console/dist), served by the HTTP bridge under ``/app/``.

Owns mapping a request path to a file inside the build (never outside it), the content
types, the index.html answer for the console's client-side routes, and the security
headers, which are the ones CloudFront's response headers policy sets in AWS
(``ConsoleHeadersPolicy`` in template.yaml; tests/infra checks they agree). Never
serves anything but GET and HEAD, and never answers an API path.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path
from posixpath import normpath
from typing import Final

# gatehouse.mail.CONSOLE_PATH, where mail links point (not imported: gatehouse reads its
# environment at import, and the bridge is loaded before the runtime sets it; a test ties them).
CONSOLE_PATH: Final = "/app"
CONSOLE_DIST: Final = Path(__file__).resolve().parents[1] / "console" / "dist"
_ORIGIN: Final = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")


def content_security_policy(upload_origin: str | None = None) -> str:
    """No inline script or style anywhere in the console: only its own files may run or style it.

    ``upload_origin``: where large imports are PUT (the presigned URL's scheme, host and port),
    the one address besides the console's own it may connect to.
    """
    connect = "'self'"
    if upload_origin is not None:
        if not _ORIGIN.fullmatch(upload_origin):
            raise ValueError("the upload origin must be a scheme, a host and at most a port")
        connect += f" {upload_origin}"
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src {connect}; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def security_headers(upload_origin: str | None = None) -> dict[str, str]:
    # no-referrer, as the API's own responses: the console's changes go by fetch() in cors mode,
    # which carries the Origin the API's CSRF check needs whatever the referrer policy says.
    return {
        "Content-Security-Policy": content_security_policy(upload_origin),
        "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
    }


CONTENT_SECURITY_POLICY: Final = content_security_policy()
SECURITY_HEADERS: Final = security_headers()
_TYPES: Final = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def is_console_path(path: str) -> bool:
    return path == CONSOLE_PATH or path.startswith(CONSOLE_PATH + "/")


def answer(method: str, path: str, dist: Path | None = None, upload_origin: str | None = None) -> Answer:
    """What the console's origin answers for ``path`` (one of ``is_console_path``); ``dist``: the build;
    ``upload_origin``: the S3 endpoint presigned upload URLs point to (see ``content_security_policy``)."""
    headers = security_headers(upload_origin)
    if method not in ("GET", "HEAD"):
        return _plain(headers, 405, "method not allowed", {"Allow": "GET, HEAD"})
    if path == CONSOLE_PATH:
        return Answer(308, {**headers, "Location": CONSOLE_PATH + "/"}, b"")
    dist = dist or CONSOLE_DIST
    if not (dist / "index.html").is_file():
        return _plain(headers, 503, "the console is not built: run `make console`")
    found = _file_for(path[len(CONSOLE_PATH) + 1 :], dist)
    return _file(headers, found) if found else _plain(headers, 404, "not found")


def _file_for(inside: str, dist: Path) -> Path | None:
    """The build's file for a path below the prefix; index.html for a client-side route; else None."""
    relative = normpath(inside or "index.html")
    if relative.startswith(("..", "/")) or "\\" in relative or "\x00" in relative:
        return None
    found = dist / relative
    if found.is_file() and found.resolve().is_relative_to(dist.resolve()):
        return found
    # A missing asset is a 404; a path without a file extension is a route the app decides.
    return None if Path(relative).suffix else dist / "index.html"


def _file(security: dict[str, str], path: Path) -> Answer:
    kind = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    # No content hashes in the file names: the browser revalidates every time (cheap on loopback).
    headers = {**security, "Content-Type": kind, "Cache-Control": "no-cache"}
    return Answer(200, headers, path.read_bytes())


def _plain(security: dict[str, str], status: int, text: str, extra: dict[str, str] | None = None) -> Answer:
    headers = {**security, "Content-Type": "text/plain; charset=utf-8", **(extra or {})}
    return Answer(status, headers, text.encode())
