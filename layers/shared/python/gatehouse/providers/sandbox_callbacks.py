"""The sandbox's status callbacks: what Twilio and the voice agents would post back, signed as they sign.

After every send the sandbox records, it plans the callbacks the real provider would
make and posts them, one after another with a short delay between them, to the status
callback URL the send named: Twilio's form-encoded status callbacks signed with the
tenant's auth token (``RequestValidator.compute_signature``), Retell's JSON events signed
with the tenant's Retell API key (``x-retell-signature``), Vapi's server messages signed
with the tenant's HMAC credential secret (``x-signature`` / ``x-timestamp``). So the local
runtime exercises the webhook routes exactly as production does, signature check included.

Callbacks run only while started (the local runtime starts them with itself and stops
them with itself), on one daemon worker thread; stopping drops what is still planned
and joins the worker, so no callback outlives the runtime. They only ever go to
``GATEHOUSE_PUBLIC_BASE_URL``, the runtime's own address: a send naming any other URL
gets no callback. Nothing here logs a body, a number or a signature.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from gatehouse.webhooks.signatures import (
    RETELL_SIGNATURE_HEADER,
    VAPI_SIGNATURE_HEADER,
    VAPI_TIMESTAMP_HEADER,
    FormParams,
    retell_signature,
    vapi_signature,
)

log = logging.getLogger("gatehouse.sandbox")
TIMEOUT_SECONDS: Final = 10.0


@dataclass(frozen=True)
class Callback:
    """One request to post: a signed Twilio form, or a signed voice-agent JSON event."""

    url: str
    headers: dict[str, str] = field(repr=False)
    body: bytes = field(repr=False)


def twilio_form(url: str, pairs: list[tuple[str, str]], auth_token: str) -> Callback:
    signature = RequestValidator(auth_token).compute_signature(url, FormParams(pairs))
    return Callback(
        url,
        {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": str(signature)},
        urlencode(pairs).encode(),
    )


def retell_event(url: str, event: dict[str, object], api_key: str) -> Callback:
    body = json.dumps(event, separators=(",", ":")).encode()
    header = retell_signature(api_key, body, int(time.time() * 1000))
    return Callback(url, {"Content-Type": "application/json", RETELL_SIGNATURE_HEADER: header}, body)


def vapi_message(url: str, message: dict[str, object], secret: str) -> Callback:
    body = json.dumps({"message": message}, separators=(",", ":")).encode()
    stamp = str(int(time.time() * 1000))
    headers = {
        "Content-Type": "application/json",
        VAPI_SIGNATURE_HEADER: vapi_signature(secret, body, stamp),
        VAPI_TIMESTAMP_HEADER: stamp,
    }
    return Callback(url, headers, body)


class CallbackPoster:
    """Posts planned callbacks in order on one daemon thread while started."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._planned: list[tuple[float, int, Callback]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._posting = 0  # taken off the plan, not yet answered
        self._base_url = ""
        self.delay_seconds = 0.0
        self.posted: list[tuple[str, int]] = []  # (url, status) of every post, for tests

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, base_url: str, delay_seconds: float) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._base_url = base_url.rstrip("/") + "/"
            self.delay_seconds = delay_seconds
            self._stopping = False
            self._thread = threading.Thread(target=self._work, name="sandbox-callbacks", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
            self._stopping = True
            self._planned.clear()
            self._lock.notify_all()
        if thread is not None:
            thread.join(timeout=TIMEOUT_SECONDS + 1)

    def plan(self, callbacks: list[Callback]) -> None:
        """Post these in order, ``delay_seconds`` apart (the first after one delay); dropped when stopped."""
        with self._lock:
            if self._thread is None:
                return
            due = time.monotonic()
            for callback in callbacks:
                if not callback.url.startswith(self._base_url):
                    log.warning("sandbox callback not sent: its URL is not this runtime's")
                    return
            for callback in callbacks:
                due += self.delay_seconds
                heapq.heappush(self._planned, (due, next(self._order), callback))
            self._lock.notify_all()

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._stopping and (not self._planned or self._planned[0][0] > time.monotonic()):
                    wait = self._planned[0][0] - time.monotonic() if self._planned else None
                    self._lock.wait(timeout=wait)
                if self._stopping:
                    return
                _, _, callback = heapq.heappop(self._planned)
                self._posting += 1
            try:
                self._post(callback)
            finally:
                with self._lock:
                    self._posting -= 1
                    self._lock.notify_all()

    def settle(self, timeout: float) -> bool:
        """Wait until every planned callback has been posted and answered; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._planned or self._posting:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(timeout=left)
            return True

    def _post(self, callback: Callback) -> None:
        # Only ever this runtime's own http(s) address: ``plan`` refuses any other URL.
        request = urllib.request.Request(callback.url, data=callback.body, method="POST")  # noqa: S310
        for name, value in callback.headers.items():
            request.add_header(name, value)
        try:
            # plan() admits only this runtime's own http(s) address, so the URL is never file: or custom.
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310  # nosec B310 # own URL
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except (urllib.error.URLError, OSError):
            status = 0
        if status != 200:
            log.warning("sandbox callback answered %s", status)
        with self._lock:
            self.posted.append((callback.url, status))
