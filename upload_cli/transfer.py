"""Sending bytes to S3: one presigned PUT or form POST, or the parts of a multipart
upload in parallel. Everything streams from disk in 1 MiB blocks, so memory stays flat
whatever the file's size: a part is never held in memory whole.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import threading
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Callable

import requests

from .api import SEND_BLOCK, TIMEOUT, Api, session

Progress = Callable[[int], None]
ATTEMPTS = 3


class TransferError(Exception):
    pass


class FileSlice(io.RawIOBase):
    """`length` bytes of a file from `offset`, read on demand; reports progress."""

    def __init__(self, path: str, offset: int, length: int, progress: Progress | None = None):
        self._file = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._file.seek(offset)
        self._left = self._length = length
        self._progress = progress

    def __len__(self) -> int:  # requests takes Content-Length from len() - tell()
        return self._length

    def tell(self) -> int:
        return self._length - self._left

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        size = self._left if size is None or size < 0 else min(size, self._left)
        data = self._file.read(size)
        self._left -= len(data)
        if self._progress and data:
            self._progress(len(data))
        return data

    def close(self) -> None:
        self._file.close()
        super().close()


def sha256_of(path: str, offset: int, length: int) -> str:
    digest = hashlib.sha256()
    with FileSlice(path, offset, length) as part:
        while block := part.read(SEND_BLOCK):
            digest.update(block)
    return base64.b64encode(digest.digest()).decode("ascii")


def _send(method: str, url: str, path: str, offset: int, length: int, headers: dict, progress: Progress) -> str:
    """One request with a file region as its body; its ETag. Retried; a failed try's
    progress is taken back."""
    last = ""
    for _ in range(ATTEMPTS):
        sent = 0

        def counted(n: int) -> None:
            nonlocal sent
            sent += n
            progress(n)

        try:
            with FileSlice(path, offset, length, counted) as body:
                response = session().request(
                    method, url, data=body, headers={**headers, "Content-Length": str(length)}, timeout=TIMEOUT
                )
            if response.ok:
                return response.headers.get("ETag", "")
            last = f"S3 answered {response.status_code}: {response.text[:300]}"
            if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
                break
        except requests.RequestException as exc:
            last = str(exc)
        progress(-sent)
    raise TransferError(last)


def put_single(signed: dict, path: str, size: int, progress: Progress) -> None:
    if signed["method"] == "PUT":
        _send("PUT", signed["url"], path, 0, size, signed.get("headers") or {}, progress)
        return
    # A form POST: fields first, the file last, streamed between a prefix and a suffix.
    boundary = "----upload-cli-" + os.urandom(12).hex()
    head = (
        b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in signed["fields"].items()
        )
        + f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="upload"\r\n\r\n'.encode()
    )
    tail = f"\r\n--{boundary}--\r\n".encode()
    body = _Chain(head, FileSlice(path, 0, size, progress), tail)
    response = session().post(
        signed["url"],
        data=body,
        timeout=TIMEOUT,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": str(len(body))},
    )
    if not response.ok:
        raise TransferError(f"S3 answered {response.status_code}: {response.text[:300]}")


class _Chain(io.RawIOBase):
    def __init__(self, head: bytes, middle: FileSlice, tail: bytes):
        self._parts = [io.BytesIO(head), middle, io.BytesIO(tail)]
        self._length = len(head) + len(middle) + len(tail)

    def __len__(self) -> int:
        return self._length

    def tell(self) -> int:
        return 0  # read once, from the start

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while self._parts:
            data = self._parts[0].read(size)
            if data:
                return data
            self._parts.pop(0).close()
        return b""


class MultipartSender:
    """Sends the missing parts of one multipart upload, `jobs` at a time."""

    def __init__(
        self,
        api: Api,
        upload_id: str,
        path: str,
        size: int,
        part_size: int,
        checksums: bool,
        signed: list[dict],
        jobs: int,
        progress: Progress,
    ):
        self.api, self.upload_id, self.path = api, upload_id, path
        self.size, self.part_size, self.checksums = size, part_size, checksums
        self.jobs, self.progress = jobs, progress
        self._urls = {p["part_number"]: p for p in signed}
        self._lock = threading.Lock()

    @property
    def count(self) -> int:
        return max(1, -(-self.size // self.part_size))

    def span(self, number: int) -> tuple[int, int]:
        offset = (number - 1) * self.part_size
        return offset, min(self.part_size, self.size - offset)

    def send(self, done: dict[int, str]) -> dict[int, str]:
        """Send every part not in `done` ({number: etag}); return all parts' ETags."""
        etags = dict(done)
        todo = [n for n in range(1, self.count + 1) if n not in etags]
        with ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="part") as pool:
            futures = {pool.submit(self._send_part, n): n for n in todo}
            finished, _ = wait(futures, return_when=FIRST_EXCEPTION)
            for future in futures:
                if future.done() and future.exception() is None:
                    number = futures[future]
                    etags[number] = future.result()
            failed = [f for f in finished if f.exception() is not None]
            if failed:
                for future in futures:
                    future.cancel()
                raise failed[0].exception()
        return etags

    def _send_part(self, number: int) -> str:
        offset, length = self.span(number)
        checksum = sha256_of(self.path, offset, length) if self.checksums else None
        signed = self._signed(number, checksum)
        try:
            return _send("PUT", signed["url"], self.path, offset, length, signed.get("headers") or {}, self.progress)
        except TransferError:
            # An expired URL: sign again once and retry.
            fresh = self.api.sign_parts(self.upload_id, [number], {number: checksum} if checksum else None)[0]
            return _send("PUT", fresh["url"], self.path, offset, length, fresh.get("headers") or {}, self.progress)

    def _signed(self, number: int, checksum: str | None) -> dict:
        if checksum:  # each URL pins its part's digest: sign it now
            return self.api.sign_parts(self.upload_id, [number], {number: checksum})[0]
        with self._lock:
            if number not in self._urls:
                batch = list(range(number, min(self.count, number + 99) + 1))
                for part in self.api.sign_parts(self.upload_id, batch):
                    self._urls[part["part_number"]] = part
            return self._urls.pop(number)
