"""The S3-event function: validate each object that landed under the incoming prefix.

For each object: download it (one GET, streamed to a spooled temporary file), inspect
every byte with the same rules as the inline path plus the declared size (and scan it
with clamd when CLAMD_ADDRESS is set), then
- accept: copy the exact validated version (CopySourceIfMatch) to files/ID, the only
  served prefix, record `accepted`, send the decision event, delete the incoming object;
- reject: record `rejected` with the reason, send the decision event, delete the incoming object.
The record is written after the copy and before the delete, so a crash at any point
leaves either a pending upload that a retry completes, or a final one: never a rejected
file that can be served, never an accepted one lost. Repeated and late events find a
final record (or no object) and change nothing, except that they send its decision event
again (notify.py): the validator cannot know whether the first run's event got out, so a
retry always re-sends and consumers de-duplicate by upload id.
The decision is written only over the record version that was read (S3 If-Match): if
DELETE /uploads/ID removed the record meanwhile, the write fails and the copy is
withdrawn, so a deleted upload stays deleted.
"""

from __future__ import annotations

import logging
import tempfile
from enum import StrEnum
from typing import Any, Callable, Mapping

from . import telemetry
from .config import Config
from .errors import QuotaExceeded, UploadError
from .flows import quota
from .inspect import sandbox
from .inspect.naming import is_valid_id
from .inspect.rules import SNIFF_BYTES, Sample
from .malware import scan
from .notify import DecisionEvents
from .s3.client import ObjectChanged
from .s3.events import S3ObjectRecord, s3_records
from .s3.store import RecordVersion, S3Store
from .upload import Status, Upload

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


def validate_event(
    event: Mapping[str, Any], store: S3Store, config: Config, events: DecisionEvents | None = None
) -> dict[str, int]:
    events = events or DecisionEvents(None)
    summary = {"processed": 0, **{outcome.value: 0 for outcome in Outcome}}
    failures: list[str] = []
    for record in s3_records(event):
        summary["processed"] += 1
        telemetry.unbind("upload_id")
        if isinstance(record, Exception):
            log.warning("skipped: %s", record)
            summary[Outcome.SKIPPED] += 1
            continue
        try:
            outcome = validate_object(record, store, config, events)
        except Exception as exc:  # noqa: BLE001 - keep the others going; raised below
            log.exception("failed on %s: %s", record.key, exc)
            telemetry.validator_failure()
            failures.append(record.key)
            continue
        summary[outcome] += 1
    if failures:
        raise ValidationIncomplete(f"{len(failures)} record(s) failed: {failures}; summary so far {summary}")
    return summary


def validate_object(
    record: S3ObjectRecord, store: S3Store, config: Config, events: DecisionEvents | None = None
) -> Outcome:
    events = events or DecisionEvents(None)
    if not record.created or record.bucket != store.bucket:
        log.info("skipped %s %s: not an ObjectCreated event for this bucket", record.event_name, record.key)
        return Outcome.SKIPPED
    upload_id = store.id_from_incoming_key(record.key)
    if upload_id is None or not is_valid_id(upload_id):
        log.info("skipped %s: not an incoming upload key", record.key)
        return Outcome.SKIPPED
    telemetry.bind(upload_id=upload_id)

    version = store.read_record(upload_id)
    upload = version.upload if version else None
    if upload is not None and upload.final:
        # Decided already: Lambda's retry of a run whose event may not have got out, a
        # repeated event, or bytes sent again to a URL after the decision. Re-send the
        # decision (raises if EventBridge fails, so the retry comes again).
        events.publish(upload, _served_key(upload, store))
    if version is None or upload is None or upload.final:
        # Unknown, or decided already. Bytes under incoming/ are never served; drop them.
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
            inspected = sandbox.inspect_landed(upload.filename, sample, config, upload.declared_size)
            # Raises ScannerUnavailable (not an UploadError) when clamd is down: the event
            # fails and is retried, the upload stays pending.
            local.seek(0)
            scan(config, local, size)
        except UploadError as err:
            return _reject(version, err, record, store, config, events)
    try:
        # Counted at its served size before the record says accepted (a crash repeats it);
        # an unsized (Companion) upload past QUOTA_BYTES is rejected here.
        quota.settle_accepted(upload, inspected.end, store, config)
    except QuotaExceeded as err:
        return _reject(version, err, record, store, config, events)

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
    try:
        store.put_record(accepted, if_match=version.etag)
    except ObjectChanged:
        # Deleted meanwhile (or decided otherwise by a concurrent run of a repeated event):
        # the copy stays only under a record that says accepted.
        now = store.get_record(upload_id)
        if now is None or now.status != Status.ACCEPTED:
            store.withdraw_promoted(upload_id)
        log.info(
            "skipped %s: its record changed while it was validated (%s)", upload_id, now.status if now else "deleted"
        )
        return Outcome.SKIPPED
    log.info("accepted %s as %s, %d of %d bytes served", upload_id, inspected.mime, inspected.end, size)
    telemetry.accepted(inspected.end)
    telemetry.decision_latency(record.event_time)
    events.publish(accepted, store.file_key(upload_id))
    store.delete_incoming(upload_id)
    return Outcome.ACCEPTED


def _reject(
    version: RecordVersion,
    err: UploadError,
    record: S3ObjectRecord,
    store: S3Store,
    config: Config,
    events: DecisionEvents,
) -> Outcome:
    """Give the owner's quota back, record the rejection with its reason (over the record
    version that was read: a DELETE meanwhile wins), tell the app, drop the bytes."""
    upload = version.upload
    quota.give_back(upload, store, config)
    rejected = upload.rejected(err.reason())
    try:
        store.put_record(rejected, if_match=version.etag)
    except ObjectChanged:
        store.delete_incoming(upload.id)
        log.info("skipped %s: its record changed or was deleted while it was validated", upload.id)
        return Outcome.SKIPPED
    log.info("rejected %s (%s): %s", upload.id, err.code, err.message)
    telemetry.rejected(err.code)
    telemetry.decision_latency(record.event_time)
    events.publish(rejected)
    store.delete_incoming(upload.id)
    return Outcome.REJECTED


def _served_key(upload: Upload, store: S3Store) -> str | None:
    return store.file_key(upload.id) if upload.status == Status.ACCEPTED else None


def make_validate_handler(
    store: S3Store, config: Config, events: DecisionEvents | None = None
) -> Callable[[Mapping[str, Any], Any], dict[str, int]]:
    events = events or DecisionEvents(config.event_bus_name)

    def validate(event: Mapping[str, Any], context: Any) -> dict[str, int]:
        return validate_event(event, store, config, events)

    return validate
