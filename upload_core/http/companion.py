"""Uppy Companion's S3 routes (/s3/...), so that a frontend built on @uppy/aws-s3 works
with this service as its Companion endpoint. Thin: the same rules, records, keys
(incoming/ID) and multipart operations as /uploads; errors keep the contract's shape.

Keys come back from the client: only keys this service issued are accepted (incoming/ID
with a record; for multipart routes, the record's own S3 upload id).
"""

from __future__ import annotations

import logging

from flask import Blueprint, request

from ..errors import BadRequest, Forbidden, NotFound
from ..flows import multipart as ops
from ..flows import presign
from ..inspect.naming import is_valid_id
from ..s3.parts import check_part_number
from ..upload import Method, Upload
from .identity import owner
from .requests import base_path, json_object, listed_parts, whole_number
from .requests import config as _config
from .requests import store as _store

log = logging.getLogger(__name__)
bp = Blueprint("companion", __name__, url_prefix="/s3")

# @uppy/aws-s3 6.x signs one part per request; older clients batched a few at a time.
MAX_BATCH = 100


@bp.get("/params")
def params():
    """A presigned form POST (@uppy/aws-s3 sends fields first, the file last, and ignores
    `method` and `headers`): the policy pins the key, the type and 1..MAX_UPLOAD_BYTES."""
    upload = presign.new_unsized(
        request.args.get("filename"), request.args.get("type"), Method.POST, _config(), owner()
    )
    post = presign.issue_unsized_post(upload, _store(), _config())
    return {
        "method": "POST",
        "url": post["url"],
        "fields": post["fields"],
        "headers": {},
        "expires": _config().presign_ttl_seconds,
    }


@bp.post("/multipart")
def create_multipart():
    body = json_object("{filename, type, metadata}")
    upload = presign.new_unsized(body.get("filename"), body.get("type"), Method.MULTIPART, _config(), owner())
    upload = presign.start_unsized_multipart(upload, _store(), _config())
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
    caller = owner()
    if upload is not None and (upload.deleted or (caller is not None and upload.owner != caller)):
        upload = None  # being deleted, or someone else's: answered exactly as a key never issued
    if upload is None or upload.multipart_upload_id != s3_upload_id:
        raise NotFound("not_found", f"No multipart upload {s3_upload_id[:200]!r} was issued for key {key!r}")
    return upload


@bp.get("/multipart/<s3_upload_id>")
def list_parts(s3_upload_id: str):
    parts = ops.held(_issued(s3_upload_id), _store())
    return [{"PartNumber": p["PartNumber"], "ETag": p["ETag"], "Size": p["Size"]} for p in parts]


@bp.get("/multipart/<s3_upload_id>/<part_number>")
def sign_part(s3_upload_id: str, part_number: str):
    # A string, parsed here: Werkzeug's int converter takes any script's digits ('٣' is 3).
    number = whole_number(part_number)
    if number is None:
        raise BadRequest("invalid_request", f"Part numbers are whole numbers from 1 to 10000, not {part_number[:20]!r}")
    upload = _issued(s3_upload_id)
    part = ops.sign(upload, _store(), [check_part_number(number)])[0]
    return {"url": part["url"], "expires": _config().presign_ttl_seconds}


@bp.get("/multipart/<s3_upload_id>/batch")
def sign_batch(s3_upload_id: str):
    upload = _issued(s3_upload_id)
    raw = request.args.get("partNumbers", "")
    numbers = [whole_number(n.strip()) for n in raw.split(",") if n.strip()]
    if None in numbers:
        raise BadRequest("invalid_request", "'partNumbers' must be comma-separated part numbers")
    if not numbers:
        raise BadRequest("invalid_request", "Missing query parameter 'partNumbers'")
    if len(numbers) > MAX_BATCH:
        raise BadRequest("invalid_request", f"At most {MAX_BATCH} parts can be signed per request", limit=MAX_BATCH)
    signed = ops.sign(upload, _store(), [check_part_number(n) for n in numbers if n is not None])
    return {"presignedUrls": {str(p["part_number"]): p["url"] for p in signed}}


@bp.post("/multipart/<s3_upload_id>/complete")
def complete(s3_upload_id: str):
    upload = _issued(s3_upload_id)
    body = json_object("{parts: [{PartNumber, ETag}]}")
    listed = listed_parts(body.get("parts"), "PartNumber", "ETag")
    ops.complete(upload, _store(), _config(), listed)
    return {"location": _location(upload.id), "bucket": _store().bucket, "key": _store().incoming_key(upload.id)}


def _location(upload_id: str) -> str:
    """The upload resource, where the frontend can follow validation: API_BASE_URL and the
    path, or the path alone (as every link in this API). Never from the request's Host
    header, which any client sets: the service must not hand out a URL it did not choose."""
    path = f"{base_path()}/uploads/{upload_id}"
    base = _config().api_base_url
    return f"{base}/uploads/{upload_id}" if base else path


@bp.delete("/multipart/<s3_upload_id>")
def abort(s3_upload_id: str):
    ops.abort(_issued(s3_upload_id), _store(), _config())
    return {}
