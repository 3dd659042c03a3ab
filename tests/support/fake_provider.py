"""A fake provider on 127.0.0.1: answers scripted replies and records what each request carried.

Started per test and shut down by the fixture that starts it, so it never outlives a test.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeProvider:
    url: str
    # path -> (status, JSON body), or (status, raw bytes) for replies that are not JSON
    replies: dict[str, tuple[int, Any]] = field(default_factory=dict)
    # path -> a function of the request's JSON body giving (status, JSON body); wins over replies
    handlers: dict[str, Callable[[Any], tuple[int, Any]]] = field(default_factory=dict)
    delay_seconds: float = 0.0
    # path -> Content-Type of its reply (default application/json), e.g. audio/wav for a recording
    content_types: dict[str, str] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)

    def reply(self, path: str, status: int, body: Any = None) -> None:
        self.replies[path] = (status, body if body is not None else {})


@contextmanager
def fake_provider() -> Iterator[FakeProvider]:
    state = FakeProvider(url="")
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._answer("GET", b"")

        def do_DELETE(self) -> None:
            self._answer("DELETE", b"")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._answer("POST", self.rfile.read(length))

        def _answer(self, method: str, sent: bytes) -> None:
            state.seen.append(Seen(method, self.path, {k: v for k, v in self.headers.items()}, sent))
            if state.delay_seconds:
                stop.wait(state.delay_seconds)
            handler = state.handlers.get(self.path)
            if handler is not None:
                status, body = handler(json.loads(sent or b"null"))
            else:
                status, body = state.replies.get(self.path, (404, {"message": "not found"}))
            raw = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", state.content_types.get(self.path, "application/json"))
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
