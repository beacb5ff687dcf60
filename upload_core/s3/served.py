"""The served objects: what the service hands out, written from the bytes it inspected.

Key layout: files/ID/SHA256HEX, the SHA-256 of exactly the served bytes. A validation writes
the object from its own spool (the one download it inspected), never by copying incoming/ID:
whatever happens to incoming/ID meanwhile (a second PUT to the presigned URL, a same-ETag
twin: an ETag is an MD5 for single uploads) cannot reach what is served. Keys are content
addressed, so two runs that read the same bytes write the same object, and two that read
different bytes cannot overwrite each other: the record names the one its decision serves.

How, with the S3 API reference behind each choice:
- Up to SINGLE_PUT_MAX_BYTES: one PutObject with x-amz-checksum-sha256, which S3 checks
  against the body it receives (400 BadDigest otherwise; PutObject, "Checking object
  integrity" in the S3 user guide).
- Larger: a multipart upload created with ChecksumAlgorithm SHA256, each UploadPart with its
  part's SHA-256, which S3 checks part by part; S3 can keep only a composite SHA-256 for a
  multipart object (full-object checksums are CRC-only), so the object also carries the
  whole SHA-256 as metadata (x-amz-meta-sha256), and the record keeps ours.
- Each request carries at most PART_BYTES, so the client's 30 s read timeout bounds one part,
  never the object (a single CopyObject of 5 GiB is one request that S3 answers only at the
  end; it keeps the connection alive with whitespace only for CompleteMultipartUpload).
  Nothing is copied, so S3's refusal of a ranged UploadPartCopy from a source of 5 MB or
  less (UploadPartCopy, CopySourceRange) no longer applies: cutting off trailing bytes is
  writing [0, end).
- Parts are read from the spool one at a time and at most PARTS_IN_FLIGHT are sent at once:
  memory stays at PART_BYTES x (PARTS_IN_FLIGHT + 1) whatever the size (bench/bench_promote.py).
- A failed multipart upload is aborted; if even that fails, the bucket's lifecycle rule
  aborts it after 7 days (infra/bucket.json).
"""

from __future__ import annotations

import base64
import hashlib
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, Any

from .client import storage_errors
from .limits import MAX_PARTS, MiB

log = logging.getLogger(__name__)

SINGLE_PUT_MAX_BYTES = 16 * MiB
PART_BYTES = 8 * MiB
PARTS_IN_FLIGHT = 4
HASH_CHUNK_BYTES = 1 * MiB


@dataclass(frozen=True)
class ServedObject:
    key: str
    checksum: dict[str, str]  # {"algorithm": "SHA256", "value": base64, "type": "FULL_OBJECT"}


def sha256_of(source: IO[bytes], length: int) -> bytes:
    """The SHA-256 of bytes [0, length) of `source`, read in bounded chunks."""
    digest = hashlib.sha256()
    source.seek(0)
    left = length
    while left > 0:
        chunk = source.read(min(HASH_CHUNK_BYTES, left))
        if not chunk:
            raise ValueError(f"the spool ended {left} bytes before {length}")
        digest.update(chunk)
        left -= len(chunk)
    return digest.digest()


