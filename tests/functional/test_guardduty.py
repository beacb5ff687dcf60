"""MALWARE_SCANNER=guardduty, in-process: the validator's structure verdict (S3 events) and
GuardDuty's malware verdict (its EventBridge result, tests/events/guardduty_scan_result.json)
arrive in either order, and an upload is accepted only when both are in, for the same object
version. moto keeps a versioned bucket, as the template makes it in this mode.

The tests play GuardDuty's part with its event; the local stack (tests/stack/test_guardduty_stack.py)
runs the stand-in that scans with a real clamd. Every interleaving of the actors, step by step:
tests/functional/test_interleavings.py."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone

import pytest

from tests.support import documents, samples
from tests.support.clamd import EICAR, eicar_docx
from tests.support.helpers import BUCKET, caller, load_event, owner_of, served_key

EICAR_THREAT = "EICAR-Test-File (not a virus)"
ORDERS = ["structure first", "malware first"]
SCAN_STATUS = {"NO_THREATS_FOUND": "COMPLETED", "THREATS_FOUND": "COMPLETED", "UNSUPPORTED": "SKIPPED",
               "ACCESS_DENIED": "SKIPPED", "FAILED": "FAILED"}  # fmt: skip
TIMEOUT = 600

# The EICAR test file, and an honest note of the same length (a replacement lands on the
# declared size, or it is size_mismatch before any scan matters).
NOTE = b"Minutes: the budget is approved; the next review is in March 2027..."
assert len(NOTE) == len(EICAR)


@pytest.fixture
def gd(env, s3):
    """The service in guardduty mode on a versioned bucket."""
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    env.setenv("MALWARE_SCANNER", "guardduty")
    env.setenv("SCAN_RESULT_TIMEOUT_SECONDS", str(TIMEOUT))
    env.setenv("ALLOWED_EXTENSIONS", "png,pdf,docx,txt")
    return Service(s3)


def photo(color: tuple[int, int, int]) -> bytes:
    """A 16x16 PNG of one colour: any two are the same length, as a replacement must be."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (16, 16), color).save(out, "PNG")
    return out.getvalue()


class Service:
    def __init__(self, s3):
        from tests.support.helpers import import_handler

        self.s3 = s3
        self.handler = import_handler()
        self.client = self.handler.app.test_client()

    def land(
        self, name: str, data: bytes, upload_id: str | None = None, who: dict | None = None
    ) -> tuple[str, str, str]:
        """A presigned upload, and its bytes landed as a client sends them: (id, VersionId, ETag)."""
        if upload_id is None:
            answer = self.client.post("/uploads", json={"filename": name, "size": len(data)}, environ_base=who or {})
            assert answer.status_code == 201, answer.get_json()
            upload_id = answer.get_json()["id"]
        put = self.s3.put_object(Bucket=BUCKET, Key=f"incoming/{upload_id}", Body=data)
        return upload_id, put.get("VersionId", ""), put["ETag"].strip('"')

    def event(self, upload_id: str) -> dict:
        return load_event("s3_object_created.json", bucket=BUCKET, key=f"incoming/{upload_id}")

    def validate(self, upload_id: str) -> dict:
        return self.handler.validate(self.event(upload_id), None)

    def result(self, upload_id: str, version: str, status: str, etag: str = "", threats=None) -> dict:
        """GuardDuty's scan result for one object version, as it lands on the default bus."""
        return load_event(
            "guardduty_scan_result.json",
            bucket=BUCKET,
            key=f"incoming/{upload_id}",
            version_id=version,
            etag=etag,
            status=status,
            scan_status=SCAN_STATUS[status],
            threats=json.dumps([{"name": t} for t in threats]) if threats else "null",
        )

    def guardduty(self, upload_id: str, version: str, status: str, etag: str = "", threats=None) -> dict:
        return self.handler.scan_result(self.result(upload_id, version, status, etag, threats), None)

    def status(self, upload_id: str) -> dict:
        answer = self.client.get(f"/uploads/{upload_id}")
        return answer.get_json() if answer.status_code == 200 else {"status": answer.status_code}

    def content(self, upload_id: str) -> int:
        return self.client.get(f"/uploads/{upload_id}/content").status_code

    def versions(self, prefix: str = "") -> list[tuple[str, str]]:
        """Every version and delete marker in the bucket: what S3 still holds, hidden or not."""
        listing = self.s3.list_object_versions(Bucket=BUCKET, Prefix=prefix)
        return sorted(
            (v["Key"], v["VersionId"]) for v in [*listing.get("Versions", []), *listing.get("DeleteMarkers", [])]
        )

    def keys_held(self, prefix: str) -> list[str]:
        return sorted({k for k, _ in self.versions(prefix)})

    def served(self, upload_id: str) -> bytes:
        answer = self.client.get(f"/uploads/{upload_id}/content")
        assert answer.status_code == 303
        record = self.handler.store.get_record(upload_id)
        return self.s3.get_object(Bucket=BUCKET, Key=record.served_key)["Body"].read()


