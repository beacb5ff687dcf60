"""Deleting an upload (DELETE /uploads/ID, and the abort of a multipart upload by either HTTP
face), as one sequence that a decision in flight cannot outlive:

    1 tombstone        the record is overwritten by a tombstone, only over the version just
                       read (If-Match; lost to a decision that landed meanwhile: read again
                       and write over that one, so DELETE always wins)
    2 remove objects   an unfinished multipart upload aborted, incoming/ID and every served
                       object (files/ID/*) deleted
    3 release          the quota entry released (remembered: a later charge changes nothing)
                       and the index entry removed
    4 remove record    the tombstone goes last, so a DELETE repeated after a failure finds it

Why nothing of it stays, whatever the validator does (decision.py): after 1 no decision can
be written, because the validator writes its decision only over the version it read. A
decision written before 1 had its served object written before it, so 2 removes it; a
validator that writes its object after 2 loses its decision write and removes the object
itself, and if it crashes first, its retry finds the record tombstoned or gone and removes
every served object of the id. Its quota charge, before or after 3, ends released.
A tombstone answers 404 to every route but DELETE, which finishes the job and answers 204.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from ..config import Config
from ..errors import StorageUnavailable
from ..s3.client import ObjectChanged
from ..s3.store import S3Store
from ..steps import Pause, no_pause
from ..upload import Upload
from . import quota

log = logging.getLogger(__name__)

MAX_TOMBSTONE_ATTEMPTS = 10  # each lost attempt means a decision landed: progress, not a stall


class Step(StrEnum):
    TOMBSTONE = "tombstone"
    REMOVE_OBJECTS = "remove_objects"
    RELEASE = "release"
    REMOVE_RECORD = "remove_record"


def delete(upload: Upload, store: S3Store, config: Config, pause: Pause = no_pause) -> None:
    """Delete `upload` (already checked to be the caller's) and everything of it."""
    pause(Step.TOMBSTONE)
    tombstoned = _tombstone(upload, store)
    if tombstoned is None:
        log.info("delete of %s: already gone", upload.id)
        return

    pause(Step.REMOVE_OBJECTS)
    store.remove_objects(tombstoned)

    pause(Step.RELEASE)
    quota.release_quota(tombstoned, store, config)
    quota.unlist(tombstoned, store)

    pause(Step.REMOVE_RECORD)
    store.delete_record(upload.id)
    log.info("deleted %s", upload.id)


def _tombstone(upload: Upload, store: S3Store) -> Upload | None:
    """Write the tombstone over whatever version the record has; None if it is gone (a
    concurrent DELETE finished). Returns the record as it was tombstoned: a decision that
    landed meanwhile is what steps 2 and 3 must undo."""
    for _ in range(MAX_TOMBSTONE_ATTEMPTS):
        version = store.read_record(upload.id)
        if version is None:
            return None
        try:
            store.put_record(version.upload.tombstone(), if_match=version.etag)
        except ObjectChanged:
            continue
        return version.upload
    raise StorageUnavailable("The upload kept changing while it was deleted; try again")
