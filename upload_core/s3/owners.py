"""Per-owner objects in S3: the index that lists an owner's uploads and the usage object
that quotas are counted in. Every S3 call about owners is here; what counts toward a
quota is decided in flows/quota.py.

Key layout (the owner, the pair (issuer, sub), is hashed: keys stay short, fixed-charset
and say nothing):
    owners/HASH/index/INVERTED_MS-ID   one empty object per upload, newest first by key
    owners/HASH/usage.json             {"pending": {...}, "accepted": {...}, "released": {...}}

Writes are conditional: an index object is created with If-None-Match: *, and the usage
object is read, changed and written back with If-Match on the ETag read (If-None-Match: *
when it does not exist yet), retried when another writer got there first. That makes a
quota check and its reservation one atomic step without a lock service or a database.
S3 answers 412 when the condition fails and 409 ConditionalRequestConflict when another
write to the key is in flight ("On a 409 failure you should fetch the object's ETag and
retry", PutObject in the S3 API reference): both mean read again and retry.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from ..errors import StorageUnavailable
from ..upload import Owner
from .client import error_code, storage_errors

log = logging.getLogger(__name__)

MAX_UPDATE_ATTEMPTS = 50  # a conflict means another write landed: progress, not a stall
INVERTED_BASE = 10**13  # milliseconds since 1970 stay below this until the year 2286
# ASCII digits only: \d would also take other scripts' digits (a client's cursor is matched here).
CURSOR_RE = re.compile(r"^[0-9]{13}-[A-Za-z0-9_-]{1,64}$")
CONFLICT_CODES = ("PreconditionFailed", "412", "ConditionalRequestConflict", "409")


class Owners:
    def __init__(self, store: Any, clock: Callable[[], float] = time.time):
        self.store = store
        self.clock = clock
        self._stats_lock = threading.Lock()
        self.conflicts = 0  # conditional writes that lost a race; the benchmark reports it

    def prefix(self, owner: Owner) -> str:
        digest = hashlib.sha256(owner.key.encode("utf-8")).hexdigest()
        return f"{self.store.config.owners_prefix}{digest}/"

    # index -------------------------------------------------------------------
    def new_index_name(self, upload_id: str) -> str:
        """The name an upload is listed under: newer uploads sort first."""
        return f"{INVERTED_BASE - int(self.clock() * 1000):013d}-{upload_id}"

    def add_to_index(self, owner: Owner, name: str) -> None:
        """Create the index entry once (If-None-Match: *). 412: it exists already (an
        earlier attempt of this very create got through); 409: a write of it is in flight,
        so look again."""
        client = self.store.client
        key = f"{self.prefix(owner)}index/{name}"
        for _ in range(MAX_UPDATE_ATTEMPTS):
            with storage_errors():
                try:
                    client.put_object(Bucket=self.store.bucket, Key=key, Body=b"", IfNoneMatch="*")
                    return
                except client.exceptions.ClientError as exc:
                    if error_code(exc) in ("PreconditionFailed", "412"):
                        return
                    if error_code(exc) not in ("ConditionalRequestConflict", "409"):
                        raise
            self._count_conflict()
        raise StorageUnavailable("Too many concurrent writes to this caller's index; nothing was stored, try again")

    def _count_conflict(self) -> None:
        with self._stats_lock:
            self.conflicts += 1

    def remove_from_index(self, owner: Owner, name: str) -> None:
        self.store.remove(f"{self.prefix(owner)}index/{name}")  # every version, on a versioned bucket

    def list_index(self, owner: Owner, limit: int, after: str | None) -> tuple[list[str], str | None]:
        """Up to `limit` index names after `after`, newest first, and the cursor of the
        next page (None on the last one). One ListObjectsV2 of this owner's prefix only."""
        prefix = f"{self.prefix(owner)}index/"
        params: dict[str, Any] = {"Bucket": self.store.bucket, "Prefix": prefix, "MaxKeys": limit}
        if after:
            params["StartAfter"] = prefix + after
        with storage_errors():
            page = self.store.client.list_objects_v2(**params)
        names = [obj["Key"][len(prefix) :] for obj in page.get("Contents", [])]
        return names, (names[-1] if page.get("IsTruncated") and names else None)

    def created_ms(self, name: str) -> int:
        return INVERTED_BASE - int(name.split("-", 1)[0])

    def prune_index(self, owner: Owner, names: list[str], older_than_seconds: float) -> None:
        """Unlist uploads whose record is gone (the bucket lifecycle expired it). Only old
        entries: a new upload is listed a moment before its record is written."""
        cutoff_ms = (self.clock() - older_than_seconds) * 1000
        for name in names:
            if self.created_ms(name) < cutoff_ms:
                try:
                    self.remove_from_index(owner, name)
                except StorageUnavailable:
                    log.warning("could not unlist %s; the next listing tries again", name)

    def read_records(self, upload_ids: list[str]) -> list[Any]:
        """The records behind a page of the index, in order (None where one is gone),
        fetched a few at a time: a page costs one round trip of latency, not twenty."""
        if not upload_ids:
            return []
        with ThreadPoolExecutor(max_workers=min(8, len(upload_ids))) as pool:
            return list(pool.map(self.store.get_record, upload_ids))

    # usage -------------------------------------------------------------------
    def usage_key(self, owner: Owner) -> str:
        return f"{self.prefix(owner)}usage.json"

    def read_usage(self, owner: Owner) -> tuple[dict[str, Any], str | None]:
        """The usage document and its ETag (None: no usage object yet)."""
        client = self.store.client
        with storage_errors():
            try:
                obj = client.get_object(Bucket=self.store.bucket, Key=self.usage_key(owner))
            except client.exceptions.NoSuchKey:
                return {}, None
            return json.loads(obj["Body"].read()), obj["ETag"]

    def update_usage(self, owner: Owner, change: Callable[[dict[str, Any]], dict[str, Any] | None]) -> dict[str, Any]:
        """Apply `change` to the usage document atomically: read, change, write back only
        if nobody wrote in between; else read again and re-apply. `change` returns the new
        document, or None to leave it as it is, or raises to refuse (nothing is written)."""
        client = self.store.client
        for _ in range(MAX_UPDATE_ATTEMPTS):
            current, etag = self.read_usage(owner)
            updated = change(current)
            if updated is None:
                return current
            condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
            with storage_errors():
                try:
                    client.put_object(
                        Bucket=self.store.bucket,
                        Key=self.usage_key(owner),
                        Body=json.dumps(updated, separators=(",", ":")).encode("utf-8"),
                        ContentType="application/json",
                        **condition,
                    )
                except client.exceptions.ClientError as exc:
                    # 412: someone wrote since our read; 409: a write in flight; 404: If-Match
                    # on an object that was deleted meanwhile. All mean: read again.
                    if error_code(exc) in (*CONFLICT_CODES, "NoSuchKey", "404"):
                        self._count_conflict()
                        continue
                    raise
            return updated
        log.error("usage of %s changed under %d attempts in a row", self.prefix(owner), MAX_UPDATE_ATTEMPTS)
        raise StorageUnavailable("Too many concurrent changes to this caller's usage; nothing was stored, try again")
