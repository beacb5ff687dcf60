"""Quotas as a ledger: one entry per upload of an owner, which follows the upload's size and
is closed exactly once, by the path that decides or deletes the upload. Free of Flask; the
S3 calls are in s3/owners.py.

The usage document of an owner (one S3 object, changed only by conditional writes):
    {"pending":  {ID: {"bytes": N, "until": EPOCH}},   not decided yet: what it may become
     "accepted": {ID: BYTES},                          decided: its served size
     "released": {ID: EPOCH}}                          closed, remembered until EPOCH

An entry's transitions, each one atomic (read, change, write back only over the version read):
    reserve  absent -> pending(declared)           a presigned upload is created (Companion: 0 bytes), or
                                                   an inline one held for GuardDuty's verdict
    charge   pending(b) -> pending(max(b, n))      its size became known: the validator (what it
             absent -> pending(n)                  will serve), a Companion completion (the parts);
             accepted, released -> unchanged       a reservation that expired is charged anew
    accept   pending, absent -> accepted(n)        the validator, after its `accepted` record write
    release  pending, accepted -> released         rejected (after the record write), deleted,
                                                   aborted, or a create that failed

Why no interleaving of validations, replaced objects, completions, DELETEs and replays gets
past a quota or leaves a charge behind:
- Usage grows only by reserve and charge, and each checks the quotas in the same write that
  grows it. A charge only grows a pending entry (the largest size any run saw), so a run
  that accepts n bytes has charged n before its decision and `accept` never adds bytes.
- Only the run whose decision write wins closes the entry (accept or release); a run that
  loses writes nothing here. What it charged is the winner's to close or the deleter's to
  release: a rejecting run can no longer give back what an accepting run counts.
- `released` is terminal while it is remembered: a charge or accept that comes after it
  (a run that read the record before the DELETE or the rejection) changes nothing. It is
  remembered for the validator's timeout plus a grace: a run that started before the
  release has ended by then, and a run that starts after it reads a decided or deleted
  record and charges nothing.
- A pending entry holds until its bytes can no longer land (the presigned URL's lifetime,
  or the bucket's 7-day abort of multipart uploads) plus a grace; once charged, for as long
  as the failed validation can still be retried or replayed. Expired entries are pruned on
  every read, so an abandoned upload gives its quota back without a sweeper.
Every change is keyed by upload id, so a repeated one is a no-op.

QUOTA_BYTES counts pending plus accepted bytes; QUOTA_PENDING counts pending entries;
QUOTA_PENDING_BYTES counts pending bytes, the validator's work in flight for this owner (it
is checked where a client can wait and retry: at create and at a Companion completion).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from ..config import Config
from ..errors import QuotaExceeded, UploadError, ValidationBacklog
from ..s3.store import S3Store
from ..upload import Method, Status, Upload

log = logging.getLogger(__name__)

GRACE_SECONDS = 3600  # a slow upload that started just before its URL expired, then validation
MULTIPART_HOLD_SECONDS = 7 * 86400  # infra/bucket.json aborts incomplete multipart uploads after 7 days
# infra/bucket.json `replay`: how long a failed validation can be retried or replayed (the
# failure queue's retention); a charged entry holds that long (tests/unit/test_bucket_settings.py).
REPLAY_SECONDS = 4 * 86400


# pure rules -----------------------------------------------------------------
def hold_until(upload: Upload, config: Config, now: float) -> float:
    """Until when a pending upload's reservation holds: while its bytes can still land."""
    window = MULTIPART_HOLD_SECONDS if upload.method == Method.MULTIPART else config.presign_ttl_seconds
    return now + window + GRACE_SECONDS


def live(usage: dict[str, Any], now: float) -> dict[str, Any]:
    """The usage document without expired reservations and forgotten releases (a copy)."""
    pending = {i: dict(e) for i, e in (usage.get("pending") or {}).items() if e.get("until", 0) > now}
    released = {i: t for i, t in (usage.get("released") or {}).items() if t > now}
    return {"pending": pending, "accepted": dict(usage.get("accepted") or {}), "released": released}


