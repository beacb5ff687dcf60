"""S3Store: every S3 call the service makes, in one place, multipart calls included
(the client and error translation are in client.py).

Key layout (object keys never contain a client's name):
    incoming/ID   what a presigned client wrote; never served, only validated
    files/ID      validated content: the only prefix that is ever served
    records/ID.json   the upload record (status, name, sizes, reason, owner)
    owners/HASH/...   per-owner index and usage objects (owners.py)

The boto3 client is made on first use and reused across warm invocations, so importing
the service touches no network.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, BinaryIO, Callable

from ..config import Config
from ..errors import NotFound, StorageUnavailable
from ..inspect.naming import is_valid_id
from ..upload import Upload
from .client import ObjectChanged, default_client, error_code, storage_errors
from .limits import CHECKSUM_ALGORITHMS, MAX_SINGLE_COPY_BYTES
from .owners import Owners

log = logging.getLogger(__name__)


DOWNLOAD_CHUNK_BYTES = 1024 * 1024
COPY_PART_BYTES = 1024 * 1024 * 1024  # a cut-off or > 5 GiB copy, part by part


class MultipartUploadGone(Exception):
    """S3 does not know the multipart upload: completed, aborted or expired."""


@dataclass(frozen=True)
class RecordVersion:
    """A record as read, with the ETag a conditional write can name (If-Match)."""

    upload: Upload
    etag: str


class S3Store:
    def __init__(self, config: Config, client_factory: Callable[[], Any] | None = None):
        self.config = config
        self.bucket = config.bucket
        self._factory = client_factory or default_client
        self._client = None
        self._executor: Any = None  # for PUTs that run side by side; made on first use
        self._lock = threading.Lock()
        self.bytes_read = 0  # bytes the validator downloaded; the benchmark reports it
        self.owners = Owners(self)  # per-owner index and usage objects (owners.py)

    @property
    def client(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._factory()
        return self._client

    # keys -------------------------------------------------------------------
    def incoming_key(self, upload_id: str) -> str:
        return f"{self.config.incoming_prefix}{upload_id}"

    def file_key(self, upload_id: str) -> str:
        return f"{self.config.files_prefix}{upload_id}"

    def record_key(self, upload_id: str) -> str:
        return f"{self.config.records_prefix}{upload_id}.json"

    def id_from_incoming_key(self, key: str) -> str | None:
        prefix = self.config.incoming_prefix
        return key[len(prefix) :] if key.startswith(prefix) and "/" not in key[len(prefix) :] else None

    # records ----------------------------------------------------------------
    def get_record(self, upload_id: str) -> Upload | None:
        version = self.read_record(upload_id)
        return version.upload if version else None

    def read_record(self, upload_id: str) -> RecordVersion | None:
        with storage_errors():
            try:
                obj = self.client.get_object(Bucket=self.bucket, Key=self.record_key(upload_id))
            except self.client.exceptions.NoSuchKey:
                return None
            return RecordVersion(Upload.from_bytes(obj["Body"].read()), obj["ETag"])

    def require_record(self, upload_id: str, owner: str | None = None) -> Upload:
        """The record of an upload a client names, or NotFound (also for malformed ids,
        which never reach S3). With an owner (AUTH_MODE=jwt), someone else's upload is
        NotFound too, with the same body: nobody can tell it from a missing one."""
        upload = self.get_record(upload_id) if is_valid_id(upload_id) else None
        if upload is not None and owner is not None and upload.owner != owner:
            upload = None
        if upload is None:
            raise NotFound("not_found", f"No upload {upload_id[:100]}")
        return upload

    def put_record(self, upload: Upload, if_match: str | None = None) -> str:
        """Write the record; return its new ETag. With `if_match` the write happens only if
        the record is still that version (S3 conditional write): otherwise ObjectChanged,
        and nothing is written. The validator decides this way, so that a record deleted
        (DELETE /uploads/ID) while it was deciding stays deleted."""
        extra: dict[str, Any] = {"IfMatch": if_match} if if_match else {}
        with storage_errors():
            try:
                answer = self.client.put_object(
                    Bucket=self.bucket,
                    Key=self.record_key(upload.id),
                    Body=upload.to_bytes(),
                    ContentType="application/json",
                    # The bucket's lifecycle expires abandoned (pending) and rejected records by tag.
                    Tagging=f"status={upload.status}",
                    **extra,
                )
            except self.client.exceptions.ClientError as exc:
                # S3 answers 412 for another version, 404 when the record is gone.
                if if_match and error_code(exc) in ("PreconditionFailed", "412", "NoSuchKey", "404"):
                    raise ObjectChanged(upload.id) from None
                raise
        return answer["ETag"]

    # inline -----------------------------------------------------------------
    def store_accepted(self, upload: Upload, data: bytes) -> None:
        """Store validated bytes and their record; on failure leave nothing behind.
        The two PUTs run side by side (the record's would otherwise add a third to an
        inline upload's time): until both succeed nobody knows the id, and if either
        fails both keys are removed."""
        pending = self._pool().submit(self._put_file, upload, data)
        try:
            try:
                self.put_record(upload)
            finally:
                pending.result()  # always wait, so a cleanup cannot race the file's PUT
        except StorageUnavailable:
            self._best_effort_delete(self.file_key(upload.id), self.record_key(upload.id))
            raise

    def _put_file(self, upload: Upload, data: bytes) -> None:
        with storage_errors():
            self.client.put_object(
                Bucket=self.bucket,
                Key=self.file_key(upload.id),
                Body=data,
                ContentType=upload.content_type,
            )

    def _pool(self) -> Any:
        if self._executor is None:
            with self._lock:
                if self._executor is None:
                    from concurrent.futures import ThreadPoolExecutor

                    self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="s3store")
        return self._executor

    # presigning -------------------------------------------------------------
    def presign_put(
        self, upload_id: str, content_type: str, size: int, checksum_sha256: str | None = None
    ) -> dict[str, Any]:
        """A PUT URL whose signature covers the key, Content-Type and Content-Length, and
        with a checksum x-amz-checksum-sha256 too (S3 refuses a body that does not match)."""
        params: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": self.incoming_key(upload_id),
            "ContentType": content_type,
            "ContentLength": size,
        }
        headers = {"Content-Type": content_type}
        if checksum_sha256:
            params.update(ChecksumSHA256=checksum_sha256, ChecksumAlgorithm="SHA256")
            headers.update({"x-amz-checksum-sha256": checksum_sha256, "x-amz-sdk-checksum-algorithm": "SHA256"})
        with storage_errors():
            url = self.client.generate_presigned_url(
                "put_object", Params=params, ExpiresIn=self.config.presign_ttl_seconds
            )
        return {"method": "PUT", "url": url, "fields": {}, "headers": headers}

    def presign_post(self, upload_id: str, content_type: str, min_size: int, max_size: int) -> dict[str, Any]:
        """A form POST whose policy pins the key, the content type and the size range."""
        key = self.incoming_key(upload_id)
        with storage_errors():
            post = self.client.generate_presigned_post(
                Bucket=self.bucket,
                Key=key,
                Fields={"Content-Type": content_type},
                Conditions=[
                    {"bucket": self.bucket},
                    ["eq", "$key", key],
                    ["eq", "$Content-Type", content_type],
                    ["content-length-range", min_size, max_size],
                ],
                ExpiresIn=self.config.presign_ttl_seconds,
            )
        return {"method": "POST", "url": post["url"], "fields": post["fields"], "headers": {}}

    def presign_get(self, upload: Upload, disposition: str) -> str:
        with storage_errors():
            return self.client.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self.bucket,
                    "Key": self.file_key(upload.id),
                    "ResponseContentDisposition": disposition,
                    "ResponseContentType": upload.content_type,
                },
                ExpiresIn=self.config.presign_ttl_seconds,
            )

    # validation -------------------------------------------------------------
    def download_incoming(self, upload_id: str, into: BinaryIO) -> tuple[int, str] | None:
        """Stream the incoming object into `into` (the validator's spooled temporary file) in
        fixed-size chunks, so memory stays flat with the object's size. One GET: every byte
        is of one version, whose size and ETag are returned; None if the object is gone."""
        size = 0
        with storage_errors():
            try:
                obj = self.client.get_object(Bucket=self.bucket, Key=self.incoming_key(upload_id))
            except self.client.exceptions.NoSuchKey:
                return None
            for chunk in obj["Body"].iter_chunks(DOWNLOAD_CHUNK_BYTES):
                into.write(chunk)
                size += len(chunk)
        self.bytes_read += size
        into.seek(0)
        return size, obj["ETag"]

    def promote(self, upload: Upload, etag: str, length: int | None = None) -> dict[str, str] | None:
        """Copy validated incoming bytes to the served prefix, only if they are still the
        bytes that were validated (CopySourceIfMatch). `length` < the object's size copies
        only bytes [0, length): trailing bytes past a format's end are cut off, never served.
        The copy happens inside S3: one CopyObject for a whole object up to 5 GiB, otherwise
        a multipart copy of byte ranges. The HEAD with If-Match is a second lock for S3
        look-alikes that ignore the copy condition (moto does); on S3 the copy's own
        condition closes the race. It also reads the checksum S3 recorded for that
        version, which is returned (a cut-off copy has none of its own)."""
        source = {"Bucket": self.bucket, "Key": self.incoming_key(upload.id)}
        args = {
            "ContentType": upload.content_type,
            "MetadataDirective": "REPLACE",
            "TaggingDirective": "REPLACE",  # nothing a client attached travels to the served copy
        }
        with storage_errors():
            try:
                head = self.client.head_object(
                    Bucket=self.bucket, Key=source["Key"], IfMatch=etag, ChecksumMode="ENABLED"
                )
                whole = int(head["ContentLength"])
                length = whole if length is None else length
                if length == whole and whole <= MAX_SINGLE_COPY_BYTES:
                    self.client.copy_object(
                        CopySource=source,
                        CopySourceIfMatch=etag,
                        Bucket=self.bucket,
                        Key=self.file_key(upload.id),
                        **args,
                    )
                else:
                    self._copy_range(source, etag, length, upload.content_type)
            except self.client.exceptions.ClientError as exc:
                if error_code(exc) in ("PreconditionFailed", "412", "404", "NoSuchKey"):
                    raise ObjectChanged(upload.id) from None
                raise
        return checksum_of(head) if length == whole else None

    def _copy_range(self, source: dict[str, str], etag: str, length: int, content_type: str) -> None:
        """Bytes [0, length) of `source` to files/ID by UploadPartCopy, in parts of at most
        COPY_PART_BYTES, a few at a time; aborted if any part fails."""
        from concurrent.futures import ThreadPoolExecutor

        key = self.file_key(source["Key"].rsplit("/", 1)[-1])
        multipart_id = self.client.create_multipart_upload(Bucket=self.bucket, Key=key, ContentType=content_type)[
            "UploadId"
        ]
        ranges = [
            (n + 1, start, min(length, start + COPY_PART_BYTES) - 1)
            for n, start in enumerate(range(0, max(length, 1), COPY_PART_BYTES))
        ]

        def copy(part: tuple[int, int, int]) -> dict[str, Any]:
            number, first, last = part
            answer = self.client.upload_part_copy(
                Bucket=self.bucket,
                Key=key,
                UploadId=multipart_id,
                PartNumber=number,
                CopySource=source,
                CopySourceIfMatch=etag,
                CopySourceRange=f"bytes={first}-{last}",
            )
            return {"PartNumber": number, "ETag": answer["CopyPartResult"]["ETag"]}

        try:
            with ThreadPoolExecutor(max_workers=4) as pool:
                parts = list(pool.map(copy, ranges))
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=multipart_id, MultipartUpload={"Parts": parts}
            )
        except Exception:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=multipart_id)
            raise

    def withdraw_promoted(self, upload_id: str) -> None:
        """Remove a copy made for an upload whose record is gone (deleted while it was
        being validated), and its incoming bytes: nothing of it may stay behind."""
        with storage_errors():
            for key in (self.file_key(upload_id), self.incoming_key(upload_id)):
                self.client.delete_object(Bucket=self.bucket, Key=key)

    def delete_incoming(self, upload_id: str) -> None:
        with storage_errors():
            self.client.delete_object(Bucket=self.bucket, Key=self.incoming_key(upload_id))

    def delete_upload(self, upload: Upload) -> None:
        """Remove every object of an upload, aborting an unfinished multipart upload
        first; the record goes last so a retry finds it. A validator deciding meanwhile
        writes its decision only over the record version it read (If-Match), so once the
        record is gone its write fails and it withdraws its copy: deleted stays deleted."""
        if upload.multipart_upload_id and not upload.final:
            self.abort_multipart(upload.id, upload.multipart_upload_id)
        with storage_errors():
            for key in (self.incoming_key(upload.id), self.file_key(upload.id)):
                self.client.delete_object(Bucket=self.bucket, Key=key)
            self.client.delete_object(Bucket=self.bucket, Key=self.record_key(upload.id))

    # multipart --------------------------------------------------------------
    def create_multipart(self, upload_id: str, content_type: str, checksum_algorithm: str | None = None) -> str:
        """Start a multipart upload on incoming/ID; return S3's UploadId."""
        params: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": self.incoming_key(upload_id),
            "ContentType": content_type,
        }
        if checksum_algorithm:
            params["ChecksumAlgorithm"] = checksum_algorithm
        with storage_errors():
            return self.client.create_multipart_upload(**params)["UploadId"]

    def presign_part(
        self,
        upload_id: str,
        multipart_id: str,
        part_number: int,
        length: int | None = None,
        checksum_sha256: str | None = None,
    ) -> dict[str, Any]:
        """A PUT URL for one part. With `length` the signature pins Content-Length; with
        a checksum it pins x-amz-checksum-sha256, so S3 refuses a corrupted body.
        `headers` are the ones the client must send exactly."""
        params: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": self.incoming_key(upload_id),
            "UploadId": multipart_id,
            "PartNumber": part_number,
        }
        headers: dict[str, str] = {}
        if length is not None:
            params["ContentLength"] = length
        if checksum_sha256:
            params["ChecksumSHA256"] = checksum_sha256
            params["ChecksumAlgorithm"] = "SHA256"
            headers = {"x-amz-checksum-sha256": checksum_sha256, "x-amz-sdk-checksum-algorithm": "SHA256"}
        with storage_errors():
            url = self.client.generate_presigned_url(
                "upload_part", Params=params, ExpiresIn=self.config.presign_ttl_seconds
            )
        return {"url": url, "headers": headers}

    def list_parts(self, upload_id: str, multipart_id: str) -> list[dict[str, Any]]:
        """Every part S3 holds, across ListParts pages (1,000 a page)."""
        parts: list[dict[str, Any]] = []
        marker = 0
        with storage_errors():
            while True:
                try:
                    page = self.client.list_parts(
                        Bucket=self.bucket,
                        Key=self.incoming_key(upload_id),
                        UploadId=multipart_id,
                        PartNumberMarker=marker,
                    )
                except self.client.exceptions.NoSuchUpload:
                    raise MultipartUploadGone(multipart_id) from None
                parts.extend(page.get("Parts", []))
                if not page.get("IsTruncated"):
                    return parts
                marker = int(page["NextPartNumberMarker"])

    def complete_multipart(self, upload_id: str, multipart_id: str, parts: list[dict[str, Any]]) -> dict[str, Any]:
        with storage_errors():
            try:
                answer = self.client.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=self.incoming_key(upload_id),
                    UploadId=multipart_id,
                    MultipartUpload={"Parts": parts},
                )
            except self.client.exceptions.NoSuchUpload:
                raise MultipartUploadGone(multipart_id) from None
        return {"etag": answer.get("ETag"), "checksum": checksum_of(answer)}

    def abort_multipart(self, upload_id: str, multipart_id: str) -> None:
        """Abort; an upload S3 no longer knows is already as good as aborted."""
        with storage_errors():
            try:
                self.client.abort_multipart_upload(
                    Bucket=self.bucket, Key=self.incoming_key(upload_id), UploadId=multipart_id
                )
            except self.client.exceptions.NoSuchUpload:
                log.info("abort of %s: S3 no longer knows upload %s", upload_id, multipart_id)

    def incoming_exists(self, upload_id: str) -> bool:
        with storage_errors():
            try:
                self.client.head_object(Bucket=self.bucket, Key=self.incoming_key(upload_id))
            except self.client.exceptions.ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    return False
                raise
        return True

    def _best_effort_delete(self, *keys: str) -> None:
        for key in keys:
            try:
                self.client.delete_object(Bucket=self.bucket, Key=key)
            except Exception:  # noqa: BLE001 - cleanup after a failure already reported
                log.warning("cleanup of %s failed", key, exc_info=True)


def checksum_of(answer: dict[str, Any]) -> dict[str, str] | None:
    for algorithm in CHECKSUM_ALGORITHMS:
        value = answer.get(f"Checksum{algorithm}")
        if value:
            checksum = {"algorithm": algorithm, "value": value}
            if answer.get("ChecksumType"):
                checksum["type"] = answer["ChecksumType"]
            return checksum
    return None
