"""Inline uploads: the bytes came with the request, so they are validated at once and
stored accepted, or refused with nothing stored.

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
from ..inspect.rules import Sample, check_content, check_name
from ..notify import DecisionEvents, EventNotDelivered
from ..s3.store import S3Store
from ..upload import Method, Status, Upload

log = logging.getLogger(__name__)


def accept_inline(
    raw_name: str | None, data: bytes, store: S3Store, config: Config, events: DecisionEvents | None = None
) -> Upload:
    """Validate one file and store it; raise UploadError if it is refused."""
    try:
        name, _ = check_name(raw_name, config)
        detected = check_content(name, Sample.of_bytes(data), config)
        upload = Upload(
            id=new_id(),
            status=Status.PENDING,
            filename=name,
            size=len(data),
            content_type=detected,
            method=Method.INLINE,
        ).accepted(detected, len(data))
        store.store_accepted(upload, data)
    except UploadError as err:
        log.info("inline upload %r refused (%s): %s", raw_name, err.code, err.message)
        telemetry.rejected(err.code)
        raise
    telemetry.bind(upload_id=upload.id)
    log.info("accepted %s inline as %s, %d bytes", upload.id, detected, len(data))
    telemetry.accepted(len(data))
    if events is not None:
        try:
            events.publish(upload, store.file_key(upload.id))
        except EventNotDelivered as exc:
            log.error("accepted %s but its event was not delivered: %s", upload.id, exc)
            telemetry.event_not_delivered()
    return upload
