"""Every interleaving of a few actors that race on one upload, run deterministically: the
validator's decision, a second run of its event, a client replacing the object (with an
MD5 twin: same length, same ETag), a Companion completion, DELETE and a replay; with
MALWARE_SCANNER=guardduty (a versioned bucket) also GuardDuty's result for one object version
(handler.scan_result's run of the decision) and the sweep's run past the result's deadline.
Each actor stops before each of its steps (upload_core/steps.py) and moves only when the
scheduler says so (tests/support/interleave.py). After every step:
- what a record serves is bytes that passed inspection, with the record's SHA-256 and size,
  and no refused bytes are ever under files/; with GuardDuty, only bytes whose own version
  got a clean result, and never bytes GuardDuty flagged;
- the owner's usage never undercounts: every accepted upload is counted at least at its
  size, every pending one at least at its declared size, and usage never passes QUOTA_BYTES.
Once every actor is done (and once more after a replayed event):
- usage equals the sizes of the owner's accepted and pending uploads, nothing else;
- the only served objects are those accepted records name; nothing of a decided or deleted
  upload is under incoming/; no tombstone is left; no actor failed.
S3 is moto in-process, a fresh bucket for every run.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
from dataclasses import dataclass, field

import pytest

from tests.support import corpus, hostile_media
from tests.support.helpers import owner_of
from tests.support.interleave import Actor, Recorder, Scenario, explore

KB = 1000
OWNER = owner_of("alice")
ACCOUNT = "123456789012"
_buckets = itertools.count()
# Steps of the decision that touch nothing another actor sees: the verdicts read the run's
# own spool, and no event bus is set. The scheduler does not stop there.
QUIET = frozenset({"verdicts", "publish"})


@dataclass
class World:
    """One run's state: the service's parts on a fresh bucket, and what the checks know."""

    s3: object
    config: object
    store: object
    recorder: Recorder
    honest: dict[str, set[bytes]] = field(default_factory=dict)  # upload id -> bytes it may serve
    refused: set[bytes] = field(default_factory=set)  # bytes that must never be served
    declared: dict[str, int] = field(default_factory=dict)  # upload id -> size it is reserved at
    clean: dict[str, set[bytes]] = field(default_factory=dict)  # upload id -> bytes GuardDuty passed (so far)
    flagged: set[bytes] = field(default_factory=set)  # bytes GuardDuty refuses: never served

    # actors ------------------------------------------------------------------
    def validate(self, upload_id: str, name: str = "validate") -> Actor:
        from upload_core.decision import decide
        from upload_core.notify import DecisionEvents

        events = DecisionEvents(None)
        return Actor(name, lambda pause: decide(upload_id, self.store, self.config, events, pause), quiet=QUIET)

    def replace_then_validate(self, upload_id: str, data: bytes, same_etag: bool, name: str = "replace") -> Actor:
        """A client sends other bytes to the presigned URL; then their own S3 event comes."""
        from upload_core.decision import decide
        from upload_core.notify import DecisionEvents

        def body(pause):
            pause("replace")
            self.replace(upload_id, data, same_etag)
            decide(upload_id, self.store, self.config, DecisionEvents(None), pause)

        return Actor(name, body, quiet=QUIET)

    def scan(self, upload_id: str, data: bytes, status: str, name: str = "guardduty") -> Actor:
        """GuardDuty's result for the version of incoming/ID that holds `data`, as
        handler.scan_result hands it to the decision; nothing when no such version landed
        (GuardDuty scans what lands)."""
        from upload_core.decision import decide
        from upload_core.notify import DecisionEvents
        from upload_core.scan.combine import Malware

        def body(pause):
            pause("scan")
            version = self.version_holding(upload_id, data)
            if version is None:
                return
            if status == "NO_THREATS_FOUND":
                self.clean.setdefault(upload_id, set()).add(data)
            threats = ("EICAR-Test-File (not a virus)",) if status == "THREATS_FOUND" else ()
            verdict = Malware(version, status, threats)
            decide(upload_id, self.store, self.config, DecisionEvents(None), pause, scan_result=verdict)

        return Actor(name, body, quiet=QUIET)

    def sweep_past_deadline(self, upload_id: str) -> Actor:
        """The sweep's run of the validator over incoming/ID once SCAN_RESULT_TIMEOUT_SECONDS
        have passed since any structure verdict given in this scenario."""
        from upload_core.decision import decide
        from upload_core.notify import DecisionEvents

        later = self.store.owners.clock() + self.config.scan_result_timeout_seconds + 1
        return Actor(
            "sweep", lambda pause: decide(upload_id, self.store, self.config, DecisionEvents(None), pause, now=later),
            quiet=QUIET,
        )  # fmt: skip

    def delete(self, upload_id: str) -> Actor:
        from upload_core.errors import NotFound
        from upload_core.flows import deletion

        def body(pause):
            pause("route")  # DELETE /uploads/ID reads the record, the caller's or 404
            try:
                upload = self.store.require_record(upload_id, OWNER, tombstone_ok=True)
            except NotFound:
                return
            deletion.delete(upload, self.store, self.config, pause)

        return Actor("delete", body)

    def create(self, size: int) -> Actor:
        """Another upload of the owner, asking for `size` bytes: it gets them only if the
        quota allows at that moment, so an undercount at any moment would show at the end as
        usage past QUOTA_BYTES (the check after every step sees only the orders that are run;
        this one makes every moment observable)."""
        from upload_core.errors import QuotaExceeded
        from upload_core.flows.presign import PresignRequest, issue

        def body(pause):
            pause("create")
            try:
                upload = issue(PresignRequest(filename="other.jpg", size=size, owner=OWNER), self.store, self.config)
            except QuotaExceeded:
                return
            self.honest[upload.upload.id] = set()
            self.declared[upload.upload.id] = size

        return Actor("create", body)

    def complete_then_validate(self, upload_id: str, parts: list[dict]) -> Actor:
        """Companion's completion (the size becomes known and is charged), then the
        completed object's S3 event."""
        from upload_core.decision import decide
        from upload_core.errors import NotFound, UploadError
        from upload_core.flows import multipart
        from upload_core.notify import DecisionEvents

        def body(pause):
            pause("route")
            try:
                upload = self.store.require_record(upload_id, OWNER)
                multipart.complete(upload, self.store, self.config, parts, pause)
            except (NotFound, UploadError):
                return  # deleted meanwhile (404), or over the quota (429): nothing landed
            except KeyError:
                # Aborted by the DELETE meanwhile: S3 answers 404 NoSuchUpload (the store's
                # MultipartUploadGone); moto 5.2.5 in-process raises its own KeyError instead.
                return
            decide(upload_id, self.store, self.config, DecisionEvents(None), pause)

        return Actor("complete", body, quiet=QUIET)

    # helpers -------------------------------------------------------------------
    def replace(self, upload_id: str, data: bytes, same_etag: bool) -> None:
        """Write incoming/ID; with `same_etag`, give it the ETag the object has now, as an
        MD5 twin would have (written through moto's backend: S3 would compute the same)."""
        from moto.backends import get_backend

        backend = get_backend("s3")[ACCOUNT]["global"]
        key = f"incoming/{upload_id}"
        before = backend.buckets[self.config.bucket].keys.get(key)
        etag = before.etag.strip('"') if before is not None else None
        self.s3.put_object(Bucket=self.config.bucket, Key=key, Body=data)
        if same_etag and etag is not None:
            backend.buckets[self.config.bucket].keys[key]._etag = etag

    def version_holding(self, upload_id: str, data: bytes) -> str | None:
        """The VersionId of the version of incoming/ID whose bytes are `data` (what GuardDuty
        scanned), read through moto's backend: a read of incoming/ID for the scheduler."""
        key = f"incoming/{upload_id}"
        self.recorder.touch("read", key)
        for version in self._objects().getlist(key, []):
            if getattr(version, "value", None) == data:
                return version.version_id
        return None

    # what is in the bucket, read from moto's backend (the checks run after every step;
    # through boto3 they would cost more than the steps themselves)
    def _objects(self) -> dict:
        from moto.backends import get_backend

        return get_backend("s3")[ACCOUNT]["global"].buckets[self.config.bucket].keys

    def keys(self, prefix: str) -> list[str]:
        """Keys that hold anything, a noncurrent version or a delete marker included."""
        return sorted(k for k in list(self._objects().keys()) if k.startswith(prefix))

    def body(self, key: str) -> bytes | None:
        """The current version's bytes (None: no object, or a delete marker)."""
        stored = self._objects().get(key)
        return getattr(stored, "value", None) if stored is not None else None

    def held(self, prefix: str) -> set[bytes]:
        """The bytes of every version under `prefix`."""
        objects = self._objects()
        return {v.value for k in self.keys(prefix) for v in objects.getlist(k, []) if hasattr(v, "value")}

    def usage(self) -> dict:
        import json

        from upload_core.flows.quota import live

        stored = self._objects().get(self.store.owners.usage_key(OWNER))
        return live(json.loads(stored.value) if stored is not None else {}, self.store.owners.clock())

    def records(self) -> dict:
        from upload_core.upload import Upload

        objects = self._objects()
        found = {}
        for upload_id in self.honest:
            stored = objects.get(self.store.record_key(upload_id))
            found[upload_id] = Upload.from_bytes(stored.value) if stored is not None else None
        return found

    # checks --------------------------------------------------------------------
    @property
    def counting(self) -> bool:
        from upload_core.flows.quota import kept

        return kept(self.config)

    def check(self, trace: str) -> None:
        """What must hold after every step."""
        from upload_core.upload import Status

        usage = self.usage()
        assert not self.held("files/") & self.refused, f"refused bytes under files/ after {trace}"
        for upload_id, record in self.records().items():
            if record is None or record.deleted:
                continue
            if record.status == Status.ACCEPTED:
                served = self.body(record.served_key)
                assert served is not None, f"{upload_id} is accepted and its object is missing after {trace}"
                assert served in self.honest[upload_id], f"{upload_id} serves other bytes after {trace}"
                if self.config.guardduty:
                    assert served in self.clean.get(upload_id, set()), f"{upload_id} served unscanned after {trace}"
                    assert served not in self.flagged, f"{upload_id} serves what GuardDuty flagged after {trace}"
                assert len(served) == record.size
                assert record.checksum["value"] == base64.b64encode(hashlib.sha256(served).digest()).decode()
                counted = usage["accepted"].get(upload_id, usage["pending"].get(upload_id, {}).get("bytes", -1))
                assert counted >= record.size or not self.counting, f"{upload_id} counted {counted} after {trace}"
            elif record.status == Status.PENDING and self.counting:
                counted = usage["pending"].get(upload_id, {}).get("bytes", -1)
                assert counted >= self.declared[upload_id], f"pending {upload_id} counted {counted} after {trace}"
        used = sum(e["bytes"] for e in usage["pending"].values()) + sum(usage["accepted"].values())
        assert self.config.quota_bytes is None or used <= self.config.quota_bytes, f"usage {used} after {trace}"

    def settled(self, trace: str) -> None:
        """What must hold once every actor is done."""
        from upload_core.upload import Status

        usage = self.usage()
        records = {i: r for i, r in self.records().items() if r is not None}
        assert not [i for i, r in records.items() if r.deleted], f"a tombstone is left after {trace}"
        accepted = {i: r.size for i, r in records.items() if r.status == Status.ACCEPTED}
        pending = {i for i, r in records.items() if r.status == Status.PENDING}
        if self.counting:
            assert usage["accepted"] == accepted, f"{usage} vs accepted {accepted} after {trace}"
            assert set(usage["pending"]) == pending, f"{usage} vs pending {pending} after {trace}"
            for upload_id in pending:
                assert usage["pending"][upload_id]["bytes"] >= self.declared[upload_id]
        else:
            assert usage == {"pending": {}, "accepted": {}, "released": {}}
        served = sorted(r.served_key for r in records.values() if r.status == Status.ACCEPTED)
        kept = sorted(k for r in records.values() if r.status == Status.PENDING for k in _kept_served(r))
        assert sorted(self.keys("files/")) == sorted(served + kept), (
            f"served objects {self.keys('files/')} after {trace}"
        )
        for key in self.keys("files/"):  # content-addressed: a second run's write is the same bytes
            assert {getattr(v, "value", None) for v in self._objects().getlist(key)} == {self.body(key)}, trace
        decided_or_gone = [i for i in self.honest if i not in pending]
        assert not [k for k in self.keys("incoming/") if k.split("/")[1] in decided_or_gone], trace
        self.check(trace)


