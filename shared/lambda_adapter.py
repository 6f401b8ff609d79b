"""AWS Lambda: function-URL events (payload format 2.0) and EventBridge scheduled events, one adapter.

    handler = lambda_handler(my_function)      # in functions/<name>/main.py; serverless.yml: main.handler

* Function-URL / HTTP API v2 events (`requestContext.http` present) become an HTTP `Request`: `rawPath`,
  `rawQueryString`, lower-cased `headers` (plus `cookies`), `body` decoded from base64 when
  `isBase64Encoded`. The response is `{statusCode, headers, body, isBase64Encoded}` with `cookies` for
  Set-Cookie (text bodies as UTF-8, anything else base64).
* Any other event is a direct invocation by AWS (EventBridge rule or Scheduler: only IAM principals can
  invoke a function without a URL) and becomes a `trigger="schedule"` request whose JSON body is the rule's
  `Input`, or the `detail` of the default `{"source": "aws.events", "detail-type": "Scheduled Event"}` shape.
  Scheduled invocations return the response as a plain dict (`statusCode`, `body` as JSON when it is).
* Without an `X-Request-Id` from the caller, the request id is Lambda's own (function-URL `requestId`,
  `context.aws_request_id`, or the EventBridge event id), so log lines correlate with CloudWatch.

Nothing here imports Flask or functions-framework (cold start).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import Any

from shared.errors import BadRequestError
from shared.function import endpoint_of
from shared.http import Headers, Request, Response, ascii_int, dumps

_TEXTUAL = (
    "application/json",
    "application/problem+json",
    "text/",
    "application/xml",
    "application/javascript",
)


def is_http_event(event: Any) -> bool:
    """Whether `event` is a function-URL / HTTP API payload 2.0 event."""
    return (
        isinstance(event, Mapping)
        and isinstance(event.get("requestContext"), Mapping)
        and "http" in event["requestContext"]
    )


def request_from_url_event(event: Mapping[str, Any]) -> Request:
    """Build a `Request` from a function-URL (payload 2.0) event.

    Raises `BadRequestError` when `isBase64Encoded` is set and the body is not base64.
    """
    http = event["requestContext"]["http"]
    if not isinstance(http, Mapping):
        http = {}
    headers = Headers()
    for name, value in (event.get("headers") or {}).items():
        headers.add(name, value)
    if "x-request-id" not in headers and event["requestContext"].get("requestId"):
        headers.add("x-request-id", str(event["requestContext"]["requestId"]))  # correlate with CloudWatch
    cookies = event.get("cookies") or []
    if cookies:
        headers.add("cookie", "; ".join(cookies))
    raw = event.get("body") or ""
    try:
        body = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode("utf-8")
    except ValueError:  # binascii.Error: bad padding or characters outside the alphabet
        raise BadRequestError("the body is marked base64-encoded but does not decode") from None
    length = headers.get("content-length")
    return Request(
        method=str(http.get("method", "GET")).upper(),
        path=event.get("rawPath") or http.get("path") or "/",
        headers=headers,
        query_string=event.get("rawQueryString") or "",
        body=body,
        remote_addr=http.get("sourceIp"),
        content_length=ascii_int(length),
    )


def request_from_scheduled_event(event: Any, method: str, request_id: str | None = None) -> Request:
    """Build a `trigger="schedule"` request from an EventBridge event or a rule's `Input` JSON."""
    payload = event
    if isinstance(event, Mapping) and event.get("source") == "aws.events" and "detail-type" in event:
        payload = event.get("detail") or {}
        request_id = request_id or (str(event["id"]) if event.get("id") else None)
    headers = Headers({"content-type": "application/json"})
    if request_id:
        headers.add("x-request-id", request_id)
    return Request(
        method=method,
        path="/",
        headers=headers,
        body=dumps(payload),
        trigger="schedule",
    )


def url_response(response: Response) -> dict[str, Any]:
    """Shape a `Response` for a function URL (payload 2.0)."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in response.headers.items():
        low = name.lower()
        if low == "set-cookie":
            cookies.append(value)
        elif low in headers:
            headers[low] = f"{headers[low]}, {value}"
        else:
            headers[low] = value
    ctype = headers.get("content-type", "")
    textual = not response.body or ctype.startswith(_TEXTUAL)
    out: dict[str, Any] = {
        "statusCode": response.status,
        "headers": headers,
        "body": response.body.decode("utf-8") if textual else base64.b64encode(response.body).decode("ascii"),
        "isBase64Encoded": not textual,
    }
    if cookies:
        out["cookies"] = cookies
    return out


def scheduled_response(response: Response) -> dict[str, Any]:
    """Shape a `Response` for a direct invocation: status, request id and the JSON body."""
    try:
        body: Any = json.loads(response.body) if response.body else None
    except ValueError:
        body = response.body.decode("utf-8", "replace")
    return {"statusCode": response.status, "requestId": response.headers.get("X-Request-Id"), "body": body}


def lambda_handler(entry: Any) -> Callable[[Any, Any], dict[str, Any]]:
    """The AWS Lambda handler for a decorated function (or its `Endpoint`)."""
    endpoint = endpoint_of(entry)

    def handler(event: Any, context: Any = None) -> dict[str, Any]:
        if is_http_event(event):
            try:
                request, failure = request_from_url_event(event), None
            except BadRequestError as exc:  # answered as a problem, through the pipeline (request id, log)
                request = request_from_url_event({**event, "body": None, "isBase64Encoded": False})
                failure = exc
            return url_response(endpoint.handle(request, failure))
        request_id = getattr(context, "aws_request_id", None)
        request = request_from_scheduled_event(event, endpoint.schedule_method, request_id)
        return scheduled_response(endpoint.handle(request))

    handler.endpoint = endpoint  # type: ignore[attr-defined]
    return handler
