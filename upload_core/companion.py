"""Uppy Companion's S3 routes (/s3/...), so that a frontend built on @uppy/aws-s3 works
with this service as its Companion endpoint. Thin: the same rules, records, keys
(incoming/ID) and multipart operations as /uploads; errors keep the contract's shape.

Keys come back from the client: only keys this service issued are accepted (incoming/ID
with a record; for multipart routes, the record's own S3 upload id).
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, current_app, request

from . import multipart_ops as ops
from .errors import BadRequest, Forbidden, NotFound
from .multipart import check_part_number
from .inspect.naming import is_valid_id, new_id
from .records import PENDING, Upload
from .inspect.rules import check_declared_type, check_name

log = logging.getLogger(__name__)
bp = Blueprint("companion", __name__, url_prefix="/s3")

# What browsers say when they do not know a file's type; the extension decides then.
_UNKNOWN_TYPES = ("", "application/octet-stream", "binary/octet-stream")


def _store():
    return current_app.extensions["upload_store"]


def _config():
    return current_app.extensions["upload_config"]


def _new_upload(filename: Any, mime: Any, method: str) -> Upload:
    """A pending record for a name and type, checked as on every route; no size is known."""
    name, ftype = check_name(filename if isinstance(filename, str) else None, _config())
    mime = mime.strip() if isinstance(mime, str) else ""
    content_type = check_declared_type(None if mime.lower() in _UNKNOWN_TYPES else mime, ftype, _config())
    return Upload(id=new_id(), status=PENDING, filename=name, size=None, content_type=content_type, method=method)


@bp.get("/params")
def params():
    """A presigned form POST (@uppy/aws-s3 sends fields first, the file last, and ignores
    `method` and `headers`): the policy pins the key, the type and 1..MAX_UPLOAD_BYTES."""
    upload = _new_upload(request.args.get("filename"), request.args.get("type"), "POST")
    store = _store()
    store.put_record(upload)
    post = store.presign_post(upload.id, upload.content_type, 1, _config().max_upload_bytes)
    log.info("issued %s Companion POST upload of %s", upload.id, upload.content_type)
    return {"method": "POST", "url": post["url"], "fields": post["fields"], "headers": {},
            "expires": _config().presign_ttl_seconds}


@bp.post("/multipart")
def create_multipart():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("invalid_request", "The body must be a JSON object {filename, type, metadata}")
    upload = ops.start(_new_upload(body.get("filename"), body.get("type"), "multipart"), _store())
    return {"key": _store().incoming_key(upload.id), "uploadId": upload.multipart_upload_id}


def _issued(s3_upload_id: str) -> Upload:
    """The record behind ?key=, if this service issued that key for this S3 upload id."""
    key = request.args.get("key")
    if not key:
        raise BadRequest("invalid_request", "Missing query parameter 'key'")
    store = _store()
    upload_id = store.id_from_incoming_key(key)
    if upload_id is None or not is_valid_id(upload_id):
        raise Forbidden(
            "key_not_allowed",
            f"Key {key[:200]!r} was not issued by this service (keys are {_config().incoming_prefix}ID)",
        )
    upload = store.get_record(upload_id)
    if upload is None or upload.multipart_upload_id != s3_upload_id:
        raise NotFound("not_found", f"No multipart upload {s3_upload_id[:200]!r} was issued for key {key!r}")
    return upload


@bp.get("/multipart/<s3_upload_id>")
def list_parts(s3_upload_id: str):
    parts = ops.held(_issued(s3_upload_id), _store())
    return [{"PartNumber": p["PartNumber"], "ETag": p["ETag"], "Size": p["Size"]} for p in parts]


@bp.get("/multipart/<s3_upload_id>/<int:part_number>")
def sign_part(s3_upload_id: str, part_number: int):
    upload = _issued(s3_upload_id)
    part = ops.sign(upload, _store(), [check_part_number(part_number)])[0]
    return {"url": part["url"], "expires": _config().presign_ttl_seconds}


@bp.get("/multipart/<s3_upload_id>/batch")
def sign_batch(s3_upload_id: str):
    upload = _issued(s3_upload_id)
    raw = request.args.get("partNumbers", "")
    try:
        numbers = [int(n) for n in raw.split(",") if n.strip()]
    except ValueError:
        raise BadRequest("invalid_request", "'partNumbers' must be comma-separated part numbers") from None
    if not numbers:
        raise BadRequest("invalid_request", "Missing query parameter 'partNumbers'")
    signed = ops.sign(upload, _store(), [check_part_number(n) for n in numbers])
    return {"presignedUrls": {str(p["part_number"]): p["url"] for p in signed}}


@bp.post("/multipart/<s3_upload_id>/complete")
def complete(s3_upload_id: str):
    upload = _issued(s3_upload_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("invalid_request", "The body must be a JSON object {parts: [{PartNumber, ETag}]}")
    listed = ops.parse_listed(body.get("parts"), "PartNumber", "ETag")
    ops.complete(upload, _store(), _config(), listed)
    # `location` is the upload resource, where the frontend can follow validation.
    location = f"{request.host_url.rstrip('/')}{request.script_root}/uploads/{upload.id}"
    return {"location": location, "bucket": _store().bucket, "key": _store().incoming_key(upload.id)}


@bp.delete("/multipart/<s3_upload_id>")
def abort(s3_upload_id: str):
    ops.abort(_issued(s3_upload_id), _store())
    return {}
