"""The upload routes: parse the request, call a flow or the store, shape the JSON."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, jsonify, redirect, request

from ..errors import BadRequest, Conflict, NotFound, UploadError
from ..flows import deletion, inline, presign
from ..inspect.naming import content_disposition
from ..s3.owners import CURSOR_RE
from ..s3.parts import check_sha256
from ..upload import Method, Status
from . import form
from .identity import owner
from .requests import base_path, config, events, field, json_object, owned_record, store, whole_number

log = logging.getLogger(__name__)
bp = Blueprint("uploads", __name__)

DEFAULT_PAGE, MAX_PAGE = 20, 100  # uploads per page of GET /uploads


@bp.get("/healthz")
def healthz():
    return {"status": "ok"}


@bp.post("/uploads")
def create_upload():
    mimetype = request.mimetype
    if mimetype == "multipart/form-data":
        return _inline_uploads()
    if mimetype == "application/json" or mimetype.endswith("+json"):
        return _presigned_upload()
    raise BadRequest(
        "invalid_request",
        "POST /uploads takes multipart/form-data (inline) or application/json (presigned)",
    )


def _inline_uploads():
    boundary = request.mimetype_params.get("boundary")
    if not boundary:
        raise BadRequest("invalid_request", "multipart/form-data without a boundary")
    # Flask caps the body at INLINE_MAX_BYTES; form.py reads it with limits of its own.
    parts = form.file_parts(request.get_data(cache=False), boundary)
    if not parts:
        raise BadRequest("no_file", "No part named 'file' in the form")
    if len(parts) == 1:
        return _accept(parts[0]), 201
    results: list[tuple[int, dict[str, Any]]] = []
    for part in parts:
        try:
            results.append((201, _accept(part)))
        except UploadError as err:
            results.append((err.status, {"filename": part.filename, "error": err.body()["error"]}))
    statuses = [status for status, _ in results]
    return {"results": [body for _, body in results]}, (201 if 201 in statuses else statuses[0])


def _accept(part: form.FilePart) -> dict[str, Any]:
    upload = inline.accept_inline(part.filename, part.data, store(), config(), owner(), events())
    return upload.resource(base_path())


def _presigned_upload():
    body = json_object("{filename, size, content_type?}")
    method = (field(body, "method", str, required=False) or "PUT").upper()
    if method not in (Method.PUT, Method.POST):
        raise BadRequest("invalid_request", "'method' must be PUT or POST")
    checksum = body.get("checksum_sha256")
    if checksum is not None:
        check_sha256(checksum, "checksum_sha256")
    algorithm = field(body, "checksum_algorithm", str, required=False)
    if algorithm is not None and algorithm.upper() != "SHA256":
        raise BadRequest("invalid_request", "'checksum_algorithm' must be SHA256")
    wanted = presign.PresignRequest(
        filename=field(body, "filename", str),
        size=field(body, "size", int),
        content_type=field(body, "content_type", str, required=False),
        method=Method(method),
        checksum_sha256=checksum,
        # checksum_sha256 or checksum_algorithm makes a multipart upload pin each part's SHA-256.
        checksum_algorithm="SHA256" if algorithm or checksum else None,
        owner=owner(),
    )
    issued = presign.issue(wanted, store(), config())
    return {**issued.upload.resource(base_path()), "upload": issued.signed}, 201


@bp.get("/uploads")
def list_uploads():
    """The caller's uploads, newest first, from their own index prefix (never a scan)."""
    caller = owner()
    if caller is None:
        raise NotFound("not_found", "GET /uploads lists the caller's own uploads, which needs AUTH_MODE=jwt")
    limit = _query_int("limit", DEFAULT_PAGE, 1, MAX_PAGE)
    cursor = request.args.get("cursor") or None
    if cursor is not None and not CURSOR_RE.match(cursor):
        raise BadRequest("invalid_request", "'cursor' is not one this API gave out (use next_cursor as it came)")
    names, next_cursor = store().owners.list_index(caller, limit, cursor)
    records = store().owners.read_records([name.split("-", 1)[1] for name in names])
    gone = [name for name, record in zip(names, records, strict=True) if record is None]
    if gone:  # expired by the bucket lifecycle: unlisted for the next reader
        store().owners.prune_index(caller, gone, older_than_seconds=3600)
    uploads = [r.resource(base_path()) for r in records if r is not None and r.owner == caller]
    return {"uploads": uploads, "next_cursor": next_cursor}


def _query_int(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    value = whole_number(raw)
    if value is None or not low <= value <= high:
        raise BadRequest("invalid_request", f"'{name}' must be a whole number from {low} to {high}")
    return value


@bp.get("/uploads/<upload_id>")
def get_upload(upload_id: str):
    return owned_record(upload_id).resource(base_path())


@bp.get("/uploads/<upload_id>/content")
def get_content(upload_id: str):
    upload = owned_record(upload_id)
    if upload.status == Status.PENDING:
        raise Conflict("not_ready", "The upload has not been validated yet")
    if upload.status == Status.REJECTED:
        raise Conflict("rejected", "The upload was rejected", reason=upload.reason)
    url = store().presign_get(upload, content_disposition(upload.filename))
    response = redirect(url, code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.delete("/uploads/<upload_id>")
def delete_upload(upload_id: str):
    upload = store().require_record(upload_id, owner(), tombstone_ok=True)
    deletion.delete(upload, store(), config())
    return Response(status=204)


@bp.get("/openapi.json")
def openapi():
    from .openapi import document

    return jsonify(document(base_path()))
