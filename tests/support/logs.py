"""What the service logs during a test, formatted exactly as the functions' logs are."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from gatehouse.observability import logger


class JsonLines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logger.registered_formatter)
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))

    def text(self) -> str:
        return "\n".join(json.dumps(line) for line in self.lines)


@contextmanager
def service_logs() -> Iterator[JsonLines]:
    handler = JsonLines()
    logging.getLogger(logger.service).addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger(logger.service).removeHandler(handler)