def _kept_served(record) -> list[str]:
    """The served object a pending record's kept structure verdict names (GuardDuty: written
    before the other verdict came; served only once both are in)."""
    from upload_core.scan.combine import recorded

    kept = recorded(record).structure
    return [kept.served_key] if kept is not None else []


def world(s3, guardduty: bool = False, **settings) -> World:
    from upload_core.config import Config
    from upload_core.s3.store import S3Store

    bucket = f"race-{next(_buckets)}"
    s3.create_bucket(Bucket=bucket)
    if guardduty:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        settings.update(malware_scanner="guardduty", scan_result_timeout_seconds=600)
    config = Config(bucket=bucket, auth_mode="jwt", **settings)
    store = S3Store(config, client_factory=lambda: s3)
    store.owners.clock = lambda: 1_800_000_000.0
    recorder = getattr(s3, "interleave_recorder", None)
    if recorder is None:  # what each step touches, for the scheduler (once per client)
        recorder = s3.interleave_recorder = Recorder()
        recorder.watch(s3)
    return World(s3=s3, config=config, store=store, recorder=recorder)


def presigned(w: World, name: str, data: bytes) -> str:
    from upload_core.flows.presign import PresignRequest, issue

    upload = issue(PresignRequest(filename=name, size=len(data), owner=OWNER), w.store, w.config).upload
    w.s3.put_object(Bucket=w.config.bucket, Key=f"incoming/{upload.id}", Body=data)
    w.honest[upload.id] = {data}
    w.declared[upload.id] = len(data)
    return upload.id


