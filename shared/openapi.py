"""An OpenAPI 3.1 document for a set of functions, built from the pydantic models they declare.

Paths follow Supabase's URL shape, `/functions/v1/<kebab-name>`. Every operation documents its success
body (the `response_model`), its request body (the `request_model`) and the problem+json errors the
runtime can produce for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shared.function import Endpoint

PREFIX = "/functions/v1"

_PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "request_id"],
    "properties": {
        "type": {"type": "string", "format": "uri-reference"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
}
_ERRORS = {
    "400": "Malformed JSON body",
    "401": "Missing or invalid credential",
    "403": "Credential of the wrong kind",
    "405": "Method not allowed",
    "413": "Body too large",
    "415": "Unsupported content type",
    "422": "Validation failed",
    "500": "Unexpected error (shows only the request id)",
    "503": "Database or dependency unavailable (Retry-After)",
}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def build(
    endpoints: Iterable[Endpoint], *, title: str = "ODYSSEY Functions", version: str = "0.1.0"
) -> dict[str, Any]:
    """The OpenAPI 3.1 document for `endpoints` (as a JSON-ready dict)."""
    from pydantic.json_schema import models_json_schema

    eps = sorted(endpoints, key=lambda e: e.name)
    models: dict[Any, Any] = {}
    for ep in eps:
        if ep.request_model is not None:
            models[(ep.request_model, "validation")] = None
        if ep.response_model is not None:
            models[(ep.response_model, "serialization")] = None
        for extra in ep.responses.values():
            if not isinstance(extra, str):
                models[(extra, "serialization")] = None
    refs: dict[Any, Any] = {}
    schemas: dict[str, Any] = {}
    if models:
        refs, top = models_json_schema(list(models), ref_template="#/components/schemas/{model}")
        schemas.update(top.get("$defs", {}))
    schemas["Problem"] = _PROBLEM_SCHEMA
    paths: dict[str, Any] = {}
    for ep in eps:
        item: dict[str, Any] = {}
        for method in ep.methods:
            op: dict[str, Any] = {
                "operationId": f"{ep.name}_{method.lower()}",
                "summary": ep.summary,
                "description": ep.description,
                "tags": [ep.kebab_name],
                "responses": {},
            }
            ok: dict[str, Any] = {"description": "Success"}
            if ep.response_model is not None:
                ok["content"] = {"application/json": {"schema": refs[(ep.response_model, "serialization")]}}
            op["responses"][str(ep.status_code)] = ok
            for status, extra in sorted(ep.responses.items()):
                if isinstance(extra, str):
                    op["responses"][str(status)] = {"description": extra}
                else:
                    op["responses"][str(status)] = {
                        "description": (extra.__doc__ or extra.__name__).strip().split("\n")[0],
                        "content": {"application/json": {"schema": refs[(extra, "serialization")]}},
                    }
            if ep.request_model is not None and method in ("POST", "PUT", "PATCH"):
                op["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": refs[(ep.request_model, "validation")]}},
                }
            codes = ["405", "413", "500", "503"]
            if ep.content_types:
                codes.append("415")
            if ep.request_model is not None:
                codes += ["400", "422"]
            if ep.auth != "public":
                codes += ["401", "403"]
                op["security"] = [{"bearer": []}]
            else:
                op["security"] = []
            for code in sorted(codes):
                op["responses"].setdefault(code, _problem(_ERRORS[code]))
            item[method.lower()] = op
        paths[f"{PREFIX}/{ep.kebab_name}"] = item
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "A Supabase user access token, or the service credential for internal callers",
                }
            },
        },
    }
