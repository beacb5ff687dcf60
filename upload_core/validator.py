"""The S3-event function: validate each object that landed under the incoming prefix.

For each object: read its first bytes (and, for OOXML, its zip directory) with ranged
GETs, apply the same rules as the inline path plus the declared size, then
- accept: copy the exact validated version (CopySourceIfMatch) to files/ID, the only
  served prefix, record `accepted`, delete the incoming object;
- reject: record `rejected` with the reason, delete the incoming object.
The record is written after the copy and before the delete, so a crash at any point
leaves either a pending upload that a retry completes, or a final one: never a rejected
file that can be served, never an accepted one lost. Repeated and late events find a
final record (or no object) and change nothing. The decision is written only over the
record version that was read (S3 If-Match): if DELETE /uploads/ID removed the record
meanwhile, the write fails and the copy is withdrawn, so a deleted upload stays deleted.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any, Callable, Mapping

from .config import Config
from .errors import UploadError
from .events import S3ObjectRecord, s3_records
from .inspect.naming import is_valid_id
from .inspect.rules import SNIFF_BYTES, Sample, check_content
from .s3.client import ObjectChanged
from .s3.store import S3Store
from .upload import Status

log = logging.getLogger(__name__)


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

    version = store.read_record(upload_id)
    upload = version.upload if version else None
    if version is None or upload.final:
        # Unknown, or decided already: a repeated or late event, or bytes sent again to a
        # URL after its upload was decided. Such bytes are never served; drop them.
        store.delete_incoming(upload_id)
        state = upload.status if upload else "unknown"
        log.info("skipped %s: upload is %s", upload_id, state)
        return Outcome.SKIPPED

    head = store.read_incoming_head(upload_id, SNIFF_BYTES)
    if head is None:
        log.info("skipped %s: object is gone", upload_id)
        return Outcome.SKIPPED
    data, size, etag = head
    sample = Sample(head=data, size=size, source=store.incoming_reader(upload_id, size, etag))
    try:
        detected = check_content(upload.filename, sample, config, declared_size=upload.declared_size)
    except ObjectChanged:
        log.info("skipped %s: object changed while it was read; its own event follows", upload_id)
        return Outcome.SKIPPED
    except UploadError as err:
        try:
            store.put_record(upload.rejected(err.reason()), if_match=version.etag)
        except ObjectChanged:
            store.delete_incoming(upload_id)
            log.info("skipped %s: its record changed or was deleted while it was validated", upload_id)
            return Outcome.SKIPPED
        store.delete_incoming(upload_id)
        log.info("rejected %s (%s): %s", upload_id, err.code, err.message)
        return Outcome.REJECTED

    accepted = upload.accepted(detected, size)
    try:
        # What S3 recorded for the copied version: a checksum the client pinned, or a
        # multipart upload's composite one.
        checksum = store.promote(accepted, etag)
    except ObjectChanged:
        log.info("skipped %s: object changed before it was copied; its own event follows", upload_id)
        return Outcome.SKIPPED
    accepted = upload.accepted(detected, size, checksum)
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
    store.delete_incoming(upload_id)
    log.info("accepted %s as %s, %d bytes", upload_id, detected, size)
    return Outcome.ACCEPTED


def make_validate_handler(store: S3Store, config: Config) -> Callable[[Mapping[str, Any], Any], dict[str, int]]:
    def validate(event: Mapping[str, Any], context: Any) -> dict[str, int]:
        return validate_event(event, store, config)

    return validate
