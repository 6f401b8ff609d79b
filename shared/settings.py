"""Configuration: one pydantic-settings object per function, built from the environment at cold start.

Environment variable names are defined here and nowhere else. They are the names Supabase gives to
functions (`SUPABASE_URL`, `SUPABASE_ANON_KEY`, `SUPABASE_SERVICE_ROLE_KEY`, `SUPABASE_JWT_SECRET`,
`SUPABASE_DB_URL`), Stripe's (`STRIPE_SECRET_KEY`, `STRIPE_WEBHOOK_SECRET` — comma-separated during
rotation), and the runtime's own knobs prefixed `ODYSSEY_` (all with safe defaults).

Every standard name is an optional field of `FunctionSettings`; a function declares what it needs by listing
environment names in `required` (presets below; the handler decorator adds what its `auth=` mode needs) and
adds its own extras as ordinary fields::

    class Settings(FunctionSettings):
        required = DATABASE + STRIPE
        payroll_bucket: str = Field(validation_alias="PAYROLL_BUCKET")

`load_settings(Settings, function="name")` raises `ConfigurationError` naming every missing or invalid
variable — never their values. Secrets are `SecretStr`, so they never show in logs or reprs; read them with
`settings.secret("SUPABASE_DB_URL")`.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shared.errors import ConfigurationError

VERSION = "0.1.0"  # keep equal to pyproject.toml's version (a test checks it)

DATABASE: tuple[str, ...] = ("SUPABASE_DB_URL",)
USER_AUTH: tuple[str, ...] = ("SUPABASE_URL", "SUPABASE_JWT_SECRET")
SERVICE_AUTH: tuple[str, ...] = ("SUPABASE_SERVICE_ROLE_KEY",)
STRIPE: tuple[str, ...] = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET")


def _csv(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class FunctionSettings(BaseSettings):
    """Every standard name (optional), the runtime knobs (with defaults) and the `required` declaration."""

    required: ClassVar[tuple[str, ...]] = ()

    # defer_build: each subclass builds its schema once, when it is loaded, instead of once per class level
    model_config = SettingsConfigDict(
        extra="ignore", case_sensitive=False, frozen=True, populate_by_name=True, defer_build=True
    )

    # Supabase, optional here; a subclass lists the ones it needs in `required`
    supabase_url: str | None = Field(default=None, validation_alias="SUPABASE_URL")
    supabase_anon_key: SecretStr | None = Field(default=None, validation_alias="SUPABASE_ANON_KEY")
    supabase_service_role_key: SecretStr | None = Field(
        default=None, validation_alias="SUPABASE_SERVICE_ROLE_KEY"
    )
    supabase_jwt_secret: SecretStr | None = Field(default=None, validation_alias="SUPABASE_JWT_SECRET")
    supabase_db_url: SecretStr | None = Field(default=None, validation_alias="SUPABASE_DB_URL")

    # Stripe
    stripe_secret_key: SecretStr | None = Field(default=None, validation_alias="STRIPE_SECRET_KEY")
    stripe_webhook_secret: Annotated[list[SecretStr], NoDecode] = Field(
        default=[], validation_alias=AliasChoices("STRIPE_WEBHOOK_SECRET", "STRIPE_WEBHOOK_SECRETS")
    )

    # the runtime
    version: str = Field(default=VERSION, validation_alias="ODYSSEY_VERSION")
    environment: str = Field(default="local", validation_alias="ODYSSEY_ENVIRONMENT")
    log_level: str = Field(default="INFO", validation_alias="ODYSSEY_LOG_LEVEL")
    max_body_bytes: int = Field(default=1_048_576, gt=0, validation_alias="ODYSSEY_MAX_BODY_BYTES")
    cors_origins: Annotated[list[str], NoDecode] = Field(default=[], validation_alias="ODYSSEY_CORS_ORIGINS")
    statement_timeout_ms: int = Field(default=5_000, gt=0, validation_alias="ODYSSEY_STATEMENT_TIMEOUT_MS")
    db_pool_max_size: int = Field(default=4, ge=1, validation_alias="ODYSSEY_DB_POOL_MAX_SIZE")
    db_pool_timeout_s: float = Field(default=1.0, gt=0, validation_alias="ODYSSEY_DB_POOL_TIMEOUT_S")
    db_connect_timeout_s: int = Field(default=2, ge=1, validation_alias="ODYSSEY_DB_CONNECT_TIMEOUT_S")
    jwt_leeway_s: int = Field(default=10, ge=0, le=120, validation_alias="ODYSSEY_JWT_LEEWAY_S")
    jwks_min_refresh_s: float = Field(default=30.0, ge=0, validation_alias="ODYSSEY_JWKS_MIN_REFRESH_S")
    system_logs: bool = Field(default=True, validation_alias="ODYSSEY_SYSTEM_LOGS")

    @field_validator("cors_origins", "stripe_webhook_secret", mode="before")
    @classmethod
    def _split_csv(cls, value: Any) -> Any:
        return _csv(value)

    def missing(self, names: tuple[str, ...] | list[str]) -> list[str]:
        """The environment names among `names` whose field is unset or empty."""
        by_env = {_env_name(type(self), f): f for f in type(self).model_fields}
        out = []
        for name in names:
            field = by_env.get(name)
            if field is None:
                raise KeyError(f"{name} is not a known setting of {type(self).__name__}")
            value = getattr(self, field)
            if (
                value is None
                or value == []
                or (isinstance(value, SecretStr) and not value.get_secret_value())
            ):
                out.append(name)
        return out

    def secret(self, name: str) -> str:
        """The plain value of a secret (or any string setting) by environment name; ConfigurationError if unset."""
        by_env = {_env_name(type(self), f): f for f in type(self).model_fields}
        if name not in by_env:
            raise KeyError(f"{name} is not a known setting of {type(self).__name__}")
        value = getattr(self, by_env[name])
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if not value:
            raise ConfigurationError(f"missing required setting(s): {name}")
        return str(value)

    def webhook_secrets(self) -> list[str]:
        """All configured Stripe webhook secrets (several during rotation), as plain strings."""
        return [s.get_secret_value() for s in self.stripe_webhook_secret]

    @property
    def database_configured(self) -> bool:
        """Whether a database URL is set (system_logs writes are skipped without one)."""
        return self.supabase_db_url is not None


S = TypeVar("S", bound=FunctionSettings)


def _env_name(model: type[BaseSettings], field: str) -> str:
    info = model.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    if isinstance(alias, str):
        return alias
    if isinstance(alias, AliasChoices):
        first = alias.choices[0]
        return first if isinstance(first, str) else field.upper()
    return field.upper()


def load_settings(
    settings_cls: type[S],
    *,
    function: str = "function",
    also_required: tuple[str, ...] = (),
    **overrides: Any,
) -> S:
    """Build `settings_cls` from the environment (plus `overrides`, for tests and tooling).

    Checks the class's `required` names and `also_required`. Raises `ConfigurationError` listing each missing
    or invalid variable by its environment name; values are never included in the message.
    """
    missing: list[str] = []
    try:
        settings = settings_cls(**overrides)
    except ValidationError as exc:
        invalid: list[str] = []
        for err in exc.errors(include_input=False, include_url=False):
            loc = err.get("loc") or ("?",)
            name = _env_name(settings_cls, str(loc[0]))
            (missing if err.get("type") == "missing" else invalid).append(
                name if err.get("type") == "missing" else f"{name} ({err.get('msg')})"
            )
        parts = []
        if missing:
            parts.append("missing required setting(s): " + ", ".join(sorted(set(missing))))
        if invalid:
            parts.append("invalid setting(s): " + ", ".join(invalid))
        raise ConfigurationError(f"{function}: " + "; ".join(parts)) from None
    missing = settings.missing(tuple(dict.fromkeys(settings_cls.required + also_required)))
    if missing:
        raise ConfigurationError(f"{function}: missing required setting(s): " + ", ".join(missing))
    return settings
