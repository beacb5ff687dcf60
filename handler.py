"""Lambda entry points. Config and store are built once per container, at import, without
network calls; the Flask app only when `api` is first looked up, so the validate
function never loads Flask (Lambda resolves `handler.api` by getattr at init)."""

from __future__ import annotations

from typing import Any

from upload_core.config import Config
from upload_core.s3.store import S3Store
from upload_core.validator import make_validate_handler

config = Config.from_env()
store = S3Store(config)
validate = make_validate_handler(store, config)


def __getattr__(name: str) -> Any:
    """`api` and `app`, built on first use (PEP 562)."""
    if name not in ("api", "app"):
        raise AttributeError(f"module 'handler' has no attribute {name!r}")
    from upload_core.http import create_app
    from upload_core.http.gateway import make_api_handler

    app = create_app(config, store)
    globals().update(app=app, api=make_api_handler(app))
    return globals()[name]
