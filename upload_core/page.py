"""The upload page at GET / and its assets, served by the app itself (no CDN), so it
works offline and under an API Gateway stage prefix."""
from __future__ import annotations

from importlib import resources

from flask import Blueprint, Response, current_app, request

from .errors import NotFound

bp = Blueprint("page", __name__)

_ASSETS = {"upload.js": "text/javascript; charset=utf-8", "upload.css": "text/css; charset=utf-8"}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' {s3}; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)


def _read(name: str) -> str:
    return resources.files(__package__).joinpath("static", name).read_text("utf-8")


@bp.get("/")
def index():
    config = current_app.extensions["upload_config"]
    html = (
        _read("index.html")
        .replace("{{base}}", request.script_root)
        .replace("{{inline_max}}", str(config.inline_max_bytes))
        .replace("{{extensions}}", ",".join("." + e for e in config.allowed_extensions))
    )
    response = Response(html, mimetype="text/html")
    # Presigned uploads go to S3 directly: the page may connect there, nowhere else.
    response.headers["Content-Security-Policy"] = CSP.format(s3=_s3_origin())
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/assets/<name>")
def asset(name: str):
    if name not in _ASSETS:
        raise NotFound("not_found", f"No asset {name}")
    response = Response(_read(name), mimetype=_ASSETS[name].split(";")[0])
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _s3_origin() -> str:
    import os
    from urllib.parse import urlsplit

    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        parts = urlsplit(endpoint)
        return f"{parts.scheme}://{parts.netloc}"
    return "https://*.amazonaws.com"
