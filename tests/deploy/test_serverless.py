"""serverless.yml: one entry per function folder, handlers that exist, artifacts that hold what they need."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from devkit import gateway, package

ROOT = Path(__file__).resolve().parents[2]
CONFIG = yaml.safe_load((ROOT / "serverless.yml").read_text())
FUNCTIONS = package.function_names()
RATE = re.compile(r"^rate\((1 (minute|hour|day)|([2-9]|[1-9]\d+) (minutes|hours|days))\)$")
CRON = re.compile(r"^cron\(\S+ \S+ \S+ \S+ \S+ \S+\)$")


def _entry(name: str) -> dict:
    return CONFIG["functions"][name.replace("_", "-")]


def test_serverless_v3_basics():
    assert CONFIG["frameworkVersion"] == "3"
    assert CONFIG["configValidationMode"] == "error"
    assert CONFIG["provider"]["runtime"] == "python3.11"
    assert CONFIG["package"]["individually"] is True


def test_every_function_folder_has_exactly_one_entry():
    assert FUNCTIONS, "no functions found"
    assert sorted(CONFIG["functions"]) == sorted(n.replace("_", "-") for n in FUNCTIONS)
    for key in CONFIG["functions"]:
        assert re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", key), key


@pytest.mark.parametrize("name", FUNCTIONS)
def test_handler_path_exists_and_defines_handler(name):
    entry = _entry(name)
    module_path, _, attr = entry["handler"].rpartition(".")
    assert module_path == f"functions/{name}/main" and attr == "handler"
    source = ROOT / f"{module_path}.py"
    assert source.exists()
    assigned = {
        t.id
        for node in ast.parse(source.read_text()).body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    assert attr in assigned
    assert entry["name"] == "${self:service}-${sls:stage}-" + name.replace("_", "-")
    assert entry["package"]["artifact"] == f"dist/{name.replace('_', '-')}.zip"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_each_function_is_reachable_by_url_or_schedule(name):
    entry = _entry(name)
    schedules = [e["schedule"] for e in entry.get("events", []) if "schedule" in e]
    assert entry.get("url") is True or schedules
    for schedule in schedules:
        expr = schedule["rate"] if isinstance(schedule, dict) else schedule
        for one in expr if isinstance(expr, list) else [expr]:
            assert RATE.match(one) or CRON.match(one), one


@pytest.mark.parametrize("name", FUNCTIONS)
def test_every_required_setting_is_in_the_environment(name, function_env, monkeypatch):
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_test_only")
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_only")
    (ep, *_) = gateway.endpoints_in(gateway.load_module(ROOT / "functions" / name / "main.py", fresh=True))
    needed = set(ep.settings_cls.required)
    if ep.auth in ("user", "user_or_service"):
        needed |= {"SUPABASE_URL", "SUPABASE_JWT_SECRET"}
    if ep.auth == "service":
        needed |= {"SUPABASE_SERVICE_ROLE_KEY"}
    env = {**CONFIG["provider"].get("environment", {}), **_entry(name).get("environment", {})}
    assert needed <= set(env), needed - set(env)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_artifact_holds_handler_and_shared_and_nothing_else(name, tmp_path):
    built = package.build(name, tmp_path)
    assert built.name == f"{name.replace('_', '-')}.zip"
    with zipfile.ZipFile(built) as zf:
        names = zf.namelist()
        zf.extractall(tmp_path / "unzipped")
    assert f"functions/{name}/main.py" in names and "functions/__init__.py" in names
    assert "shared/function.py" in names and "shared/lambda_adapter.py" in names
    assert not [n for n in names if n.startswith("tests/") or "node_modules" in n or "__pycache__" in n]
    other = [
        n
        for n in names
        if n.startswith("functions/") and n.count("/") > 1 and not n.startswith(f"functions/{name}/")
    ]
    assert other == []
    # the code in the zip is what gets imported (not the working tree)
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        f"import functions.{name}.main as m, shared;"
        "assert shared.__file__.startswith(sys.argv[1]), shared.__file__;"
        "assert callable(m.handler)"
    )
    env = {
        "SUPABASE_DB_URL": "postgresql://x@127.0.0.1:1/x",
        "STRIPE_WEBHOOK_SECRET": "whsec_x",
        "STRIPE_SECRET_KEY": "sk_x",
        "SUPABASE_URL": "http://x",
        "SUPABASE_JWT_SECRET": "s" * 40,
        "SUPABASE_SERVICE_ROLE_KEY": "k",
        "PATH": "/usr/bin:/bin",
    }
    subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path / "unzipped")], check=True, env=env, cwd=tmp_path
    )


def test_zips_are_reproducible(tmp_path):
    a = package.build("heartbeat", tmp_path / "a").read_bytes()
    b = package.build("heartbeat", tmp_path / "b").read_bytes()
    assert a == b


@pytest.mark.parametrize("name", FUNCTIONS)
def test_schedule_inputs_are_valid_bodies(name, function_env):
    schedules = [e["schedule"] for e in _entry(name).get("events", []) if "schedule" in e]
    if not schedules:
        return
    (ep, *_) = gateway.endpoints_in(gateway.load_module(ROOT / "functions" / name / "main.py", fresh=True))
    assert ep.auth != "user", "a scheduled function must accept the service"
    for schedule in schedules:
        payload = schedule.get("input", {}) if isinstance(schedule, dict) else {}
        if ep.request_model is not None:
            ep.request_model.model_validate(payload)
