"""S3's CORS rules, enforced in front of moto's S3 server.

moto either answers every origin (its global CORS) or, with that turned off, applies
bucket rules to some requests and sends nothing on a form POST to the bucket. Browsers
(Uppy sends single files as a form POST) need the real behaviour, so that a missing
origin or a missing `ExposeHeaders: ETag` fails here as it would on AWS. This WSGI
middleware answers preflights and adds the CORS headers itself, from the bucket's own
CORS configuration (whatever PutBucketCors stored), as S3 does:
- preflight (OPTIONS with Origin and Access-Control-Request-Method): the first rule whose
  origin, method and every requested header match answers 200; none: 403.
- any other request with an Origin: the first rule matching origin and method adds
  Access-Control-Allow-Origin and Expose-Headers; none: no CORS headers at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable

SKIP_PATHS = ("/moto-api",)


@dataclass(frozen=True)
class CorsRule:
    allowed_origins: tuple[str, ...]
    allowed_methods: tuple[str, ...]
    allowed_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age_seconds: int | None = None

    def matches(self, origin: str, method: str, headers: Iterable[str] = ()) -> bool:
        return (
            any(_wildcard(p, origin) for p in self.allowed_origins)
            and method.upper() in self.allowed_methods
            and all(any(_wildcard(p, h, ci=True) for p in self.allowed_headers) for h in headers)
        )

    def allow_origin(self, origin: str) -> str:
        return "*" if "*" in self.allowed_origins else origin


RulesFor = Callable[[str], "list[CorsRule] | None"]


def _wildcard(pattern: str, value: str, ci: bool = False) -> bool:
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, value, re.IGNORECASE if ci else 0) is not None


class S3CorsMiddleware:
    def __init__(self, app, rules_for: RulesFor):
        self.app = app
        self.rules_for = rules_for

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        bucket = _bucket_of(environ)
        origin = environ.get("HTTP_ORIGIN")
        if bucket is None or path.startswith(SKIP_PATHS):
            return self.app(environ, start_response)
        method = environ["REQUEST_METHOD"]
        if method == "OPTIONS":
            return self._preflight(environ, start_response, bucket, origin)
        rule = None
        if origin:
            rule = next((r for r in self.rules_for(bucket) or () if r.matches(origin, method)), None)

        def cors_start_response(status, headers, exc_info=None):
            headers = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
            if rule is not None:
                headers += _cors_headers(rule, origin)
            return start_response(status, headers, exc_info)

        return self.app(environ, cors_start_response)

    def _preflight(self, environ, start_response, bucket: str, origin: str | None):
        request_method = environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD")
        if not origin or not request_method:
            return _xml_error(
                start_response,
                "400 Bad Request",
                "BadRequest",
                "Insufficient information. Origin request header needed.",
            )
        rules = self.rules_for(bucket)
        if not rules:
            return _xml_error(
                start_response, "403 Forbidden", "AccessForbidden", "CORSResponse: CORS is not enabled for this bucket."
            )
        asked = [h.strip() for h in environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "").split(",") if h.strip()]
        rule = next((r for r in rules if r.matches(origin, request_method, asked)), None)
        if rule is None:
            return _xml_error(
                start_response,
                "403 Forbidden",
                "AccessForbidden",
                "CORSResponse: This CORS request is not allowed. This is usually because the "
                "evalution of Origin, request method / Access-Control-Request-Method or "
                "Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
            )
        headers = _cors_headers(rule, origin)
        if asked:
            headers.append(("Access-Control-Allow-Headers", ", ".join(asked)))
        headers.append(("Content-Length", "0"))
        start_response("200 OK", headers)
        return [b""]


def _cors_headers(rule: CorsRule, origin: str) -> list[tuple[str, str]]:
    allow = rule.allow_origin(origin)
    headers = [
        ("Access-Control-Allow-Origin", allow),
        ("Access-Control-Allow-Methods", ", ".join(rule.allowed_methods)),
        ("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"),
    ]
    if allow != "*":
        headers.append(("Access-Control-Allow-Credentials", "true"))
    if rule.expose_headers:
        headers.append(("Access-Control-Expose-Headers", ", ".join(rule.expose_headers)))
    if rule.max_age_seconds is not None:
        headers.append(("Access-Control-Max-Age", str(rule.max_age_seconds)))
    return headers


def _bucket_of(environ) -> str | None:
    """The bucket a request addresses: path style (/bucket/key) or virtual host (bucket.host)."""
    host = environ.get("HTTP_HOST", "").split(":")[0]
    if host.count(".") and not host.replace(".", "").isdigit() and not host.startswith("s3."):
        first = host.split(".")[0]
        if first not in ("localhost", "s3"):
            return first
    segment = environ.get("PATH_INFO", "").lstrip("/").split("/", 1)[0]
    return segment or None


def _xml_error(start_response, status: str, code: str, message: str):
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>'
    ).encode()
    start_response(status, [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
    return [body]


def rules_from_moto(account_id: str = "123456789012") -> RulesFor:
    """The CORS rules moto stored for a bucket (None: no bucket or no configuration)."""

    def rules_for(bucket_name: str) -> list[CorsRule] | None:
        from moto.s3.models import s3_backends

        bucket = s3_backends[account_id]["aws"].buckets.get(bucket_name)
        if bucket is None or not bucket.cors:
            return None
        return [
            CorsRule(
                allowed_origins=tuple(r.allowed_origins or ()),
                allowed_methods=tuple(m.upper() for m in r.allowed_methods or ()),
                allowed_headers=tuple(r.allowed_headers or ()),
                expose_headers=tuple(r.exposed_headers or ()),
                max_age_seconds=int(r.max_age_seconds) if r.max_age_seconds is not None else None,
            )
            for r in bucket.cors
        ]

    return rules_for
