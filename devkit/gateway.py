"""The local gateway: every function under `/functions/v1/<kebab-name>`, as Supabase serves them.

    odyssey serve [--port 54321] [--reload] [--database-url URL]   serve all functions + OpenAPI
    odyssey token --email E [--expires-in S]                        a dev JWT for a seeded user
    odyssey invoke <name> [--data JSON] [--method M]                call a function as the service

Functions are discovered by scanning `functions/*/main.py`; each module exposes decorated functions
(`shared.function.function`). The OpenAPI document is at `/functions/v1/openapi.json`; an empty JWKS is
served at `/auth/v1/.well-known/jwks.json` (local tokens are HS256 with the dev secret, see devkit.tokens).
A function that fails to load (e.g. a missing setting) is answered with a 503 problem that says why.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import itertools
import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from devkit import tokens
from shared.errors import NotFoundError, ServiceUnavailableError
from shared.function import Endpoint
from shared.http import Headers, Request, Response, accept_request_id, ascii_int, dumps, problem_response

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = ROOT / "functions"
PREFIX = "/functions/v1"
DEFAULT_PORT = 54321

_fresh = itertools.count()
StartResponse = Callable[..., Any]


def discover(functions_dir: Path = FUNCTIONS_DIR) -> list[Path]:
    """Every `functions/<name>/main.py`, sorted by name (folders starting with '_' or '.' are skipped)."""
    return sorted(p for p in functions_dir.glob("*/main.py") if not p.parent.name.startswith(("_", ".")))


def load_module(main_py: Path, *, fresh: bool = False) -> ModuleType:
    """Import a function's main.py: by package path when it lives in functions/, else from its file.

    `fresh=True` executes the file again under a new module name, so the settings are read from the
    environment as it is now (tests).
    """
    main_py = main_py.resolve()
    if not fresh and main_py.parent.parent == FUNCTIONS_DIR.resolve():
        return importlib.import_module(f"functions.{main_py.parent.name}.main")
    name = f"_odyssey_fn_{main_py.parent.name}_{next(_fresh)}"
    spec = importlib.util.spec_from_file_location(name, main_py)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {main_py}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def endpoints_in(module: ModuleType) -> list[Endpoint]:
    """The endpoints a loaded module declares (each decorated function once)."""
    found: dict[int, Endpoint] = {}
    for value in vars(module).values():
        ep = getattr(value, "endpoint", None)
        if isinstance(ep, Endpoint):
            found.setdefault(id(ep), ep)
    return list(found.values())


class Gateway:
    """A WSGI application routing `/functions/v1/<kebab-name>[/...]` to the endpoints."""

    def __init__(self, endpoints: Iterable[Endpoint], failures: Mapping[str, str] | None = None) -> None:
        self.endpoints = {ep.kebab_name: ep for ep in endpoints}
        self.failures = dict(failures or {})

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI 3.1 document for every loaded function."""
        from shared import openapi

        return openapi.build(self.endpoints.values())

    def route(self, environ: Mapping[str, Any]) -> Response:
        """Dispatch one WSGI request; never raises."""
        path = environ.get("PATH_INFO") or "/"
        headers = _headers(environ)
        if path in (f"{PREFIX}/openapi.json", f"{PREFIX}/openapi.json/"):
            return Response.json(self.openapi())
        if path == "/auth/v1/.well-known/jwks.json":
            return Response.json({"keys": []})
        if path.startswith(PREFIX + "/"):
            name, _, rest = path[len(PREFIX) + 1 :].partition("/")
            ep = self.endpoints.get(name)
            if ep is not None:
                return ep.handle(_request(environ, headers, "/" + rest, ep.max_body_bytes))
            if name in self.failures:
                rid = accept_request_id(headers.get("X-Request-Id"))
                return problem_response(
                    ServiceUnavailableError(f"{name} failed to load: {self.failures[name]}"), rid
                )
        rid = accept_request_id(headers.get("X-Request-Id"))
        return problem_response(NotFoundError(f"no function at {path}; see {PREFIX}/openapi.json"), rid)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        response = self.route(environ)
        reason = _REASONS.get(response.status, "Status")
        hdrs = response.headers.items()
        if not any(k.lower() == "content-length" for k, _ in hdrs):
            hdrs.append(("Content-Length", str(len(response.body))))
        start_response(f"{response.status} {reason}", hdrs)
        return [response.body]


_REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def _headers(environ: Mapping[str, Any]) -> Headers:
    headers = Headers()
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers.add(key[5:].replace("_", "-").title(), value)
    if environ.get("CONTENT_TYPE"):
        headers.add("Content-Type", environ["CONTENT_TYPE"])
    if environ.get("CONTENT_LENGTH"):
        headers.add("Content-Length", environ["CONTENT_LENGTH"])
    return headers


def _request(environ: Mapping[str, Any], headers: Headers, path: str, limit: int) -> Request:
    raw_length = str(environ.get("CONTENT_LENGTH") or "")
    length = ascii_int(raw_length)
    body = b""
    if length and length <= limit:
        body = environ["wsgi.input"].read(length)
    elif length is None and environ.get("wsgi.input_terminated"):  # chunked: read at most one byte too many
        body = environ["wsgi.input"].read(limit + 1)
    return Request(
        method=str(environ.get("REQUEST_METHOD", "GET")).upper(),
        path=path,
        headers=headers,
        query_string=str(environ.get("QUERY_STRING", "")),
        body=body,
        content_length=length,
        remote_addr=environ.get("REMOTE_ADDR"),
    )


def build(functions_dir: Path = FUNCTIONS_DIR, *, fresh: bool = False) -> Gateway:
    """Load every function under `functions_dir` and return the gateway serving them."""
    endpoints: list[Endpoint] = []
    failures: dict[str, str] = {}
    for main_py in discover(functions_dir):
        kebab = main_py.parent.name.replace("_", "-")
        try:
            endpoints += endpoints_in(load_module(main_py, fresh=fresh))
        except Exception as exc:  # noqa: BLE001 - report and keep serving the others
            failures[kebab] = f"{type(exc).__name__}: {exc}"
    return Gateway(endpoints, failures)


def apply_dev_environment(database_url: str, port: int) -> None:
    """Set the local environment for the functions (values already set in the environment win)."""
    for key, value in tokens.dev_environment(database_url, port).items():
        os.environ.setdefault(key, value)
    os.environ["SUPABASE_DB_URL"] = database_url


def _first_user(database_url: str, email: str | None = None) -> tuple[str, str | None, dict[str, Any]] | None:
    import psycopg

    with psycopg.connect(database_url, connect_timeout=3) as conn:
        if email is None:
            row = conn.execute(
                "select id::text, email, coalesce(raw_app_meta_data, '{}'::jsonb) from auth.users"
                " where deleted_at is null order by created_at, id limit 1"
            ).fetchone()
        else:
            row = conn.execute(
                "select id::text, email, coalesce(raw_app_meta_data, '{}'::jsonb) from auth.users"
                " where lower(email) = lower(%s) and deleted_at is null",
                (email,),
            ).fetchone()
    return (row[0], row[1], dict(row[2])) if row else None


def user_token(database_url: str, email: str | None = None, expires_in: int = 3600) -> str | None:
    """A dev token for the seeded user with `email` (or the first seeded user); None when there is none."""
    found = _first_user(database_url, email)
    if found is None:
        return None
    sub, mail, app_meta = found
    return tokens.mint(sub, email=mail, app_metadata=app_meta or None, expires_in=expires_in)


SERVER_THREADS = 4  # worker threads of the gateway's server; the default database pool has 4 connections


def make_server(app: Gateway, port: int, *, threads: int = SERVER_THREADS) -> Any:
    """A waitress server for `app` on 127.0.0.1:`port` (0: any free port; see `.effective_port`).

    Waitress keeps HTTP/1.1 connections alive and runs requests on a fixed pool of threads, as a deployed
    function URL does; werkzeug's development server closes every connection and starts a thread per
    connection. `.run()` serves until `.close()`.
    """
    import waitress

    return waitress.create_server(app, host="127.0.0.1", port=port, threads=threads, ident="odyssey-gateway")


def serve(app: Gateway, port: int, *, reload: bool = False) -> None:
    """Serve `app` on 127.0.0.1:`port` until interrupted: waitress, or werkzeug's reloading server with --reload."""
    if not reload:
        make_server(app, port).run()
        return
    from werkzeug.serving import run_simple

    # watch the project's sources only, not the virtualenv or the standard library
    exclude = [f"{sys.prefix}/*", f"{sys.base_prefix}/*", f"{ROOT / '.odyssey'}/*"]
    watch = [
        str(ROOT / folder / "__init__.py") for folder in ("functions", "shared", "devkit")
    ]  # their folders
    run_simple(
        "127.0.0.1",
        port,
        app,
        use_reloader=True,
        reloader_type="stat",
        threaded=True,
        extra_files=watch,
        exclude_patterns=exclude,
    )


