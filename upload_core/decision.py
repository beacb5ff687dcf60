"""The decision on one upload whose bytes landed under incoming/: `decide`, one sequence
read top to bottom. Every S3 call a validation makes is in it, in this order:

    1 read the record          its version (ETag) is what the decision will be written over
    2 download                 one GET into a local spool, hashed on the way (SHA-256)
    3 verdicts                 structure inspection and malware scan of the spool (verdicts.py)
    4 charge the quota         the served size, checked (flows/quota.py); over it: rejected
    5 write the served bytes   from the spool, [0, end): files/ID/SHA256HEX (s3/served.py)
    6 write the decision       the record, only over the version read in 1 (If-Match)
    7 close the ledger entry   accepted at the served size, or released
    8 publish                  the decision event
    9 drop incoming/ID

Why no interleaving breaks it. The other actors are a second run of the same event (S3
delivers at least once; Lambda retries), a replayed event, the client sending other bytes
to incoming/ID (even bytes with the same ETag), a Companion completion, and DELETE:
- What is served is what was inspected, by construction: 5 reads the spool that 3
  inspected, never incoming/ID, and S3 checks the SHA-256 sent with every byte. The key is
  that SHA-256, so another run that read other bytes writes another object; the record
  written in 6 names the one its own run inspected. No copy, no ETag condition: an ETag is
  the MD5 of a single upload, and twins with one MD5 are made in seconds.
- Exactly one decision: 6 succeeds only over the version read in 1. A run whose write
  fails (another run decided, or DELETE wrote its tombstone) has lost: it removes the
  object it wrote in 5 unless the record now serves that very object (same bytes), and
  touches nothing else. A failure of S3 (not a lost race) raises, and Lambda retries.
- Bytes of a deleted upload never stay: DELETE writes its tombstone over the record, then
  removes every served object, then the record (flows/deletion.py). A run that wrote its
  decision did so before the tombstone, so its object was there for DELETE to remove; a run
  that writes its object after that loses 6 and removes it; if it crashes in between, its
  retry finds the record tombstoned or gone and removes every served object of the id.
- The quota: only 4 grows usage, checked in the same conditional write; only the winner of
  6 closes the entry (7), after its decision is written; a release (rejection, DELETE) is
  terminal while any run that read the record before it can still be running. The reasons
  are written beside the ledger in flows/quota.py.
- A crash anywhere repeats safely: before 6 the record is still pending and nothing is
  served (GET .../content serves only what an accepted record names); after 6 a repeated
  event finds the record decided and repeats 7-9 (each idempotent) and removes any served
  object the record does not name.

`pause` is called before each step (steps.py): a test stops the sequence there and runs
another actor. The validator (validator.py) calls `decide` once per S3 record.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from typing import IO

from . import telemetry
from .config import Config
from .errors import QuotaExceeded, UploadError
from .flows import quota
from .inspect.rules import SNIFF_BYTES, Sample
from .notify import DecisionEvents
from .s3.client import ObjectChanged
from .s3.served import ServedObject, sha256_of
from .s3.store import RecordVersion, S3Store
from .scan.verdicts import judge
from .steps import Pause, no_pause
from .upload import Status, Upload

log = logging.getLogger(__name__)

SPOOL_IN_MEMORY_BYTES = 8 * 1024 * 1024  # past this the spool is a file in /tmp


class Step(StrEnum):
    READ_RECORD = "read_record"
    DOWNLOAD = "download"
    VERDICTS = "verdicts"
    CHARGE = "charge"
    WRITE_SERVED = "write_served"
    WRITE_DECISION = "write_decision"
    CLOSE_LEDGER = "close_ledger"
    PUBLISH = "publish"
    DROP_INCOMING = "drop_incoming"
    # off the main line: a run that lost 6, and a run that finds the upload decided or gone
    WITHDRAW = "withdraw"
    REPEAT = "repeat"


class Outcome(StrEnum):
    """What the validator did with one record; the handler's summary counts them."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Verdict:
    """Accepted: serve bytes [0, end) as `mime`; rejected: `error` says why."""

    mime: str = ""
    end: int = 0
    error: UploadError | None = None

    @property
    def accepted(self) -> bool:
        return self.error is None


