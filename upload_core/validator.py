"""The S3-event function: validate each object that landed under the incoming prefix.

For each object: download it (one GET, streamed to a spooled temporary file), inspect
every byte with the same rules as the inline path plus the declared size, then
- accept: copy the exact validated version (CopySourceIfMatch) to files/ID, the only
  served prefix, record `accepted`, delete the incoming object;
- reject: record `rejected` with the reason, delete the incoming object.
The record is written after the copy and before the delete, so a crash at any point
leaves either a pending upload that a retry completes, or a final one: never a rejected
file that can be served, never an accepted one lost. Repeated and late events find a
final record (or no object) and change nothing.
"""

from __future__ import annotations

import logging
import tempfile
from enum import StrEnum
from typing import Any, Callable, Mapping

from .config import Config
from .errors import QuotaExceeded, UploadError
from .events import S3ObjectRecord, s3_records
from .flows import quota
from .inspect.naming import is_valid_id
from .inspect.rules import SNIFF_BYTES, Sample, inspect_content
from .malware import scan
from .s3.client import ObjectChanged
from .s3.store import S3Store
from .upload import Upload

log = logging.getLogger(__name__)

SPOOL_IN_MEMORY_BYTES = 8 * 1024 * 1024


class Outcome(StrEnum):
    """What the validator did with one record; the handler's summary counts them."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    SKIPPED = "skipped"


class ValidationIncomplete(RuntimeError):
    """Some records could not be processed (S3 failed); raised after all the others were,
    so that Lambda retries the event. Finished records are skipped on the retry."""


def validate_event(event: Mapping[str, Any], store: S3Store, config: Config) -> dict[str, int]:
    summary = {"processed": 0, **{outcome.value: 0 for outcome in Outcome}}
    failures: list[str] = []
    for record in s3_records(event):
        summary["processed"] += 1
        if isinstance(record, Exception):
            log.warning("skipped: %s", record)
            summary[Outcome.SKIPPED] += 1
            continue
        try:
            outcome = validate_object(record, store, config)
        except Exception as exc:  # noqa: BLE001 - keep the others going; raised below
            log.exception("failed on %s: %s", record.key, exc)
            failures.append(record.key)
            continue
        summary[outcome] += 1
    if failures:
        raise ValidationIncomplete(f"{len(failures)} record(s) failed: {failures}; summary so far {summary}")
    return summary


def validate_object(record: S3ObjectRecord, store: S3Store, config: Config) -> Outcome:
    if not record.created or record.bucket != store.bucket:
        log.info("skipped %s %s: not an ObjectCreated event for this bucket", record.event_name, record.key)
        return Outcome.SKIPPED
    upload_id = store.id_from_incoming_key(record.key)
    if upload_id is None or not is_valid_id(upload_id):
        log.info("skipped %s: not an incoming upload key", record.key)
        return Outcome.SKIPPED

    upload = store.get_record(upload_id)
    if upload is None or upload.final:
        # Unknown, or decided already: a repeated or late event, or bytes sent again to a
        # URL after its upload was decided. Such bytes are never served; drop them.
        store.delete_incoming(upload_id)
        state = upload.status if upload else "unknown"
        log.info("skipped %s: upload is %s", upload_id, state)
        return Outcome.SKIPPED

    # The whole object, spooled to local disk past a few MiB (Lambda's /tmp, sized in
    # serverless.yml): inspection reads every byte, with random access, in bounded memory.
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as local:
        fetched = store.download_incoming(upload_id, local)
        if fetched is None:
            log.info("skipped %s: object is gone", upload_id)
            return Outcome.SKIPPED
        size, etag = fetched
        sample = Sample(head=local.read(SNIFF_BYTES), size=size, source=local)
        local.seek(0)
        try:
            inspected = inspect_content(upload.filename, sample, config, declared_size=upload.declared_size)
            # Raises ScannerUnavailable (not an UploadError) when clamd is down: the event
            # fails and is retried, the upload stays pending.
            local.seek(0)
            scan(config, local, size)
        except UploadError as err:
            return _reject(upload, err, store, config)
    try:
        # Counted at its served size before the record says accepted (a crash repeats it);
        # an unsized (Companion) upload past QUOTA_BYTES is rejected here.
        quota.settle_accepted(upload, inspected.end, store, config)
    except QuotaExceeded as err:
        return _reject(upload, err, store, config)

    # Only bytes [0, end) are served: trailing bytes past the format's end are cut off.
    accepted = upload.accepted(inspected.mime, inspected.end)
    try:
        # What S3 recorded for the copied version: a checksum the client pinned, or a
        # multipart upload's composite one (none for a cut-off copy).
        checksum = store.promote(accepted, etag, length=inspected.end)
    except ObjectChanged:
        log.info("skipped %s: object changed before it was copied; its own event follows", upload_id)
        return Outcome.SKIPPED
    accepted = upload.accepted(inspected.mime, inspected.end, checksum)
    store.put_record(accepted)
    store.delete_incoming(upload_id)
    log.info("accepted %s as %s, %d of %d bytes served", upload_id, inspected.mime, inspected.end, size)
    return Outcome.ACCEPTED


def _reject(upload: Upload, err: UploadError, store: S3Store, config: Config) -> Outcome:
    """Give the owner's quota back, record the rejection with its reason, drop the bytes."""
    quota.give_back(upload, store, config)
    store.put_record(upload.rejected(err.reason()))
    store.delete_incoming(upload.id)
    log.info("rejected %s (%s): %s", upload.id, err.code, err.message)
    return Outcome.REJECTED


def make_validate_handler(store: S3Store, config: Config) -> Callable[[Mapping[str, Any], Any], dict[str, int]]:
    def validate(event: Mapping[str, Any], context: Any) -> dict[str, int]:
        return validate_event(event, store, config)

    return validate
