"""The error tree of the runtime. Every HTTP-facing error carries its status and becomes a problem document.

    OdysseyError (500)                       base: status, code, title, detail, headers, extra members
    ├── BadRequestError (400)
    │   └── InvalidJsonError (400)           the body is not parseable JSON
    ├── UnauthorizedError (401)              carries a WWW-Authenticate challenge
    ├── ForbiddenError (403)
    ├── NotFoundError (404)
    ├── MethodNotAllowedError (405)          carries Allow
    ├── ConflictError (409)
    ├── PayloadTooLargeError (413)
    ├── UnsupportedMediaTypeError (415)
    ├── RequestValidationError (422)         lists the failing fields
    └── ServiceUnavailableError (503)        carries Retry-After
        └── DatabaseUnavailableError (503)   pool exhausted, database unreachable, statement timeout

    ConfigurationError                       not HTTP: a function is misconfigured; raised at cold start

Errors are turned into `application/problem+json` responses (RFC 9457) in exactly one place:
`shared.http.problem_response`. Anything that is not an `OdysseyError` becomes a 500 that shows only the
request id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

PROBLEM_TYPE_PREFIX = "urn:odyssey:problem:"


class ConfigurationError(RuntimeError):
    """A function's settings are missing or invalid. Raised at cold start; the message names variables only."""


class OdysseyError(Exception):
    """An error with an HTTP status. Subclasses fix `status`, `code` and `title`; `detail` is per instance.

    `detail` is shown to the caller, so it must never contain secrets or personal data. `extra` adds members
    to the problem document (e.g. `errors` for validation failures); `headers` are added to the response.
    """

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal"
    title: ClassVar[str] = "Internal Server Error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.headers: dict[str, str] = dict(headers or {})
        self.extra: dict[str, Any] = dict(extra or {})

    @property
    def type_uri(self) -> str:
        """The problem type as a URI (`urn:odyssey:problem:<code>`)."""
        return PROBLEM_TYPE_PREFIX + self.code


class BadRequestError(OdysseyError):
    """The request is malformed in a way that is not a body-validation failure."""

    status = 400
    code = "bad-request"
    title = "Bad Request"


class InvalidJsonError(BadRequestError):
    """The body could not be parsed as JSON (body *validation* failures are 422 instead)."""

    code = "invalid-json"
    title = "Malformed JSON body"


class UnauthorizedError(OdysseyError):
    """No credential, or a credential that is not valid. Always answered with a WWW-Authenticate challenge."""

    status = 401
    code = "unauthorized"
    title = "Unauthorized"

    def __init__(self, detail: str | None = None, *, error: str | None = "invalid_token") -> None:
        challenge = 'Bearer realm="odyssey"'
        if error:
            # RFC 6750 §3: the description must not contain a double quote or a backslash
            safe = (detail or self.title).replace('"', "'").replace("\\", "/")
            challenge += f', error="{error}", error_description="{safe}"'
        super().__init__(detail, headers={"WWW-Authenticate": challenge})


class ForbiddenError(OdysseyError):
    """The caller is known but may not do this."""

    status = 403
    code = "forbidden"
    title = "Forbidden"


class NotFoundError(OdysseyError):
    """The resource does not exist (or the caller may not know that it does)."""

    status = 404
    code = "not-found"
    title = "Not Found"


class MethodNotAllowedError(OdysseyError):
    """The function does not answer this HTTP method; `Allow` lists the ones it does."""

    status = 405
    code = "method-not-allowed"
    title = "Method Not Allowed"

    def __init__(self, method: str, allowed: Sequence[str]) -> None:
        super().__init__(
            f"{method} is not supported; use {', '.join(allowed)}",
            headers={"Allow": ", ".join(allowed)},
            extra={"allowed": list(allowed)},
        )


class ConflictError(OdysseyError):
    """The request conflicts with the current state (duplicate, concurrent change)."""

    status = 409
    code = "conflict"
    title = "Conflict"


class PayloadTooLargeError(OdysseyError):
    """The body exceeds the function's configured limit."""

    status = 413
    code = "payload-too-large"
    title = "Payload Too Large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"the body exceeds the limit of {limit} bytes", extra={"limit_bytes": limit})


class UnsupportedMediaTypeError(OdysseyError):
    """The body's Content-Type is not one the function accepts."""

    status = 415
    code = "unsupported-media-type"
    title = "Unsupported Media Type"

    def __init__(self, got: str | None, accepted: Sequence[str]) -> None:
        super().__init__(
            f"Content-Type {got or '(none)'} is not accepted; send {', '.join(accepted)}",
            extra={"accepted": list(accepted)},
        )


class RequestValidationError(OdysseyError):
    """The body (or query) parsed but does not match the declared model. `errors` lists every failing field."""

    status = 422
    code = "validation-failed"
    title = "Validation Failed"

    def __init__(self, errors: Sequence[Mapping[str, Any]], detail: str | None = None) -> None:
        fields = ", ".join(str(e.get("field")) for e in errors) or "the body"
        super().__init__(detail or f"invalid field(s): {fields}", extra={"errors": [dict(e) for e in errors]})

    @classmethod
    def from_pydantic(cls, exc: Any) -> RequestValidationError:
        """Build from a `pydantic.ValidationError`, keeping field paths and messages but never the input."""
        errors = []
        for err in exc.errors(include_url=False, include_input=False, include_context=False):
            loc = [str(p) for p in err.get("loc", ())]
            errors.append(
                {
                    "field": ".".join(loc) or "(body)",
                    "message": err.get("msg", ""),
                    "type": err.get("type", ""),
                }
            )
        return cls(errors)


class ServiceUnavailableError(OdysseyError):
    """A dependency is unavailable right now; the caller should retry after `retry_after` seconds."""

    status = 503
    code = "service-unavailable"
    title = "Service Unavailable"

    def __init__(self, detail: str | None = None, *, retry_after: int = 1) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class DatabaseUnavailableError(ServiceUnavailableError):
    """The database could not serve the request: pool exhausted, unreachable, or the statement timed out."""

    code = "database-unavailable"
    title = "Database Unavailable"
