"""ODYSSEY's shared runtime: the thin library deployed with every function. Infrastructure only.

Modules (import them by full path; this package imports nothing so that cold starts stay cheap):

    shared.function        `@function(...)` decorator, `Call` (what a handler receives), `Endpoint`
    shared.settings        `FunctionSettings` (pydantic-settings), presets DATABASE / USER_AUTH /
                           SERVICE_AUTH / STRIPE, `load_settings`
    shared.errors          the error tree (`...Error`, each with its HTTP status) → problem+json
    shared.http            `Request`, `Response`, `Headers`, `problem_response`, `CorsPolicy`
    shared.auth            `Authenticator` (Supabase JWT HS256/ES256/RS256 + JWKS, service credential)
    shared.principal       `Principal` (kind anonymous/user/service, claims, user_id, organization_id)
    shared.db              pool + `Database.as_user(claims)` / `.as_service()` / `.as_anon()`, `transaction`
    shared.logs            JSON log lines with the request id; `bind(organization_id=...)`
    shared.system_log      warnings/errors → public.system_logs (after the response, never failing it)
    shared.lambda_adapter  `lambda_handler(fn)`: function-URL events + EventBridge scheduled events
    shared.webhooks        `DatabaseWebhook` model for Supabase database webhooks
    shared.openapi         OpenAPI 3.1 document built from the declared models

A function (functions/<name>/main.py; functions-framework target = the function's name, Lambda handler =
`main.handler`)::

    import sys
    from pathlib import Path

    if __package__ in (None, ""):  # functions-framework loads this file as top-level `main`
        sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

    from functions.greet.models import GreetIn, GreetOut          # always full package paths
    from functions.greet import repo, service
    from shared.function import Call, function
    from shared.lambda_adapter import lambda_handler
    from shared.settings import DATABASE, FunctionSettings

    class Settings(FunctionSettings):
        required = DATABASE                     # + USER_AUTH is added because auth="user"

    @function(name="greet", methods=("POST",), auth="user", request_model=GreetIn,
              response_model=GreetOut, settings=Settings, cors=True)
    def greet(call: Call[Settings]) -> GreetOut:
        \"\"\"Greet the caller (runs as `authenticated`: RLS decides what the caller sees).\"\"\"
        with call.db.as_user() as conn:         # one transaction; SET LOCAL ROLE + request.jwt.claims
            name = repo.display_name(conn, call.principal.user_id)
        return service.greeting(call.body, name)

    handler = lambda_handler(greet)

Contract:
* `auth`: "public" | "user" (Supabase user JWT, aud=authenticated) | "service" (SUPABASE_SERVICE_ROLE_KEY or a
  service_role JWT; EventBridge scheduled events count as the service) | "user_or_service". 401 carries
  `WWW-Authenticate: Bearer ...`; a valid credential of the wrong kind is 403.
* The handler returns a pydantic model / dict / list (→ JSON with `status_code`, default 200), `None` (→ 204)
  or a `shared.http.Response` (full control, e.g. `Response.json(model, status=201, headers={...})`).
* Raise `shared.errors.*Error` for 4xx/5xx; anything else becomes a 500 showing only the request id.
* `call.body` is the validated `request_model` instance (bad JSON → 400, invalid → 422 listing fields);
  `call.request.body` is the raw bytes (verify webhook signatures on these; set `content_types=()` to accept
  any media type). `call.principal`, `call.settings`, `call.log` (JSON logger), `call.bind(**fields)`.
* `call.db.as_user()` (caller's claims), `call.db.as_service()` (bypasses RLS — say why in the docstring),
  `call.db.as_anon()`. Each is a context manager yielding a psycopg connection inside one transaction,
  committed at the end of the block and rolled back on any exception. Pool exhausted / database down /
  statement timeout → `DatabaseUnavailableError` (503 + Retry-After).
* Other decorator options: `cors=True` (preflight + headers for ODYSSEY_CORS_ORIGINS), `max_body_bytes`
  (413 above it), `content_types` (415 otherwise; `()` accepts any), `status_code`, `responses={503: Model}`
  (extra answers documented in OpenAPI), `schedule_method`. HEAD is answered like GET when GET is allowed.
* Pipeline order: request id → CORS preflight → 405 → 413 → 415 → 401/403 → 400 → 422 → handler. Every
  answer carries `X-Request-Id` (the caller's if sane, else Lambda's request id, else a new UUID).
* Scheduled EventBridge invocations reach the handler as `call.request.trigger == "schedule"`, authenticated
  as the service (`principal.via == "trusted_event"`), with the rule's Input (or the event's `detail`) as
  the JSON body; a function with `auth="user"` refuses them (403).
* Warnings/errors logged through `call.log` (and every unhandled exception) are copied to
  `public.system_logs` after the response is built (`correlation_id` = the request id as a UUID); turn it
  off with ODYSSEY_SYSTEM_LOGS=false.
* Runtime knobs (all optional): ODYSSEY_STATEMENT_TIMEOUT_MS (5000), ODYSSEY_DB_POOL_MAX_SIZE (4),
  ODYSSEY_DB_POOL_TIMEOUT_S (1.0), ODYSSEY_DB_CONNECT_TIMEOUT_S (2), ODYSSEY_MAX_BODY_BYTES (1 MiB),
  ODYSSEY_CORS_ORIGINS, ODYSSEY_JWT_LEEWAY_S (10), ODYSSEY_JWKS_MIN_REFRESH_S (30), ODYSSEY_LOG_LEVEL,
  ODYSSEY_VERSION, ODYSSEY_SYSTEM_LOGS.
* Tests: `tests/functions/conftest.py` provides `invoke` (parametrised over functions-framework, Lambda
  function URL and the local gateway), `function_env` (the environment the functions see) and `tokens`
  (user tokens HS256/ES256/RS256, service credentials).
* Deploying: add the function to serverless.yml (a test checks every folder has an entry whose handler
  exists and whose environment lists every required setting); `python -m devkit.package` builds the zips.
"""
