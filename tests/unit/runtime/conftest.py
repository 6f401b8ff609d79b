"""The runtime's HTTP-level tests reuse the three-ways machinery of tests/functions/conftest.py."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.functions.conftest import (  # noqa: F401 - fixtures re-exported for this directory
    FunctionRef,
    function_env,
    invoke,
    jwks_server,
    keyset,
    tokens,
)

PROBE = Path(__file__).resolve().parent / "probe" / "main.py"


@pytest.fixture(scope="session")
def probes() -> SimpleNamespace:
    """References to the test-only probe functions (tests/unit/runtime/probe/main.py)."""
    return SimpleNamespace(
        user=FunctionRef(PROBE, "probe_user", "handler_user"),
        service=FunctionRef(PROBE, "probe_service", "handler_service"),
        any=FunctionRef(PROBE, "probe_any", "handler_any"),
        boom=FunctionRef(PROBE, "probe_boom", "handler_boom"),
        dbhook=FunctionRef(PROBE, "probe_dbhook", "handler_dbhook"),
        source=PROBE,
    )
