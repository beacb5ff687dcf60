"""The HTTP layer: the Flask app that API Gateway invokes through serverless-wsgi.

__init__.py   create_app(config, store): the app factory
requests.py   reading JSON bodies and fields into typed values (400 invalid_request)
uploads.py    /healthz, /uploads (inline and presigned), /uploads/ID, /uploads/ID/content
multipart.py  /uploads/ID/parts and /uploads/ID/complete
companion.py  Uppy Companion's /s3/... routes
page.py       the upload page at / and its assets (static/)
form.py       reading an inline multipart body: file parts up to the body limit, text fields bounded
cors.py       CORS preflights and headers for frontends on other origins
identity.py   who is calling (the JWT authorizer's claims), required in AUTH_MODE=jwt
errors.py     the one place where errors become the contract's JSON
gateway.py    API Gateway event -> WSGI (serverless-wsgi), with its corrections
openapi/      the OpenAPI 3.1 document served at /openapi.json
"""

from __future__ import annotations

import logging

from flask import Flask

from ..config import Config
from ..notify import DecisionEvents
from ..s3.store import S3Store


def create_app(
    config: Config | None = None, store: S3Store | None = None, events: DecisionEvents | None = None
) -> Flask:
    """Build the app. Nothing here touches the network: the S3 and EventBridge clients are
    made on first use."""
    from . import companion, cors, errors, form, identity, multipart, page, uploads

    config = config or Config.from_env()
    store = store or S3Store(config)
    app = Flask(__name__)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    # Flask enforces the inline limit itself; errors.py turns its 413 into the contract's.
    app.config["MAX_CONTENT_LENGTH"] = config.inline_max_bytes
    # No route reads request.form/files: form.py parses inline bodies with limits that count
    # fields only (Werkzeug's max_form_memory_size also counts its parse buffer, which refused
    # ordinary photos). These only guard a future request.form.
    app.config["MAX_FORM_MEMORY_SIZE"] = form.MAX_FIELD_BYTES
    app.config["MAX_FORM_PARTS"] = form.MAX_PARTS
    app.extensions["upload_config"] = config
    app.extensions["upload_store"] = store
    app.extensions["upload_events"] = events or DecisionEvents(config.event_bus_name)
    app.before_request(_bind_upload_id)
    for module in (uploads, multipart, companion, page):
        app.register_blueprint(module.bp)
    errors.register(app)
    cors.register(app, config.cors_allowed_origins)
    identity.register(app, config.auth_mode)
    logging.getLogger("upload_core").setLevel(logging.INFO)
    return app


def _bind_upload_id() -> None:
    """Routes about one upload log its id on every line (telemetry.bind)."""
    from flask import request

    from .. import telemetry

    telemetry.bind(upload_id=(request.view_args or {}).get("upload_id"))
