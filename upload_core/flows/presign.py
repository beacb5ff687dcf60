"""Presigned uploads: every check that can be made before the bytes exist, then the
signed request that sends them straight to S3 (PUT, POST, or multipart at or above
MULTIPART_THRESHOLD_BYTES), with its expiry. The upload stays pending until the
validator has seen what landed."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from ..config import Config
from ..errors import BadRequest
from ..inspect.naming import extension_of, new_id
from ..inspect.rules import check_declared_type, check_name, check_size
from ..s3.store import S3Store
from ..upload import Method, Owner, Status, Upload
from . import multipart, quota

log = logging.getLogger(__name__)

# What browsers say when they do not know a file's type; the extension decides then.
UNKNOWN_TYPES = ("", "application/octet-stream", "binary/octet-stream")


@dataclass(frozen=True)
class PresignRequest:
    filename: str
    size: int
    content_type: str | None = None
    method: Method = Method.PUT  # PUT or POST; multipart is decided by size
    checksum_sha256: str | None = None  # pins a single PUT's body
    checksum_algorithm: str | None = None  # "SHA256": multipart parts each pin theirs
    owner: Owner | None = None  # the caller (AUTH_MODE=jwt)


@dataclass(frozen=True)
class Issued:
    upload: Upload
    signed: dict[str, Any]  # API.md's `upload` object, expires_at included


def expires_at(ttl_seconds: int) -> str:
    at = datetime.now(timezone.utc) + timedelta(seconds=ttl_seconds)
    return at.isoformat(timespec="seconds").replace("+00:00", "Z")


def issue(request: PresignRequest, store: S3Store, config: Config) -> Issued:
    if request.size < 0:
        raise BadRequest("invalid_request", "'size' must not be negative")
    name, ftype = check_name(request.filename, config)
    check_size(request.size, config, ftype.extension)
    declared_type = check_declared_type(request.content_type, ftype, config)
    upload = Upload(
        id=new_id(),
        status=Status.PENDING,
        filename=name,
        size=request.size,
        declared_size=request.size,
        content_type=declared_type,
        method=Method.MULTIPART if request.size >= config.multipart_threshold_bytes else request.method,
        owner=request.owner,
    )
    if request.checksum_sha256 and upload.method == Method.POST:
        raise BadRequest("invalid_request", "'checksum_sha256' is pinned on PUT uploads; leave out 'method'")
    upload = quota.admit(upload, store, config)
    try:
        return _sign(upload, request, store, config)
    except Exception:
        quota.give_back_quietly(upload, store, config)
        raise


def _sign(upload: Upload, request: PresignRequest, store: S3Store, config: Config) -> Issued:
    declared_type = upload.content_type
    ttl = config.presign_ttl_seconds
    if upload.method == Method.MULTIPART:
        upload, signed = multipart.issue(upload, store, request.checksum_algorithm)
        log.info("issued %s multipart upload for %d bytes of %s", upload.id, request.size, declared_type)
        return Issued(upload, {**signed, "expires_at": expires_at(ttl)})
    store.put_record(upload)
    if request.method == Method.PUT:
        signed = store.presign_put(upload.id, declared_type, request.size, request.checksum_sha256)
    else:
        signed = store.presign_post(upload.id, declared_type, request.size, request.size)
    log.info("issued %s %s upload for %d bytes of %s", upload.id, request.method, request.size, declared_type)
    return Issued(upload, {**signed, "expires_at": expires_at(ttl)})


def new_unsized(filename: Any, mime: Any, method: Method, config: Config, owner: Owner | None = None) -> Upload:
    """A pending upload for a name and a type, checked as on every route, when the client
    declares no size (Uppy's Companion protocol)."""
    name, ftype = check_name(filename if isinstance(filename, str) else None, config)
    mime = mime.strip() if isinstance(mime, str) else ""
    content_type = check_declared_type(None if mime.lower() in UNKNOWN_TYPES else mime, ftype, config)
    return Upload(
        id=new_id(),
        status=Status.PENDING,
        filename=name,
        size=None,
        content_type=content_type,
        method=method,
        owner=owner,
    )


def issue_unsized_post(upload: Upload, store: S3Store, config: Config) -> dict[str, Any]:
    """A presigned form POST whose policy allows 1 byte up to the largest file of its type
    (MAX_UPLOAD_BYTES, or less: budget.py); the validator checks the real size after landing."""
    upload = quota.admit(upload, store, config)
    try:
        store.put_record(upload)
        limit = config.max_bytes_for(extension_of(upload.filename))
        post = store.presign_post(upload.id, upload.content_type, 1, limit)
    except Exception:
        quota.give_back_quietly(upload, store, config)
        raise
    log.info("issued %s unsized POST upload of %s", upload.id, upload.content_type)
    return post


def start_unsized_multipart(upload: Upload, store: S3Store, config: Config) -> Upload:
    """Companion's multipart start: a pending slot is reserved, the size is charged when
    the validator accepts (see quota.py)."""
    upload = quota.admit(upload, store, config)
    try:
        return multipart.start(upload, store)
    except Exception:
        quota.give_back_quietly(upload, store, config)
        raise
