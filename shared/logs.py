"""Structured logs: one JSON object per line on stderr, with the request's context in every line.

Fields: `time`, `level`, `function`, `request_id`, `message`, plus whatever the call adds (`status`,
`duration_ms`, `user_id`, `organization_id`, ...). Keys that look like credentials are dropped, and values
are never taken from headers or bodies by the runtime. Warnings and errors logged during a request are also
collected so that the runtime can copy them to `public.system_logs` after the response is built.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

LOGGER_NAME = "odyssey"
_SENSITIVE = (
    "password",
    "secret",
    "token",
    "authorization",
    "apikey",
    "api_key",
    "cookie",
    "jwt",
    "card",
    "email",
)
_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


@dataclass
class LogContext:
    """What every log line of the current request carries, and the warnings/errors collected so far."""

    function: str
    request_id: str
    fields: dict[str, Any] = field(default_factory=dict)
    collected: list[logging.LogRecord] = field(default_factory=list)


_current: ContextVar[LogContext | None] = ContextVar("odyssey_log_context", default=None)


def current() -> LogContext | None:
    """The log context of the request being handled, if any."""
    return _current.get()


@contextmanager
def request_context(function: str, request_id: str) -> Iterator[LogContext]:
    """Bind `function` and `request_id` (and later fields) to every log line emitted inside the block."""
    ctx = LogContext(function=function, request_id=request_id)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def bind(**fields: Any) -> None:
    """Add fields (e.g. `organization_id=`, `user_id=`) to the current request's log lines."""
    ctx = _current.get()
    if ctx is not None:
        ctx.fields.update({k: v for k, v in fields.items() if not _is_sensitive(k)})


def _is_sensitive(key: str) -> bool:
    low = key.lower()
    return any(word in low for word in _SENSITIVE)


def _clean(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): ("[redacted]" if _is_sensitive(str(k)) else _clean(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON line with the request context and the record's `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the JSON line for `record` (exceptions become `error_type` and `stack`)."""
        out: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        ctx = getattr(record, "odyssey_ctx", None) or _current.get()
        if ctx is not None:
            out["function"] = ctx.function
            out["request_id"] = ctx.request_id
            out.update(ctx.fields)
        out["message"] = record.getMessage()
        for key, value in vars(record).items():
            if (
                key in _RESERVED
                or key.startswith("_")
                or key in ("odyssey_ctx", "no_system_log")
                or value is None
            ):
                continue
            out[key] = "[redacted]" if _is_sensitive(key) else _clean(value)
        if record.exc_info and record.exc_info[0] is not None:
            out["error_type"] = record.exc_info[0].__name__
            out["stack"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


class _Collector(logging.Handler):
    """Keeps warnings and errors of the current request for `public.system_logs`."""

    def emit(self, record: logging.LogRecord) -> None:
        ctx = _current.get()
        if (
            ctx is not None
            and record.levelno >= logging.WARNING
            and not getattr(record, "no_system_log", False)
        ):
            record.odyssey_ctx = ctx
            ctx.collected.append(record)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at emit time (Lambda, functions-framework and test capture swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


_configured = False


def configure(level: str = "INFO") -> logging.Logger:
    """Install the JSON handler on the `odyssey` logger once per process and return that logger."""
    global _configured
    logger = logging.getLogger(LOGGER_NAME)
    if not _configured:
        handler = _StderrHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
        logger.addHandler(_Collector(level=logging.WARNING))
        logger.propagate = False
        pool_logger = logging.getLogger("psycopg.pool")  # connection failures: JSON too, not in system_logs
        pool_logger.addHandler(handler)
        pool_logger.setLevel(logging.WARNING)
        pool_logger.propagate = False
        _configured = True
    logger.setLevel(level.upper())
    return logger


def get_logger(function: str) -> logging.Logger:
    """The logger for one function (`odyssey.<function>`); its lines go through the JSON handler."""
    configure()
    return logging.getLogger(f"{LOGGER_NAME}.{function}")