def decide(
    upload_id: str,
    store: S3Store,
    config: Config,
    events: DecisionEvents,
    pause: Pause = no_pause,
    event_time: str | None = None,
) -> Outcome:
    """Decide the upload `upload_id` from what is under incoming/ID now (module docstring)."""
    pause(Step.READ_RECORD)
    version = store.read_record(upload_id)
    if version is None or not version.upload.pending:
        return _decided_already(upload_id, version, store, config, events, pause)
    upload = version.upload

    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as spool:
        pause(Step.DOWNLOAD)
        fetched = store.download_incoming(upload_id, spool)
        if fetched is None:
            log.info("skipped %s: object is gone", upload_id)
            return Outcome.SKIPPED

        pause(Step.VERDICTS)
        verdict = _verdicts(upload, spool, fetched.size, config)

        if verdict.accepted:
            pause(Step.CHARGE)
            try:
                quota.charge_size(upload, verdict.end, store, config, in_flight=False)
            except QuotaExceeded as err:
                verdict = Verdict(error=err)

        served: ServedObject | None = None
        if verdict.accepted:
            pause(Step.WRITE_SERVED)
            # Hashed while downloading; only a cut-off (trailing bytes) needs a second pass.
            digest = fetched.sha256 if verdict.end == fetched.size else sha256_of(spool, verdict.end)
            served = store.served.write(upload_id, spool, verdict.end, verdict.mime, digest)

    if served is not None:
        decided = upload.accepted(verdict.mime, verdict.end, served.checksum, served.key)
    else:
        assert verdict.error is not None
        decided = upload.rejected(verdict.error.reason())

    pause(Step.WRITE_DECISION)
    try:
        store.put_record(decided, if_match=version.etag)
    except ObjectChanged:
        pause(Step.WITHDRAW)
        return _lost(decided, served, store)

    pause(Step.CLOSE_LEDGER)
    quota.settle(decided, store, config)
    _report(decided, verdict, fetched.size, event_time)

    pause(Step.PUBLISH)
    events.publish(decided, served.key if served else None)

    pause(Step.DROP_INCOMING)
    store.delete_incoming(upload_id)
    return Outcome.ACCEPTED if served else Outcome.REJECTED


def _verdicts(upload: Upload, spool: IO[bytes], size: int, config: Config) -> Verdict:
    """Step 3. ScannerUnavailable (clamd down) is not an UploadError: it propagates, the
    event fails and Lambda retries it; the upload stays pending."""
    sample = Sample(head=spool.read(SNIFF_BYTES), size=size, source=spool)  # type: ignore[arg-type]
    spool.seek(0)
    try:
        inspected = judge(upload.filename, sample, config, declared_size=upload.declared_size)
    except UploadError as err:
        return Verdict(error=err)
    return Verdict(mime=inspected.mime, end=inspected.end)


def _lost(decided: Upload, served: ServedObject | None, store: S3Store) -> Outcome:
    """The record changed after step 1: another run decided, or DELETE wrote its tombstone.
    The record cannot become pending again, so if it does not serve our object now, nothing
    ever will: remove it. The ledger and incoming/ID are the winner's (or the deleter's)."""
    now = store.get_record(decided.id)
    if served is not None and not (now is not None and now.status == Status.ACCEPTED and now.served_key == served.key):
        store.served.remove_key(served.key)
    state = now.status if now else "gone"
    log.info("skipped %s: its record changed while it was validated (now %s)", decided.id, state)
    return Outcome.SKIPPED


def _decided_already(
    upload_id: str,
    version: RecordVersion | None,
    store: S3Store,
    config: Config,
    events: DecisionEvents,
    pause: Pause,
) -> Outcome:
    """A repeated or late event, a replay, bytes sent again after the decision, or an
    upload deleted (or being deleted). Bytes under incoming/ are never served: drop them.
    Decided: repeat steps 7-9 (a run that wrote the decision may have stopped before them;
    the validator cannot know whether its event got out, so it is sent again and consumers
    de-duplicate by id) and remove any served object the record does not name. Gone or
    tombstoned: no served object of it may stay (a run that crashed after step 5)."""
    upload = version.upload if version else None
    pause(Step.REPEAT)
    if upload is not None and upload.final:
        quota.settle(upload, store, config)
        served_key = store.served_key_of(upload) if upload.status == Status.ACCEPTED else None
        events.publish(upload, served_key)
        store.delete_incoming(upload_id)
        store.served.remove(upload_id, keep=served_key)
    else:
        store.delete_incoming(upload_id)
        store.served.remove(upload_id)
    log.info("skipped %s: upload is %s", upload_id, upload.status if upload else "unknown")
    return Outcome.SKIPPED


def _report(decided: Upload, verdict: Verdict, size: int, event_time: str | None) -> None:
    """One log line per decision, with the upload id, and its metrics."""
    if decided.status == Status.ACCEPTED:
        log.info("accepted %s as %s, %d of %d bytes served", decided.id, decided.content_type, verdict.end, size)
        telemetry.accepted(verdict.end)
    else:
        assert verdict.error is not None
        log.info("rejected %s (%s): %s", decided.id, verdict.error.code, verdict.error.message)
        telemetry.rejected(verdict.error.code)
    telemetry.decision_latency(event_time)
