"""A local API Gateway: HTTP request -> HTTP API (payload 2.0) event -> handler.api.

Requests take the deployed path, not a WSGI shortcut, so the parts that differ between
a laptop and Lambda behave as deployed: headers are folded and lower-cased, cookies
arrive in `cookies`, binary bodies are base64-encoded, and an event past Lambda's 6 MB
request payload never reaches the function. That one is answered here with the
contract's JSON 413 (too_large_for_inline) after the body has been read, so a client
sees an answer rather than a dropped connection.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Callable

from upload_core.errors import InternalError, TooLarge, UploadError

from .pump import LambdaContext

log = logging.getLogger("devstack.gateway")

LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024  # synchronous invocation request limit
HTTP_API_PAYLOAD_BYTES = 10 * 1024 * 1024  # what API Gateway accepts at all
DRAIN_BYTES = 64 * 1024 * 1024  # read (and drop) at most this much of a refused body
TEXT_TYPES = (
    "text/",
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
)


# Routes the deployed API leaves open in AUTH_MODE=jwt (infra/api_auth.js PUBLIC_ROUTES).
PUBLIC_ROUTES = ("GET /", "GET /assets/{name}", "GET /healthz", "GET /openapi.json", "OPTIONS /{proxy+}")
# The HTTP API's CORS configuration as serverless.yml deploys it (infra/cors.js).
CORS_METHODS = "GET,POST,DELETE,OPTIONS"
CORS_HEADERS = "content-type,authorization,x-requested-with"
CORS_EXPOSE = "location,etag"
CORS_MAX_AGE = "600"
UNAUTHORIZED = b'{"message":"Unauthorized"}'  # API Gateway's own body, not the function's


def is_public(method: str, path: str) -> bool:
    if method == "OPTIONS":
        return True
    return method in ("GET", "HEAD") and (
        path in ("/", "/healthz", "/openapi.json") or (path.startswith("/assets/") and path.count("/") == 2)
    )


class Gateway:
    """A WSGI app that invokes a Lambda handler with API Gateway v2 events; with an
    issuer (AUTH_MODE=jwt) it is also the JWT authorizer of every non-public route."""

    def __init__(
        self,
        handler: Callable[[dict, Any], dict],
        inline_max_bytes: int,
        port: int,
        issuer=None,
        sweeper=None,
        cors_origins: tuple[str, ...] | None = None,
        local_routes: dict[str, Callable[[str], dict]] | None = None,
    ):
        self.handler = handler
        self.inline_max_bytes = inline_max_bytes
        self.port = port
        self.issuer = issuer
        self.sweeper = sweeper
        # None: no gateway CORS (the function's own headers pass through, as without
        # provider.httpApi.cors); the stack passes CORS_ALLOWED_ORIGINS, as deployed.
        self.cors_origins = cors_origins
        # POST /_local/...: the stack's own controls (query string -> JSON), never the function's
        # (devstack/guardduty.py's holds).
        self.local_routes = local_routes or {}

    def __call__(self, environ, start_response):
        if self.cors_origins is None:
            return self._route(environ, start_response)
        return self._with_cors(environ, start_response)

    def _with_cors(self, environ, start_response):
        """As an HTTP API with a CORS configuration: API Gateway answers preflights itself,
        puts the configured headers on every answer to an allowed origin, its own errors
        included (the authorizer's 401, the payload 413), and drops the function's."""
        origin = environ.get("HTTP_ORIGIN")
        allowed = origin and ("*" in self.cors_origins or origin in self.cors_origins)
        allow_origin = "*" if "*" in self.cors_origins else origin
        if environ["REQUEST_METHOD"] == "OPTIONS" and environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD"):
            headers = [("Content-Length", "0")]
            if allowed:
                headers += [
                    ("Access-Control-Allow-Origin", allow_origin),
                    ("Access-Control-Allow-Methods", CORS_METHODS),
                    ("Access-Control-Allow-Headers", CORS_HEADERS),
                    ("Access-Control-Max-Age", CORS_MAX_AGE),
                ]
            start_response("204 No Content", headers)
            return [b""]

        def respond(status, headers, exc_info=None):
            headers = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
            if allowed:
                headers += [
                    ("Access-Control-Allow-Origin", allow_origin),
                    ("Access-Control-Expose-Headers", CORS_EXPOSE),
                ]
                if allow_origin != "*":
                    headers.append(("Vary", "Origin"))
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        return self._route(environ, respond)

    def _route(self, environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/")
        claims = None
        if method == "POST" and path == "/_local/sweep" and self.sweeper is not None:
            return self._sweep(environ, start_response)
        if method == "POST" and path in self.local_routes:
            data = json.dumps(self.local_routes[path](environ.get("QUERY_STRING", ""))).encode("utf-8")
            start_response("200 OK", [("Content-Type", "application/json"), ("Cache-Control", "no-store")])
            return [data]
        if self.issuer is not None:
            if method == "GET" and path == "/_local/token":
                return self._mint(environ, start_response)
            if not is_public(method, path):
                from .issuer import InvalidToken

                try:
                    claims = self.issuer.verify(environ.get("HTTP_AUTHORIZATION"))
                except InvalidToken as exc:
                    log.info("%s %s -> 401 (JWT authorizer: %s)", method, path, exc)
                    _drain(environ["wsgi.input"], min(int(environ.get("CONTENT_LENGTH") or 0), DRAIN_BYTES))
                    return _unauthorized(start_response)
        return self._invoke(environ, start_response, claims)

    def _mint(self, environ, start_response):
        """GET /_local/token?sub=NAME: a token for anyone, as a local stand-in for an
        OIDC provider's sign-in. Only the local gateway has this route."""
        from urllib.parse import parse_qs

        sub = (parse_qs(environ.get("QUERY_STRING", "")).get("sub") or ["local-user"])[0]
        data = json.dumps({"token": self.issuer.mint(sub), "sub": sub}).encode("utf-8")
        start_response("200 OK", [("Content-Type", "application/json"), ("Cache-Control", "no-store")])
        return [data]

    def _sweep(self, environ, start_response):
        """POST /_local/sweep[?later=SECONDS]: run handler.sweep now (only the local gateway has this)."""
        from urllib.parse import parse_qs

        later = float((parse_qs(environ.get("QUERY_STRING", "")).get("later") or ["0"])[0])
        data = json.dumps(self.sweeper.sweep_now(later)).encode("utf-8")
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    def _invoke(self, environ, start_response, claims: dict[str, str] | None):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        stream = environ["wsgi.input"]
        if length > HTTP_API_PAYLOAD_BYTES:
            _drain(stream, min(length, DRAIN_BYTES))
            return self._too_large(start_response, close=length > DRAIN_BYTES)
        if length:
            body = stream.read(length)
        elif environ.get("wsgi.input_terminated"):  # chunked: no length up front
            body = stream.read(HTTP_API_PAYLOAD_BYTES + 1)
            if len(body) > HTTP_API_PAYLOAD_BYTES:
                _drain(stream, DRAIN_BYTES)
                return self._too_large(start_response, close=True)
        else:
            body = b""
        event = self.event(environ, body)
        if claims is not None:
            event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
        if len(json.dumps(event)) > LAMBDA_PAYLOAD_BYTES:
            return self._too_large(start_response)
        try:
            result = self.handler(event, LambdaContext("api", timeout_seconds=29))
        except Exception:  # noqa: BLE001 - the function crashed: API Gateway answers 500
            log.exception("handler.api raised")
            return _json(start_response, InternalError())
        log.info("%s %s -> %s", environ["REQUEST_METHOD"], event["rawPath"], result.get("statusCode"))
        return _respond(start_response, result)

    def event(self, environ, body: bytes) -> dict[str, Any]:
        headers: dict[str, str] = {}
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                name = key[5:].replace("_", "-").lower()
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
                name = key.replace("_", "-").lower()
            else:
                continue
            headers[name] = f"{headers[name]},{value}" if name in headers else value
        cookie = headers.pop("cookie", "")
        headers.setdefault("x-forwarded-for", environ.get("REMOTE_ADDR", "127.0.0.1"))
        headers.setdefault("x-forwarded-port", str(self.port))
        headers.setdefault("x-forwarded-proto", environ.get("wsgi.url_scheme", "http"))
        path = environ.get("RAW_URI", environ.get("PATH_INFO", "/")).split("?", 1)[0] or "/"
        query = environ.get("QUERY_STRING", "")
        now = datetime.now(timezone.utc)
        event: dict[str, Any] = {
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": path,
            "rawQueryString": query,
            "headers": headers,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "local",
                "domainName": headers.get("host", "127.0.0.1"),
                "domainPrefix": "local",
                "http": {
                    "method": environ["REQUEST_METHOD"],
                    "path": path,
                    "protocol": environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
                    "sourceIp": environ.get("REMOTE_ADDR", "127.0.0.1"),
                    "userAgent": headers.get("user-agent", ""),
                },
                "requestId": uuid.uuid4().hex,
                "routeKey": "$default",
                "stage": "$default",
                "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "timeEpoch": int(time.time() * 1000),
            },
            "isBase64Encoded": False,
        }
        if cookie:
            event["cookies"] = [c.strip() for c in cookie.split(";") if c.strip()]
        if query:
            from urllib.parse import parse_qsl

            params: dict[str, str] = {}
            for key, value in parse_qsl(query, keep_blank_values=True):
                params[key] = f"{params[key]},{value}" if key in params else value
            event["queryStringParameters"] = params
        if body:
            event["body"], event["isBase64Encoded"] = _encode_body(body, headers)
        return event

    def _too_large(self, start_response, close: bool = False):
        err = TooLarge(
            "too_large_for_inline",
            f"The request body is over the Lambda payload limit ({LAMBDA_PAYLOAD_BYTES} bytes as an event). "
            "For a larger file, POST JSON {filename, size, content_type} to /uploads for a presigned upload.",
            max_inline_bytes=self.inline_max_bytes,
        )
        return _json(start_response, err, close=close)