def companion_post(w: World, name: str, data: bytes) -> str:
    from upload_core.flows.presign import issue_unsized_post, new_unsized
    from upload_core.upload import Method

    upload = new_unsized(name, "image/jpeg", Method.POST, w.config, OWNER)
    issue_unsized_post(upload, w.store, w.config)
    w.s3.put_object(Bucket=w.config.bucket, Key=f"incoming/{upload.id}", Body=data)
    w.honest[upload.id] = {data}
    w.declared[upload.id] = 0
    return upload.id


def scenario(w: World, *actors: Actor, replay: tuple[str, ...] = ()) -> Scenario:
    def final() -> None:
        trace = " ".join(made.trace)
        failed = [(a.name, a.error) for a in actors if a.error is not None]
        assert not failed, f"{failed} after {trace}"
        w.settled(trace)
        for upload_id in replay:  # the event again, later (S3 or the failure queue)
            w.validate(upload_id).body(lambda step: None)
        w.settled(trace + " then a replay")

    made = Scenario(actors=list(actors), check=w.check, final=final, recorder=w.recorder)
    return made


def explored(make) -> int:
    result = explore(make)
    assert result.runs > 1  # the actors do race: more than one order was run
    return result.runs


# scenarios -----------------------------------------------------------------------------
PHOTO = 120 * KB


