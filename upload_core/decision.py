"""The decision on one upload whose bytes landed under incoming/: `decide`, one sequence
read top to bottom, for every malware scanner. Every S3 call a decision makes is in it, in
this order:

    1 read the record          its version (ETag) is what the decision will be written over
    2 download                 one GET into a local spool, hashed on the way (SHA-256); with
                               GuardDuty the answer names the object version (VersionId)
    3 verdicts                 structure inspection and clamd's scan of the spool (scan/verdicts.py)
    4 charge the quota         the served size, checked (flows/quota.py); over it: rejected
    5 write the served bytes   from the spool, [0, end): files/ID/SHA256HEX (s3/served.py)
    6 pair                     with the verdict the record keeps for the same version (scan/combine.py)
    7 write the decision       the record, only over the version read in 1 (If-Match)
      (or keep the verdict)    guardduty, the other verdict not in yet: the record keeps this
                               one (If-Match) and the run ends, waiting
    8 close the ledger entry   accepted at the served size, or released
    9 publish                  the decision event
   10 drop incoming/ID         (guardduty: every version of it, and any served object the
                               decision does not name)

Two callers start it. The validator (validator.py; the sweep through it) brings the bytes:
steps 1-10. handler.scan_result (scan/entry.py) brings GuardDuty's verdict on one object
version: 1, a HEAD that the version is still the object's (a result for another version
changes nothing), then 6-10: the structure verdict it pairs with was given by a validator run
that has done 2-5 and kept it in the record. A validator run that finds a structure verdict
kept for the object's current version (a sweep, a repeated event) takes it instead of 2-5.

Why no interleaving breaks it. The other actors are a second run of the same event (S3
delivers at least once; Lambda retries), a replayed event, the client sending other bytes
to incoming/ID (even bytes with the same ETag), a Companion completion, DELETE, and with
GuardDuty its results (at least once, in any order with the validator) and the sweep:
- What is served is what was inspected, by construction: 5 reads the spool that 3
  inspected, never incoming/ID, and S3 checks the SHA-256 sent with every byte. The key is
  that SHA-256, so another run that read other bytes writes another object; the record
  written in 7 names the one its own run inspected. No copy, no ETag condition: an ETag is
  the MD5 of a single upload, and twins with one MD5 are made in seconds.
- And, with GuardDuty, what GuardDuty scanned: a structure verdict names the version its
  GET read (S3 names it in the answer, and a version's bytes never change), GuardDuty's
  names the version it scanned, and 6 accepts only when they name the same one. Each run
  brings a verdict about the object's current version (the GET was made after 1; a scan
  result is checked by HEAD; after a lost write 7 both are checked again by HEAD), so a kept
  verdict for another version is stale and dropped, never paired. A served object written
  in 5 for bytes whose GuardDuty verdict then rejects is never named by an accepted record
  and is removed in 10; GET .../content serves only what an accepted record names.
- Exactly one decision: 7 succeeds only over the version read in 1. A run whose write
  fails reads the record again: decided or tombstoned, it has lost: it removes the object it
  wrote in 5 unless the record now names that very object (same bytes), and touches nothing
  else; still pending (the other verdict was kept meanwhile, GuardDuty), it pairs again
  with what the record keeps now (6) and writes again. Two verdicts arriving at once cannot
  both wait: the second write fails and its next attempt pairs with the first. A failure of
  S3 (not a lost race) raises, and Lambda retries.
- Bytes of a deleted upload never stay: DELETE writes its tombstone over the record, then
  removes every served object, then the record (flows/deletion.py). A run that wrote its
  decision did so before the tombstone, so its object was there for DELETE to remove; a run
  that writes its object after that loses 7 and removes it; if it crashes in between, its
  retry finds the record tombstoned or gone and removes every served object of the id.
- The quota: only 4 grows usage, checked in the same conditional write; only the winner of
  7's decision closes the entry (8), after its decision is written; a release (rejection,
  DELETE) is terminal while any run that read the record before it can still be running.
  With GuardDuty the run that charged may not be the one that decides: the entry stays
  pending, at the served size, while the structure verdict waits. The reasons are written
  beside the ledger in flows/quota.py.
- No upload waits for ever: a result that never comes is a structure verdict kept for
  SCAN_RESULT_TIMEOUT_SECONDS with nothing to pair, which 6 rejects (scan_timeout) on the
  next validator run over incoming/ID: the sweep (sweep.py) hands every object still there
  to the validator.
- A crash anywhere repeats safely: before 7 the record is still pending and nothing is
  served; after 7 a repeated event finds the record decided and repeats 8-10 (each
  idempotent) and removes any served object the record does not name.

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
from .s3.served import sha256_of
from .s3.store import RecordVersion, S3Store
from .scan import combine
from .scan.combine import Arrived, Malware, Structure
from .scan.verdicts import judge
from .steps import Pause, no_pause
from .upload import Status, Upload

log = logging.getLogger(__name__)

SPOOL_IN_MEMORY_BYTES = 8 * 1024 * 1024  # past this the spool is a file in /tmp
# Each lost write 7 while the record stays pending means the other verdict was kept
# meanwhile: progress. A record that keeps changing past this is a bug or an attack; the
# run fails and Lambda retries it.
MAX_WRITES = 10


class Step(StrEnum):
    READ_RECORD = "read_record"
    CURRENT_VERSION = "current_version"  # HEAD incoming/ID: which version the object is now
    DOWNLOAD = "download"
    VERDICTS = "verdicts"
    CHARGE = "charge"
    WRITE_SERVED = "write_served"
    KEEP_VERDICT = "keep_verdict"
    WRITE_DECISION = "write_decision"
    CLOSE_LEDGER = "close_ledger"
    PUBLISH = "publish"
    DROP_INCOMING = "drop_incoming"
    # off the main line: a run that lost 7, and a run that finds the upload decided or gone
    WITHDRAW = "withdraw"
    REPEAT = "repeat"


class Outcome(StrEnum):
    """What a run did with one upload; the handlers' summaries count them."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    SKIPPED = "skipped"
    WAITING = "waiting"  # guardduty: its verdict is kept until the other one comes


