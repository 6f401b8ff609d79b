"""Conventions every function folder must follow for the runtime to serve it three ways."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
FOLDERS = sorted(p.parent for p in (ROOT / "functions").glob("*/main.py"))


def _imports(path: Path) -> list[tuple[str, int]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [(a.name, 0) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            out.append((node.module or "", node.level))
    return out


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_imports_use_full_package_paths(folder):
    """functions-framework loads main.py as top-level `main` with its folder on sys.path: a sibling import
    (`import models`, `from .service import x`) would pick up another function's module of the same name."""
    siblings = {p.stem for p in folder.glob("*.py")} | {
        p.name for p in folder.iterdir() if (p / "__init__.py").exists()
    }
    for path in folder.rglob("*.py"):
        for module, level in _imports(path):
            assert level == 0, f"{path.relative_to(ROOT)}: relative import"
            assert module.split(".")[0] not in siblings, (
                f"{path.relative_to(ROOT)}: import {module} by its full path"
            )


SERVICE_ROLE_USE = re.compile(
    r"as_service\(|set local role service_role|transaction\([^)]*[\"']service_role[\"']",
    re.IGNORECASE | re.DOTALL,
)


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_service_role_only_where_the_docstring_says_why(folder):
    uses = [p.name for p in folder.rglob("*.py") if SERVICE_ROLE_USE.search(p.read_text())]
    if not uses:
        return
    doc = (ast.get_docstring(ast.parse((folder / "main.py").read_text())) or "").lower()
    assert ("service role" in doc or "service_role" in doc) and "because" in doc, (
        f"{folder.name} uses the service role ({', '.join(uses)}): its main.py docstring must say why"
    )


def test_service_role_detection_sees_every_spelling():
    for code in (
        "db.as_service()",
        'conn.execute("SET LOCAL ROLE service_role")',
        'transaction(settings, "service_role", {"role": "service_role"})',
    ):
        assert SERVICE_ROLE_USE.search(code), code
    assert not SERVICE_ROLE_USE.search('transaction(settings, "authenticated", claims)')


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_main_exposes_the_target_and_the_lambda_handler(folder):
    tree = ast.parse((folder / "main.py").read_text())
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assigned = {
        t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)
    }
    assert folder.name in functions, (
        f"functions-framework target {folder.name} missing in {folder.name}/main.py"
    )
    assert "handler" in assigned
