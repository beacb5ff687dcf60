"""What both HTTP faces of a multipart upload do (our /uploads/ID/... routes and the
Companion /s3/multipart routes): issue or start one, sign parts, list them, complete, abort.

Same records, same keys (incoming/ID), same rules; the routes only parse and shape.
Every refusal is an UploadError, so it reaches the client in the contract's JSON.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from enum import StrEnum
from typing import Any, Iterable, Mapping

from ..config import Config
from ..errors import BadRequest, Conflict, NotFound, UploadError
from ..s3.parts import PartPlan, completion_parts, plan_parts, unsized_part_limit
from ..s3.store import MultipartUploadGone, S3Store
from ..steps import Pause, no_pause
from ..upload import Method, Status, Upload
from . import deletion, quota

log = logging.getLogger(__name__)

MAX_SIGN_BATCH = 500  # part URLs per answer: keeps a response far under Lambda's 6 MB
INITIAL_PARTS = 100  # part URLs in the first answer; more from POST /uploads/ID/parts


def issue(upload: Upload, store: S3Store, checksum_algorithm: str | None) -> tuple[Upload, dict[str, Any]]:
    """Plan and start the multipart upload of a new pending upload with a declared size;
    the upload and API.md's `multipart` answer (without its expiry)."""
    plan = plan_parts(upload.declared_size or 0)
    upload = start(replace(upload, part_size=plan.part_size), store, checksum_algorithm)
    # With checksums every part's URL pins its digest, which only the client can know:
    # those are all signed through POST /uploads/ID/parts.
    first = [] if checksum_algorithm else sign(upload, store, range(1, min(plan.count, INITIAL_PARTS) + 1))
    signed: dict[str, Any] = {
        "method": "multipart",
        "part_size": plan.part_size,
        "part_count": plan.count,
        "parts": first,
    }
    if checksum_algorithm:
        signed["checksum_algorithm"] = checksum_algorithm
    return upload, signed


def start(upload: Upload, store: S3Store, checksum_algorithm: str | None = None) -> Upload:
    """Create the S3 multipart upload for a new record, then store the record."""
    multipart_id = store.create_multipart(upload.id, upload.content_type, checksum_algorithm)
    upload = replace(
        upload, method=Method.MULTIPART, multipart_upload_id=multipart_id, checksum_algorithm=checksum_algorithm
    )
    try:
        store.put_record(upload)
    except UploadError:
        store.abort_multipart(upload.id, multipart_id)
        raise
    log.info("started multipart %s (%s parts of %s bytes)", upload.id, _count(upload), upload.part_size)
    return upload


def require_open(upload: Upload) -> str:
    """The S3 UploadId of a multipart upload that can still take parts, or Conflict."""
    if upload.method != Method.MULTIPART or not upload.multipart_upload_id:
        raise Conflict("not_multipart", f"Upload {upload.id} is a {upload.method} upload, not a multipart one")
    if upload.status != Status.PENDING:
        raise Conflict("not_pending", f"Upload {upload.id} is already {upload.status}", upload_status=upload.status)
    return upload.multipart_upload_id


def plan_of(upload: Upload) -> PartPlan | None:
    if upload.declared_size and upload.part_size:
        return PartPlan(size=upload.declared_size, part_size=upload.part_size)
    return None


