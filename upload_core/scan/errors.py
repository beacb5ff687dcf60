"""What a malware scanner's answer means for an upload, whichever scanner gave it."""

from __future__ import annotations

from ..errors import Unsafe, UploadError


class ScannerUnavailable(RuntimeError):
    """clamd could not give a verdict. Not an UploadError: nothing about the upload is
    decided, and the caller must fail (validator: Lambda retries) or answer 503 (inline)."""


class MalwareFound(Unsafe):
    """422 `malware`: a scanner (clamd, or GuardDuty's THREATS_FOUND) named what it found."""

    def __init__(self, signature: str):
        super().__init__("malware", f"The file contains malware ({signature})", signature=signature)


class ScannerUnavailableError(UploadError):
    """The inline route's answer when clamd cannot be reached: try again later."""

    status = 503

    def __init__(self) -> None:
        super().__init__("scanner_unavailable", "The malware scanner is unavailable; nothing was stored, try again")
