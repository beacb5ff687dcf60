"""Inline uploads: the bytes came with the request, so they are validated at once and
stored accepted, or refused with nothing stored."""

from __future__ import annotations

import io
import logging

from ..config import Config
from ..errors import UploadError
from ..inspect.naming import new_id
from ..inspect.rules import Sample, check_name, inspect_content
from ..malware import ScannerUnavailable, ScannerUnavailableError, scan
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
        sample = Sample.of_bytes(data)
        inspected = inspect_content(name, sample, config)
        try:
            scan(config, io.BytesIO(data), len(data))
        except ScannerUnavailable as exc:
            log.error("inline upload %r not scanned: %s", raw_name, exc)
            raise ScannerUnavailableError() from None
        # Trailing bytes past the format's end (a motion photo's video) are cut off, never stored.
        kept = data[: inspected.end]
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
            store.store_accepted(upload, kept)
        except UploadError:
            quota.give_back_quietly(upload, store, config)
            raise
    except UploadError as err:
        log.info("inline upload %r refused (%s): %s", raw_name, err.code, err.message)
        raise
    log.info("accepted %s inline as %s, %d of %d bytes kept", upload.id, upload.content_type, len(kept), len(data))
    return upload
