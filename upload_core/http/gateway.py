"""API Gateway -> WSGI, through serverless-wsgi, with two corrections:

- a body that claims base64 but does not decode gets the contract's 400, not a crash;
- HTTP API (payload 2.0) stages: serverless-wsgi would mount the app at "/$default" for
  the default stage and not strip a named stage from rawPath, so links would be wrong.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, Callable

from ..errors import BadRequest

LambdaHandler = Callable[[dict, Any], dict]


def make_api_handler(app) -> LambdaHandler:
    import serverless_wsgi

    app.wsgi_app = StagePrefix(app.wsgi_app)

    def api(event: dict, context: Any) -> dict:
        if event.get("isBase64Encoded") and event.get("body"):
            try:
                base64.b64decode(event["body"], validate=True)
            except (binascii.Error, ValueError):
                return _error_response(BadRequest("invalid_request", "The body is not valid base64"))
        return serverless_wsgi.handle_request(app, event, context)

    return api


def _error_response(err) -> dict:
    return {
        "statusCode": err.status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(err.body()),
        "isBase64Encoded": False,
    }


class StagePrefix:
    """WSGI middleware: set SCRIPT_NAME/PATH_INFO from the payload 2.0 stage."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        event = environ.get("serverless.event") or {}
        if event.get("version") == "2.0":
            stage = (event.get("requestContext") or {}).get("stage") or "$default"
            path = environ.get("PATH_INFO", "")
            prefix = f"/{stage}"
            if stage != "$default" and (path == prefix or path.startswith(prefix + "/")):
                environ["SCRIPT_NAME"] = prefix
                environ["PATH_INFO"] = path[len(prefix) :] or "/"
            elif environ.get("SCRIPT_NAME") == prefix or stage == "$default":
                environ["SCRIPT_NAME"] = ""
        return self.wsgi_app(environ, start_response)
