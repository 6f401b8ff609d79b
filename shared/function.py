"""The handler decorator: one pipeline that every adapter (functions-framework, Lambda, gateway) runs.

    @function(name="greet", methods=("POST",), auth="user", request_model=GreetIn, response_model=GreetOut)
    def greet(call: Call) -> GreetOut: ...

The decorator loads the function's settings at import time (cold start: a missing variable raises
`ConfigurationError` naming it) and returns a plain Python function that functions-framework can serve
(`--target greet`); `entry.endpoint` is the framework-neutral `Endpoint`, and `shared.lambda_adapter`
turns it into an AWS Lambda handler.

The pipeline, in order: request id → CORS preflight → 405 → 413 → 415 → authentication (401/403) →
JSON parse (400) → model validation (422) → the handler → response (model/dict → JSON, None → 204) →
X-Request-Id, CORS headers → one JSON log line → warnings/errors copied to public.system_logs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from shared import logs
from shared.errors import (
    DatabaseUnavailableError,
    MethodNotAllowedError,
    OdysseyError,
    PayloadTooLargeError,
    RequestValidationError,
    UnsupportedMediaTypeError,
)
from shared.http import (
    REQUEST_ID_HEADER,
    CorsPolicy,
    Headers,
    Request,
    Response,
    accept_request_id,
    is_preflight,
    problem_response,
)
from shared.principal import AuthMode, Principal
from shared.settings import SERVICE_AUTH, USER_AUTH, FunctionSettings, load_settings

if TYPE_CHECKING:
    from pydantic import BaseModel

    from shared.auth import Authenticator, HttpGet
    from shared.db import Database

S = TypeVar("S", bound=FunctionSettings)
Handler = Callable[["Call[Any]"], Any]


@dataclass
class Call(Generic[S]):
    """What a handler receives: the request, its settings, the caller, the validated body, a logger, the db."""

    request: Request
    settings: S
    principal: Principal
    body: Any
    log: logging.Logger
    endpoint: Endpoint
    _db: Database | None = field(default=None, repr=False)

    @property
    def request_id(self) -> str:
        """The request id (echoed as X-Request-Id, in every log line, and the system_logs correlation id)."""
        return self.request.request_id

    @property
    def db(self) -> Database:
        """The function's database; `as_user()` uses this caller's claims by default."""
        if self._db is None:
            from shared.db import Database

            claims = dict(self.principal.claims) if self.principal.kind == "user" else None
            self._db = Database(self.settings, claims)
        return self._db

    def bind(self, **fields: Any) -> None:
        """Add fields to this request's log lines (e.g. `organization_id=7`); never secrets or personal data."""
        logs.bind(**fields)