def test_two_runs_of_one_event(s3):
    """S3 delivers at least once and Lambda retries: the same event twice, every interleaving."""
    photo = corpus.jpeg(PHOTO)

    def make():
        w = world(s3, quota_bytes=2 * PHOTO)
        upload_id = presigned(w, "IMG_1.jpg", photo)
        first, second = w.validate(upload_id, "first"), w.validate(upload_id, "second")
        return scenario(w, first, second, w.create(PHOTO + 1), replay=(upload_id,))

    explored(make)


def test_a_run_and_delete(s3):
    photo = corpus.jpeg(PHOTO)

    def make():
        w = world(s3, quota_bytes=2 * PHOTO)
        upload_id = presigned(w, "IMG_1.jpg", photo)
        return scenario(w, w.validate(upload_id), w.delete(upload_id), w.create(PHOTO + 1), replay=(upload_id,))

    explored(make)


def test_a_rejection_and_delete(s3):
    honest, twin = hostile_media.md5_twin_pair(PHOTO)

    def make():
        w = world(s3, quota_bytes=4 * PHOTO)
        upload_id = presigned(w, "IMG_1.jpg", twin)
        w.honest[upload_id], w.refused = set(), {twin}
        return scenario(w, w.validate(upload_id), w.delete(upload_id), replay=(upload_id,))

    explored(make)