def in_order(order: str, structure, malware) -> None:
    """Deliver both verdicts in `order`."""
    if order == "structure first":
        structure(), malware()
    else:
        malware(), structure()


@pytest.mark.parametrize("order", ORDERS)
def test_a_clean_file_is_accepted_only_after_both_verdicts(gd, order):
    _, data, _ = documents.report_docx()
    upload_id, version, etag = gd.land("report.docx", data)

    if order == "structure first":
        assert gd.validate(upload_id)["waiting"] == 1
    else:
        assert gd.guardduty(upload_id, version, "NO_THREATS_FOUND", etag)["waiting"] == 1
    assert gd.status(upload_id)["status"] == "pending"
    assert gd.content(upload_id) == 409

    if order == "structure first":
        assert gd.guardduty(upload_id, version, "NO_THREATS_FOUND", etag)["accepted"] == 1
    else:
        assert gd.validate(upload_id)["accepted"] == 1
    upload = gd.status(upload_id)
    assert upload["status"] == "accepted"
    assert upload["content_type"] == documents.DOCX
    assert gd.served(upload_id) == data
    # Nothing of incoming/ is left, not even an old version or a delete marker; one served object.
    assert gd.versions(f"incoming/{upload_id}") == []
    assert gd.keys_held(f"files/{upload_id}") == [served_key(upload_id, data)]


@pytest.mark.parametrize("order", ORDERS)
def test_eicar_in_a_valid_document_is_rejected_as_malware(gd, order):
    upload_id, version, etag = gd.land("report.docx", eicar_docx())
    in_order(
        order,
        lambda: gd.validate(upload_id),
        lambda: gd.guardduty(upload_id, version, "THREATS_FOUND", etag, threats=[EICAR_THREAT]),
    )
    upload = gd.status(upload_id)
    assert upload["status"] == "rejected"
    assert upload["reason"]["code"] == "malware"
    assert upload["reason"]["signature"] == EICAR_THREAT
    assert gd.content(upload_id) == 409
    # The served object the structure verdict wrote (structure first) is gone with every version.
    assert gd.keys_held("") == [f"records/{upload_id}.json"]


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize(
    "status, found",
    [("FAILED", "scan_failed"), ("UNSUPPORTED", "scan_unsupported"), ("ACCESS_DENIED", "scan_access_denied")],
)
def test_a_scan_that_did_not_complete_rejects_with_a_reason_that_says_so(gd, order, status, found):
    upload_id, version, etag = gd.land("photo.png", samples.png())
    in_order(order, lambda: gd.validate(upload_id), lambda: gd.guardduty(upload_id, version, status, etag))
    upload = gd.status(upload_id)
    assert upload["status"] == "rejected"
    assert (upload["reason"]["code"], upload["reason"]["found"]) == ("unsafe_content", found)
    assert status in upload["reason"]["message"]
    assert gd.keys_held("") == [f"records/{upload_id}.json"]


