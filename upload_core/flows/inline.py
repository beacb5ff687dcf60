"""Inline uploads: the bytes came with the request, so they are validated at once and
stored accepted, or refused with nothing stored. With MALWARE_SCANNER=guardduty a file whose
structure passed is held instead: GuardDuty scans objects, not requests, so its bytes go to
incoming/ID and it answers `pending`, decided by both verdicts as a presigned upload is.

The decision event goes out after the file and its record are stored. If EventBridge
fails then, the upload still answers 201: the file is accepted and stored, and a 503
would make the client upload it again under a new id. The failure is logged with the
upload id and counted (EventsNotDelivered, alarmed in serverless.yml); the application
can still learn the decision from `GET /uploads/ID`. Refusals put no event: nothing
was stored, the client got the reason in the answer, and there is no upload id."""

from __future__ import annotations

import logging

from .. import telemetry
from ..config import Config
from ..errors import UploadError
from ..inspect.naming import new_id
from ..inspect.rules import Sample, check_name
from ..notify import DecisionEvents, EventNotDelivered
from ..s3.store import S3Store
from ..scan import ScannerUnavailable, ScannerUnavailableError, judge
from ..upload import Method, Owner, Status, Upload
from . import quota

log = logging.getLogger(__name__)


def accept_inline(
    raw_name: str | None,
    data: bytes,
    store: S3Store,
    config: Config,
    owner: Owner | None = None,
    events: DecisionEvents | None = None,
) -> Upload:
    """Validate one file and store it; raise UploadError if it is refused (quota included)."""
    try:
        name, _ = check_name(raw_name, config)
        try:
            inspected = judge(name, Sample.of_bytes(data), config, inline=True)
        except ScannerUnavailable as exc:
            log.error("inline upload %r not scanned: %s", raw_name, exc)
            raise ScannerUnavailableError() from None
        # Trailing bytes past the format's end (a motion photo's video) are cut off, never stored.
        kept = data[: inspected.end]
        if config.guardduty:
            return _hold(name, kept, inspected.mime, store, config, owner)
        upload = Upload(
            id=new_id(),
            status=Status.PENDING,
            filename=name,
            size=len(kept),
            content_type=inspected.mime,
            method=Method.INLINE,
            owner=owner,
        ).accepted(inspected.mime, len(kept))
        upload = quota.admit(upload, store, config)
        try:
            upload = store.store_accepted(upload, kept)
        except UploadError:
            quota.give_back_quietly(upload, store, config)
            raise
    except UploadError as err:
        log.info("inline upload %r refused (%s): %s", raw_name, err.code, err.message)
        telemetry.rejected(err.code)
        raise
    telemetry.bind(upload_id=upload.id)
    log.info("accepted %s inline as %s, %d of %d bytes kept", upload.id, upload.content_type, len(kept), len(data))
    telemetry.accepted(len(kept))
    if events is not None:
        try:
            events.publish(upload, store.served_key_of(upload))
        except EventNotDelivered as exc:
            log.error("accepted %s but its event was not delivered: %s", upload.id, exc)
            telemetry.event_not_delivered()
    return upload


def _hold(name: str, data: bytes, mime: str, store: S3Store, config: Config, owner: Owner | None) -> Upload:
    """MALWARE_SCANNER=guardduty: the record (pending), then the bytes to incoming/ID, where
    GuardDuty scans them and their S3 event brings the validator, as for any presigned upload
    (decision.py). No event yet: the decision publishes it."""
    upload = Upload(
        id=new_id(),
        status=Status.PENDING,
        filename=name,
        size=len(data),
        content_type=mime,
        method=Method.INLINE,
        owner=owner,
        declared_size=len(data),
    )
    upload = quota.admit(upload, store, config)
    try:
        store.put_record(upload)
        store.put_incoming(upload.id, data, mime)
    except UploadError:
        quota.give_back_quietly(upload, store, config)
        try:
            store.delete_record(upload.id)
        except UploadError:
            log.warning("cleanup of the record of %s failed; the lifecycle expires it", upload.id)
        raise
    telemetry.bind(upload_id=upload.id)
    log.info("held %s inline in incoming/ (%d bytes): pending until GuardDuty's verdict too", upload.id, len(data))
    return upload
