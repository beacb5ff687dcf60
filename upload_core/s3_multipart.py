"""The S3 calls of multipart uploads and checksums; mixed into S3Store, so every S3 call
the service makes still lives on that one class (storage.py holds the keys and the rest).

Every call takes our upload id, never a client's key: the key is always incoming/ID.
"""
from __future__ import annotations

import logging
from typing import Any

from .s3io import storage_errors

log = logging.getLogger(__name__)

CHECKSUM_ALGORITHMS = ("SHA256", "CRC32", "CRC32C", "SHA1", "CRC64NVME")


class MultipartUploadGone(Exception):
    """S3 does not know the multipart upload: completed, aborted or expired."""


class MultipartCalls:
    # Provided by S3Store: client, bucket, config, incoming_key().

    def create_multipart(self, upload_id: str, content_type: str, checksum_algorithm: str | None = None) -> str:
        """Start a multipart upload on incoming/ID; return S3's UploadId."""
        params: dict[str, Any] = {
            "Bucket": self.bucket, "Key": self.incoming_key(upload_id), "ContentType": content_type,
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
            "Bucket": self.bucket, "Key": self.incoming_key(upload_id),
            "UploadId": multipart_id, "PartNumber": part_number,
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
                        Bucket=self.bucket, Key=self.incoming_key(upload_id), UploadId=multipart_id,
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
                    Bucket=self.bucket, Key=self.incoming_key(upload_id), UploadId=multipart_id,
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


def checksum_of(answer: dict[str, Any]) -> dict[str, str] | None:
    for algorithm in CHECKSUM_ALGORITHMS:
        value = answer.get(f"Checksum{algorithm}")
        if value:
            checksum = {"algorithm": algorithm, "value": value}
            if answer.get("ChecksumType"):
                checksum["type"] = answer["ChecksumType"]
            return checksum
    return None
