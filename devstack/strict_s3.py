"""Where S3 refuses (or adds) what moto 5.2.5 accepts (or leaves out), moto is made to do as S3.

Each rule is one that the service's code paths meet on AWS and that moto alone would let
pass, so a regression shows up in the suite and on the local stack rather than in
production. The references are the botocore S3 model (the API reference's text):

- **A ranged UploadPartCopy from a source of 5 MiB or less** is refused, 400
  `InvalidRequest` ("The specified copy source is not supported as a byte-range copy
  source."). UploadPartCopy, `CopySourceRange`: "You can copy a range only if the source
  object is greater than 5 MB." moto copies the range.
- **CopyObject of a source over 5 GiB** is refused, 400 `InvalidRequest` ("The specified
  copy source is larger than the maximum allowable size for a copy source: 5368709120").
  CopyObject: "You can store individual objects of up to 5 TB in Amazon S3. You create a
  copy of your object up to 5 GB in size in a single atomic action using this API."
- **409 `ConditionalRequestConflict`** on a conditional write (PutObject or
  CompleteMultipartUpload with `If-Match` / `If-None-Match`): PutObject, `IfMatch`: "If a
  conflicting operation occurs during the upload S3 returns a 409
  ConditionalRequestConflict response. On a 409 failure you should fetch the object's ETag
  and retry." A race is not reproducible on demand, so a switch makes it deterministic:
  `arm_conflict(bucket, key)` (in-process) or `POST /_local/conflict?bucket=B&key=K` on the
  local S3 (LocalAdmin) makes the *next* conditional write on that key answer 409, once.
- **The default checksum**: since 2025 S3 gives every object uploaded without a checksum a
  CRC64NVME full-object checksum (PutObject, form POST, CompleteMultipartUpload), which
  HEAD and GET show with `x-amz-checksum-mode: ENABLED`. moto records none for a plain PUT,
  and for a multipart upload computes a CRC32 under the CRC64NVME name unless awscrt is
  installed; here CRC-64/NVME is computed for real (anycrc, a compiled CRC library: 64 MiB
  in about 15 ms of CPU).

`apply()` patches moto's classes once; the rules act only while `enabled()` (the local
stack enables them for good, tests through the `strict_s3` fixture), so an in-process test
that wants moto's own behaviour still has it.
"""

from __future__ import annotations

import base64
import threading
import uuid
from contextlib import contextmanager
from typing import Iterator
from xml.sax.saxutils import escape

MiB = 1024 * 1024
GiB = 1024 * MiB
RANGED_COPY_MIN_SOURCE_BYTES = 5 * MiB + 1  # "greater than 5 MB"
MAX_COPY_SOURCE_BYTES = 5 * GiB
DEFAULT_CHECKSUM = "CRC64NVME"

_lock = threading.Lock()
_enabled = 0
_conflicts: dict[tuple[str, str], int] = {}
_applied = False


def enabled() -> bool:
    return _enabled > 0


def enable() -> None:
    global _enabled
    apply()
    with _lock:
        _enabled += 1


def disable() -> None:
    global _enabled
    with _lock:
        _enabled = max(0, _enabled - 1)
        if not _enabled:
            _conflicts.clear()


@contextmanager
def strict() -> Iterator[None]:
    """The rules on for a block (what the tests' `strict_s3` fixture uses)."""
    enable()
    try:
        yield
    finally:
        disable()


def arm_conflict(bucket: str, key: str, times: int = 1) -> None:
    """The next `times` conditional writes on bucket/key answer 409 ConditionalRequestConflict."""
    with _lock:
        _conflicts[(bucket, key)] = _conflicts.get((bucket, key), 0) + times


def _take_conflict(bucket: str, key: str) -> bool:
    with _lock:
        left = _conflicts.get((bucket, key), 0)
        if not left:
            return False
        if left == 1:
            del _conflicts[(bucket, key)]
        else:
            _conflicts[(bucket, key)] = left - 1
        return True


def crc64nvme(data: bytes) -> str:
    """S3's CRC64NVME checksum of `data`, base64 of the big-endian 8 bytes, as S3 shows it."""
    from anycrc import Model

    return base64.b64encode(Model("CRC64-NVME").calc(data).to_bytes(8, "big")).decode("ascii")


def error(status: int, code: str, message: str, **extra: object) -> tuple[int, dict[str, str], bytes]:
    """S3's XML error answer, as an S3Response method returns it."""
    fields = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in extra.items())
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{escape(message)}</Message>'
        f"{fields}<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId></Error>"
    ).encode()
    return status, {"Content-Type": "application/xml", "Content-Length": str(len(body))}, body


def conflict() -> tuple[int, dict[str, str], bytes]:
    return error(
        409,
        "ConditionalRequestConflict",
        "A conflicting conditional operation is currently in progress against this resource. Please try again.",
    )


def _is_conditional(headers) -> bool:
    return bool(headers.get("If-Match") or headers.get("If-None-Match"))