def test_a_result_that_never_comes_rejects_at_the_deadline_never_before(gd):
    from upload_core.sweep import sweep
    from upload_core.validator import validate_event

    upload_id, _, _ = gd.land("photo.png", samples.png())
    given = datetime.now(timezone.utc)
    assert gd.validate(upload_id)["waiting"] == 1
    store, config, events = gd.handler.store, gd.handler.config, gd.handler.events

    # The scheduled sweep as EventBridge invokes it, and the validator's run a second before
    # the deadline (a repeated event, or the sweep's later run): nothing changes.
    gd.handler.sweep({"source": "aws.events"}, None)
    early = (given + timedelta(seconds=TIMEOUT - 1)).timestamp()
    assert validate_event(gd.event(upload_id), store, config, events, now=early)["waiting"] == 1
    assert gd.status(upload_id)["status"] == "pending"

    summary = sweep(store, config, events, now=given + timedelta(seconds=TIMEOUT + 1))
    assert (summary["found"], summary["rejected"]) == (1, 1)
    upload = gd.status(upload_id)
    assert (upload["status"], upload["reason"]["found"]) == ("rejected", "scan_timeout")
    assert gd.keys_held("") == [f"records/{upload_id}.json"]


def test_a_waiting_upload_is_not_downloaded_again(gd):
    """The verdict kept for the object's current version is the structure verdict of those
    bytes: a repeated event (or the sweep's run) reads the record and a HEAD, not the object."""
    upload_id, _, _ = gd.land("report.docx", documents.report_docx()[1])
    assert gd.validate(upload_id)["waiting"] == 1
    store = gd.handler.store
    read = store.bytes_read
    assert gd.validate(upload_id)["waiting"] == 1
    assert store.bytes_read == read
    assert gd.status(upload_id)["status"] == "pending"


def test_a_clean_result_whose_s3_event_was_lost_is_decided_by_the_sweep(gd):
    from upload_core.sweep import sweep

    upload_id, version, etag = gd.land("photo.png", samples.png())
    assert gd.guardduty(upload_id, version, "NO_THREATS_FOUND", etag)["waiting"] == 1
    later = datetime.now(timezone.utc) + timedelta(days=1)
    summary = sweep(gd.handler.store, gd.handler.config, gd.handler.events, now=later)
    assert summary["accepted"] == 1
    assert gd.served(upload_id) == samples.png()


@pytest.mark.parametrize("order", ORDERS)
def test_a_result_for_a_replaced_object_changes_nothing(gd, order):
    """v1 (an honest note) is replaced by v2 (the EICAR file) through the same URL: v1's clean
    result, early or late, never lets v2 through; v2's own result decides."""
    upload_id, v1, etag1 = gd.land("notes.txt", NOTE)
    if order == "malware first":
        assert gd.guardduty(upload_id, v1, "NO_THREATS_FOUND", etag1)["waiting"] == 1
    else:
        assert gd.validate(upload_id)["waiting"] == 1  # v1's structure verdict
    _, v2, etag2 = gd.land("notes.txt", EICAR, upload_id)
    if order == "structure first":
        assert gd.validate(upload_id)["waiting"] == 1  # it reads what is there now: v2
    # v1's result is for bytes that are no longer the object.
    assert gd.guardduty(upload_id, v1, "NO_THREATS_FOUND", etag1)["skipped"] == 1
    if order == "malware first":
        assert gd.validate(upload_id)["waiting"] == 1
    assert gd.status(upload_id)["status"] == "pending"

    assert gd.guardduty(upload_id, v2, "THREATS_FOUND", etag2, threats=[EICAR_THREAT])["rejected"] == 1
    assert gd.status(upload_id)["reason"]["code"] == "malware"
    assert gd.content(upload_id) == 409
    assert gd.keys_held("") == [f"records/{upload_id}.json"]  # v1's served object too