class Endpoint:
    """One function: its declaration, its settings (loaded at cold start) and the request pipeline."""

    def __init__(
        self,
        handler: Handler,
        *,
        name: str,
        methods: Sequence[str],
        auth: AuthMode,
        request_model: type[BaseModel] | None,
        response_model: type[BaseModel] | None,
        settings_cls: type[FunctionSettings],
        cors: bool,
        max_body_bytes: int | None,
        content_types: Sequence[str],
        status_code: int,
        summary: str | None,
        schedule_method: str | None,
        responses: Mapping[int, type[BaseModel] | str] | None = None,
        http_get: HttpGet | None = None,
        settings: FunctionSettings | None = None,
    ) -> None:
        self.handler = handler
        self.name = name
        self.methods = tuple(m.upper() for m in methods)
        self.auth: AuthMode = auth
        self.request_model = request_model
        self.response_model = response_model
        self.settings_cls = settings_cls
        self.cors = cors
        self.content_types = tuple(content_types)
        self.status_code = status_code
        self.responses: dict[int, type[BaseModel] | str] = dict(responses or {})
        self.summary = summary or (handler.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ") or name
        self.description = (handler.__doc__ or "").strip()
        self.schedule_method = (
            schedule_method or ("POST" if "POST" in self.methods else self.methods[0])
        ).upper()
        needs: tuple[str, ...] = ()
        if auth in ("user", "user_or_service"):
            needs += USER_AUTH
        if auth in ("service",):
            needs += SERVICE_AUTH
        self.settings = settings or load_settings(settings_cls, function=name, also_required=needs)
        self.max_body_bytes = max_body_bytes or self.settings.max_body_bytes
        self.log = logs.configure(self.settings.log_level).getChild(name)
        self.cors_policy = CorsPolicy(tuple(self.settings.cors_origins)) if cors else None
        self.authenticator: Authenticator | None = None
        if auth != "public":
            from shared.auth import Authenticator  # PyJWT/cryptography only for functions that authenticate

            self.authenticator = Authenticator(self.settings, http_get)

    @property
    def kebab_name(self) -> str:
        """The deployed name (`run_payroll` → `run-payroll`)."""
        return self.name.replace("_", "-")

    # -- the pipeline -----------------------------------------------------------------------------------

    def handle(self, request: Request, failure: OdysseyError | None = None) -> Response:
        """Run one request through the pipeline. Never raises: every failure becomes a problem response.

        `failure`: what an adapter found wrong with the native request while building `request` (e.g. a body
        that does not decode); it is answered, with the request id, CORS headers and the log line, instead of
        running the handler.
        """
        started = time.perf_counter()
        request.request_id = accept_request_id(request.headers.get(REQUEST_ID_HEADER))
        db_down = False
        with logs.request_context(self.name, request.request_id) as ctx:
            try:
                if failure is not None:
                    raise failure
                response = self._dispatch(request)
            except Exception as exc:  # noqa: BLE001 - the one place errors become responses
                db_down = isinstance(exc, DatabaseUnavailableError)
                response = self._failure(exc, request)
            response.headers.set(REQUEST_ID_HEADER, request.request_id)
            if self.cors_policy is not None and not is_preflight(request):
                self.cors_policy.decorate(request, response)
            duration = round((time.perf_counter() - started) * 1000, 2)
            self.log.log(
                _level(response.status),
                "request handled",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status,
                    "duration_ms": duration,
                    "trigger": request.trigger,
                    "no_system_log": True,
                },
            )
            if ctx.collected and not db_down:
                from shared import system_log

                system_log.write(self.settings, ctx, ctx.collected)
        return response

    def _failure(self, exc: Exception, request: Request) -> Response:
        if isinstance(exc, OdysseyError):
            if exc.status >= 500:
                self.log.warning("request failed: %s", exc.detail, extra={"error_code": exc.code})
            else:
                self.log.info("request rejected: %s", exc.code, extra={"error_code": exc.code})
        else:
            self.log.error("unhandled %s", type(exc).__name__, exc_info=exc)
        return problem_response(exc, request.request_id)

    def _dispatch(self, request: Request) -> Response:
        if self.cors_policy is not None and is_preflight(request):
            return self.cors_policy.preflight(request, self.methods)
        head = request.method == "HEAD" and "GET" in self.methods and "HEAD" not in self.methods
        if head:  # answered like GET, without the body (monitors and load balancers use HEAD)
            request.method = "GET"
        if request.method not in self.methods:
            raise MethodNotAllowedError(request.method, self.methods)
        if (request.content_length or 0) > self.max_body_bytes or len(request.body) > self.max_body_bytes:
            raise PayloadTooLargeError(self.max_body_bytes)
        if request.body and self.content_types and request.content_type not in self.content_types:
            raise UnsupportedMediaTypeError(request.content_type, self.content_types)
        principal = self._authenticate(request)
        logs.bind(caller=principal.kind)
        if principal.user_id is not None:
            logs.bind(user_id=str(principal.user_id))
        if principal.organization_id is not None:
            logs.bind(organization_id=principal.organization_id)
        body: Any = None
        if self.request_model is not None:
            from pydantic import ValidationError

            data = request.json()
            try:
                body = self.request_model.model_validate(data)
            except ValidationError as exc:
                raise RequestValidationError.from_pydantic(exc) from None
        call: Call[Any] = Call(request, self.settings, principal, body, self.log, self)
        response = self._render(self.handler(call))
        if head:
            request.method = "HEAD"
            response.headers.set("Content-Length", str(len(response.body)))
            response.body = b""
        return response

    def _authenticate(self, request: Request) -> Principal:
        if request.trigger == "schedule":
            # only the cloud provider can deliver a scheduled event (IAM-invoked, never over a URL)
            if self.auth == "user":
                from shared.errors import ForbiddenError

                raise ForbiddenError("this function acts on behalf of a signed-in user")
            return Principal.service("trusted_event")
        if self.authenticator is None:
            return Principal.anonymous()
        return self.authenticator.authenticate(request.headers, self.auth)

    def _render(self, result: Any) -> Response:
        if isinstance(result, Response):
            return result
        if result is None:
            return Response.empty(204)
        return Response.json(result, status=self.status_code)

    # -- conveniences -----------------------------------------------------------------------------------

    def with_settings(self, settings: FunctionSettings, http_get: HttpGet | None = None) -> Endpoint:
        """A copy of this endpoint with other settings (tests and tooling)."""
        return Endpoint(
            self.handler,
            name=self.name,
            methods=self.methods,
            auth=self.auth,
            request_model=self.request_model,
            response_model=self.response_model,
            settings_cls=self.settings_cls,
            cors=self.cors,
            max_body_bytes=self.max_body_bytes
            if self.max_body_bytes != self.settings.max_body_bytes
            else None,
            content_types=self.content_types,
            status_code=self.status_code,
            summary=self.summary,
            schedule_method=self.schedule_method,
            responses=self.responses,
            http_get=http_get,
            settings=settings,
        )

    def flask_view(self, flask_request: Any) -> tuple[bytes, int, list[tuple[str, str]]]:
        """Serve a functions-framework (Flask) request; returns Flask's (body, status, headers) tuple."""
        length = flask_request.content_length
        body = (
            b"" if (length or 0) > self.max_body_bytes else flask_request.stream.read(self.max_body_bytes + 1)
        )
        request = Request(
            method=flask_request.method.upper(),
            path=flask_request.path or "/",
            headers=Headers(list(flask_request.headers.items())),
            query_string=flask_request.query_string.decode("latin-1"),
            body=body,
            content_length=length,
            remote_addr=flask_request.remote_addr,
        )
        response = self.handle(request)
        return response.body, response.status, response.headers.items()