def test_the_object_replaced_by_its_md5_twin_while_validated(s3):
    """The attacker's swap (issue 20): an honest photo lands, then its twin with the same
    length and ETag and a script. Whichever run wins, only the honest bytes are served."""
    honest, twin = hostile_media.md5_twin_pair(PHOTO)

    def make():
        w = world(s3, quota_bytes=4 * PHOTO)
        upload_id = presigned(w, "IMG_1.jpg", honest)
        w.refused = {twin}
        first = w.validate(upload_id, "first")
        swap = w.replace_then_validate(upload_id, twin, same_etag=True, name="twin")
        return scenario(w, first, swap, replay=(upload_id,))

    explored(make)


def test_two_runs_and_delete(s3):
    photo = corpus.jpeg(PHOTO)

    def make():
        w = world(s3, quota_bytes=4 * PHOTO)
        upload_id = presigned(w, "IMG_1.jpg", photo)
        return scenario(w, w.validate(upload_id, "first"), w.validate(upload_id, "second"), w.delete(upload_id))

    explored(make)


def test_a_replaced_companion_post_cannot_pass_the_quota(s3):
    """Bypass 1 of issue 20: a Companion POST (no size) lands small and is replaced by a file
    past QUOTA_BYTES while the first is validated. Usage never passes the quota, whatever
    wins, and the upload is counted at exactly what it serves."""
    small, big = corpus.jpeg(60 * KB, seed=11), corpus.jpeg(240 * KB, seed=12)

    def make():
        w = world(s3, quota_bytes=120 * KB)
        upload_id = companion_post(w, "IMG_2.jpg", small)
        w.honest[upload_id] = {small, big}
        first = w.validate(upload_id, "first")
        bigger = w.replace_then_validate(upload_id, big, same_etag=False, name="bigger")
        return scenario(w, first, bigger, w.create(60 * KB + 1), replay=(upload_id,))

    explored(make)


def test_two_companion_posts_race_for_the_last_bytes_of_the_quota(s3):
    """Each fits alone, not both: exactly one is accepted, the other rejected quota_exceeded."""
    a, b = corpus.jpeg(70 * KB, seed=21), corpus.jpeg(80 * KB, seed=22)

    def make():
        w = world(s3, quota_bytes=100 * KB)
        first, second = companion_post(w, "a.jpg", a), companion_post(w, "b.jpg", b)

        def one_accepted() -> None:
            statuses = sorted(str(r.status) for r in w.records().values() if r is not None)
            assert statuses == ["accepted", "rejected"], statuses

        s = scenario(w, w.validate(first, "a"), w.validate(second, "b"), replay=(first, second))
        settled = s.final

        def final() -> None:
            settled()
            one_accepted()

        s.final = final
        return s

    explored(make)