def in_use(usage: dict[str, Any]) -> tuple[int, int]:
    """(pending uploads, bytes) of a live usage document."""
    reserved = sum(e.get("bytes", 0) for e in usage["pending"].values())
    return len(usage["pending"]), reserved + sum(usage["accepted"].values())


def pending_bytes(usage: dict[str, Any]) -> int:
    """Bytes of a live usage document's pending uploads: the validator's work in flight."""
    return sum(e.get("bytes", 0) for e in usage["pending"].values())


def reserve(usage: dict[str, Any], upload_id: str, size: int, until: float, config: Config, now: float) -> dict:
    """The usage with a new pending entry, or QuotaExceeded / ValidationBacklog; the same id
    again is a no-op."""
    usage = live(usage, now)
    if upload_id in usage["pending"] or upload_id in usage["accepted"] or upload_id in usage["released"]:
        return usage
    _check_count(usage, config)
    _check_growth(usage, size, config, in_flight=True)
    usage["pending"][upload_id] = {"bytes": size, "until": until}
    return usage


def charge(
    usage: dict[str, Any], upload_id: str, size: int, until: float, config: Config, now: float, in_flight: bool
) -> dict | None:
    """The usage with a pending entry grown to `size` (checked), held at least until `until`;
    None when nothing changes (decided, released, or already as large and held as long).
    `in_flight`: also enforce QUOTA_PENDING_BYTES (where the caller can wait and retry)."""
    usage = live(usage, now)
    if upload_id in usage["accepted"] or upload_id in usage["released"]:
        return None
    entry = usage["pending"].get(upload_id)
    if entry is None:
        _check_count(usage, config)
        _check_growth(usage, size, config, in_flight)
        usage["pending"][upload_id] = {"bytes": size, "until": until}
        return usage
    if size <= entry["bytes"] and until <= entry["until"]:
        return None
    if size > entry["bytes"]:
        _check_growth(usage, size - entry["bytes"], config, in_flight)
        entry["bytes"] = size
    entry["until"] = max(entry["until"], until)
    return usage


def accept(usage: dict[str, Any], upload_id: str, size: int, now: float) -> dict | None:
    """The usage with the upload counted at its served size; None when nothing changes
    (accepted already, or released: deleted while it was decided)."""
    usage = live(usage, now)
    if upload_id in usage["released"] or usage["accepted"].get(upload_id) == size:
        return None
    usage["pending"].pop(upload_id, None)
    usage["accepted"][upload_id] = size
    return usage


def release(usage: dict[str, Any], upload_id: str, now: float, remember_until: float) -> dict | None:
    """The usage without the upload, remembered as released; None when it is already."""
    usage = live(usage, now)
    if upload_id in usage["released"] and upload_id not in usage["pending"] and upload_id not in usage["accepted"]:
        return None
    usage["pending"].pop(upload_id, None)
    usage["accepted"].pop(upload_id, None)
    usage["released"][upload_id] = remember_until
    return usage


def _check_count(usage: dict[str, Any], config: Config) -> None:
    count, _ = in_use(usage)
    if config.quota_pending is not None and count + 1 > config.quota_pending:
        raise QuotaExceeded(
            "pending",
            config.quota_pending,
            count,
            f"You already have {count} pending upload(s), the most allowed at once; finish or delete one",
        )


def _check_growth(usage: dict[str, Any], grows_by: int, config: Config, in_flight: bool) -> None:
    _, used = in_use(usage)
    if config.quota_bytes is not None and used + grows_by > config.quota_bytes:
        raise QuotaExceeded(
            "bytes",
            config.quota_bytes,
            used,
            f"This would bring your uploads to {used + grows_by} bytes; your quota is {config.quota_bytes} bytes",
        )
    waiting = pending_bytes(usage)
    if in_flight and config.quota_pending_bytes is not None and waiting + grows_by > config.quota_pending_bytes:
        raise ValidationBacklog(config.quota_pending_bytes, waiting)


# with the store ---------------------------------------------------------------
def kept(config: Config) -> bool:
    """Usage is kept only while a quota is set (a create without one costs less)."""
    return config.quota_bytes is not None or config.quota_pending is not None or config.quota_pending_bytes is not None


