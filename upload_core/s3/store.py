"""S3Store: every S3 call the service makes, in one place, multipart calls included
(the client and error translation are in client.py).

Key layout (object keys never contain a client's name):
    incoming/ID         what a presigned client wrote; never served, only validated
    files/ID/SHA256HEX  validated content, written from the inspected bytes (served.py): the
                        only prefix that is ever served (files/ID for records older than that)
    records/ID.json     the upload record (status, name, sizes, reason, owner)
    owners/HASH/...     per-owner index and usage objects (owners.py)

The boto3 client is made on first use and reused across warm invocations, so importing
the service touches no network.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
import time
from dataclasses import dataclass, replace
from typing import IO, Any, Callable

from ..config import Config
from ..errors import NotFound, StorageUnavailable
from ..inspect.naming import is_valid_id
from ..upload import Owner, Upload
from .client import ObjectChanged, default_client, error_code, storage_errors
from .limits import CHECKSUM_ALGORITHMS
from .owners import Owners
from .served import Served
from .versions import Head, VersionedObjects, version_of

log = logging.getLogger(__name__)


DOWNLOAD_CHUNK_BYTES = 1024 * 1024
# A conditional write answered 409 ConditionalRequestConflict is retried this often, a
# little later each time, while the object is still the version it was conditioned on.
CONFLICT_ATTEMPTS = 6
CONFLICT_BACKOFF_SECONDS = 0.05


class MultipartUploadGone(Exception):
    """S3 does not know the multipart upload: completed, aborted or expired."""


@dataclass(frozen=True)
class RecordVersion:
    """A record as read, with the ETag a conditional write can name (If-Match)."""

    upload: Upload
    etag: str


@dataclass(frozen=True)
class Fetched:
    """What one GET of an incoming object brought: its size, ETag and SHA-256, and the
    version it is of (None unless the bucket is versioned: MALWARE_SCANNER=guardduty)."""

    size: int
    etag: str
    sha256: bytes
    version_id: str | None = None


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
        self.served = Served(self)  # the served objects (served.py)
        # MALWARE_SCANNER=guardduty versions the bucket: GuardDuty names the version it
        # scanned, and removing an object removes every version of it (versions.py).
        self.versions = VersionedObjects(self)
        self.versioned = config.guardduty

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
        """Where records accepted before served keys existed keep their bytes."""
        return f"{self.config.files_prefix}{upload_id}"

    def served_key_of(self, upload: Upload) -> str:
        """The key an accepted upload is served from."""
        return upload.served_key or self.file_key(upload.id)

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

    def require_record(self, upload_id: str, owner: Owner | None = None, tombstone_ok: bool = False) -> Upload:
        """The record of an upload a client names, or NotFound (also for malformed ids,
        which never reach S3, and for a tombstone: a DELETE in progress). With an owner
        (AUTH_MODE=jwt), someone else's upload is NotFound too, with the same body: nobody
        can tell it from a missing one. `tombstone_ok`: DELETE finishes a deletion that failed
        halfway."""
        upload = self.get_record(upload_id) if is_valid_id(upload_id) else None
        if upload is not None and upload.deleted and not tombstone_ok:
            upload = None
        if upload is not None and owner is not None and upload.owner != owner:
            upload = None
        if upload is None:
            raise NotFound("not_found", f"No upload {upload_id[:100]}")
        return upload

    def put_record(self, upload: Upload, if_match: str | None = None) -> str:
        """Write the record; return its new ETag. With `if_match` the write happens only if
        the record is still that version (S3 conditional write): otherwise ObjectChanged,
        and nothing is written. The validator decides this way, and DELETE writes its
        tombstone this way, so that no decision lands over a deleted or decided upload.

        S3 answers 412 for another version and 404 when the record is gone: ObjectChanged.
        It answers 409 ConditionalRequestConflict when another write to the key is in flight;
        PutObject's reference says "On a 409 failure you should fetch the object's ETag and
        retry": while the ETag is still `if_match` the write is tried again, once it is not
        (the other write landed) it is ObjectChanged."""
        extra: dict[str, Any] = {"IfMatch": if_match} if if_match else {}
        for attempt in range(CONFLICT_ATTEMPTS):
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
                    return answer["ETag"]
                except self.client.exceptions.ClientError as exc:
                    code = error_code(exc)
                    if if_match and code in ("PreconditionFailed", "412", "NoSuchKey", "404"):
                        raise ObjectChanged(upload.id) from None
                    if not (if_match and code in ("ConditionalRequestConflict", "409")):
                        raise
            if self.record_etag(upload.id) != if_match:
                raise ObjectChanged(upload.id)
            time.sleep(CONFLICT_BACKOFF_SECONDS * 2**attempt)
        log.error("record of %s: %d conflicts in a row", upload.id, CONFLICT_ATTEMPTS)
        raise StorageUnavailable("The upload is being changed by another request; nothing was changed, try again")

    def record_etag(self, upload_id: str) -> str | None:
        """The ETag the record has now (None: it is gone)."""
        with storage_errors():
            try:
                return self.client.head_object(Bucket=self.bucket, Key=self.record_key(upload_id))["ETag"]
            except self.client.exceptions.ClientError as exc:
                if error_code(exc) in ("404", "NoSuchKey", "NotFound"):
                    return None
                raise

    # inline -----------------------------------------------------------------
    def store_accepted(self, upload: Upload, data: bytes) -> Upload:
        """Store validated bytes (as their served object, files/ID/SHA256HEX) and the record
        that names them; on failure leave nothing behind. The two PUTs run side by side (the
        record's would otherwise add a third to an inline upload's time): until both succeed
        nobody knows the id, and if either fails both keys are removed. Returns the upload
        with its served key and checksum."""
        import io

        digest = hashlib.sha256(data).digest()
        key = self.served.key(upload.id, digest)
        checksum = {"algorithm": "SHA256", "value": base64.b64encode(digest).decode("ascii"), "type": "FULL_OBJECT"}
        upload = replace(upload, served_key=key, checksum=checksum)
        pending = self._pool().submit(
            self.served.write, upload.id, io.BytesIO(data), len(data), upload.content_type, digest
        )
        try:
            try:
                self.put_record(upload)
            finally:
                pending.result()  # always wait, so a cleanup cannot race the file's PUT
        except StorageUnavailable:
            self._best_effort_delete(key, self.record_key(upload.id))
            raise
        return upload

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
                    "Key": self.served_key_of(upload),
                    "ResponseContentDisposition": disposition,
                    "ResponseContentType": upload.content_type,
                },
                ExpiresIn=self.config.presign_ttl_seconds,
            )

    # validation -------------------------------------------------------------
    def download_incoming(self, upload_id: str, into: IO[bytes]) -> Fetched | None:
        """Stream the incoming object into `into` (the validator's spooled temporary file) in
        fixed-size chunks, so memory stays flat with the object's size, hashing it on the
        way. One GET: every byte is of one version, which S3 names in the answer on a
        versioned bucket (x-amz-version-id). None if the object is gone."""
        size = 0
        digest = hashlib.sha256()
        with storage_errors():
            try:
                obj = self.client.get_object(Bucket=self.bucket, Key=self.incoming_key(upload_id))
            except self.client.exceptions.NoSuchKey:
                return None
            for chunk in obj["Body"].iter_chunks(DOWNLOAD_CHUNK_BYTES):
                into.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        self.bytes_read += size
        into.seek(0)
        return Fetched(size, obj["ETag"], digest.digest(), version_of(obj))

    def incoming_version(self, upload_id: str) -> Head | None:
        """The current version of incoming/ID (HEAD); None when nothing is there."""
        return self.versions.current(self.incoming_key(upload_id))

    def put_incoming(self, upload_id: str, data: bytes, content_type: str) -> str | None:
        """The service's own write to incoming/ID (an inline upload held for GuardDuty's scan,
        MALWARE_SCANNER=guardduty); the new version's id."""
        return self.versions.put(self.incoming_key(upload_id), data, content_type)

    def delete_incoming(self, upload_id: str) -> None:
        self.remove(self.incoming_key(upload_id))

    def remove(self, key: str) -> None:
        """Delete an object. On the versioned bucket of MALWARE_SCANNER=guardduty a delete only
        adds a marker over what stays, so every version goes (versions.py, `purge`)."""
        if self.versioned:
            self.versions.purge(key)
            return
        with storage_errors():
            self.client.delete_object(Bucket=self.bucket, Key=key)

    def remove_objects(self, upload: Upload) -> None:
        """Every object of an upload but its record: an unfinished multipart upload is
        aborted, incoming/ID and every served object (files/ID/*, files/ID) deleted."""
        if upload.multipart_upload_id and not upload.final:
            self.abort_multipart(upload.id, upload.multipart_upload_id)
        self.delete_incoming(upload.id)
        self.served.remove(upload.id)

    def delete_record(self, upload_id: str) -> None:
        self.remove(self.record_key(upload_id))

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
