"""Helpers shared by the large-file tests (multipart, Companion, CLI)."""

from __future__ import annotations

import base64
import hashlib
from functools import cache

import requests

from tests.support import samples
from tests.support.helpers import load_event

MiB = 1024 * 1024


@cache
def png_of(mib: int) -> bytes:
    """A valid PNG a little over `mib` MiB (noise: it does not compress)."""
    return samples.big_png(mib * MiB)


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def put(url: str, data: bytes, headers: dict | None = None) -> str:
    """A PUT to a presigned URL, as a browser or the CLI sends it; the ETag it answers."""
    response = requests.put(url, data=data, headers=headers or {}, timeout=30)
    assert response.status_code == 200, response.text
    return response.headers["ETag"]


def validate(app, upload_id: str, times: int = 1, event: str = "s3_object_created.json") -> dict:
    """Feed the validator the S3 event(s) of incoming/ID, as the bucket notification would."""
    from upload_core.validator import validate_event

    store, config = app.extensions["upload_store"], app.extensions["upload_config"]
    records = []
    for _ in range(times):
        records += load_event(event, bucket=store.bucket, key=f"incoming/{upload_id}")["Records"]
    return validate_event({"Records": records}, store, config)


def download(client, upload_id: str) -> bytes:
    response = client.get(f"/uploads/{upload_id}/content")
    assert response.status_code == 303, response.get_json()
    got = requests.get(response.headers["Location"], timeout=30)
    assert got.status_code == 200
    return got.content


def open_multipart_uploads(s3, bucket: str) -> list[str]:
    return [u["Key"] for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]
