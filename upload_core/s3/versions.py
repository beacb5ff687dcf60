"""Object versions: the S3 calls MALWARE_SCANNER=guardduty adds to the store.

In that mode the bucket is versioned (the template via infra/scanner_plugin.js; the local
stack likewise), because GuardDuty names the object it scanned by its VersionId: the one name
S3 gives to exactly one set of bytes. An ETag is the MD5 of a single upload, and two files
with one MD5 are made in seconds, so a verdict pinned to an ETag could pass to a replaced
twin. The validator's one GET names the version its bytes are of (x-amz-version-id), and the
decision pairs GuardDuty's verdict with the structure verdict only for that same version.

Versioning keeps what a delete or an overwrite replaced, so removing an object here removes
every version of it (`purge`): a deleted upload leaves nothing behind, not even a version S3
would keep hidden. The bucket's lifecycle also expires noncurrent versions after a day
(infra/guardduty.json), for whatever a failure leaves.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Iterable

from .client import error_code, storage_errors

log = logging.getLogger(__name__)

DELETE_BATCH = 1000  # DeleteObjects takes at most 1,000 keys


@dataclass(frozen=True)
class Head:
    """The current version of a key, as HEAD sees it."""

    version_id: str | None  # None: the bucket is not versioned ("null")


class VersionedObjects:
    def __init__(self, store: Any):
        self.store = store

    @property
    def client(self) -> Any:
        return self.store.client

    @property
    def bucket(self) -> str:
        return str(self.store.bucket)

    def current(self, key: str) -> Head | None:
        """The current version of `key`, or None when there is none (deleted, or never written)."""
        with storage_errors():
            try:
                head = self.client.head_object(Bucket=self.bucket, Key=key)
            except self.client.exceptions.ClientError as exc:
                if error_code(exc) in ("404", "NoSuchKey", "NotFound"):
                    return None
                raise
        return Head(version_of(head))

    def purge(self, key: str) -> None:
        """Remove `key` and every version and delete marker of it."""
        self._purge(key, lambda found: found == key)

    def purge_under(self, folder: str, also: str, keep: str | None = None) -> None:
        """Remove every version of every key under `folder` ("a/b/") and of `also` ("a/b"),
        but `keep`, in one listing (a key whose current version is a delete marker is found
        here, where a listing of current objects would miss it)."""
        self._purge(also, lambda found: found != keep and (found == also or found.startswith(folder)))

    def _purge(self, prefix: str, doomed: Any) -> None:
        with storage_errors():
            entries: list[dict[str, str]] = []
            for page in self.client.get_paginator("list_object_versions").paginate(Bucket=self.bucket, Prefix=prefix):
                for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                    if doomed(entry["Key"]):
                        entries.append({"Key": entry["Key"], "VersionId": entry["VersionId"]})
            self._delete(entries)

    def _delete(self, entries: Iterable[dict[str, str]]) -> None:
        batch = list(entries)
        for at in range(0, len(batch), DELETE_BATCH):
            answer = self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": batch[at : at + DELETE_BATCH], "Quiet": True}
            )
            for error in answer.get("Errors", []):
                version, key, code = error.get("VersionId"), error.get("Key"), error.get("Code")
                log.warning("version %s of %s not deleted (%s); the lifecycle expires it", version, key, code)

    def put(self, key: str, data: bytes, content_type: str) -> str | None:
        """Write `data` to `key` (the service's own write of an inline upload to incoming/);
        the new version's id."""
        with storage_errors():
            answer = self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)
        return version_of(answer)


def version_of(answer: dict[str, Any]) -> str | None:
    """The VersionId of a GET, HEAD or PUT answer; None when the bucket is not versioned
    (S3 answers no header, or "null" for an object written before versioning was on)."""
    version = answer.get("VersionId")
    return str(version) if version and version != "null" else None