def _level(status: int) -> int:
    """Log level of the per-request line: 503 is a warning (transient), other 5xx errors, the rest info."""
    if status == 503:
        return logging.WARNING
    return logging.ERROR if status >= 500 else logging.INFO


def function(
    *,
    name: str | None = None,
    methods: Sequence[str] = ("POST",),
    auth: AuthMode = "user",
    request_model: type[BaseModel] | None = None,
    response_model: type[BaseModel] | None = None,
    settings: type[FunctionSettings] = FunctionSettings,
    cors: bool = False,
    max_body_bytes: int | None = None,
    content_types: Sequence[str] = ("application/json",),
    status_code: int = 200,
    summary: str | None = None,
    schedule_method: str | None = None,
    responses: Mapping[int, type[BaseModel] | str] | None = None,
) -> Callable[[Handler], Callable[[Any], Any]]:
    """Declare a function. Returns a decorator producing functions-framework's target (a plain function).

    `auth` is "public", "user" (Supabase user JWT), "service" (service credential) or "user_or_service".
    `request_model`/`response_model` are pydantic models (validated body; OpenAPI). `settings` is the
    function's `FunctionSettings` subclass, loaded now — `ConfigurationError` if something is missing.
    `cors=True` answers preflights for the origins in ODYSSEY_CORS_ORIGINS. `max_body_bytes` overrides
    ODYSSEY_MAX_BODY_BYTES; `content_types` lists accepted body media types (empty: any). `responses`
    documents other answers in OpenAPI: status → a pydantic model of the body, or a description.
    `schedule_method` is the method a scheduled (EventBridge) invocation is run as (default POST or the first).
    """

    def decorate(handler: Handler) -> Callable[[Any], Any]:
        endpoint = Endpoint(
            handler,
            name=name or handler.__name__,
            methods=methods,
            auth=auth,
            request_model=request_model,
            response_model=response_model,
            settings_cls=settings,
            cors=cors,
            max_body_bytes=max_body_bytes,
            content_types=content_types,
            status_code=status_code,
            summary=summary,
            schedule_method=schedule_method,
            responses=responses,
        )

        def entry(request: Any) -> Any:
            return endpoint.flask_view(request)

        entry.__name__ = handler.__name__
        entry.__qualname__ = handler.__qualname__
        entry.__doc__ = handler.__doc__
        entry.__module__ = handler.__module__
        entry.endpoint = endpoint  # type: ignore[attr-defined]
        return entry

    return decorate


def endpoint_of(entry: Any) -> Endpoint:
    """The `Endpoint` behind a decorated function (or the endpoint itself)."""
    if isinstance(entry, Endpoint):
        return entry
    ep = getattr(entry, "endpoint", None)
    if not isinstance(ep, Endpoint):
        raise TypeError(f"{entry!r} is not an ODYSSEY function (decorate it with shared.function.function)")
    return ep
