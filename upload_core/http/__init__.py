"""The HTTP layer: the Flask app that API Gateway invokes through serverless-wsgi.

__init__.py   create_app(config, store): the app factory
requests.py   reading JSON bodies and fields into typed values (400 invalid_request)
uploads.py    /healthz, /uploads (inline and presigned), /uploads/ID, /uploads/ID/content
multipart.py  /uploads/ID/parts and /uploads/ID/complete
companion.py  Uppy Companion's /s3/... routes
page.py       the upload page at / and its assets (static/)
form.py       reading an inline multipart body: file parts up to the body limit, text fields bounded
cors.py       CORS preflights and headers for frontends on other origins
errors.py     the one place where errors become the contract's JSON
gateway.py    API Gateway event -> WSGI (serverless-wsgi), with its corrections
openapi/      the OpenAPI 3.1 document served at /openapi.json
"""

from __future__ import annotations

import logging

from flask import Flask

from ..config import Config
from ..s3.store import S3Store


def create_app(config: Config | None = None, store: S3Store | None = None) -> Flask:
    """Build the app. Nothing here touches the network: the S3 client is made on first use."""
    from . import companion, cors, errors, form, multipart, page, uploads

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
    for module in (uploads, multipart, companion, page):
        app.register_blueprint(module.bp)
    errors.register(app)
    cors.register(app, config.cors_allowed_origins)
    logging.getLogger("upload_core").setLevel(logging.INFO)
    return app
