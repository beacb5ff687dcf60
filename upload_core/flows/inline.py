"""Inline uploads: the bytes came with the request, so they are validated at once and
stored accepted, or refused with nothing stored."""

from __future__ import annotations

import logging

from ..config import Config
from ..errors import UploadError
from ..inspect.naming import new_id
from ..inspect.rules import Sample, check_content, check_name
from ..s3.store import S3Store
from ..upload import Method, Status, Upload
from . import quota

log = logging.getLogger(__name__)


def accept_inline(
    raw_name: str | None, data: bytes, store: S3Store, config: Config, owner: str | None = None
) -> Upload:
    """Validate one file and store it; raise UploadError if it is refused (quota included)."""
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
            owner=owner,
        ).accepted(detected, len(data))
        upload = quota.admit(upload, store, config)
        try:
            store.store_accepted(upload, data)
        except UploadError:
            quota.give_back_quietly(upload, store, config)
            raise
    except UploadError as err:
        log.info("inline upload %r refused (%s): %s", raw_name, err.code, err.message)
        raise
    log.info("accepted %s inline as %s, %d bytes", upload.id, detected, len(data))
    return upload
