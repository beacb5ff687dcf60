"""The error family. Each error carries its stable code and HTTP status; one Flask
handler (api.py) renders them, and the validator stores their code as a reason."""
from __future__ import annotations

from typing import Any


class UploadError(Exception):
    status = 400

    def __init__(self, code: str, message: str, **extra: Any):
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, **self.extra}}

    def reason(self) -> dict[str, str]:
        """What a rejected upload's record keeps: the code, the message, and what was found."""
        found = {key: str(self.extra[key]) for key in ("found", "signature") if key in self.extra}
        return {"code": self.code, "message": self.message, **found}


class BadRequest(UploadError):
    status = 400


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