@pytest.mark.parametrize("order", ORDERS)
def test_an_md5_twins_clean_result_does_not_pass_to_its_replacement(gd, order):
    """Two files with one MD5 have one ETag; GuardDuty's result for the first names that ETag
    and the first's VersionId. Delivered after the second replaced it, it changes nothing: only
    versions pin bytes. (The result below is exactly what GuardDuty sends for a twin.)"""
    upload_id, v1, _ = gd.land("photo.png", photo((200, 30, 30)))
    _, v2, etag2 = gd.land("photo.png", photo((30, 200, 30)), upload_id)
    in_order(
        order,
        lambda: gd.validate(upload_id),
        lambda: gd.guardduty(upload_id, v1, "NO_THREATS_FOUND", etag=etag2),
    )
    assert gd.status(upload_id)["status"] == "pending"
    assert gd.guardduty(upload_id, v2, "NO_THREATS_FOUND", etag2)["accepted"] == 1
    assert gd.served(upload_id) == photo((30, 200, 30))


@pytest.mark.parametrize("order", ORDERS)
def test_a_structure_refusal_rejects_whatever_guardduty_says(gd, order):
    upload_id, version, etag = gd.land("photo.png", samples.SCRIPT)
    in_order(order, lambda: gd.validate(upload_id), lambda: gd.guardduty(upload_id, version, "NO_THREATS_FOUND", etag))
    upload = gd.status(upload_id)
    assert (upload["status"], upload["reason"]["code"]) == ("rejected", "content_type_not_allowed")
    assert gd.content(upload_id) == 409
    assert gd.keys_held("") == [f"records/{upload_id}.json"]


def test_results_for_decided_or_deleted_uploads_change_nothing(gd, monkeypatch):
    published = []
    monkeypatch.setattr(gd.handler.events, "publish", lambda upload, key=None: published.append(upload.status))
    decided, version, etag = gd.land("photo.png", samples.png())
    gd.validate(decided)
    assert gd.guardduty(decided, version, "NO_THREATS_FOUND", etag)["accepted"] == 1
    # At least once: the same result again, and a contrary one, change nothing, publish nothing.
    assert gd.guardduty(decided, version, "NO_THREATS_FOUND", etag)["skipped"] == 1
    assert gd.guardduty(decided, version, "THREATS_FOUND", etag, threats=["Late.Threat"])["skipped"] == 1
    assert gd.status(decided)["status"] == "accepted"
    assert published == ["accepted"]

    deleted, version, etag = gd.land("photo.png", samples.png())
    assert gd.validate(deleted)["waiting"] == 1
    assert gd.client.delete(f"/uploads/{deleted}").status_code == 204
    assert gd.guardduty(deleted, version, "NO_THREATS_FOUND", etag)["skipped"] == 1
    assert gd.status(deleted)["status"] == 404
    assert [k for k in gd.keys_held("") if deleted in k] == []


def test_delete_removes_every_version_of_an_accepted_upload(gd):
    upload_id, version, etag = gd.land("photo.png", samples.png())
    gd.validate(upload_id)
    gd.guardduty(upload_id, version, "NO_THREATS_FOUND", etag)
    assert gd.client.delete(f"/uploads/{upload_id}").status_code == 204
    assert [k for k in gd.keys_held("") if upload_id in k] == []


@pytest.mark.parametrize("order", ORDERS)
def test_an_inline_upload_waits_in_incoming_for_guardduty_and_is_decided_as_any(gd, order):
    """GuardDuty scans objects, not requests: an inline upload answers 201 pending, and its
    bytes are decided by both verdicts like a presigned upload's."""
    _, data, _ = documents.report_docx()
    answer = gd.client.post("/uploads", data={"file": [(io.BytesIO(data), "report.docx")]})
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["status"] == "pending"
    upload_id = answer.get_json()["id"]
    assert gd.content(upload_id) == 409
    head = gd.s3.head_object(Bucket=BUCKET, Key=f"incoming/{upload_id}")
    in_order(
        order,
        lambda: gd.validate(upload_id),
        lambda: gd.guardduty(upload_id, head["VersionId"], "NO_THREATS_FOUND", head["ETag"].strip('"')),
    )
    assert gd.status(upload_id)["status"] == "accepted"
    assert gd.served(upload_id) == data


