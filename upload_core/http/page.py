"""The upload page at GET / and its assets, served by the app itself (no CDN), so it
works offline and under an API Gateway stage prefix."""

from __future__ import annotations

import logging
import os
from importlib import resources
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, request
from markupsafe import escape

from ..errors import NotFound

log = logging.getLogger(__name__)
bp = Blueprint("page", __name__)

_ASSETS = {"upload.js": "text/javascript; charset=utf-8", "upload.css": "text/css; charset=utf-8"}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self' {s3}; form-action 'none'; frame-ancestors 'none'; base-uri 'none'; "
    "require-trusted-types-for 'script'"
)


def _read(name: str) -> str:
    return resources.files(__package__).joinpath("static", name).read_text("utf-8")


@bp.get("/")
def index():
    config = current_app.extensions["upload_config"]
    html = (
        _read("index.html")
        .replace("{{base}}", str(escape(request.script_root)))
        .replace("{{inline_max}}", str(config.inline_max_any))
        .replace("{{extensions}}", ",".join("." + e for e in config.allowed_extensions))
        .replace("{{extension_names}}", ", ".join(e.upper() for e in config.allowed_extensions))
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
    """The origin the presigned URLs point at, read off a URL signed as the routes sign
    them: locally the endpoint's (http://127.0.0.1:4569, path style), on AWS the
    bucket's virtual host (https://BUCKET.s3.amazonaws.com). Signing is local, no call."""
    cached = current_app.extensions.get("upload_page_s3_origin")
    if cached:
        return cached
    from botocore.exceptions import BotoCoreError

    store = current_app.extensions["upload_store"]
    try:
        url = store.client.generate_presigned_url(
            "put_object", Params={"Bucket": store.bucket, "Key": store.incoming_key("csp")}, ExpiresIn=60
        )
    except BotoCoreError:  # no credentials yet: the page still loads, with AWS's host names
        log.warning("could not sign a URL to find the S3 origin; using the bucket's AWS host names")
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        return f"https://{store.bucket}.s3.amazonaws.com https://{store.bucket}.s3.{region}.amazonaws.com"
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    current_app.extensions["upload_page_s3_origin"] = origin
    return origin