def test_a_companion_multipart_completion_and_delete(s3):
    """The size of a Companion multipart upload is known at completion: charged there (or
    refused), and a DELETE at any point leaves no charge and no bytes."""
    photo = corpus.jpeg(6 * 1024 * KB // 1000 * 1000 + 123)  # two parts: 5 MiB and the rest

    def make():
        from upload_core.flows import presign
        from upload_core.upload import Method

        w = world(s3, quota_bytes=8 * 1024 * 1024)
        upload = presign.start_unsized_multipart(
            presign.new_unsized("scan.jpg", "image/jpeg", Method.MULTIPART, w.config, OWNER), w.store, w.config
        )
        parts = []
        for number, start in enumerate(range(0, len(photo), 5 * 1024 * 1024), start=1):
            answer = s3.upload_part(
                Bucket=w.config.bucket,
                Key=f"incoming/{upload.id}",
                UploadId=upload.multipart_upload_id,
                PartNumber=number,
                Body=photo[start : start + 5 * 1024 * 1024],
            )
            parts.append({"PartNumber": number, "ETag": answer["ETag"]})
        w.honest[upload.id] = {photo}
        w.declared[upload.id] = 0
        return scenario(w, w.complete_then_validate(upload.id, parts), w.delete(upload.id), replay=(upload.id,))

    explored(make)


@pytest.mark.parametrize("quota", [None, 4 * PHOTO])
def test_without_quotas_nothing_is_counted_and_the_bytes_still_follow_the_record(s3, quota):
    photo = corpus.jpeg(PHOTO)

    def make():
        w = world(s3, quota_bytes=quota) if quota else world(s3)
        upload_id = presigned(w, "IMG_1.jpg", photo)
        return scenario(w, w.validate(upload_id), w.delete(upload_id))

    explored(make)


# MALWARE_SCANNER=guardduty ---------------------------------------------------------------
def test_guardduty_result_and_two_runs_of_the_event(s3):
    """The structure verdict (twice: S3 delivers at least once) and GuardDuty's clean result,
    in every order: accepted exactly once, serving the scanned bytes, counted once."""
    photo = corpus.jpeg(PHOTO)

    def make():
        w = world(s3, guardduty=True, quota_bytes=2 * PHOTO)
        upload_id = presigned(w, "IMG_1.jpg", photo)
        actors = (w.validate(upload_id, "first"), w.validate(upload_id, "second"))
        return scenario(w, *actors, w.scan(upload_id, photo, "NO_THREATS_FOUND"), replay=(upload_id,))

    explored(make)


@pytest.mark.parametrize("status", ["NO_THREATS_FOUND", "THREATS_FOUND"])
def test_guardduty_result_validation_and_delete(s3, status):
    """DELETE at any point of either verdict's run: nothing of the upload stays (no version),
    no charge stays; a flagged file is never served. With a clean result, another upload of
    the owner asks for the rest of the quota at every point too (no moment undercounts)."""
    photo = corpus.jpeg(PHOTO)

    def make():
        w = world(s3, guardduty=True, quota_bytes=2 * PHOTO)
        upload_id = presigned(w, "IMG_1.jpg", photo)
        actors = [w.validate(upload_id), w.scan(upload_id, photo, status), w.delete(upload_id)]
        if status == "THREATS_FOUND":
            w.flagged = {photo}
        else:
            actors.append(w.create(PHOTO + 1))
        return scenario(w, *actors, replay=(upload_id,))

    explored(make)


@pytest.mark.parametrize("validated_first", [True, False])
def test_guardduty_result_for_a_replaced_object(s3, validated_first):
    """An honest photo lands and is replaced through the same URL by one GuardDuty flags; the
    honest version's clean result and the other's threat arrive in any order with the
    replacement's validation, and with the honest one's (run before, its structure verdict
    kept, or racing): the flagged bytes are never served, the honest ones only with their
    own clean result (or the upload waits: the replacement got no clean result)."""
    honest, bad = corpus.jpeg(PHOTO, seed=31), corpus.jpeg(PHOTO, seed=32)

    def make():
        w = world(s3, guardduty=True, quota_bytes=4 * PHOTO)
        upload_id = presigned(w, "IMG_1.jpg", honest)
        w.honest[upload_id] = {honest, bad}
        w.flagged = {bad}
        swap = w.replace_then_validate(upload_id, bad, same_etag=False, name="swap")
        clean = w.scan(upload_id, honest, "NO_THREATS_FOUND", name="clean")
        threat = w.scan(upload_id, bad, "THREATS_FOUND", name="threat")
        if validated_first:
            w.validate(upload_id, "first").body(lambda step: None)
            return scenario(w, swap, clean, threat, replay=(upload_id,))
        return scenario(w, w.validate(upload_id, "first"), swap, threat, replay=(upload_id,))

    explored(make)


def test_guardduty_deadline_against_a_late_result(s3):
    """The sweep's run past the deadline races the validator and a late clean result: the
    upload ends accepted (both verdicts in first) or rejected scan_timeout, never both, and
    the ledger and the bucket settle either way."""
    photo = corpus.jpeg(PHOTO)

    def make():
        w = world(s3, guardduty=True, quota_bytes=2 * PHOTO)
        upload_id = presigned(w, "IMG_1.jpg", photo)
        actors = (w.validate(upload_id), w.sweep_past_deadline(upload_id), w.scan(upload_id, photo, "NO_THREATS_FOUND"))
        return scenario(w, *actors, replay=(upload_id,))

    explored(make)