def _unauthorized(start_response):
    start_response(
        "401 Unauthorized",
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(UNAUTHORIZED))),
            ("WWW-Authenticate", "Bearer"),
        ],
    )
    return [UNAUTHORIZED]


def _encode_body(body: bytes, headers: dict[str, str]) -> tuple[str, bool]:
    """As HTTP APIs do: text-like bodies as text, everything else base64."""
    ctype = headers.get("content-type", "").lower()
    if ctype.startswith(TEXT_TYPES) and not headers.get("content-encoding"):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def _respond(start_response, result: dict):
    status = int(result.get("statusCode", 200))
    headers = [(k, str(v)) for k, v in (result.get("headers") or {}).items()]
    for key, values in (result.get("multiValueHeaders") or {}).items():
        headers += [(key, str(v)) for v in values]
    headers += [("Set-Cookie", c) for c in result.get("cookies") or []]
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    headers = [(k, v) for k, v in headers if k.lower() not in ("content-length", "transfer-encoding")]
    headers.append(("Content-Length", str(len(data))))
    start_response(f"{status} {_reason(status)}", headers)
    return [data]


def _json(start_response, err: UploadError, close: bool = False):
    data = json.dumps(err.body()).encode("utf-8")
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    if close:
        headers.append(("Connection", "close"))
    start_response(f"{err.status} {_reason(err.status)}", headers)
    return [data]


def _drain(stream, limit: int) -> None:
    while limit > 0:
        chunk = stream.read(min(limit, 1024 * 1024))
        if not chunk:
            return
        limit -= len(chunk)


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def serve(host: str, port: int, gateway_factory: Callable[[int], Gateway]):
    """Start the gateway in a thread; return the server (its port is server.server_port)."""
    import threading

    from werkzeug.serving import make_server

    server = make_server(host, port, None, threaded=True)
    server.app = gateway_factory(server.server_port)
    threading.Thread(target=server.serve_forever, name="api-gateway", daemon=True).start()
    return server
