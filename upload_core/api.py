"""The HTTP routes: parse the request, call the rules and the store, shape the JSON."""
from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, redirect, request

from .config import Config
from .errors import BadRequest, Conflict, UploadError
from .inspect.naming import content_disposition, new_id
from .inspect.rules import Sample, check_content, check_declared_type, check_name, check_size
from .malware import ScannerUnavailable, ScannerUnavailableError, scan
from .records import PENDING, REJECTED, Upload
from .storage import S3Store

log = logging.getLogger(__name__)
bp = Blueprint("uploads", __name__)


def _config() -> Config:
    return current_app.extensions["upload_config"]


def _store() -> S3Store:
    return current_app.extensions["upload_store"]


def _base() -> str:
    """Where the app is mounted (the API Gateway stage, when there is one)."""
    return request.script_root


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
    # Werkzeug quietly drops a truncated last part; a body without its closing
    # delimiter is malformed, not a form without files. (Flask caps the body size.)
    if b"--" + boundary.encode("latin-1") + b"--" not in request.get_data(cache=True):
        raise BadRequest("invalid_request", "The multipart body is truncated (no closing boundary)")
    parts = request.files.getlist("file")
    if not parts:
        raise BadRequest("no_file", "No part named 'file' in the form")
    if len(parts) == 1:
        return _inline_one(parts[0]).resource(_base()), 201
    results: list[tuple[int, dict[str, Any]]] = []
    for part in parts:
        try:
            results.append((201, _inline_one(part).resource(_base())))
        except UploadError as err:
            results.append((err.status, {"filename": part.filename, "error": err.body()["error"]}))
    statuses = [status for status, _ in results]
    return {"results": [body for _, body in results]}, (201 if 201 in statuses else statuses[0])


def _inline_one(part) -> Upload:
    """Validate one form part and store it; raise UploadError if it is refused."""
    config = _config()
    try:
        name, _ = check_name(part.filename, config)
        data = part.read()
        sample = Sample.of_bytes(data)
        detected = check_content(name, sample, config)
        try:
            scan(config, sample.source, len(data))
        except ScannerUnavailable as exc:
            log.error("inline upload %r not scanned: %s", part.filename, exc)
            raise ScannerUnavailableError() from None
        upload = Upload(
            id=new_id(), status=PENDING, filename=name, size=len(data), content_type=detected, method="inline"
        ).accepted(detected, len(data))
        _store().store_accepted(upload, data)
    except UploadError as err:
        log.info("inline upload %r refused (%s): %s", part.filename, err.code, err.message)
        raise
    log.info("accepted %s inline as %s, %d bytes", upload.id, detected, len(data))
    return upload


def _presigned_upload():
    config = _config()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("invalid_request", "The body must be a JSON object {filename, size, content_type?}")
    filename = _field(body, "filename", str)
    size = _field(body, "size", int)
    content_type = _field(body, "content_type", str, required=False)
    method = (_field(body, "method", str, required=False) or "PUT").upper()
    if method not in ("PUT", "POST"):
        raise BadRequest("invalid_request", "'method' must be PUT or POST")
    if size < 0:
        raise BadRequest("invalid_request", "'size' must not be negative")
    checksum, algorithm = _checksum_fields(body)

    name, ftype = check_name(filename, config)
    check_size(size, config)
    declared_type = check_declared_type(content_type, ftype, config)

    upload = Upload(
        id=new_id(),
        status=PENDING,
        filename=name,
        size=size,
        declared_size=size,
        content_type=declared_type,
        method=method,
    )
    if size >= config.multipart_threshold_bytes:
        from .multipart_api import issue

        answer = issue(upload, algorithm, _expires_at(config.presign_ttl_seconds))
        log.info("issued %s multipart upload for %d bytes of %s", upload.id, size, declared_type)
        return answer, 201
    if checksum and method != "PUT":
        raise BadRequest("invalid_request", "'checksum_sha256' is pinned on PUT uploads; leave out 'method'")
    store = _store()
    store.put_record(upload)
    if method == "PUT":
        signed = store.presign_put(upload.id, declared_type, size, checksum)
    else:
        signed = store.presign_post(upload.id, declared_type, size, size)
    signed["expires_at"] = _expires_at(config.presign_ttl_seconds)
    log.info("issued %s %s upload for %d bytes of %s", upload.id, method, size, declared_type)
    return {**upload.resource(_base()), "upload": signed}, 201


def _checksum_fields(body: dict) -> tuple[str | None, str | None]:
    """`checksum_sha256` (base64 of the file's SHA-256) pins a single PUT; it or
    `checksum_algorithm: "SHA256"` makes a multipart upload pin each part's SHA-256."""
    from .multipart import check_sha256

    checksum = body.get("checksum_sha256")
    if checksum is not None:
        check_sha256(checksum, "checksum_sha256")
    algorithm = _field(body, "checksum_algorithm", str, required=False)
    if algorithm is not None and algorithm.upper() != "SHA256":
        raise BadRequest("invalid_request", "'checksum_algorithm' must be SHA256")
    return checksum, ("SHA256" if algorithm or checksum else None)


def _field(body: dict, name: str, kind: type, required: bool = True):
    value = body.get(name)
    if value is None:
        if required:
            raise BadRequest("invalid_request", f"Missing field '{name}'")
        return None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise BadRequest("invalid_request", f"Field '{name}' must be a {kind.__name__}")
    return value


def _expires_at(ttl: int) -> str:
    from datetime import datetime, timedelta, timezone

    at = datetime.now(timezone.utc) + timedelta(seconds=ttl)
    return at.isoformat(timespec="seconds").replace("+00:00", "Z")


@bp.get("/uploads/<upload_id>")
def get_upload(upload_id: str):
    return _store().require_record(upload_id).resource(_base())


@bp.get("/uploads/<upload_id>/content")
def get_content(upload_id: str):
    upload = _store().require_record(upload_id)
    if upload.status == PENDING:
        raise Conflict("not_ready", "The upload has not been validated yet")
    if upload.status == REJECTED:
        raise Conflict("rejected", "The upload was rejected", reason=upload.reason)
    url = _store().presign_get(upload, content_disposition(upload.filename))
    response = redirect(url, code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.delete("/uploads/<upload_id>")
def delete_upload(upload_id: str):
    upload = _store().require_record(upload_id)
    _store().delete_upload(upload)
    log.info("deleted %s", upload.id)
    return Response(status=204)


@bp.get("/openapi.json")
def openapi():
    from .openapi import document

    return jsonify(document(_base()))
