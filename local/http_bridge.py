"""The API Gateway stand-in: HTTP on 127.0.0.1 in, REST proxy events (payload 1.0) to the handlers.

Owns the routing table derived from the functions' ``Api`` events (most specific
path first: literal segments before ``{proxy+}``, a named method before ``ANY``),
turning a request into the proxy event API Gateway would send, and writing the
handler's proxy response back. Like API Gateway it refuses bodies over 10 MiB
with 413 and answers 502 when a handler fails or returns a malformed response.
The console's paths (``/app/...``) go to its built files (``local.console_site``), as
CloudFront sends them to S3 in AWS. Never interprets a request beyond routing it.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from local import console_site
from local.functions import LocalFunction

log = logging.getLogger("local.http")
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
_PARAMETER = re.compile(r"\{(\w+)(\+?)\}")


@dataclass(frozen=True)
class Route:
    function: LocalFunction
    resource: str
    method: str
    pattern: re.Pattern[str]

    @property
    def specificity(self) -> tuple[int, int, int]:
        segments = [s for s in self.resource.split("/") if s]
        literal = sum(1 for s in segments if not _PARAMETER.fullmatch(s))
        greedy = 1 if "+}" in self.resource else 0
        return (-literal, greedy, 1 if self.method == "ANY" else 0)


def _pattern(resource: str) -> re.Pattern[str]:
    parts: list[str] = []
    position = 0
    for match in _PARAMETER.finditer(resource):
        parts.append(re.escape(resource[position : match.start()]))
        name, greedy = match.group(1), match.group(2)
        parts.append(f"(?P<{name}>.+)" if greedy else f"(?P<{name}>[^/]+)")
        position = match.end()
    parts.append(re.escape(resource[position:]))
    # DOTALL: a parameter may hold any character a client can percent-encode (a newline
    # too); API Gateway still routes such a path, and the function decides what it means.
    return re.compile("".join(parts), re.DOTALL)


def routing_table(functions: list[LocalFunction]) -> list[Route]:
    """Every Api event of every function, most specific first."""
    routes = [
        Route(fn, event.path, event.method, _pattern(event.path))
        for fn in functions
        for event in fn.spec.routes
    ]
    return sorted(routes, key=lambda r: r.specificity)


def find_route(routes: list[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for route in routes:
        match = route.pattern.fullmatch(path)
        if match and route.method in ("ANY", method):
            return route, match.groupdict()
    return None


def proxy_event(
    route: Route, parameters: dict[str, str], request: BaseHTTPRequestHandler, body: bytes, stage: str
) -> dict[str, Any]:
    """The REST API proxy event (payload format 1.0) API Gateway builds for this request."""
    url = urlsplit(request.path)
    path = unquote(url.path)
    multi_headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        multi_headers.setdefault(name, []).append(value)
    query = parse_qs(url.query, keep_blank_values=True)
    text, encoded = _event_body(body)
    return {
        "resource": route.resource,
        "path": path,
        "httpMethod": request.command,
        "headers": {name: values[-1] for name, values in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": parameters or None,
        "stageVariables": None,
        "requestContext": _request_context(route, request, path, stage),
        "body": text,
        "isBase64Encoded": encoded,
    }


def _request_context(route: Route, request: BaseHTTPRequestHandler, path: str, stage: str) -> dict[str, Any]:
    now = time.time()
    return {
        "resourceId": "local",
        "resourcePath": route.resource,
        "httpMethod": request.command,
        "path": f"/{stage}{path}",
        "stage": stage,
        "requestId": str(uuid.uuid4()),
        "extendedRequestId": str(uuid.uuid4()),
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "requestTimeEpoch": int(now * 1000),
        "protocol": request.request_version,
        "apiId": "local",
        "domainName": request.headers.get("Host", "127.0.0.1"),
        "identity": {"sourceIp": request.client_address[0], "userAgent": request.headers.get("User-Agent")},
    }


def _event_body(body: bytes) -> tuple[str | None, bool]:
    if not body:
        return None, False
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), True


class _Handler(BaseHTTPRequestHandler):
    server: ApiServer
    protocol_version = "HTTP/1.1"

    def do_request(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            self._reply(413, {"Content-Type": "application/json"}, b'{"message":"Request Too Long"}')
            return
        body = self.rfile.read(length) if length else b""
        path = unquote(urlsplit(self.path).path)
        if console_site.is_console_path(path):
            served = console_site.answer(self.command, path, upload_origin=self.server.upload_origin)
            self._reply(served.status, served.headers, served.body)
            return
        found = find_route(self.server.routes, self.command, path)
        if found is None:
            self._reply(
                403, {"Content-Type": "application/json"}, b'{"message":"Missing Authentication Token"}'
            )
            return
        route, parameters = found
        event = proxy_event(route, parameters, self, body, self.server.stage)
        with self.server.one_event_at_a_time:
            outcome = route.function.invoke(event)
        self._write_proxy_response(outcome.payload if not outcome.failed else None)

    # http.server dispatches to do_<METHOD>; API Gateway routes every method alike.
    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = do_request  # noqa: N815

    def _write_proxy_response(self, response: Any) -> None:
        if not isinstance(response, dict) or not isinstance(response.get("statusCode"), int):
            self._reply(502, {"Content-Type": "application/json"}, b'{"message": "Internal server error"}')
            return
        headers: dict[str, str | list[str]] = {k: str(v) for k, v in (response.get("headers") or {}).items()}
        for name, values in (response.get("multiValueHeaders") or {}).items():
            headers[name] = [str(v) for v in values]
        raw = response.get("body") or ""
        body = base64.b64decode(raw) if response.get("isBase64Encoded") else str(raw).encode("utf-8")
        self._reply(response["statusCode"], headers, body)

    def _reply(self, status: int, headers: dict[str, Any], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() in ("content-length", "connection", "transfer-encoding"):
                continue
            for item in value if isinstance(value, list) else [value]:
                self.send_header(name, item)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)


class ApiServer(ThreadingHTTPServer):
    """Serves ``routes`` on 127.0.0.1.

    The port is bound at construction (0 picks a free one), before the handlers are
    loaded, because the API's own allowed origin is this server's URL.
    """

    daemon_threads = True

    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.routes: list[Route] = []
        self.stage = "Prod"  # SAM's default stage name; the runtime sets the template's
        self.upload_origin: str | None = None  # the S3 endpoint of presigned uploads; the runtime sets moto's
        self._thread: threading.Thread | None = None
        # Powertools keeps the event being resolved on a class that every resolver in a process
        # shares (BaseRouter.current_event). Lambda runs one event per container at a time; here
        # every function runs in one process, so requests are served one at a time, or a webhook
        # arriving mid-request would become the body an API route validates.
        self.one_event_at_a_time = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> None:
        self._thread = threading.Thread(target=self.serve_forever, name="local-api", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
            self._thread = None
        self.server_close()


def describe(routes: list[Route]) -> list[str]:
    return [f"{r.method:<6} {r.resource:<22} -> {r.function.spec.logical_id}" for r in routes]
