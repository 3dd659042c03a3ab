"""AWS's DynamoDB Local: one in-memory database on a free port, for the local runtime and the tests.

Owns finding the jar that ``npm ci`` installed (the ``amplify-dynamodb-simulator``
package pinned in package.json), starting it with ``-inMemory -sharedDb`` under a
watchdog that stops it when the process that started it ends, even by SIGKILL,
waiting until it answers, and stopping it. ``-sharedDb`` keeps one database for
every access key and region: without it each set of credentials sees its own,
empty one. Never creates tables (``local.aws`` does, from template.yaml).

DynamoDB Local has no option to choose its listening address: it listens on every
interface, on a port picked at random here; clients reach it on 127.0.0.1 only.

Run as a script, this file is the watchdog (standard library only, so it starts fast).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess  # nosec B404 # starts java with a fixed argument list, never a shell
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EMULATOR = ROOT / "node_modules" / "amplify-dynamodb-simulator" / "emulator"
ENDPOINT_ENV = "AWS_ENDPOINT_URL_DYNAMODB"  # botocore (so boto3 and PynamoDB) reads it per client
START_TIMEOUT_SECONDS = 120.0  # a cold JVM on a busy 2-core machine has taken 10 s
# C1 only: the JVM starts in about half the time, and these databases hold test-sized data.
JAVA_OPTIONS = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss1m")
_WATCH_INTERVAL_SECONDS = 0.5


class DynamoDBLocalMissing(RuntimeError):
    """The jar or java is not installed: ``make venv`` installs both."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _require_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise OSError(f"127.0.0.1:{port} is in use; choose another port (0 picks a free one)") from error


class DynamoDBLocal:
    """One DynamoDB Local process (with its watchdog), started and stopped by its owner."""

    def __init__(self, port: int = 0, log_path: Path | None = None) -> None:
        self.port = port
        self.log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> DynamoDBLocal:
        java = shutil.which("java")
        jar = EMULATOR / "DynamoDBLocal.jar"
        if java is None or not jar.is_file():
            raise DynamoDBLocalMissing(
                f"DynamoDB Local needs java and {jar.relative_to(ROOT)}: run `make venv` "
                "(npm ci, and Debian's default-jre-headless where java is absent)"
            )
        if self.port:
            _require_free(self.port)
        self.port = self.port or free_port()
        command = [
            java,
            *JAVA_OPTIONS,
            f"-Djava.library.path={EMULATOR / 'DynamoDBLocal_lib'}",
            "-jar",
            str(jar),
            "-inMemory",
            "-sharedDb",
            "-disableTelemetry",
            "-port",
            str(self.port),
        ]
        output = self.log_path.open("ab") if self.log_path else subprocess.DEVNULL
        try:
            # Its own process group, so stop() ends the watchdog and java together.
            self._process = subprocess.Popen(  # noqa: S603  # nosec B603 # fixed argument list, no shell
                [sys.executable, __file__, str(os.getpid()), *command],
                cwd=EMULATOR,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            if self.log_path:
                output.close()  # type: ignore[union-attr]
        try:
            self._wait_until_listening()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        for sent in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(process.pid, sent)
            except ProcessLookupError:
                break
            try:
                process.wait(timeout=10)
                break
            except subprocess.TimeoutExpired:
                continue

    def __enter__(self) -> DynamoDBLocal:
        return self if self.running else self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                where = f"; see {self.log_path}" if self.log_path else ""
                raise RuntimeError(f"DynamoDB Local exited while starting on port {self.port}{where}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"DynamoDB Local did not listen on 127.0.0.1:{self.port} in time")


def _watch(parent: int, command: list[str]) -> int:
    """Run ``command`` until it exits, this process is told to stop, or ``parent`` is gone."""
    child = subprocess.Popen(command)  # noqa: S603  # nosec B603 # the argument list DynamoDBLocal.start built
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # A dead parent's children are handed to another process: the parent id changes.
    while child.poll() is None and not stopping and os.getppid() == parent:
        time.sleep(_WATCH_INTERVAL_SECONDS)
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
    return child.wait()


if __name__ == "__main__":
    raise SystemExit(_watch(int(sys.argv[1]), sys.argv[2:]))
