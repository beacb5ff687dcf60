"""API Gateway -> WSGI, through serverless-wsgi, with these corrections:

- a body that claims base64 but does not decode gets the contract's 400, not a crash (it is
  decoded once, strictly, here: serverless-wsgi would decode it again, leniently);
- fields serverless-wsgi indexes without a default (a null body with isBase64Encoded, a
  payload 2.0 event without `headers`, a null requestContext) are filled in as empty, and
  an event it still cannot read is the contract's 400, never an exception out of the handler;
- HTTP API (payload 2.0) stages: serverless-wsgi would mount the app at "/$default" for
  the default stage and not strip a named stage from rawPath, so links would be wrong.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Any, Callable

from ..errors import BadRequest

LambdaHandler = Callable[[dict, Any], dict]
log = logging.getLogger(__name__)


def make_api_handler(app) -> LambdaHandler:
    import serverless_wsgi

    app.wsgi_app = StagePrefix(app.wsgi_app)

    def api(event: dict, context: Any) -> dict:
        if not isinstance(event, dict):
            return _error_response(BadRequest("invalid_request", "The event is not a JSON object"))
        event = _filled_in(event)
        body = event.get("body")
        if not isinstance(body, str):
            return _error_response(BadRequest("invalid_request", "The event's body is not a string"))
        if event.get("isBase64Encoded") and body:
            try:
                # Decoded once, here, strictly; serverless-wsgi passes bytes through as they are.
                event.update(body=base64.b64decode(body, validate=True), isBase64Encoded=False)
            except (binascii.Error, ValueError):
                return _error_response(BadRequest("invalid_request", "The body is not valid base64"))
        try:
            return serverless_wsgi.handle_request(app, event, context)
        except Exception:  # noqa: BLE001 - the app renders its own errors; this is the event's shape
            log.warning("unreadable API Gateway event (keys %s)", sorted(map(str, event))[:20], exc_info=True)
            return _error_response(BadRequest("invalid_request", "The API Gateway event could not be read"))

    return api


def _filled_in(event: dict) -> dict:
    """A shallow copy with the parts serverless-wsgi reads without a default made present."""
    event = dict(event)
    if event.get("body") is None:
        event["body"] = ""
    if not isinstance(event.get("headers"), dict):
        event["headers"] = {}
    if not isinstance(event.get("multiValueHeaders"), (dict, type(None))):
        event["multiValueHeaders"] = None
    if not isinstance(event.get("requestContext"), dict):
        event["requestContext"] = {}
    return event


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