class NotVersioned(RuntimeError):
    """MALWARE_SCANNER=guardduty on a bucket that is not versioned: nothing would pin the bytes
    GuardDuty scanned. The event fails (retries, then the failure queue and its alarm)."""


@dataclass(frozen=True)
class Verdict:
    """Step 3: serve bytes [0, end) as `mime`, or `error` says why not."""

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
    scan_result: Malware | None = None,
    now: float | None = None,
) -> Outcome:
    """Decide the upload `upload_id` (module docstring): from what is under incoming/ID now,
    or, with `scan_result`, from GuardDuty's verdict on one version of it. `now` (epoch
    seconds, the ledger's clock by default) is what GuardDuty's deadline is measured against."""
    pause(Step.READ_RECORD)
    version = store.read_record(upload_id)
    if version is None or not version.upload.pending:
        return _decided_already(upload_id, version, store, config, events, pause, scan_result is not None)
    now = store.owners.clock() if now is None else now
    kept = combine.recorded(version.upload)

    if scan_result is not None:
        pause(Step.CURRENT_VERSION)
        current = store.incoming_version(upload_id)
        if current is None or current.version_id != scan_result.version:
            log.info(
                "skipped %s: GuardDuty's result is for version %s, not the object's", upload_id, scan_result.version
            )
            return Outcome.SKIPPED
        arrived = Arrived(scan_result.version, malware=scan_result)
    elif kept.structure is not None and _is_current(upload_id, kept.structure.version, store, pause):
        arrived = Arrived(kept.structure.version, structure=kept.structure)  # the same bytes: given already
    else:
        taken = _take_bytes(version.upload, store, config, pause, now, event_time)
        if taken is None:
            return Outcome.SKIPPED
        arrived = taken

    for _ in range(MAX_WRITES):
        paired = combine.pair(arrived, kept, config.guardduty, now, config.scan_result_timeout_seconds)
        upload = version.upload
        try:
            if paired.action == "wait":
                if paired.kept == kept:
                    log.info("%s waits for its other verdict (kept already)", upload_id)
                    return Outcome.WAITING
                pause(Step.KEEP_VERDICT)
                store.put_record(combine.keeping(upload, paired.kept), if_match=version.etag)
                log.info(
                    "%s waits for its %s verdict", upload_id, "malware" if paired.kept.malware is None else "structure"
                )
                return Outcome.WAITING
            if paired.structure is not None:
                s = paired.structure
                decided = upload.accepted(s.mime, s.end, s.checksum, s.served_key)
            else:
                assert paired.error is not None
                decided = upload.rejected(paired.error.reason())
            pause(Step.WRITE_DECISION)
            store.put_record(decided, if_match=version.etag)
            break
        except ObjectChanged:
            pause(Step.READ_RECORD)
            again = store.read_record(upload_id)
            if again is None or not again.upload.pending or not _is_current(upload_id, arrived.version, store, pause):
                pause(Step.WITHDRAW)
                return _lost(upload_id, arrived.structure, store)
            version, kept = again, combine.recorded(again.upload)  # the other verdict came: pair again
    else:
        raise RuntimeError(f"the record of {upload_id} changed under {MAX_WRITES} writes in a row")

    pause(Step.CLOSE_LEDGER)
    quota.settle(decided, store, config)
    _report(decided, paired, event_time)

    pause(Step.PUBLISH)
    events.publish(decided, decided.served_key)

    pause(Step.DROP_INCOMING)
    store.delete_incoming(upload_id)
    if config.guardduty:  # a structure verdict's object that this decision does not serve
        store.served.remove(upload_id, keep=decided.served_key)
    return Outcome.ACCEPTED if decided.status == Status.ACCEPTED else Outcome.REJECTED


