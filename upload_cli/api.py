"""The service's HTTP API, as the CLI uses it, and plain HTTP to S3's presigned URLs.

requests sessions are kept one per thread (a Session is not meant to be shared across
threads) and send request bodies in 1 MiB blocks rather than urllib3's 16 KiB.
"""

from __future__ import annotations

import threading
from typing import Any

import requests
from requests.adapters import HTTPAdapter

SEND_BLOCK = 1024 * 1024
TIMEOUT = (10, 300)  # connect, read: a part PUT of 64 MiB on a slow link


class ApiError(Exception):
    """The service answered an error in the contract's shape (or did not answer)."""

    def __init__(self, status: int, code: str, message: str, body: dict | None = None):
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message, self.body = status, code, message, body or {}


class _BigBlocks(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        kwargs["blocksize"] = SEND_BLOCK
        super().init_poolmanager(*args, **kwargs)


_local = threading.local()


def session() -> requests.Session:
    s = getattr(_local, "session", None)
    if s is None:
        s = requests.Session()
        adapter = _BigBlocks(pool_connections=4, pool_maxsize=32, max_retries=0)
        s.mount("http://", adapter)
        s.mount("https://", adapter)
        _local.session = s
    return s


class Api:
    def __init__(self, base_url: str, token: str | None = None):
        self.base = base_url.rstrip("/")
        # AUTH_MODE=jwt: sent to the API only, never to S3's presigned URLs.
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _call(self, method: str, path: str, **kwargs) -> Any:
        try:
            response = session().request(method, self.base + path, timeout=TIMEOUT, headers=self.headers, **kwargs)
        except requests.RequestException as exc:
            raise ApiError(0, "unreachable", f"{method} {path}: {exc}") from None
        if response.status_code == 204:
            return None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code == 401:  # API Gateway's authorizer answers {"message": "Unauthorized"}
            what = "was refused" if self.headers else "is missing"
            message = f"the API needs a bearer token and the token {what}: set UPLOAD_TOKEN (or --token)"
            raise ApiError(401, "unauthorized", message)
        if response.status_code >= 400:
            error = (body or {}).get("error") if isinstance(body, dict) else None
            error = error or {"code": f"http_{response.status_code}", "message": response.text[:200]}
            raise ApiError(response.status_code, error.get("code", "error"), error.get("message", ""), error)
        return body

    def create(self, filename: str, size: int, content_type: str | None, **extra: Any) -> dict:
        body = {"filename": filename, "size": size, **extra}
        if content_type:
            body["content_type"] = content_type
        return self._call("POST", "/uploads", json=body)

    def inline(self, filename: str, data: bytes) -> dict:
        return self._call("POST", "/uploads", files={"file": (filename, data)})

    def get(self, upload_id: str) -> dict:
        return self._call("GET", f"/uploads/{upload_id}")

    def sign_parts(self, upload_id: str, numbers: list[int], checksums: dict[int, str] | None = None) -> list[dict]:
        body: dict[str, Any] = {"part_numbers": numbers}
        if checksums:
            body["checksums_sha256"] = {str(n): c for n, c in checksums.items()}
        return self._call("POST", f"/uploads/{upload_id}/parts", json=body)["parts"]

    def held_parts(self, upload_id: str) -> dict:
        return self._call("GET", f"/uploads/{upload_id}/parts")

    def complete(self, upload_id: str, parts: dict[int, str]) -> dict:
        listed = [{"part_number": n, "etag": etag} for n, etag in sorted(parts.items())]
        return self._call("POST", f"/uploads/{upload_id}/complete", json={"parts": listed})

    def delete(self, upload_id: str) -> None:
        self._call("DELETE", f"/uploads/{upload_id}")