def part_size_for(length: int) -> int:
    """PART_BYTES, or larger (whole MiB) when 10,000 parts would not hold the object."""
    needed = -(-length // MAX_PARTS)
    return max(PART_BYTES, -(-needed // MiB) * MiB)


class Served:
    """Writes and removes the served objects of uploads (S3Store.served)."""

    def __init__(self, store: Any):
        self.store = store

    def prefix(self, upload_id: str) -> str:
        return f"{self.store.config.files_prefix}{upload_id}/"

    def key(self, upload_id: str, digest: bytes) -> str:
        return f"{self.prefix(upload_id)}{digest.hex()}"

    def write(self, upload_id: str, source: IO[bytes], length: int, content_type: str, digest: bytes) -> ServedObject:
        """Bytes [0, length) of `source`, whose SHA-256 is `digest`, as the served object of
        the upload; S3 checks every byte against the SHA-256 sent with it."""
        key = self.key(upload_id, digest)
        value = base64.b64encode(digest).decode("ascii")
        if length <= SINGLE_PUT_MAX_BYTES:
            source.seek(0)
            body = source.read(length)
            with storage_errors():
                self.store.client.put_object(
                    Bucket=self.store.bucket, Key=key, Body=body, ContentType=content_type, ChecksumSHA256=value
                )
        else:
            self._write_parts(key, source, length, content_type, value)
        return ServedObject(key, {"algorithm": "SHA256", "value": value, "type": "FULL_OBJECT"})

    def _write_parts(self, key: str, source: IO[bytes], length: int, content_type: str, sha256: str) -> None:
        client, bucket = self.store.client, self.store.bucket
        part_size = part_size_for(length)
        with storage_errors():
            multipart_id = client.create_multipart_upload(
                Bucket=bucket,
                Key=key,
                ContentType=content_type,
                ChecksumAlgorithm="SHA256",
                Metadata={"sha256": sha256},
            )["UploadId"]

        def send(number: int, data: bytes) -> dict[str, Any]:
            part_sum = base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")
            answer = client.upload_part(
                Bucket=bucket, Key=key, UploadId=multipart_id, PartNumber=number, Body=data, ChecksumSHA256=part_sum
            )
            return {"PartNumber": number, "ETag": answer["ETag"], "ChecksumSHA256": part_sum}

        parts: list[dict[str, Any]] = []
        try:
            with storage_errors(), ThreadPoolExecutor(PARTS_IN_FLIGHT, thread_name_prefix="served") as pool:
                in_flight: list[Future] = []
                source.seek(0)
                for number, offset in enumerate(range(0, length, part_size), start=1):
                    if len(in_flight) >= PARTS_IN_FLIGHT:
                        parts.append(in_flight.pop(0).result())
                    data = source.read(min(part_size, length - offset))
                    in_flight.append(pool.submit(send, number, data))
                    del data
                parts.extend(f.result() for f in in_flight)
                client.complete_multipart_upload(
                    Bucket=bucket, Key=key, UploadId=multipart_id, MultipartUpload={"Parts": parts}
                )
        except Exception:
            self._abort(key, multipart_id)
            raise

    def _abort(self, key: str, multipart_id: str) -> None:
        try:
            self.store.client.abort_multipart_upload(Bucket=self.store.bucket, Key=key, UploadId=multipart_id)
        except Exception:  # noqa: BLE001 - the write's own failure is what gets reported
            log.warning("could not abort %s; the bucket's lifecycle rule will", key, exc_info=True)

    def keys(self, upload_id: str) -> list[str]:
        """Every served object of the upload: files/ID/* and files/ID of older records."""
        client, bucket = self.store.client, self.store.bucket
        found: list[str] = []
        params: dict[str, Any] = {"Bucket": bucket, "Prefix": self.prefix(upload_id)}
        with storage_errors():
            while True:
                page = client.list_objects_v2(**params)
                found += [o["Key"] for o in page.get("Contents", [])]
                if not page.get("IsTruncated"):
                    break
                params["ContinuationToken"] = page["NextContinuationToken"]
        return found + [self.store.file_key(upload_id)]

    def remove(self, upload_id: str, keep: str | None = None) -> None:
        """Delete every served object of the upload but `keep` (deleting what is not there
        is a success in S3, so files/ID of older records is always named). On a versioned
        bucket (MALWARE_SCANNER=guardduty) every version of them goes too."""
        if self.store.versioned:
            self.store.versions.purge_under(self.prefix(upload_id), also=self.store.file_key(upload_id), keep=keep)
            return
        with storage_errors():
            for key in self.keys(upload_id):
                if key != keep:
                    self.store.client.delete_object(Bucket=self.store.bucket, Key=key)

    def remove_key(self, key: str) -> None:
        self.store.remove(key)
