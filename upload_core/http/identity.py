"""Who is calling: the verified claims API Gateway's JWT authorizer put in the event.

The function never verifies a token itself: on AWS the HTTP API's JWT authorizer does
(signature, issuer, audience, expiry) and refuses a bad one before the function runs;
locally the devstack gateway does the same. serverless-wsgi hands the event over in
environ["serverless.event"], where the claims are
    payload 2.0 (HTTP API):  requestContext.authorizer.jwt.claims
    payload 1.0 (REST API):  requestContext.authorizer.claims
In AUTH_MODE=jwt every route but the public ones needs a caller: the pair (`iss`, `sub`),
which owns what it creates (a `sub` is unique only within its issuer).
"""

from __future__ import annotations

from typing import Any, Mapping

from flask import Flask, g, request

from ..errors import Unauthorized
from ..upload import Owner

# Endpoints anyone may call in jwt mode: the page and its assets, liveness, the document.
PUBLIC_ENDPOINTS = frozenset({"page.index", "page.asset", "uploads.healthz", "uploads.openapi"})


def claims_from_environ(environ: Mapping[str, Any]) -> dict[str, Any] | None:
    """The authorizer's claims, or None when the event carries none."""
    event = environ.get("serverless.event")
    if not isinstance(event, Mapping):
        return None
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    if not isinstance(authorizer, Mapping):
        return None
    jwt = authorizer.get("jwt")
    claims = jwt.get("claims") if isinstance(jwt, Mapping) else authorizer.get("claims")
    return dict(claims) if isinstance(claims, Mapping) else None


def caller_of(environ: Mapping[str, Any]) -> Owner | None:
    """The verified caller: issuer and subject, both non-empty strings, or None."""
    claims = claims_from_environ(environ) or {}
    iss, sub = claims.get("iss"), claims.get("sub")
    if isinstance(iss, str) and iss and isinstance(sub, str) and sub:
        return Owner(iss=iss, sub=sub)
    return None


def owner() -> Owner | None:
    """The caller who owns what this request touches; None in AUTH_MODE=none."""
    return g.get("upload_owner")


def register(app: Flask, auth_mode: str) -> None:
    """Register after CORS, so that a preflight (which never carries a token) is answered first."""

    @app.before_request
    def identify():
        g.upload_owner = None
        if auth_mode != "jwt" or request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
            return None  # no route: Flask answers 404 not_found
        if request.method == "OPTIONS":
            return None  # public on API Gateway too (OPTIONS /{proxy+}): it reads and changes nothing
        caller = caller_of(request.environ)
        if caller is None:
            raise Unauthorized()
        g.upload_owner = caller
        return None
