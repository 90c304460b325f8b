"""Capture every log line a test causes: the raw records, and the lines as the configured console
handler writes them (with the project's filters and format), from the root logger and from every
logger that does not propagate to it (such as "django")."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.utils.module_loading import import_string


class _ListHandler(logging.Handler):
    def __init__(self, sink: list[str], formatter: logging.Formatter) -> None:
        super().__init__(level=logging.DEBUG)
        self.sink = sink
        self.setFormatter(formatter)

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(self.format(record))


@dataclass
class LogCapture:
    raw: list[str] = field(default_factory=list)
    formatted: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join(self.raw + self.formatted)


def configured_console_handler(sink: list[str]) -> logging.Handler:
    """A handler that filters and formats like settings.LOGGING's console handler."""
    config = settings.LOGGING
    console = config["handlers"]["console"]
    handler = _ListHandler(
        sink, logging.Formatter(config["formatters"][console["formatter"]]["format"])
    )
    for name in console["filters"]:
        handler.addFilter(import_string(config["filters"][name]["()"])())
    return handler


@contextmanager
def capture_all_logs(*, sql: bool = True) -> Iterator[LogCapture]:
    """Everything at DEBUG, including each SQL statement with its parameters when `sql`."""
    captured = LogCapture()
    raw = _ListHandler(captured.raw, logging.Formatter("%(levelname)s %(name)s %(message)s"))
    formatted = configured_console_handler(captured.formatted)
    manager = logging.root.manager
    loggers = [logging.getLogger()] + [
        logger
        for logger in manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and not logger.propagate
    ]
    debug_too = [*loggers, logging.getLogger("django.db.backends")]
    levels = {logger: logger.level for logger in debug_too}
    for logger in loggers:
        # The raw handler first: the redacting filter of the other handlers rewrites the record.
        logger.handlers.insert(0, raw)
        logger.addHandler(formatted)
    for logger in debug_too:
        logger.setLevel(logging.DEBUG)
    forced = connection.force_debug_cursor
    connection.force_debug_cursor = sql
    try:
        yield captured
    finally:
        connection.force_debug_cursor = forced
        for logger, level in levels.items():
            logger.setLevel(level)
        for logger in loggers:
            logger.removeHandler(raw)
            logger.removeHandler(formatted)