def admit(upload: Upload, store: S3Store, config: Config) -> Upload:
    """Before a new upload is written: reserve its quota (inline uploads decided at once are
    charged as accepted; one held for GuardDuty's verdict is pending like a presigned one)
    and list it in its owner's index. Returns it with its index name. No owner
    (AUTH_MODE=none): nothing to do."""
    owner = upload.owner
    if owner is None:
        return upload
    owners = store.owners
    now = owners.clock()
    if kept(config):
        if upload.method == Method.INLINE and upload.final:
            size = upload.size or 0
            owners.update_usage(owner, lambda u: _inline(u, upload.id, size, config, now))
        else:
            until = hold_until(upload, config, now)
            size = upload.declared_size or 0
            owners.update_usage(owner, lambda u: reserve(u, upload.id, size, until, config, now))
    index_name = owners.new_index_name(upload.id)
    upload = replace(upload, index_name=index_name)
    try:
        owners.add_to_index(owner, index_name)
    except UploadError:
        release_quota(upload, store, config)
        raise
    return upload


def _inline(usage: dict[str, Any], upload_id: str, size: int, config: Config, now: float) -> dict:
    """An inline upload is decided before it is stored: checked, then counted as accepted."""
    usage = live(usage, now)
    _check_growth(usage, size, config, in_flight=False)
    usage["accepted"][upload_id] = size
    return usage


def charge_size(upload: Upload, size: int, store: S3Store, config: Config, in_flight: bool) -> None:
    """The upload's size is known (or larger than charged): count it, or raise QuotaExceeded
    (ValidationBacklog with `in_flight`). Held for as long as its validation can be retried."""
    if upload.owner is None or not kept(config):
        return
    now = store.owners.clock()
    until = now + config.validate_timeout_seconds + REPLAY_SECONDS + GRACE_SECONDS
    store.owners.update_usage(upload.owner, lambda u: charge(u, upload.id, size, until, config, now, in_flight))


def settle(decided: Upload, store: S3Store, config: Config) -> None:
    """Close the entry of a decided upload as its record says: accepted at its served size,
    rejected released. Only after the decision was written, by the run that wrote it (or a
    later run that finds the record decided: repeating it changes nothing)."""
    if decided.status == Status.ACCEPTED:
        if decided.owner is not None and kept(config):
            now = store.owners.clock()
            size = decided.size or 0
            store.owners.update_usage(decided.owner, lambda u: accept(u, decided.id, size, now))
    elif decided.status == Status.REJECTED:
        release_quota(decided, store, config)


def release_quota(upload: Upload, store: S3Store, config: Config) -> None:
    """Rejected, deleted, aborted or a failed create: the upload no longer counts, and no
    later charge or accept of it counts it again while the release is remembered."""
    if upload.owner is not None and kept(config):
        now = store.owners.clock()
        remember = now + config.validate_timeout_seconds + GRACE_SECONDS
        store.owners.update_usage(upload.owner, lambda u: release(u, upload.id, now, remember))


def unlist(upload: Upload, store: S3Store) -> None:
    if upload.owner is not None and upload.index_name:
        store.owners.remove_from_index(upload.owner, upload.index_name)


def give_back_quietly(upload: Upload, store: S3Store, config: Config) -> None:
    """After a failed create that is already being reported: release and unlist, and log if
    even this fails (the reservation then expires by itself)."""
    try:
        release_quota(upload, store, config)
        unlist(upload, store)
    except UploadError:
        log.warning("could not give back the quota of %s; it expires by itself", upload.id, exc_info=True)


def usage_of(owner: Any, store: S3Store, config: Config) -> dict[str, Any]:
    """What an owner has in use now: {"pending", "bytes", "pending_bytes", and the quotas}."""
    usage, _ = store.owners.read_usage(owner)
    current = live(usage, store.owners.clock())
    count, used = in_use(current)
    return {
        "pending": count,
        "bytes": used,
        "pending_bytes": pending_bytes(current),
        "quota_pending": config.quota_pending,
        "quota_bytes": config.quota_bytes,
        "quota_pending_bytes": config.quota_pending_bytes,
    }
