"""A seekable, read-only view of one S3 object version, fetched by ranged GETs.

Every GET carries If-Match on the version's ETag, so a reader never mixes two versions.
Nothing here knows about uploads."""

from __future__ import annotations

import io
from typing import Any, Callable

from .client import ObjectChanged, error_code, storage_errors

READ_BLOCK = 64 * 1024


class RangedReader(io.RawIOBase):
    """A seekable, read-only view of one S3 object version, fetched by ranged GETs in
    blocks, so zipfile can read a central directory without the whole object.
    `on_read(n)` is told how many bytes each GET brought (the benchmark counts them)."""

    def __init__(
        self, client: Any, bucket: str, key: str, size: int, etag: str, on_read: Callable[[int], None] = lambda n: None
    ):
        self._client, self._bucket, self._key, self._size, self._etag = client, bucket, key, size, etag
        self._on_read = on_read
        self._pos = 0
        self._block_start, self._block = -1, b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        want = min(len(buffer), self._size - self._pos)
        if want <= 0:
            return 0
        end = self._pos + want
        if not (self._block_start <= self._pos and end <= self._block_start + len(self._block)):
            start = self._pos
            stop = min(self._size, max(end, start + READ_BLOCK))
            self._block = self._fetch(start, stop)
            self._block_start = start
        offset = self._pos - self._block_start
        chunk = self._block[offset : offset + want]
        buffer[: len(chunk)] = chunk
        self._pos += len(chunk)
        return len(chunk)

    def _fetch(self, start: int, stop: int) -> bytes:
        with storage_errors():
            try:
                obj = self._client.get_object(
                    Bucket=self._bucket, Key=self._key, Range=f"bytes={start}-{stop - 1}", IfMatch=self._etag
                )
            except self._client.exceptions.ClientError as exc:
                if error_code(exc) in ("PreconditionFailed", "412", "NoSuchKey"):
                    raise ObjectChanged(self._key) from None
                raise
            data = obj["Body"].read()
        self._on_read(len(data))
        return data


def total_size(obj: dict) -> int:
    content_range = obj.get("ContentRange")  # "bytes 0-65535/1234567"
    if content_range and "/" in content_range:
        return int(content_range.rsplit("/", 1)[1])
    return int(obj["ContentLength"])
