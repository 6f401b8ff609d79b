"""Deploy checks load functions with the same environment as the function tests."""

from tests.functions.conftest import function_env, jwks_server, keyset  # noqa: F401 - fixtures re-exported