def _copy_source(response) -> tuple[str, str, str | None]:
    from urllib.parse import parse_qs, unquote, urlparse

    source = response.headers.get("x-amz-copy-source")
    if isinstance(source, bytes):
        source = source.decode("utf-8")
    parsed = urlparse(source)
    bucket, key = unquote(parsed.path).lstrip("/").split("/", 1)
    return bucket, key, parse_qs(parsed.query).get("versionId", [None])[0]


def _source_size(response) -> int | None:
    bucket, key, version = _copy_source(response)
    try:
        source = response.backend.get_object(bucket, key, version_id=version)
    except Exception:  # noqa: BLE001 - moto answers a missing source itself
        return None
    return None if source is None else source.size


def apply() -> None:
    """Patch moto's S3 once (idempotent). The rules act only while enabled()."""
    global _applied
    if _applied:
        return
    from moto.s3 import models, responses, utils
    from moto.s3.models import S3Backend
    from moto.s3.responses import S3Response

    from .moto_fixes import apply as apply_moto_fixes

    apply_moto_fixes()  # HEAD's checksum type and copies of composite checksums, as S3 answers them

    original_checksum = utils.compute_checksum

    def compute_checksum(body: bytes, algorithm: str, encode_base64: bool = True) -> bytes:
        if algorithm == DEFAULT_CHECKSUM and enabled():
            value = crc64nvme(body)
            return value.encode("ascii") if encode_base64 else base64.b64decode(value)
        return original_checksum(body, algorithm, encode_base64)

    for module in (utils, models, responses):
        module.compute_checksum = compute_checksum

    original_put_object = S3Response.put_object

    def put_object(self):
        if enabled() and _is_conditional(self.headers) and _take_conflict(self.bucket_name, self.parse_key_name()):
            return conflict()
        return original_put_object(self)

    original_post = S3Response._key_response_post

    def key_response_post(self, request, body, bucket_name, query, key_name):
        completing = query.get("uploadId") and not query.get("partNumber")
        if enabled() and completing and _is_conditional(self.headers) and _take_conflict(bucket_name, key_name):
            return conflict()
        return original_post(self, request, body, bucket_name, query, key_name)

    original_copy = S3Response.copy_object

    def copy_object(self):
        if enabled():
            size = _source_size(self)
            if size is not None and size > MAX_COPY_SOURCE_BYTES:
                return error(
                    400,
                    "InvalidRequest",
                    "The specified copy source is larger than the maximum allowable size for a copy source: "
                    f"{MAX_COPY_SOURCE_BYTES}",
                )
        return original_copy(self)

    original_part_copy = S3Response.upload_part_copy

    def upload_part_copy(self):
        if enabled() and self.headers.get("x-amz-copy-source-range"):
            size = _source_size(self)
            if size is not None and size < RANGED_COPY_MIN_SOURCE_BYTES:
                return error(
                    400,
                    "InvalidRequest",
                    "The specified copy source is not supported as a byte-range copy source.",
                )
        return original_part_copy(self)

    original_backend_put = S3Backend.put_object

    def backend_put_object(self, bucket_name, key_name, value, *args, **kwargs):
        key = original_backend_put(self, bucket_name, key_name, value, *args, **kwargs)
        if enabled() and not key.checksum_value and kwargs.get("multipart") is None:
            _default_checksum(key)
        return key

    original_complete = S3Backend.complete_multipart_upload

    def complete_multipart_upload(self, *args, **kwargs):
        key = original_complete(self, *args, **kwargs)
        if enabled() and key is not None and not key.checksum_algorithm:
            _default_checksum(key)
        return key

    S3Response.put_object = put_object
    S3Response._key_response_post = key_response_post
    S3Response.copy_object = copy_object
    S3Response.upload_part_copy = upload_part_copy
    S3Backend.put_object = backend_put_object
    S3Backend.complete_multipart_upload = complete_multipart_upload
    _applied = True


def _default_checksum(key) -> None:
    key.checksum_algorithm = DEFAULT_CHECKSUM
    key.checksum_value = crc64nvme(key.value)
    key.checksum_type = "FULL_OBJECT"
    key.checksum_parts = None


class LocalAdmin:
    """`POST /_local/conflict?bucket=B&key=K[&times=N]` on the local S3: arm_conflict over
    HTTP, for tests of a stack running in another process. Answers 204."""

    PATH = "/_local/conflict"

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != self.PATH:
            return self.app(environ, start_response)
        from urllib.parse import parse_qs

        query = parse_qs(environ.get("QUERY_STRING", ""))
        bucket, key = (query.get("bucket") or [""])[0], (query.get("key") or [""])[0]
        if environ.get("REQUEST_METHOD") != "POST" or not bucket or not key:
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [b"POST /_local/conflict?bucket=BUCKET&key=KEY[&times=N]\n"]
        arm_conflict(bucket, key, int((query.get("times") or ["1"])[0]))
        start_response("204 No Content", [])
        return [b""]
