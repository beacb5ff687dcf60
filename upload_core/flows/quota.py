"""Ownership and quotas: what an owner's upload counts, when it stops counting, and the
index that lists it. Free of Flask; the S3 calls are in s3/owners.py.

The usage document of an owner (one S3 object, changed only by conditional writes):
    {"pending":  {ID: {"bytes": N, "until": EPOCH_SECONDS}},   reservations
     "accepted": {ID: BYTES}}                                   validated uploads
- QUOTA_PENDING counts live reservations; QUOTA_BYTES counts reserved plus accepted bytes.
- A presigned upload reserves its declared size at create. Companion uploads declare no
  size: they reserve a pending slot and 0 bytes, and their real size is charged when the
  validator accepts them; if that would pass QUOTA_BYTES the upload is rejected
  (quota_exceeded), so the quota holds either way.
- A reservation carries its own expiry (`until`): past the moment its bytes could still
  land (the presigned request's lifetime, or the bucket's 7-day abort of incomplete
  multipart uploads) plus a grace. Expired entries are pruned on every read, so an
  abandoned upload gives its quota back without any sweeper: the bucket lifecycle may
  delete the pending record later, but usage never waits for it.
- Rejected, deleted and aborted uploads give everything back; repeating any change is
  harmless (entries are keyed by upload id).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from ..config import Config
from ..errors import QuotaExceeded, UploadError
from ..s3.store import S3Store
from ..upload import Method, Upload

log = logging.getLogger(__name__)

GRACE_SECONDS = 3600  # a slow upload that started just before its URL expired, then validation
MULTIPART_HOLD_SECONDS = 7 * 86400  # infra/bucket.json aborts incomplete multipart uploads after 7 days


# pure rules -----------------------------------------------------------------
def hold_until(upload: Upload, config: Config, now: float) -> float:
    """Until when a pending upload's reservation holds: while its bytes can still land."""
    window = MULTIPART_HOLD_SECONDS if upload.method == Method.MULTIPART else config.presign_ttl_seconds
    return now + window + GRACE_SECONDS


def live(usage: dict[str, Any], now: float) -> dict[str, Any]:
    """The usage document without expired reservations (a copy)."""
    pending = {i: e for i, e in (usage.get("pending") or {}).items() if e.get("until", 0) > now}
    return {"pending": pending, "accepted": dict(usage.get("accepted") or {})}


def in_use(usage: dict[str, Any]) -> tuple[int, int]:
    """(pending uploads, bytes) of a live usage document."""
    reserved = sum(e.get("bytes", 0) for e in usage["pending"].values())
    return len(usage["pending"]), reserved + sum(usage["accepted"].values())


def reserve(usage: dict[str, Any], upload_id: str, size: int, until: float, config: Config, now: float) -> dict:
    """The usage with a new reservation, or QuotaExceeded; the same id again is a no-op."""
    usage = live(usage, now)
    if upload_id in usage["pending"]:
        return usage
    count, used = in_use(usage)
    if config.quota_pending is not None and count + 1 > config.quota_pending:
        raise QuotaExceeded(
            "pending",
            config.quota_pending,
            count,
            f"You already have {count} pending upload(s), the most allowed at once; finish or delete one",
        )
    _check_bytes(used + size, used, config)
    usage["pending"][upload_id] = {"bytes": size, "until": until}
    return usage


def accept(usage: dict[str, Any], upload_id: str, size: int, config: Config, now: float) -> dict:
    """The usage with the upload counted at its real size instead of its reservation.
    Only bytes beyond what was reserved are checked (an unsized or expired reservation)."""
    usage = live(usage, now)
    reserved = usage["pending"].pop(upload_id, {}).get("bytes", 0)
    before = usage["accepted"].pop(upload_id, None)
    _, used = in_use(usage)
    if size > reserved and before is None:
        _check_bytes(used + size, used, config)
    usage["accepted"][upload_id] = size
    return usage


def release(usage: dict[str, Any], upload_id: str, now: float) -> dict | None:
    """The usage without the upload (None: it did not count, nothing to write)."""
    pruned = live(usage, now)
    found = pruned["pending"].pop(upload_id, None) is not None
    found = pruned["accepted"].pop(upload_id, None) is not None or found
    return pruned if found else None


def _check_bytes(total: int, used: int, config: Config) -> None:
    if config.quota_bytes is not None and total > config.quota_bytes:
        raise QuotaExceeded(
            "bytes",
            config.quota_bytes,
            used,
            f"This would bring your uploads to {total} bytes; your quota is {config.quota_bytes} bytes",
        )


# with the store ---------------------------------------------------------------
def _quotas(config: Config) -> bool:
    return config.quota_bytes is not None or config.quota_pending is not None


def admit(upload: Upload, store: S3Store, config: Config) -> Upload:
    """Before a new upload is written: reserve its quota (inline uploads are charged as
    accepted at once) and list it in its owner's index. Returns it with its index name.
    No owner (AUTH_MODE=none): nothing to do."""
    owner = upload.owner
    if owner is None:
        return upload
    owners = store.owners
    now = owners.clock()
    if _quotas(config):
        if upload.method == Method.INLINE:
            owners.update_usage(owner, lambda u: accept(u, upload.id, upload.size or 0, config, now))
        else:
            until = hold_until(upload, config, now)
            size = upload.declared_size or 0
            owners.update_usage(owner, lambda u: reserve(u, upload.id, size, until, config, now))
    index_name = owners.new_index_name(upload.id)
    upload = replace(upload, index_name=index_name)
    try:
        owners.add_to_index(owner, index_name)
    except UploadError:
        give_back(upload, store, config)
        raise
    return upload


def settle_accepted(upload: Upload, size: int, store: S3Store, config: Config) -> None:
    """The validator accepts: count the real size (QuotaExceeded if an unsized upload
    turns out to pass QUOTA_BYTES). Call before the record says accepted, so a retry
    after a crash repeats it (harmlessly)."""
    if upload.owner is not None and _quotas(config):
        now = store.owners.clock()
        store.owners.update_usage(upload.owner, lambda u: accept(u, upload.id, size, config, now))


def give_back(upload: Upload, store: S3Store, config: Config) -> None:
    """Rejected, aborted or failed: the upload no longer counts (it stays listed)."""
    if upload.owner is not None and _quotas(config):
        now = store.owners.clock()
        store.owners.update_usage(upload.owner, lambda u: release(u, upload.id, now))


def forget(upload: Upload, store: S3Store, config: Config) -> None:
    """Deleted: give its quota back and unlist it. Call before its objects are removed,
    so a retried delete (the record is removed last) repeats this harmlessly."""
    give_back(upload, store, config)
    if upload.owner is not None and upload.index_name:
        store.owners.remove_from_index(upload.owner, upload.index_name)


def give_back_quietly(upload: Upload, store: S3Store, config: Config) -> None:
    """After a failure that is already being reported: try, and log if even this fails
    (the reservation then expires by itself)."""
    try:
        forget(upload, store, config)
    except UploadError:
        log.warning("could not give back the quota of %s; it expires by itself", upload.id, exc_info=True)


def usage_of(owner: str, store: S3Store, config: Config) -> dict[str, Any]:
    """What an owner has in use now: {"pending", "bytes", "quota_pending", "quota_bytes"}."""
    usage, _ = store.owners.read_usage(owner)
    count, used = in_use(live(usage, store.owners.clock()))
    return {"pending": count, "bytes": used, "quota_pending": config.quota_pending, "quota_bytes": config.quota_bytes}
