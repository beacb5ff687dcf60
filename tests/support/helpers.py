"""Plain helpers the tests share (no fixtures here)."""

from __future__ import annotations

import hashlib
import json
import signal
import socket
from contextlib import contextmanager
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


def served_key(upload_id: str, data: bytes) -> str:
    """Where the service serves `data` for an upload: files/ID/SHA256HEX (s3/served.py)."""
    return f"files/{upload_id}/{hashlib.sha256(data).hexdigest()}"


def served_bytes(s3_client, upload_id: str, bucket: str = BUCKET) -> bytes:
    """The one object under the upload's served prefix, as S3 holds it."""
    listing = s3_client.list_objects_v2(Bucket=bucket, Prefix=f"files/{upload_id}/")
    [obj] = listing.get("Contents", [])
    return s3_client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()


def as_typed_at_a_terminal() -> None:
    """preexec_fn for a command whose Ctrl-C handling is under test: a command typed at a
    terminal starts with SIGINT at its default, but a background job of a script (CI's
    steps that run beside others) inherits it ignored (POSIX), and make and Python keep it so."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


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


ISSUER = "https://issuer.example"


def owner_of(sub: str, iss: str = ISSUER):
    """The owner a caller() of `sub` is (the pair issuer, subject)."""
    from upload_core.upload import Owner

    return Owner(iss=iss, sub=sub)


def caller(sub: str | None, payload: str = "2.0", iss: str = ISSUER) -> dict:
    """A WSGI environ as serverless-wsgi builds it after API Gateway's JWT authorizer let a
    token for `sub` of `iss` through (None: no authorizer claims). For the test client's environ_base."""
    if sub is None:
        return {}
    claims = {"sub": sub, "iss": iss, "aud": "upload-api"}
    authorizer = {"jwt": {"claims": claims, "scopes": None}} if payload == "2.0" else {"claims": claims}
    return {"serverless.event": {"version": payload, "requestContext": {"authorizer": authorizer}}}


@contextmanager
def serving(wsgi_app, store, config):
    """`wsgi_app` over real HTTP on 127.0.0.1, with the validator run on every object that
    lands under incoming/ (what the bucket's notification does on AWS); yields its URL."""
    import threading

    from werkzeug.serving import make_server

    from upload_core.validator import validate_event

    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stop = threading.Event()

    def notify():
        while not stop.wait(0.1):
            listing = store.client.list_objects_v2(Bucket=store.bucket, Prefix="incoming/")
            for obj in listing.get("Contents", []):
                validate_event(load_event("s3_object_created.json", bucket=store.bucket, key=obj["Key"]), store, config)

    pump = threading.Thread(target=notify, daemon=True)
    pump.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        stop.set()
        pump.join()
        server.shutdown()


GATEWAY_HOST = "abcdef1234.execute-api.us-east-1.amazonaws.com"


def form_body(name: str, data: bytes, boundary: str = "----upload7MA4YWxkTrZu0gW") -> tuple[bytes, str]:
    """A multipart/form-data body with one part named `file`, and its Content-Type."""
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def v2_post(body: bytes, content_type: str, stage: str = "$default", host: str = GATEWAY_HOST) -> dict:
    """An HTTP API (payload 2.0) event of POST /uploads with a base64 body, as API Gateway sends it."""
    import base64

    raw_path = "/uploads" if stage == "$default" else f"/{stage}/uploads"
    return load_event(
        "api_v2_post_uploads.json",
        raw_path=raw_path,
        stage=stage,
        host=host,
        content_type=content_type,
        body=base64.b64encode(body).decode(),
    )
