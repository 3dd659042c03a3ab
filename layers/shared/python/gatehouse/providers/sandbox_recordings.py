"""Where the sandbox's calls leave their recordings: a vendor's storage, on loopback, locally only.

A real vendor's call event points at the recording on its own storage, which
``gatehouse.voice.recordings`` copies into the tenant's prefix. On the local runtime
(``voice_agent_allow_loopback``, which only ``local.runtime`` sets) the sandbox serves each
call's audio from a server on 127.0.0.1 (a short silent WAV), so ``make run`` copies a
recording exactly as production does. Anywhere else the sandbox names an address nothing
answers, and the copy refuses it. The server is started on first use, serves GET only,
runs in a daemon thread and ends with the process.
"""

from __future__ import annotations

import io
import threading
import wave
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Final

from gatehouse.config import get_settings

NOWHERE: Final = "https://recordings.sandbox.invalid"  # where no server answers
SAMPLE_RATE: Final = 8000
SECONDS: Final = 0.5

_lock = threading.Lock()
_server: ThreadingHTTPServer | None = None


def recording_url(call_id: str, name: str = "recording.wav") -> str:
    """The URL a sandbox call's event gives for its recording."""
    return f"{_base()}/{call_id}/{name}"


def silence() -> bytes:
    """Half a second of 8 kHz, 16-bit mono silence, as a WAV file."""
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(SAMPLE_RATE)
        audio.writeframes(b"\x00\x00" * int(SAMPLE_RATE * SECONDS))
    return out.getvalue()


class _Recordings(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        parts = self.path.split("?", 1)[0].strip("/").split("/")
        if len(parts) != 2 or not parts[1].endswith(".wav"):
            self.send_error(404)
            return
        body = silence()
        self.send_response(200)
        self.send_header("Content-Type", "audio/wav")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


def _base() -> str:
    global _server  # noqa: PLW0603 - one server per process, like the sandbox it serves
    if not get_settings().voice_agent_allow_loopback:
        return NOWHERE
    with _lock:
        if _server is None:
            _server = ThreadingHTTPServer(("127.0.0.1", 0), _Recordings)
            _server.daemon_threads = True
            threading.Thread(target=_server.serve_forever, name="sandbox-recordings", daemon=True).start()
        port = _server.server_address[1]
    return f"http://127.0.0.1:{port}"
