"""Who may call what, in the OpenAPI document: GET /uploads (the caller's list), the bearer
scheme, and 401/429 on every route that needs an identity in AUTH_MODE=jwt."""

from __future__ import annotations

from typing import Any

from .common import errors as _errors
from .common import json_response as _json
from .common import ref as _ref

# Paths anyone may call in jwt mode (http/identity.py's PUBLIC_ENDPOINTS).
PUBLIC_PATHS = ("/", "/assets/{name}", "/healthz", "/openapi.json")

_PAGE = {"type": "integer", "minimum": 1, "maximum": 100}
SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "AUTH_MODE=jwt: a token from the deployment's issuer (API Gateway's JWT authorizer checks "
        "signature, issuer, audience and expiry); its `sub` owns what it creates. AUTH_MODE=none: not needed.",
    }
}


def list_path() -> dict[str, Any]:
    return {
        "summary": "The caller's uploads, newest first",
        "operationId": "listUploads",
        "description": "AUTH_MODE=jwt: the caller's own uploads, read from their own index (never anyone "
        "else's). Pass next_cursor back as cursor for the next page; null on the last. AUTH_MODE=none: 404 "
        "not_found (without owners there is nothing to list by).",
        "parameters": [
            {
                "name": "limit",
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
            },
            {"name": "cursor", "in": "query", "schema": {"type": "string"}},
        ],
        "responses": {
            "200": _json(
                {
                    "type": "object",
                    "required": ["uploads", "next_cursor"],
                    "properties": {
                        "uploads": {"type": "array", "items": _ref("Upload")},
                        "next_cursor": {"type": ["string", "null"]},
                    },
                },
                "A page of uploads",
            ),
            **_errors(400, 404, 503),
        },
    }


def protect(paths: dict[str, Any]) -> dict[str, Any]:
    """Mark every non-public operation as needing the bearer scheme, with its 401 and 429
    (quota_exceeded where an upload is created; API Gateway's stage throttling anywhere)."""
    for path, item in paths.items():
        if path in PUBLIC_PATHS:
            continue
        for method, operation in item.items():
            if method not in ("get", "post", "put", "delete", "patch"):
                continue
            operation["security"] = [{"bearer": []}]
            operation["responses"] = {**operation["responses"], **_errors(401, 429)}
    return paths
