"""The one place where errors become HTTP responses in the contract's JSON shape."""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from ..errors import BadRequest, InternalError, MethodNotAllowed, NotFound, TooLarge, UploadError
from .requests import too_large_json

log = logging.getLogger(__name__)


def render(err: UploadError):
    response = jsonify(err.body())
    response.status_code = err.status
    response.headers.update(getattr(err, "headers", {}))
    return response


def _http_error(exc: HTTPException):
    """Werkzeug's own errors (routing, body size, parsing) in the contract's shape."""
    code = exc.code or 500
    if code == 404:
        err: UploadError = NotFound("not_found", f"No route for {request.method} {request.path}")
    elif code == 405:
        allowed = sorted(getattr(exc, "valid_methods", None) or [])
        err = MethodNotAllowed(
            "method_not_allowed", f"{request.method} is not allowed on {request.path}", allowed_methods=allowed
        )
    elif code == 413 and request.mimetype != "multipart/form-data":
        # Flask's cap on every body is the inline limit; only a form is an inline upload.
        err = too_large_json()
    elif code == 413:
        limit = current_app.extensions["upload_config"].inline_max_bytes
        err = TooLarge(
            "too_large_for_inline",
            f"The request body is over {limit} bytes, the inline limit. For a larger file, POST JSON "
            "{filename, size, content_type} to /uploads for a presigned upload.",
            max_inline_bytes=limit,
        )
    elif 400 <= code < 500:
        err = BadRequest("invalid_request", exc.description or "Malformed request")
    else:
        log.error("HTTP %s: %s", code, exc)
        err = InternalError()
    response = render(err)
    if code == 405 and getattr(exc, "valid_methods", None):
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def _unexpected(exc: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    return render(InternalError())


def register(app: Flask) -> None:
    app.register_error_handler(UploadError, render)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
