"""Framework-neutral HTTP objects: `Request`, `Response`, `Headers`, problem documents, request ids, CORS.

Every adapter (functions-framework, AWS Lambda, the local gateway) turns its native request into a
`Request` and a `Response` back into its native shape; nothing else in the runtime knows which one runs.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Literal
from urllib.parse import parse_qs

from shared.errors import InvalidJsonError, OdysseyError

PROBLEM_JSON = "application/problem+json"
JSON = "application/json"
REQUEST_ID_HEADER = "X-Request-Id"
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{7,127}$")
_REQUEST_ID_NAMESPACE = uuid.UUID("6f1c9a52-3c43-4b6e-9d2a-7d0a9e3f11b0")

Trigger = Literal["http", "schedule", "invoke"]


class Headers:
    """Case-insensitive, multi-valued header collection that keeps the original order."""

    def __init__(self, items: Iterable[tuple[str, str]] | Mapping[str, str] | None = None) -> None:
        self._items: list[tuple[str, str]] = []
        if items is not None:
            pairs = items.items() if isinstance(items, Mapping) else items
            for k, v in pairs:
                self.add(k, v)

    def add(self, name: str, value: str) -> None:
        """Append a header (keeps existing ones with the same name)."""
        self._items.append((str(name), str(value)))

    def set(self, name: str, value: str) -> None:
        """Replace every header called `name` by one with `value`."""
        self.remove(name)
        self.add(name, value)

    def setdefault(self, name: str, value: str) -> None:
        """Set `name` only when it is not present yet."""
        if name not in self:
            self.add(name, value)

    def remove(self, name: str) -> None:
        """Drop every header called `name`."""
        low = name.lower()
        self._items = [(k, v) for k, v in self._items if k.lower() != low]

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of `name`, or `default`."""
        low = name.lower()
        for k, v in self._items:
            if k.lower() == low:
                return v
        return default

    def get_all(self, name: str) -> list[str]:
        """Every value of `name`, in order."""
        low = name.lower()
        return [v for k, v in self._items if k.lower() == low]

    def items(self) -> list[tuple[str, str]]:
        """All (name, value) pairs in order."""
        return list(self._items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:  # never print values: they may hold credentials
        return f"Headers({sorted({k.lower() for k, _ in self._items})})"


@dataclass
class Request:
    """One invocation as the runtime sees it. `path` is below the function's root and starts with '/'."""

    method: str
    path: str = "/"
    headers: Headers = field(default_factory=Headers)
    query_string: str = ""
    body: bytes = b""
    trigger: Trigger = "http"
    remote_addr: str | None = None
    request_id: str = ""
    content_length: int | None = None

    @property
    def query(self) -> dict[str, list[str]]:
        """The query string parsed into lists of values."""
        return parse_qs(self.query_string, keep_blank_values=True)

    @property
    def content_type(self) -> str | None:
        """The media type of the body without parameters, lower-cased (e.g. 'application/json')."""
        raw = self.headers.get("Content-Type")
        if not raw:
            return None
        return raw.split(";", 1)[0].strip().lower() or None

    def json(self) -> Any:
        """The body parsed as JSON (an empty body is `{}`); raises `InvalidJsonError` (400) when unparseable.

        Numbers with a fraction or an exponent become `Decimal`, never float, so amounts arrive exactly
        (float fields still accept them); integers stay `int`.
        """
        if not self.body.strip():
            return {}
        try:
            return json.loads(self.body, parse_float=_json_decimal)
        except (
            ValueError,
            UnicodeDecodeError,
            RecursionError,
        ) as exc:  # RecursionError: absurdly deep nesting
            raise InvalidJsonError(f"the body is not valid JSON: {type(exc).__name__}") from None


# as Python's limit on int digits: 1E+10000000 would otherwise become a huge int in an int field
_MAX_JSON_EXPONENT = 4300


def _json_decimal(text: str) -> Decimal:
    value = Decimal(text)
    if not -_MAX_JSON_EXPONENT <= value.adjusted() <= _MAX_JSON_EXPONENT:
        raise ValueError("a number's exponent is out of range")
    return value


@dataclass
class Response:
    """A status, headers and a body in bytes. Use `Response.json(...)` for JSON bodies."""

    status: int = 200
    body: bytes = b""
    headers: Headers = field(default_factory=Headers)

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
        """A JSON response; pydantic models are dumped in JSON mode (Decimal as string, datetimes ISO-8601)."""
        resp = cls(status=status, body=dumps(data), headers=Headers(headers or {}))
        resp.headers.setdefault("Content-Type", JSON)
        return resp

    @classmethod
    def empty(cls, status: int = 204, headers: Mapping[str, str] | None = None) -> Response:
        """A response without a body."""
        return cls(status=status, headers=Headers(headers or {}))

    def json_body(self) -> Any:
        """The body parsed as JSON (for tests and tooling)."""
        return json.loads(self.body) if self.body else None


def _default(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(data: Any) -> bytes:
    """Serialise to compact UTF-8 JSON. Money stays exact: Decimal becomes a string, never a float."""
    if hasattr(data, "model_dump_json"):
        return str(data.model_dump_json(by_alias=True)).encode()
    return json.dumps(data, default=_default, separators=(",", ":"), ensure_ascii=False).encode()


def ascii_int(text: str | None, max_digits: int = 18) -> int | None:
    """The non-negative int that `text` spells in ASCII digits, at most `max_digits` of them (so that it fits a
    bigint), or None. `str.isdigit()` alone also accepts '²', which `int()` then refuses, and other scripts'
    digits, which `int()` reads: neither belongs in a header, an id or a timestamp."""
    if not text or len(text) > max_digits or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def accept_request_id(value: str | None) -> str:
    """The caller's X-Request-Id when it is sane (8–128 chars of [A-Za-z0-9._:-]), otherwise a new UUID."""
    if value and _REQUEST_ID_RE.fullmatch(value):  # not match(): `$` also matches before a final "\n"
        return value
    return str(uuid.uuid4())


def correlation_uuid(request_id: str) -> uuid.UUID:
    """The request id as a UUID for `system_logs.correlation_id`: itself if it is one, else a stable UUIDv5."""
    try:
        return uuid.UUID(request_id)
    except ValueError:
        return uuid.uuid5(_REQUEST_ID_NAMESPACE, request_id)


def problem_response(exc: BaseException, request_id: str, instance: str | None = None) -> Response:
    """Render any exception as an RFC 9457 problem document. Unknown exceptions show only the request id."""
    if isinstance(exc, OdysseyError):
        body: dict[str, Any] = {
            "type": exc.type_uri,
            "title": exc.title,
            "status": exc.status,
            "detail": exc.detail,
            "code": exc.code,
        }
        body.update(exc.extra)
        status, headers = exc.status, dict(exc.headers)
    else:
        body = {
            "type": "urn:odyssey:problem:internal",
            "title": "Internal Server Error",
            "status": 500,
            "detail": f"unexpected error; quote request id {request_id}",
            "code": "internal",
        }
        status, headers = 500, {}
    if instance:
        body["instance"] = instance
    body["request_id"] = request_id
    resp = Response(status=status, body=dumps(body), headers=Headers(headers))
    resp.headers.set("Content-Type", PROBLEM_JSON)
    return resp


@dataclass(frozen=True)
class CorsPolicy:
    """Which browser origins may call a function. `*` in `origins` allows any origin (without credentials)."""

    origins: tuple[str, ...]
    allow_headers: tuple[str, ...] = (
        "authorization",
        "content-type",
        "x-request-id",
        "apikey",
        "x-client-info",
    )
    expose_headers: tuple[str, ...] = ("x-request-id", "retry-after")
    max_age: int = 600

    def allowed(self, origin: str | None) -> str | None:
        """The value for Access-Control-Allow-Origin, or None when `origin` is not allowed."""
        if not origin:
            return None
        if origin in self.origins:
            return origin
        if "*" in self.origins:
            return "*"
        return None

    def preflight(self, request: Request, methods: Iterable[str]) -> Response:
        """Answer an OPTIONS preflight: 204 with the CORS headers, or 204 without them for a foreign origin."""
        resp = Response.empty(204)
        allow = self.allowed(request.headers.get("Origin"))
        resp.headers.add("Vary", "Origin")
        if allow is not None:
            resp.headers.add("Access-Control-Allow-Origin", allow)
            resp.headers.add("Access-Control-Allow-Methods", ", ".join([*methods, "OPTIONS"]))
            resp.headers.add("Access-Control-Allow-Headers", ", ".join(self.allow_headers))
            resp.headers.add("Access-Control-Max-Age", str(self.max_age))
        return resp

    def decorate(self, request: Request, response: Response) -> None:
        """Add the CORS headers of an actual (non-preflight) response."""
        allow = self.allowed(request.headers.get("Origin"))
        response.headers.add("Vary", "Origin")
        if allow is not None:
            response.headers.set("Access-Control-Allow-Origin", allow)
            response.headers.set("Access-Control-Expose-Headers", ", ".join(self.expose_headers))


def is_preflight(request: Request) -> bool:
    """Whether the request is a CORS preflight (OPTIONS with Origin and Access-Control-Request-Method)."""
    return (
        request.method == "OPTIONS"
        and "Origin" in request.headers
        and "Access-Control-Request-Method" in request.headers
    )
