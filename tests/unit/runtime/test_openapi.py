"""The gateway's OpenAPI 3.1 document lists every function and validates."""

from __future__ import annotations

from openapi_spec_validator import validate

from devkit import gateway


def test_every_function_appears_and_the_document_validates(function_env, monkeypatch):
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_test_only")
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_only")
    app = gateway.build(fresh=True)
    folders = {p.parent.name.replace("_", "-") for p in gateway.discover()}
    assert app.failures == {}, app.failures
    assert set(app.endpoints) == folders
    doc = app.openapi()
    validate(doc)
    assert doc["openapi"] == "3.1.0"
    assert {p.removeprefix("/functions/v1/") for p in doc["paths"]} == folders
    beat = doc["paths"]["/functions/v1/heartbeat"]["get"]
    assert beat["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/HeartbeatResponse"
    }
    assert "HeartbeatResponse" in doc["components"]["schemas"]
    assert beat["security"] == []
    degraded = beat["responses"]["503"]["content"]["application/json"]["schema"]
    assert degraded == {"$ref": "#/components/schemas/HeartbeatResponse"}


def test_the_gateway_serves_the_document_and_routes(function_env):
    from werkzeug.test import Client

    app = gateway.build(fresh=True)
    client = Client(app)
    r = client.get("/functions/v1/openapi.json")
    assert r.status_code == 200 and "/functions/v1/heartbeat" in r.get_json()["paths"]
    assert client.get("/functions/v1/heartbeat").status_code == 200
    missing = client.get("/functions/v1/no-such-function")
    assert missing.status_code == 404 and missing.headers["Content-Type"] == "application/problem+json"
    assert client.get("/auth/v1/.well-known/jwks.json").get_json() == {"keys": []}


def test_probe_models_become_request_and_response_schemas(function_env, probes):
    eps = gateway.endpoints_in(gateway.load_module(probes.source, fresh=True))
    from shared import openapi

    doc = openapi.build(eps)
    validate(doc)
    op = doc["paths"]["/functions/v1/probe-user"]["post"]
    assert op["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/EchoIn"
    }
    assert set(op["responses"]) >= {"200", "400", "401", "403", "405", "413", "415", "422", "500", "503"}
    assert op["security"] == [{"bearer": []}]
    assert doc["components"]["schemas"]["EchoIn"]["required"] == ["name", "amount"]


def test_the_gateway_server_keeps_connections_alive(function_env):
    import http.client
    import threading

    server = gateway.make_server(gateway.build(fresh=True), 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=10)
        conn.connect()
        first_socket = conn.sock
        answers = []
        for path in (
            "/functions/v1/heartbeat",
            "/functions/v1/openapi.json",
            "/functions/v1/no-such-function",
        ):
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            answers.append((resp.status, resp.getheader("Connection")))
        # three answers over the one connection (http.client would silently reconnect after a close)
        assert conn.sock is first_socket
        assert [status for status, _ in answers] == [200, 200, 404]
        assert all(header != "close" for _, header in answers)
        conn.close()
    finally:
        server.close()
        thread.join(timeout=5)
