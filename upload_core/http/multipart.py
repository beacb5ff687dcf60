"""Routes of a multipart upload made through our own API (POST /uploads with a size at or
above MULTIPART_THRESHOLD_BYTES starts one; DELETE /uploads/ID aborts an unfinished one):

    POST /uploads/ID/parts      sign more part URLs
    GET  /uploads/ID/parts      the parts S3 already holds (resume)
    POST /uploads/ID/complete   check the parts against S3, then complete
"""

from __future__ import annotations

from flask import Blueprint

from ..errors import BadRequest
from ..flows import multipart as flow
from ..s3.parts import check_part_number, check_sha256
from .requests import base_path, config, json_object, listed_parts, owned_record, store, whole_number

bp = Blueprint("multipart", __name__)


@bp.post("/uploads/<upload_id>/parts")
def sign_parts(upload_id: str):
    upload = owned_record(upload_id)
    body = json_object()
    numbers = body.get("part_numbers")
    if not isinstance(numbers, list) or not numbers:
        raise BadRequest("invalid_request", "'part_numbers' must be a non-empty list of part numbers")
    numbers = [check_part_number(n) for n in numbers]
    raw_sums = body.get("checksums_sha256") or {}
    if not isinstance(raw_sums, dict):
        raise BadRequest("invalid_request", "'checksums_sha256' must map part numbers to base64 SHA-256 digests")
    checksums = {}
    for key, value in raw_sums.items():
        number = whole_number(key)
        if number is None:
            raise BadRequest("invalid_request", f"'checksums_sha256' key {key!r} is not a part number")
        checksums[check_part_number(number)] = check_sha256(value, f"checksums_sha256.{key}")
    return {"parts": flow.sign(upload, store(), numbers, checksums)}


@bp.get("/uploads/<upload_id>/parts")
def list_parts(upload_id: str):
    upload = owned_record(upload_id)
    parts = flow.held(upload, store())
    plan = flow.plan_of(upload)
    return {
        "part_size": upload.part_size,
        "part_count": plan.count if plan else None,
        "parts": [
            {
                "part_number": p["PartNumber"],
                "etag": p["ETag"],
                "size": p["Size"],
                **({"checksum_sha256": p["ChecksumSHA256"]} if p.get("ChecksumSHA256") else {}),
            }
            for p in parts
        ],
    }


@bp.post("/uploads/<upload_id>/complete")
def complete(upload_id: str):
    upload = owned_record(upload_id)
    listed = listed_parts(json_object().get("parts"), "part_number", "etag")
    flow.complete(upload, store(), config(), listed)
    # The resource as it is now: pending until validated. No checksum S3 recorded is shown
    # (on AWS an object sent without one gets a CRC64NVME): only an accepted upload carries
    # one, the SHA-256 of what it serves.
    return owned_record(upload_id).resource(base_path())
