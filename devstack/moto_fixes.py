"""Where moto 5.2.5's S3 answers differently from S3 in a way a client notices, put right.

A multipart upload with SHA-256 checksums ends with a *composite* checksum: the SHA-256
of the parts' digests, reported as `VALUE-N` with `x-amz-checksum-type: COMPOSITE`.
botocore validates a download's `x-amz-checksum-*` header against the body unless the
value has that `-N` suffix. moto gets two answers wrong:

- CopyObject copies the source's checksum value but not its type or part count, so the
  copy (the service copies every validated upload from incoming/ to files/) claims the
  composite value as the SHA-256 of its bytes. Every boto3 `get_object` of it then fails
  with FlexibleChecksumError. S3 computes a copy's checksum afresh over the copied bytes
  (a CopyObject makes a single-part object), with the source's algorithm: so here.
- HEAD with `x-amz-checksum-mode: ENABLED` drops the `-N` suffix that GET reports.

Applied once, before the server starts (s3.start_server).
"""

from __future__ import annotations

_applied = False


def apply() -> None:
    global _applied
    if _applied:
        return
    from moto.s3.models import S3Backend
    from moto.s3.responses import S3Response
    from moto.s3.utils import compute_checksum

    original_copy = S3Backend.copy_object

    def copy_object(self, src_key, dest_bucket_name: str, dest_key_name: str, *args, **kwargs):
        result = original_copy(self, src_key, dest_bucket_name, dest_key_name, *args, **kwargs)
        copied = self.get_bucket(dest_bucket_name).keys.get(dest_key_name)
        if copied is not None and copied.checksum_algorithm and src_key.checksum_type == "COMPOSITE":
            value = compute_checksum(copied.value, algorithm=copied.checksum_algorithm)
            copied.checksum_value = value.decode("ascii") if isinstance(value, bytes) else value
            copied.checksum_type = "FULL_OBJECT"
            copied.checksum_parts = None
        return result

    original_head = S3Response.head_object

    def head_object(self, bucket_name: str, query, key_name: str, headers):
        status, response_headers, body = original_head(self, bucket_name, query, key_name, headers)
        if status == 200 and headers.get("x-amz-checksum-mode") == "ENABLED":
            version_id = query.get("versionId", [None])[0]
            key = self.backend.head_object(bucket_name, key_name, version_id=version_id)
            if key is not None and key.checksum_algorithm and key.checksum_type:
                name = f"x-amz-checksum-{key.checksum_algorithm.lower()}"
                if key.checksum_type == "COMPOSITE" and key.checksum_parts and name in response_headers:
                    response_headers[name] = f"{key.checksum_value}-{key.checksum_parts}"
                response_headers["x-amz-checksum-type"] = key.checksum_type
        return status, response_headers, body

    S3Backend.copy_object = copy_object
    S3Response.head_object = head_object
    _applied = True
