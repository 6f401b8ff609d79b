"""Build one deployment zip per function for `serverless.yml`'s `package.artifact` (dist/<kebab-name>.zip).

    python -m devkit.package [--with-dependencies] [name ...]

A zip holds `functions/__init__.py`, the function's own folder and `shared/` — never tests, caches or
node_modules. With `--with-dependencies` the Lambda runtime's third-party packages are added from manylinux
wheels (`pip install --target --platform manylinux2014_x86_64 --only-binary=:all: --python-version 3.11`),
without functions-framework/Flask (the Lambda path does not use them). The serverless-python-requirements
plugin is not used: in per-function mode it drops `shared/`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
EXCLUDED_PARTS = {"__pycache__", "tests", "node_modules", ".pytest_cache", ".mypy_cache"}
LAMBDA_REQUIREMENTS = [
    "psycopg[binary]>=3.2,<4",
    "psycopg-pool>=3.2,<4",
    "pydantic>=2.7,<3",
    "pydantic-settings>=2.3,<3",
    "PyJWT[crypto]>=2.9,<3",
    "tzdata>=2024.1",
]
EXTRA_REQUIREMENTS = {"stripe_webhook": ["stripe>=12,<17"]}
_EPOCH = (2020, 1, 1, 0, 0, 0)  # fixed timestamps: identical sources give identical zips


def function_names() -> list[str]:
    """Every function folder that has a main.py."""
    return sorted(
        p.parent.name for p in (ROOT / "functions").glob("*/main.py") if not p.parent.name.startswith("_")
    )


def _files(base: Path, folder: Path) -> Iterable[tuple[Path, str]]:
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(base)
        if (
            path.is_file()
            and not EXCLUDED_PARTS.intersection(rel.parts)
            and path.suffix not in (".pyc", ".pyo")
        ):
            yield path, rel.as_posix()


def _add(zf: zipfile.ZipFile, path: Path, arcname: str) -> None:
    info = zipfile.ZipInfo(arcname, _EPOCH)
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, path.read_bytes())


def build(name: str, out_dir: Path = DIST, *, with_dependencies: bool = False) -> Path:
    """Write `<out_dir>/<kebab-name>.zip` for function `name` (snake_case folder) and return its path."""
    folder = ROOT / "functions" / name
    if not (folder / "main.py").exists():
        raise FileNotFoundError(f"functions/{name}/main.py does not exist")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{name.replace('_', '-')}.zip"
    with zipfile.ZipFile(target, "w") as zf:
        _add(zf, ROOT / "functions" / "__init__.py", "functions/__init__.py")
        for path, arc in _files(ROOT, folder):
            _add(zf, path, arc)
        for path, arc in _files(ROOT, ROOT / "shared"):
            _add(zf, path, arc)
        if with_dependencies:
            with tempfile.TemporaryDirectory() as tmp:
                reqs = LAMBDA_REQUIREMENTS + EXTRA_REQUIREMENTS.get(name, [])
                subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "pip",
                        "install",
                        "--quiet",
                        "--target",
                        tmp,
                        "--platform",
                        "manylinux2014_x86_64",
                        "--only-binary=:all:",
                        "--python-version",
                        "3.11",
                        *reqs,
                    ],
                    check=True,
                )
                for path, arc in _files(Path(tmp), Path(tmp)):
                    if not arc.startswith("bin/"):  # console scripts are useless in Lambda
                        _add(zf, path, arc)
    return target


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: build the named functions (default: all)."""
    parser = argparse.ArgumentParser(prog="python -m devkit.package")
    parser.add_argument("names", nargs="*")
    parser.add_argument("--with-dependencies", action="store_true")
    parser.add_argument("--out", type=Path, default=DIST)
    args = parser.parse_args(argv)
    for name in args.names or function_names():
        print(build(name.replace("-", "_"), args.out, with_dependencies=args.with_dependencies))


if __name__ == "__main__":
    main()
