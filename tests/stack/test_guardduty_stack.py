"""`make dev SCANNER=guardduty` as a user runs it: the stand-in scans every object version that
lands with a real clamd (EICAR-only database) and puts GuardDuty-shaped results on the local
default bus, routed to handler.scan_result; the validator runs on S3's own notifications, and
the stack's sweep (every second here) keeps the deadline of a result that never comes.
Either arrival order is forced with the stack's holds (POST /_local/hold), never with sleeps
that race; a FAILED result is put on the bus by the test, as GuardDuty would put it."""

from __future__ import annotations

import json
import time

import pytest
import requests

from tests.support import documents, samples
from tests.support.clamd import EICAR, REPORTED, eicar_docx

from .conftest import start_stack

TIMEOUT_SECONDS = 8
NOTE = b"Minutes: the budget is approved; the next review is in March 2027..."
assert len(NOTE) == len(EICAR)


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    running = start_stack(
        tmp_path_factory.mktemp("guardduty"),
        "--scanner",
        "guardduty",
        "--sweep-every",
        "1",
        env={"SCAN_RESULT_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS), "ALLOWED_EXTENSIONS": "png,pdf,docx,txt"},
    )
    yield running
    assert running.stop() == 0, running.output()


@pytest.fixture
def gd(stack):
    local = Local(stack)
    yield local
    local.hold(guardduty=False, validator=False)


class Local:
    def __init__(self, stack):
        self.stack = stack
        self.s3 = stack.s3_client()

    def hold(self, **switches: bool) -> None:
        query = "&".join(f"{name}={int(on)}" for name, on in switches.items())
        assert requests.post(f"{self.stack.api}/_local/hold?{query}", timeout=5).status_code == 200

    def create(self, name: str, size: int) -> dict:
        answer = requests.post(f"{self.stack.api}/uploads", json={"filename": name, "size": size}, timeout=10)
        assert answer.status_code == 201, answer.text
        return answer.json()

    def put(self, issued: dict, data: bytes) -> None:
        answer = requests.put(issued["upload"]["url"], data=data, headers=issued["upload"]["headers"], timeout=10)
        assert answer.status_code == 200, answer.text

    def land(self, name: str, data: bytes) -> str:
        issued = self.create(name, len(data))
        self.put(issued, data)
        return issued["id"]

    def status(self, upload_id: str) -> dict:
        return requests.get(f"{self.stack.api}/uploads/{upload_id}", timeout=5).json()

    def recorded(self, upload_id: str) -> dict:
        """The verdicts the record holds so far (what the user cannot see: only that it is pending)."""
        record = self.s3.get_object(Bucket=self.stack.bucket, Key=f"records/{upload_id}.json")["Body"].read()
        return json.loads(record).get("scan") or {}

    def until(self, what, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while True:
            value = what()
            if value or time.monotonic() > deadline:
                return value
            time.sleep(0.1)

    def decided(self, upload_id: str, timeout: float = 30) -> dict:
        return self.until(lambda: (u := self.status(upload_id))["status"] != "pending" and u, timeout)

    def version(self, upload_id: str) -> tuple[str, str]:
        head = self.s3.head_object(Bucket=self.stack.bucket, Key=f"incoming/{upload_id}")
        return head["VersionId"], head["ETag"].strip('"')

    def guardduty_says(self, upload_id: str, status: str, scan_status: str) -> None:
        """A result on the local default bus, as GuardDuty puts it (the stand-in's route)."""
        import boto3

        version, etag = self.version(upload_id)
        events = boto3.client(
            "events", endpoint_url=self.stack.s3, region_name="us-east-1", aws_access_key_id="local",
            aws_secret_access_key="local",
        )  # fmt: skip
        detail = {
            "schemaVersion": "1.0",
            "scanStatus": scan_status,
            "resourceType": "S3_OBJECT",
            "s3ObjectDetails": {"bucketName": self.stack.bucket, "objectKey": f"incoming/{upload_id}",
                                "eTag": etag, "versionId": version, "s3Throttled": False},
            "scanResultDetails": {"scanResultStatus": status, "threats": None},
        }  # fmt: skip
        answer = events.put_events(
            Entries=[{"Source": "aws.guardduty", "DetailType": "GuardDuty Malware Protection Object Scan Result",
                      "Detail": json.dumps(detail)}]
        )  # fmt: skip
        assert answer["FailedEntryCount"] == 0

    def served(self, upload_id: str) -> bytes:
        answer = requests.get(f"{self.stack.api}/uploads/{upload_id}/content", allow_redirects=False, timeout=5)
        assert answer.status_code == 303
        return requests.get(answer.headers["Location"], timeout=10).content


@pytest.mark.parametrize("order", ["structure first", "malware first"])
def test_a_clean_file_is_accepted_only_after_both_verdicts(gd, order):
    first, second = ("validator", "guardduty") if order == "structure first" else ("guardduty", "validator")
    gd.hold(**{second: True})
    _, data, _ = documents.report_docx()
    upload_id = gd.land("report.docx", data)
    kind = "structure" if first == "validator" else "malware"
    assert gd.until(lambda: kind in gd.recorded(upload_id)), gd.stack.output()
    assert gd.status(upload_id)["status"] == "pending"
    assert requests.get(f"{gd.stack.api}/uploads/{upload_id}/content", timeout=5).status_code == 409

    gd.hold(**{second: False})
    assert gd.decided(upload_id)["status"] == "accepted", gd.stack.output()
    assert gd.served(upload_id) == data


@pytest.mark.parametrize("held", ["guardduty", "validator"])
def test_eicar_is_rejected_as_malware_in_either_order(gd, held):
    gd.hold(**{held: True})
    upload_id = gd.land("report.docx", eicar_docx())
    if held == "guardduty":
        assert gd.until(lambda: "structure" in gd.recorded(upload_id))
        gd.hold(guardduty=False)
    upload = gd.decided(upload_id)
    assert upload["status"] == "rejected", gd.stack.output()
    assert (upload["reason"]["code"], upload["reason"]["signature"]) == ("malware", REPORTED)


@pytest.mark.parametrize("order", ["structure first", "malware first"])
def test_a_failed_scan_rejects_and_the_late_clean_result_changes_nothing(gd, order):
    gd.hold(guardduty=True, validator=order == "malware first")
    upload_id = gd.land("photo.png", samples.png())
    if order == "structure first":
        assert gd.until(lambda: "structure" in gd.recorded(upload_id))
    gd.guardduty_says(upload_id, "FAILED", "FAILED")
    upload = gd.decided(upload_id)
    assert (upload["status"], upload["reason"]["found"]) == ("rejected", "scan_failed"), gd.stack.output()
    gd.hold(guardduty=False, validator=False)  # the stand-in's own (clean) result, and the validator, come late
    time.sleep(2)
    assert gd.status(upload_id)["status"] == "rejected"


def test_a_result_that_never_comes_rejects_at_the_deadline(gd):
    gd.hold(guardduty=True)
    upload_id = gd.land("photo.png", samples.png())
    assert gd.until(lambda: "structure" in gd.recorded(upload_id))
    upload = gd.decided(upload_id, timeout=TIMEOUT_SECONDS + 20)
    assert (upload["status"], upload["reason"]["found"]) == ("rejected", "scan_timeout"), gd.stack.output()


@pytest.mark.parametrize("order", ["structure first", "malware first"])
def test_a_result_for_a_replaced_object_changes_nothing(gd, order):
    """An honest note, then the EICAR file through the same URL: the note's clean result never
    lets the replacement through."""
    held = "guardduty" if order == "structure first" else "validator"
    gd.hold(**{held: True})
    issued = gd.create("notes.txt", len(NOTE))
    upload_id = issued["id"]
    gd.put(issued, NOTE)
    kind = "structure" if order == "structure first" else "malware"
    v1 = gd.until(lambda: gd.recorded(upload_id).get(kind, {}).get("version"))
    gd.put(issued, EICAR)
    if order == "structure first":  # the validator records the replacement's structure too
        assert gd.until(lambda: gd.recorded(upload_id).get("structure", {}).get("version") not in (None, v1))
    gd.hold(**{held: False})
    upload = gd.decided(upload_id)
    assert (upload["status"], upload["reason"]["code"]) == ("rejected", "malware"), gd.stack.output()
    assert requests.get(f"{gd.stack.api}/uploads/{upload_id}/content", timeout=5).status_code == 409


def test_an_inline_upload_answers_pending_and_is_decided_by_both(gd):
    answer = requests.post(f"{gd.stack.api}/uploads", files={"file": ("photo.png", samples.png())}, timeout=10)
    assert answer.status_code == 201 and answer.json()["status"] == "pending", answer.text
    assert gd.decided(answer.json()["id"])["status"] == "accepted"


def test_make_dev_clamd_still_scans_with_clamd(tmp_path):
    """`make dev CLAMD=1` (--clamd): clamd in the request, as before."""
    running = start_stack(tmp_path, "--clamd")
    try:
        answer = requests.post(f"{running.api}/uploads", files={"file": ("report.docx", eicar_docx())}, timeout=30)
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["signature"] == REPORTED
        clean = requests.post(f"{running.api}/uploads", files={"file": ("photo.png", samples.png())}, timeout=30)
        assert clean.status_code == 201 and clean.json()["status"] == "accepted"
    finally:
        assert running.stop() == 0, running.output()
