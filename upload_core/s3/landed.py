"""What landed under the incoming prefix and is still there: the sweep's view of the bucket.

An object stays under incoming/ only while it is validated; whatever is older than a few
minutes there is an upload whose S3 event never reached the validator (or whose
validation failed, or rejected bytes whose delete failed: validating again is harmless for
those, the validator being idempotent). One ListObjectsV2 page holds 1,000 keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator

from .client import storage_errors


@dataclass(frozen=True)
class Landed:
    key: str
    size: int
    etag: str
    last_modified: datetime


def landed_before(store: Any, cutoff: datetime) -> Iterator[Landed]:
    """Objects under the incoming prefix last written before `cutoff`, oldest pages first
    (S3 lists by key, not by time: every page is read, so nothing old is missed)."""
    paginator = store.client.get_paginator("list_objects_v2")
    with storage_errors():
        for page in paginator.paginate(Bucket=store.bucket, Prefix=store.config.incoming_prefix):
            for obj in page.get("Contents", []):
                if obj["LastModified"] < cutoff:
                    yield Landed(obj["Key"], int(obj["Size"]), obj["ETag"], obj["LastModified"])
