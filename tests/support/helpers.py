"""Plain helpers the tests share (no fixtures here)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

EVENTS = Path(__file__).resolve().parent.parent / "events"
BUCKET = "uploads-test"


def load_event(name: str, **replacements: str) -> dict:
    """A real-shaped event from tests/events, with {placeholders} filled in."""
    text = (EVENTS / name).read_text("utf-8")
    for key, value in replacements.items():
        text = text.replace("{" + key + "}", value)
    return json.loads(text)


def keys(s3_client, bucket: str = BUCKET) -> list[str]:
    """Every key in the bucket: what a user would find there."""
    listing = s3_client.list_objects_v2(Bucket=bucket)
    return sorted(o["Key"] for o in listing.get("Contents", []))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def import_handler():
    """A fresh import of handler, so it reads the environment the test set up."""
    import importlib
    import sys

    sys.modules.pop("handler", None)
    return importlib.import_module("handler")


def caller(sub: str | None, payload: str = "2.0") -> dict:
    """A WSGI environ as serverless-wsgi builds it after API Gateway's JWT authorizer let a
    token for `sub` through (None: no authorizer claims). For the test client's environ_base."""
    if sub is None:
        return {}
    claims = {"sub": sub, "iss": "https://issuer.example", "aud": "upload-api"}
    authorizer = {"jwt": {"claims": claims, "scopes": None}} if payload == "2.0" else {"claims": claims}
    return {"serverless.event": {"version": payload, "requestContext": {"authorizer": authorizer}}}
