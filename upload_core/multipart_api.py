"""Routes of a multipart upload made through our own API:

    POST /uploads (JSON, size >= MULTIPART_THRESHOLD_BYTES)  -> issue(): the `multipart` object
    POST /uploads/ID/parts      sign more part URLs
    GET  /uploads/ID/parts      the parts S3 already holds (resume)
    POST /uploads/ID/complete   check the parts against S3, then complete
(DELETE /uploads/ID, in api.py, aborts an unfinished one through S3Store.delete_upload.)
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, current_app, request

from . import multipart_ops as ops
from .errors import BadRequest
from .multipart import check_part_number, check_sha256, plan_parts
from .records import Upload

log = logging.getLogger(__name__)
bp = Blueprint("multipart", __name__)

INITIAL_PARTS = 100  # part URLs in the first answer; more from POST /uploads/ID/parts


def _store():
    return current_app.extensions["upload_store"]


def _config():
    return current_app.extensions["upload_config"]


def issue(upload: Upload, checksum_algorithm: str | None, expires_at: str) -> dict[str, Any]:
    """Start the multipart upload of a new pending record; the `upload` object."""
    from dataclasses import replace

    plan = plan_parts(upload.declared_size)
    upload = ops.start(replace(upload, part_size=plan.part_size), _store(), checksum_algorithm)
    # With checksums every part's URL pins its digest, which only the client can know:
    # those are all signed through POST /uploads/ID/parts.
    first = [] if checksum_algorithm else ops.sign(upload, _store(), range(1, min(plan.count, INITIAL_PARTS) + 1))
    signed: dict[str, Any] = {
        "method": "multipart",
        "part_size": plan.part_size,
        "part_count": plan.count,
        "parts": first,
        "expires_at": expires_at,
    }
    if checksum_algorithm:
        signed["checksum_algorithm"] = checksum_algorithm
    return {**upload.resource(request.script_root), "upload": signed}


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("invalid_request", "The body must be a JSON object")
    return body


@bp.post("/uploads/<upload_id>/parts")
def sign_parts(upload_id: str):
    upload = _store().require_record(upload_id)
    body = _body()
    numbers = body.get("part_numbers")
    if not isinstance(numbers, list) or not numbers:
        raise BadRequest("invalid_request", "'part_numbers' must be a non-empty list of part numbers")
    numbers = [check_part_number(n) for n in numbers]
    raw_sums = body.get("checksums_sha256") or {}
    if not isinstance(raw_sums, dict):
        raise BadRequest("invalid_request", "'checksums_sha256' must map part numbers to base64 SHA-256 digests")
    checksums = {}
    for key, value in raw_sums.items():
        if not str(key).isdigit():
            raise BadRequest("invalid_request", f"'checksums_sha256' key {key!r} is not a part number")
        checksums[int(key)] = check_sha256(value, f"checksums_sha256.{key}")
    return {"parts": ops.sign(upload, _store(), numbers, checksums)}


@bp.get("/uploads/<upload_id>/parts")
def list_parts(upload_id: str):
    upload = _store().require_record(upload_id)
    parts = ops.held(upload, _store())
    plan = ops.plan_of(upload)
    return {
        "part_size": upload.part_size,
        "part_count": plan.count if plan else None,
        "parts": [
            {"part_number": p["PartNumber"], "etag": p["ETag"], "size": p["Size"],
             **({"checksum_sha256": p["ChecksumSHA256"]} if p.get("ChecksumSHA256") else {})}
            for p in parts
        ],
    }


@bp.post("/uploads/<upload_id>/complete")
def complete(upload_id: str):
    upload = _store().require_record(upload_id)
    listed = ops.parse_listed(_body().get("parts"), "part_number", "etag")
    answer = ops.complete(upload, _store(), _config(), listed)
    resource = _store().require_record(upload_id).resource(request.script_root)
    if answer.get("checksum") and "checksum" not in resource:
        resource["checksum"] = answer["checksum"]
    return resource