def sign(
    upload: Upload, store: S3Store, numbers: Iterable[int], checksums: Mapping[int, str] | None = None
) -> list[dict[str, Any]]:
    """Presigned part URLs; `numbers` are already whole numbers in 1..10,000. With a
    declared size the part count is known and each URL pins its Content-Length; without
    one (Companion) only as many parts as MAX_UPLOAD_BYTES needs at Uppy's chunk sizes."""
    multipart_id = require_open(upload)
    numbers = list(dict.fromkeys(numbers))
    checksums = dict(checksums or {})
    if len(numbers) > MAX_SIGN_BATCH:
        raise BadRequest("invalid_request", f"At most {MAX_SIGN_BATCH} parts can be signed per request")
    plan = plan_of(upload)
    limit = plan.count if plan else unsized_part_limit(store.config.max_upload_bytes)
    beyond = [n for n in numbers if n > limit]
    if beyond:
        raise BadRequest(
            "invalid_request",
            f"Part {beyond[0]} is past the last part this upload can need ({limit})",
            part_count=limit,
        )
    if upload.checksum_algorithm == "SHA256":
        unsummed = [n for n in numbers if n not in checksums]
        if unsummed:
            raise BadRequest(
                "invalid_request",
                f"This upload pins a SHA-256 checksum on every part: give checksums_sha256 for part {unsummed[0]}",
            )
    elif checksums:
        raise BadRequest("invalid_request", "Part checksums need an upload started with checksum_algorithm SHA256")
    signed = []
    for number in numbers:
        part = store.presign_part(
            upload.id,
            multipart_id,
            number,
            length=plan.length(number) if plan else None,
            checksum_sha256=checksums.get(number),
        )
        signed.append({"part_number": number, **part})
    return signed


def held(upload: Upload, store: S3Store) -> list[dict[str, Any]]:
    """The parts S3 already holds, for a client that lost its place."""
    multipart_id = require_open(upload)
    try:
        return store.list_parts(upload.id, multipart_id)
    except MultipartUploadGone:
        raise _gone(upload) from None


class Step(StrEnum):
    CHARGE = "charge"
    COMPLETE = "complete"


def complete(
    upload: Upload, store: S3Store, config: Config, listed: list[dict[str, Any]], pause: Pause = no_pause
) -> None:
    """Check the client's list against S3, then complete. A list that does not match what
    S3 holds is refused (parts_mismatch, size_mismatch, too_large) and changes nothing: the
    upload stays pending and completable by the right list until it expires, so a caller
    who only knows the id cannot kill someone else's upload in flight. Completing again
    after a success succeeds again. An upload without a declared size (Companion) learns
    its size here: it is charged before S3 completes it (429 quota_exceeded or
    validation_backlog, and nothing completed, if that passes the owner's quotas)."""
    if upload.method == Method.MULTIPART and upload.status == Status.ACCEPTED:
        return
    multipart_id = require_open(upload)
    try:
        parts = store.list_parts(upload.id, multipart_id)
    except MultipartUploadGone:
        if store.incoming_exists(upload.id):  # completed already; the validator is on it
            return
        raise _gone(upload) from None
    try:
        final_parts = completion_parts(listed, parts, upload.declared_size, config.max_upload_bytes)
    except UploadError as err:
        log.info("refused a completion of %s (%s): %s", upload.id, err.code, err.message)
        raise
    if upload.declared_size is None:
        pause(Step.CHARGE)
        numbers = {p["PartNumber"] for p in final_parts}
        total = sum(int(p["Size"]) for p in parts if int(p["PartNumber"]) in numbers)
        quota.charge_size(upload, total, store, config, in_flight=True)
    pause(Step.COMPLETE)
    try:
        answer = store.complete_multipart(upload.id, multipart_id, final_parts)
    except MultipartUploadGone:
        raise _gone(upload) from None
    log.info("completed multipart %s: %d parts, etag %s", upload.id, len(final_parts), answer["etag"])


def abort(upload: Upload, store: S3Store, config: Config) -> None:
    """Abort an unfinished upload and forget its record (as DELETE /uploads/ID does)."""
    require_open(upload)
    deletion.delete(upload, store, config)
    log.info("aborted %s", upload.id)


def _gone(upload: Upload) -> NotFound:
    return NotFound("not_found", f"The multipart upload of {upload.id} no longer exists (aborted or expired)")


def _count(upload: Upload) -> str:
    plan = plan_of(upload)
    return str(plan.count) if plan else "unknown"
