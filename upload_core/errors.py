"""The error family and the table of stable codes. Each error carries its code and HTTP
status; one Flask handler (http/errors.py) renders them, and the validator stores their
code as a rejected upload's reason."""

from __future__ import annotations

from typing import Any, NamedTuple


class Code(NamedTuple):
    status: int
    when: str


# Every code a client can see, as an error or as a rejected upload's reason.code. The
# OpenAPI document, docs/api.md and the README list exactly these.
CODES: dict[str, Code] = {
    "invalid_request": Code(400, "malformed JSON or multipart, a missing or wrong-typed field, a limit on the request"),
    "no_file": Code(400, "no part named file"),
    "empty_filename": Code(400, "a part with an empty filename"),
    "invalid_filename": Code(400, "nothing usable is left after sanitizing"),
    "empty_file": Code(400, "zero bytes"),
    "size_mismatch": Code(400, "what landed (or the parts) differs from the declared size"),
    "parts_mismatch": Code(400, "the parts listed at completion are not the parts S3 holds"),
    "key_not_allowed": Code(403, "a Companion key that this service did not issue (not incoming/ID)"),
    "unauthorized": Code(401, "AUTH_MODE=jwt and no caller identity (with WWW-Authenticate: Bearer)"),
    "not_found": Code(404, "unknown upload or route, or an upload that belongs to someone else"),
    "method_not_allowed": Code(405, "the route exists but not with this method"),
    "not_ready": Code(409, "content of a pending upload"),
    "rejected": Code(409, "content of a rejected upload"),
    "not_multipart": Code(409, "a multipart route on an upload that is not multipart"),
    "not_pending": Code(409, "a multipart route on an upload that is already decided"),
    "too_large_for_inline": Code(413, "the inline body is over INLINE_MAX_BYTES (carries max_inline_bytes)"),
    "too_large": Code(
        413,
        "over MAX_UPLOAD_BYTES, or over the largest file of its type the validator inspects in time "
        "(carries max_upload_bytes: the limit that applies; and extension when it is the type's)",
    ),
    "request_too_large": Code(
        413, "a JSON body, a form text field or the number of form parts is over its limit (carries limit)"
    ),
    "extension_not_allowed": Code(415, "the extension is not on the allow-list (carries allowed_extensions)"),
    "content_type_not_allowed": Code(415, "the declared or detected type is not allowed"),
    "content_mismatch": Code(415, "the declared or detected type does not match the extension"),
    "unsafe_content": Code(422, "the content is dangerous (carries found: what was found)"),
    "malware": Code(422, "the malware scanner (clamd, or GuardDuty: THREATS_FOUND) found a threat (carries signature)"),
    "quota_exceeded": Code(429, "QUOTA_BYTES or QUOTA_PENDING would be passed (carries quota, limit, in_use)"),
    "validation_backlog": Code(
        429, "QUOTA_PENDING_BYTES would be passed: wait until pending uploads are decided (carries limit, in_flight)"
    ),
    "internal_error": Code(500, "a bug; never for bad input"),
    "storage_unavailable": Code(503, "S3 failed; nothing half-written stays behind"),
    "scanner_unavailable": Code(503, "inline, MALWARE_SCANNER=clamd: clamd gave no verdict; nothing was stored"),
    "inspection_unavailable": Code(503, "inline: the inspection's process could not be started; nothing was stored"),
}


class UploadError(Exception):
    """An error with a stable code; its HTTP status comes from CODES."""

    status = 400

    def __init__(self, code: str, message: str, **extra: Any):
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra
        if code in CODES:
            self.status = CODES[code].status

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, **self.extra}}

    def reason(self) -> dict[str, str]:
        """What a rejected upload's record keeps: the code, the message, and what was found."""
        found = {key: str(self.extra[key]) for key in ("found", "signature") if key in self.extra}
        return {"code": self.code, "message": self.message, **found}


class BadRequest(UploadError):
    status = 400


class Unauthorized(UploadError):
    status = 401
    # Rendered as response headers (http/errors.py): RFC 6750's challenge, as API Gateway sends.
    headers = {"WWW-Authenticate": "Bearer"}

    def __init__(self, message: str = "This API needs a bearer token (Authorization: Bearer ...)"):
        super().__init__("unauthorized", message)


class QuotaExceeded(UploadError):
    status = 429

    def __init__(self, quota: str, limit: int, in_use: int, message: str):
        super().__init__("quota_exceeded", message, quota=quota, limit=limit, in_use=in_use)


class ValidationBacklog(UploadError):
    """The owner's uploads waiting for the validator already hold QUOTA_PENDING_BYTES: one
    owner must not hold the validator's concurrency. Not a quota of what is kept: wait and retry."""

    status = 429

    def __init__(self, limit: int, in_flight: int):
        super().__init__(
            "validation_backlog",
            f"{in_flight} bytes of your uploads are waiting to be validated, the most allowed at once is {limit}; "
            "try again once some are decided",
            limit=limit,
            in_flight=in_flight,
        )


class Forbidden(UploadError):
    status = 403


class NotFound(UploadError):
    status = 404


class MethodNotAllowed(UploadError):
    status = 405


class Conflict(UploadError):
    status = 409


class TooLarge(UploadError):
    status = 413


class Unsupported(UploadError):
    status = 415


class Unsafe(UploadError):
    status = 422


class StorageUnavailable(UploadError):
    status = 503

    def __init__(self, message: str = "Storage is unavailable; nothing was stored, try again"):
        super().__init__("storage_unavailable", message)


class InternalError(UploadError):
    status = 500

    def __init__(self) -> None:
        super().__init__("internal_error", "Internal error")
