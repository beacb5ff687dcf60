"""CORS for browser frontends on other origins: preflights and response headers.

The same origin list configures the bucket's CORS rule (see serverless.yml and the local
stack), so a page allowed to call the API is allowed to send the bytes to S3.
"""

from __future__ import annotations

from flask import Flask, Response, request

ALLOWED_HEADERS = "Content-Type, Authorization, X-Requested-With"
# Only what the routes answer: no route takes PUT (bytes go to S3 by presigned URLs).
ALLOWED_METHODS = "GET, POST, DELETE, OPTIONS"


def register(app: Flask, origins: tuple[str, ...]) -> None:
    any_origin = "*" in origins

    def allowed(origin: str | None) -> str | None:
        if not origin:
            return None
        if any_origin:
            return "*"
        return origin if origin in origins else None

    @app.before_request
    def preflight():
        if request.method == "OPTIONS" and request.headers.get("Access-Control-Request-Method"):
            response = Response(status=204)
            allow = allowed(request.headers.get("Origin"))
            if allow:
                response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
                response.headers["Access-Control-Allow-Headers"] = (
                    request.headers.get("Access-Control-Request-Headers") or ALLOWED_HEADERS
                )
                response.headers["Access-Control-Max-Age"] = "600"
            return response
        return None

    @app.after_request
    def add_headers(response: Response) -> Response:
        allow = allowed(request.headers.get("Origin"))
        if allow:
            response.headers["Access-Control-Allow-Origin"] = allow
            response.headers["Access-Control-Expose-Headers"] = "Location, ETag"
            if allow != "*":
                response.headers.add("Vary", "Origin")
        return response
