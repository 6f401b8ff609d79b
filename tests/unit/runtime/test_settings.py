"""Settings: required names fail at cold start with a clear message; secrets never show."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from pydantic import Field

from shared.errors import ConfigurationError
from shared.function import function
from shared.settings import DATABASE, STRIPE, USER_AUTH, VERSION, FunctionSettings, load_settings

ROOT = Path(__file__).resolve().parents[3]


class Needy(FunctionSettings):
    required = DATABASE + STRIPE
    payroll_bucket: str = Field(validation_alias="PAYROLL_BUCKET")


@pytest.fixture
def clean_env(monkeypatch):
    import os

    for key in list(os.environ):
        if key.startswith(("SUPABASE_", "STRIPE_", "ODYSSEY_", "PAYROLL_")):
            monkeypatch.delenv(key)
    return monkeypatch


def test_missing_settings_are_named_and_values_never_shown(clean_env):
    clean_env.setenv("STRIPE_SECRET_KEY", "sk_live_supersecret")
    with pytest.raises(ConfigurationError) as err:
        load_settings(Needy, function="payroll")
    msg = str(err.value)
    assert msg.startswith("payroll: missing required setting(s): ")
    assert "PAYROLL_BUCKET" in msg
    clean_env.setenv("PAYROLL_BUCKET", "b")
    with pytest.raises(ConfigurationError) as err:
        load_settings(Needy, function="payroll")
    assert str(err.value) == "payroll: missing required setting(s): SUPABASE_DB_URL, STRIPE_WEBHOOK_SECRET"
    assert "supersecret" not in str(err.value)


def test_invalid_values_are_named_without_the_value(clean_env):
    clean_env.setenv("ODYSSEY_DB_POOL_MAX_SIZE", "lots-of-secret")
    with pytest.raises(ConfigurationError) as err:
        load_settings(FunctionSettings, function="f")
    assert "ODYSSEY_DB_POOL_MAX_SIZE" in str(err.value)
    assert "lots-of-secret" not in str(err.value)


def test_empty_secret_counts_as_missing(clean_env):
    clean_env.setenv("SUPABASE_DB_URL", "")
    with pytest.raises(ConfigurationError, match="SUPABASE_DB_URL"):
        load_settings(Needy.__base__, also_required=DATABASE)


def test_secrets_never_in_repr_or_dump(clean_env):
    clean_env.setenv("SUPABASE_DB_URL", "postgresql://postgres:pw-123456@db/postgres")
    clean_env.setenv("SUPABASE_JWT_SECRET", "jwt-secret-abcdef")
    clean_env.setenv("STRIPE_WEBHOOK_SECRET", "whsec_old, whsec_new")
    s = load_settings(FunctionSettings)
    for text in (repr(s), str(s), s.model_dump_json()):
        assert "pw-123456" not in text and "jwt-secret" not in text and "whsec_" not in text
    assert s.secret("SUPABASE_DB_URL").endswith("@db/postgres")
    assert s.webhook_secrets() == ["whsec_old", "whsec_new"]


def test_lists_are_comma_separated(clean_env):
    clean_env.setenv("ODYSSEY_CORS_ORIGINS", "https://a.example, https://b.example,")
    assert load_settings(FunctionSettings).cors_origins == ["https://a.example", "https://b.example"]


def test_decorator_fails_at_cold_start_for_what_the_auth_mode_needs(clean_env):
    with pytest.raises(ConfigurationError) as err:

        @function(name="needs_user", auth="user")
        def needs_user(call):  # pragma: no cover - never called
            return None

    assert str(err.value) == "needs_user: missing required setting(s): " + ", ".join(USER_AUTH)


def test_unknown_setting_names_are_programming_errors(clean_env):
    with pytest.raises(KeyError):
        load_settings(FunctionSettings).secret("SUPABASE_DB_URLS")


def test_version_matches_pyproject():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert data["project"]["version"] == VERSION
    assert re.fullmatch(r"\d+\.\d+\.\d+", VERSION)


def test_an_endpoint_can_be_rebuilt_with_other_settings(clean_env):
    from devkit import gateway
    from shared.http import Request

    clean_env.setenv("SUPABASE_DB_URL", "postgresql://nobody@127.0.0.1:1/x")
    clean_env.setenv("ODYSSEY_DB_POOL_TIMEOUT_S", "0.2")
    module = gateway.load_module(ROOT / "functions" / "heartbeat" / "main.py", fresh=True)
    ep = module.heartbeat.endpoint
    other = ep.with_settings(ep.settings.model_copy(update={"version": "7.7.7"}))
    assert other is not ep and other.methods == ep.methods and other.responses == ep.responses
    try:
        body = other.handle(Request("GET")).json_body()
    finally:
        from shared.db import close_pools

        close_pools()
    assert body["version"] == "7.7.7" and body["database"]["reachable"] is False