def _take_bytes(
    upload: Upload, store: S3Store, config: Config, pause: Pause, now: float, event_time: str | None
) -> Arrived | None:
    """Steps 2-5: download, verdicts, charge, write the served bytes. None: the object is gone."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as spool:
        pause(Step.DOWNLOAD)
        fetched = store.download_incoming(upload.id, spool)
        if fetched is None:
            log.info("skipped %s: object is gone", upload.id)
            return None
        if config.guardduty and fetched.version_id is None:
            raise NotVersioned(f"MALWARE_SCANNER=guardduty needs a versioned bucket; {store.bucket} is not")

        pause(Step.VERDICTS)
        verdict = _verdicts(upload, spool, fetched.size, config)

        if verdict.accepted:
            pause(Step.CHARGE)
            try:
                quota.charge_size(upload, verdict.end, store, config, in_flight=False)
            except QuotaExceeded as err:
                verdict = Verdict(error=err)
        if verdict.error is not None:
            return Arrived(fetched.version_id, refusal=verdict.error)

        pause(Step.WRITE_SERVED)
        # Hashed while downloading; only a cut-off (trailing bytes) needs a second pass.
        digest = fetched.sha256 if verdict.end == fetched.size else sha256_of(spool, verdict.end)
        served = store.served.write(upload.id, spool, verdict.end, verdict.mime, digest)
    structure = Structure(
        version=fetched.version_id,
        mime=verdict.mime,
        end=verdict.end,
        size=fetched.size,
        served_key=served.key,
        sha256=served.checksum["value"],
        at=now,
        landed_at=event_time,
    )
    return Arrived(fetched.version_id, structure=structure)


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


def _is_current(upload_id: str, version_id: str | None, store: S3Store, pause: Pause) -> bool:
    """Whether incoming/ID is still `version_id` (guardduty); on an unversioned bucket there is
    nothing to compare and the record alone decides."""
    if not store.versioned:
        return True
    pause(Step.CURRENT_VERSION)
    current = store.incoming_version(upload_id)
    return current is not None and current.version_id == version_id


def _lost(upload_id: str, structure: Structure | None, store: S3Store) -> Outcome:
    """The record changed after step 1 and this run's verdict no longer counts: another run
    decided, DELETE wrote its tombstone, or the object was replaced since (guardduty). If the
    record does not name the object this run wrote, nothing will through this run: remove it.
    The ledger and incoming/ID are the winner's (or the deleter's)."""
    now = store.get_record(upload_id)
    if structure is not None and structure.served_key not in _named(now):
        store.served.remove_key(structure.served_key)
    state = now.status if now else "gone"
    log.info("skipped %s: its record changed while it was decided (now %s)", upload_id, state)
    return Outcome.SKIPPED


def _named(upload: Upload | None) -> set[str]:
    """The served objects a record names: an accepted record's, or a pending record's kept
    structure verdict's (a tombstone names none: DELETE removes them all)."""
    if upload is not None and upload.status == Status.ACCEPTED and upload.served_key:
        return {upload.served_key}
    kept = combine.recorded(upload).structure if upload is not None and upload.pending else None
    return {kept.served_key} if kept is not None else set()


def _decided_already(
    upload_id: str,
    version: RecordVersion | None,
    store: S3Store,
    config: Config,
    events: DecisionEvents,
    pause: Pause,
    scan_result: bool,
) -> Outcome:
    """A repeated or late event, a replay, bytes sent again after the decision, or an
    upload deleted (or being deleted). Bytes under incoming/ are never served: drop them.
    Decided: repeat steps 8-10 (a run that wrote the decision may have stopped before them;
    the validator cannot know whether its event got out, so it is sent again and consumers
    de-duplicate by id) and remove any served object the record does not name. Gone or
    tombstoned: no served object of it may stay (a run that crashed after step 5).
    A GuardDuty result for a decided upload changes nothing once incoming/ID is gone (10 was
    the last step: the decision was finished), so its late results publish nothing again."""
    upload = version.upload if version else None
    if scan_result and upload is not None and upload.final:
        pause(Step.CURRENT_VERSION)
        if store.incoming_version(upload_id) is None:
            log.info("skipped %s: GuardDuty's result came for an upload already %s", upload_id, upload.status)
            return Outcome.SKIPPED
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


def _report(decided: Upload, paired: combine.Paired, event_time: str | None) -> None:
    """One log line per decision, with the upload id, and its metrics."""
    structure = paired.structure
    if decided.status == Status.ACCEPTED and structure is not None:
        log.info(
            "accepted %s as %s, %d of %d bytes served%s",
            decided.id,
            decided.content_type,
            structure.end,
            structure.size,
            f" (version {structure.version}, both verdicts in)" if structure.version else "",
        )
        telemetry.accepted(structure.end)
    else:
        assert paired.error is not None
        log.info("rejected %s (%s): %s", decided.id, paired.error.code, paired.error.message)
        telemetry.rejected(paired.error.code)
    telemetry.decision_latency(event_time or (structure.landed_at if structure else None))