def _ready_lines(app: Gateway, database_url: str, port: int) -> list[str]:
    base = f"http://127.0.0.1:{port}{PREFIX}"
    lines = [f"functions: {', '.join(sorted(app.endpoints)) or '(none)'}"]
    for name, why in sorted(app.failures.items()):
        lines.append(f"not loaded: {name}: {why}")
    lines.append(f"OpenAPI: {base}/openapi.json")
    try:
        token = user_token(database_url)
    except Exception:  # noqa: BLE001 - the database may not be seeded; the gateway still serves
        token = None
    if token:
        lines.append(f'try: curl -H "Authorization: Bearer {token}" {base}/heartbeat')
    else:
        lines.append(f"try: curl {base}/heartbeat")
    return lines


def serve_from_cli(database_url: str, port: int = DEFAULT_PORT, reload: bool = False) -> None:
    """What `odyssey run` ends with: serve every function against `database_url` and print a curl line."""
    apply_dev_environment(database_url, port)
    app = build()
    if not reload or os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        for line in _ready_lines(app, database_url, port):
            print(line, flush=True)
    serve(app, port, reload=reload)


def _database_url(arg: str | None) -> str:
    from devkit.cli import target_urls

    return target_urls(arg)[0]


def cmd_serve(args: argparse.Namespace) -> None:
    serve_from_cli(_database_url(args.database_url), port=args.port, reload=args.reload)


def cmd_token(args: argparse.Namespace) -> None:
    from devkit.cli import CliError

    token = user_token(_database_url(args.database_url), args.email, args.expires_in)
    if token is None:
        raise CliError(f"no user with email {args.email} in auth.users (seed the database: odyssey db seed)")
    print(token)


def invoke_as_service(name: str, data: Any = None, method: str | None = None, path: str = "/") -> Response:
    """Run function `name` in-process with the service credential, as cron would (after the dev env is set)."""
    folder = FUNCTIONS_DIR / name.replace("-", "_") / "main.py"
    if not folder.exists():
        from devkit.cli import CliError

        raise CliError(f"no function {name} (looked for {folder.relative_to(ROOT)})")
    eps = endpoints_in(load_module(folder))
    ep = eps[0]
    key = os.environ["SUPABASE_SERVICE_ROLE_KEY"]
    body = b"" if data is None else dumps(data)
    request = Request(
        method=(method or ep.schedule_method).upper(),
        path=path,
        headers=Headers({"Authorization": f"Bearer {key}", "Content-Type": "application/json"}),
        body=body,
        trigger="invoke",
        content_length=len(body),
    )
    return ep.handle(request)


def cmd_invoke(args: argparse.Namespace) -> None:
    from devkit.cli import CliError

    apply_dev_environment(_database_url(args.database_url), DEFAULT_PORT)
    try:
        data = json.loads(args.data) if args.data is not None else None
    except ValueError as exc:
        raise CliError(f"--data is not valid JSON: {exc}") from None
    response = invoke_as_service(args.name, data, args.method, args.path)
    print(f"HTTP {response.status}")
    print(response.body.decode("utf-8", "replace"))
    if response.status >= 400:
        raise SystemExit(1)


def register_cli(sub: Any) -> None:
    """Add `serve`, `token` and `invoke` to the `odyssey` command line."""
    p = sub.add_parser("serve", help="serve every function at /functions/v1/<name>")
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--reload", action="store_true", help="restart when a source file changes")
    p.add_argument("--database-url")
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("token", help="mint a dev JWT for a seeded user")
    p.add_argument("--email", required=True)
    p.add_argument("--expires-in", type=int, default=3600)
    p.add_argument("--database-url")
    p.set_defaults(func=cmd_token)
    p = sub.add_parser("invoke", help="call a function as the service (scheduled functions)")
    p.add_argument("name")
    p.add_argument("--data", help="JSON body")
    p.add_argument("--method")
    p.add_argument("--path", default="/")
    p.add_argument("--database-url")
    p.set_defaults(func=cmd_invoke)