def test_an_inline_upload_refused_by_its_structure_is_refused_at_once(gd):
    answer = gd.client.post("/uploads", data={"file": [(io.BytesIO(samples.SCRIPT), "photo.png")]})
    assert answer.status_code == 415
    assert gd.versions() == []


def test_a_bucket_without_versioning_fails_the_event_and_never_accepts(env, s3):
    """Nothing would pin the bytes GuardDuty scanned: the validator fails (Lambda retries, then
    the failure queue and its alarm) and the upload stays pending."""
    from upload_core.validator import ValidationIncomplete

    s3.create_bucket(Bucket=BUCKET)
    env.setenv("MALWARE_SCANNER", "guardduty")
    service = Service(s3)
    upload_id, _, _ = service.land("photo.png", samples.png())
    with pytest.raises(ValidationIncomplete):
        service.validate(upload_id)
    assert service.status(upload_id)["status"] == "pending"
    assert service.s3.list_objects_v2(Bucket=BUCKET, Prefix="files/").get("KeyCount") == 0


@pytest.mark.parametrize("order", ORDERS)
def test_verdicts_arriving_at_the_same_moment_are_decided_not_both_left_waiting(gd, order):
    """The second verdict lands between the first one's read of the record and its write: the
    first write is refused (If-Match), and its next attempt pairs with the other and decides."""
    from upload_core.decision import Step, decide
    from upload_core.scan.guardduty import ScanResult

    upload_id, version, etag = gd.land("photo.png", samples.png())
    store, config, events = gd.handler.store, gd.handler.config, gd.handler.events
    other: list[dict] = []

    def pause(step: str) -> None:
        if step == Step.KEEP_VERDICT and not other:  # once: the other verdict goes straight through
            other.append(gd.guardduty(upload_id, version, "NO_THREATS_FOUND", etag) if order == "structure first"
                         else gd.validate(upload_id))  # fmt: skip

    if order == "structure first":
        first = decide(upload_id, store, config, events, pause)
    else:  # the result as handler.scan_result reads it
        verdict = ScanResult.from_event(gd.result(upload_id, version, "NO_THREATS_FOUND", etag)).verdict
        first = decide(upload_id, store, config, events, pause, scan_result=verdict)
    assert other[0]["waiting"] == 1  # the other one came, found nothing to pair, and was kept
    assert first == "accepted"  # this one's write lost the race, and its next attempt decided
    assert gd.status(upload_id)["status"] == "accepted"
    assert gd.served(upload_id) == samples.png()


def test_the_quota_counts_a_waiting_upload_and_releases_it_when_guardduty_rejects(gd, env):
    """AUTH_MODE=jwt with a quota: the structure run charges the served size, the upload stays
    counted while it waits, and the decision by GuardDuty's result closes the entry."""
    from upload_core.flows.quota import usage_of

    env.setenv("AUTH_MODE", "jwt")
    env.setenv("QUOTA_BYTES", "100000")
    gd = Service(gd.s3)
    data = documents.report_docx()[1]
    upload_id, version, etag = gd.land("report.docx", data, who=caller("alice"))
    assert gd.validate(upload_id)["waiting"] == 1
    assert usage_of(owner_of("alice"), gd.handler.store, gd.handler.config)["bytes"] == len(data)
    assert gd.guardduty(upload_id, version, "THREATS_FOUND", etag, threats=["Bad.Thing"])["rejected"] == 1
    assert usage_of(owner_of("alice"), gd.handler.store, gd.handler.config)["bytes"] == 0


def test_a_scan_result_reaching_a_service_without_guardduty_is_skipped(env, s3):
    s3.create_bucket(Bucket=BUCKET)
    service = Service(s3)
    upload_id, _, _ = service.land("photo.png", samples.png())
    event = service.result(upload_id, "v1", "THREATS_FOUND", threats=["X"])
    assert service.handler.scan_result(event, None)["skipped"] == 1
    assert service.status(upload_id)["status"] == "pending"
