"""The `odyssey token` / `odyssey invoke` commands and the gateway's ready message."""

from __future__ import annotations

import json
import uuid

import jwt
import pytest

from devkit import cli, gateway, tokens


@pytest.fixture(autouse=True)
def restore_environment():
    """The commands set the dev environment in os.environ; keep it from leaking into other tests."""
    import os

    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="module")
def seeded(pg_cluster):
    """One database for this module (cloned from the migrated template) with one user, dropped afterwards."""
    import os

    from tests.conftest import Database, _create_from_template, _drop

    name = f"t_gateway_cli_{os.getpid()}"
    _create_from_template(pg_cluster, name)
    db = Database(pg_cluster, name)
    user_id = uuid.uuid4()
    try:
        with db.connect() as conn:
            conn.execute(
                "insert into auth.users (id, email, raw_app_meta_data) values (%s, %s, %s::jsonb)",
                (user_id, "ada@example.com", json.dumps({"provider": "email", "organization_id": 42})),
            )
        yield db, user_id
    finally:
        from shared.db import close_pools

        close_pools()
        _drop(pg_cluster, name)


def test_token_for_a_seeded_user(seeded, capsys):
    db, user_id = seeded
    cli.main(["token", "--email", "ADA@example.com", "--database-url", db.url])
    token = capsys.readouterr().out.strip()
    claims = jwt.decode(token, tokens.DEV_JWT_SECRET, algorithms=["HS256"], audience="authenticated")
    assert claims["sub"] == str(user_id) and claims["role"] == "authenticated"
    assert claims["app_metadata"]["organization_id"] == 42
    assert claims["exp"] - claims["iat"] == 3600


def test_token_for_an_unknown_email_fails_cleanly(seeded, capsys):
    db, _ = seeded
    with pytest.raises(SystemExit) as exit_:
        cli.main(["token", "--email", "nobody@example.com", "--database-url", db.url])
    assert exit_.value.code == 1
    assert "no user with email nobody@example.com" in capsys.readouterr().err


def test_dev_tokens_are_accepted_by_the_runtime(seeded, monkeypatch):
    db, user_id = seeded
    for key, value in tokens.dev_environment(db.url).items():
        monkeypatch.setenv(key, value)
    from shared.auth import Authenticator
    from shared.settings import FunctionSettings, load_settings

    auth = Authenticator(load_settings(FunctionSettings))
    user = auth.principal_from_token(gateway.user_token(db.url, "ada@example.com") or "")
    assert user.kind == "user" and user.user_id == user_id and user.organization_id == 42
    assert auth.principal_from_token(tokens.service_role_key()).kind == "service"


def test_invoke_runs_a_function_as_the_service(seeded, capsys, monkeypatch):
    db, _ = seeded
    monkeypatch.delenv("SUPABASE_SERVICE_ROLE_KEY", raising=False)
    cli.main(["invoke", "heartbeat", "--database-url", db.url])
    out = capsys.readouterr().out
    assert out.startswith("HTTP 200\n")
    assert json.loads(out.split("\n", 1)[1])["database"]["reachable"] is True


def test_invoke_unknown_function(seeded, capsys):
    db, _ = seeded
    with pytest.raises(SystemExit):
        cli.main(["invoke", "no-such-thing", "--database-url", db.url])
    assert "no function no-such-thing" in capsys.readouterr().err


def test_ready_lines_offer_a_curl_with_a_dev_token(seeded, monkeypatch):
    db, user_id = seeded
    monkeypatch.delenv(
        "STRIPE_WEBHOOK_SECRET", raising=False
    )  # the dev environment alone must load every function
    gateway.apply_dev_environment(db.url, 54999)
    lines = gateway._ready_lines(gateway.build(fresh=True), db.url, 54999)
    assert lines[0].startswith("functions: heartbeat") and "stripe-webhook" in lines[0]
    assert not [line for line in lines if line.startswith("not loaded")], lines
    curl = lines[-1]
    assert (
        curl.startswith('try: curl -H "Authorization: Bearer ')
        and "http://127.0.0.1:54999/functions/v1/heartbeat" in curl
    )
    token = curl.split("Bearer ", 1)[1].split('"', 1)[0]
    assert jwt.decode(token, tokens.DEV_JWT_SECRET, algorithms=["HS256"], audience="authenticated")[
        "sub"
    ] == str(user_id)


def test_the_odyssey_command_has_serve_token_and_invoke():
    parser = cli.build_parser()
    args = parser.parse_args(["serve", "--port", "5999", "--reload"])
    assert (args.port, args.reload, args.func) == (5999, True, gateway.cmd_serve)
    assert parser.parse_args(["serve"]).port == 54321
    assert parser.parse_args(["token", "--email", "a@b.c"]).func is gateway.cmd_token
    args = parser.parse_args(["invoke", "run-payroll", "--data", '{"x": 1}'])
    assert (args.name, args.data, args.func) == ("run-payroll", '{"x": 1}', gateway.cmd_invoke)
