"""The upload service: create_app(config, store) builds the Flask app."""
from __future__ import annotations

import logging

from flask import Flask

from .config import Config
from .storage import S3Store

__all__ = ["create_app", "Config", "S3Store"]


def create_app(config: Config | None = None, store: S3Store | None = None) -> Flask:
    """Build the app. Nothing here touches the network: the S3 client is made on first use."""
    from . import api, companion, cors, errors_http, multipart_api, page

    config = config or Config.from_env()
    store = store or S3Store(config)
    app = Flask(__name__)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    # Flask enforces the inline limit itself; errors_http turns its 413 into the contract's.
    app.config["MAX_CONTENT_LENGTH"] = config.inline_max_bytes
    # Werkzeug counts its own parse buffer here: 64 KiB refused real photos (issue 10 sets it for good).
    app.config["MAX_FORM_MEMORY_SIZE"] = 500_000
    app.config["MAX_FORM_PARTS"] = 100
    app.extensions["upload_config"] = config
    app.extensions["upload_store"] = store
    app.register_blueprint(api.bp)
    app.register_blueprint(multipart_api.bp)
    app.register_blueprint(companion.bp)
    app.register_blueprint(page.bp)
    errors_http.register(app)
    cors.register(app, config.cors_allowed_origins)
    logging.getLogger("upload_core").setLevel(logging.INFO)
    return app
