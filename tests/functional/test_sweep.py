"""handler.sweep: uploads whose object landed but whose S3 event never reached the
validator are decided by the scheduled sweep, with the validator's own rules; S3 in-process,
as strict as S3 (devstack/strict_s3.py)."""

from datetime import datetime, timedelta, timezone

import pytest

from tests.support import corpus, samples
from tests.support.helpers import BUCKET, keys, served_bytes


@pytest.fixture
def handler(strict_s3, bucket):
    from tests.support.helpers import import_handler

    return import_handler()


@pytest.fixture
def client(handler):
    return handler.app.test_client()


@pytest.fixture
def lost(client, s3):
    """A presigned upload whose bytes landed under incoming/ and whose event was lost."""

    def land(name: str, data: bytes) -> str:
        created = client.post("/uploads", json={"filename": name, "size": len(data)})
        assert created.status_code == 201, created.get_json()
        upload_id = created.get_json()["id"]
        s3.put_object(Bucket=BUCKET, Key=f"incoming/{upload_id}", Body=data)
        return upload_id

    return land


def later(minutes: float) -> datetime:
    return datetime.now(timezone.utc) + timedelta(minutes=minutes)


def status(client, upload_id: str) -> dict:
    return client.get(f"/uploads/{upload_id}").get_json()


def test_a_lost_event_is_made_good_by_the_sweep(handler, client, lost, s3):
    from upload_core.sweep import sweep

    photo, hostile = lost("photo.jpg", corpus.jpeg(300_000)), lost("photo.png", samples.png_with_script())
    summary = sweep(handler.store, handler.config, now=later(16))
    assert summary == {"found": 2, "accepted": 1, "rejected": 1, "skipped": 0, "failed": 0, "deferred": 0}
    assert status(client, photo)["status"] == "accepted"
    assert client.get(f"/uploads/{photo}/content").status_code == 303
    assert status(client, hostile)["reason"]["code"] in ("unsafe_content", "content_type_not_allowed")
    assert not [k for k in keys(s3) if k.startswith("incoming/")]
    # A second run finds nothing left to do.
    assert sweep(handler.store, handler.config, now=later(32))["found"] == 0


def test_objects_younger_than_the_grace_period_are_left_to_their_event(handler, client, lost, s3):
    from upload_core.sweep import sweep

    upload_id = lost("photo.png", samples.png())
    assert sweep(handler.store, handler.config, now=later(14))["found"] == 0  # SWEEP_AFTER_SECONDS: 15 min
    assert status(client, upload_id)["status"] == "pending"
    assert f"incoming/{upload_id}" in keys(s3)


def test_bytes_left_behind_by_a_decided_upload_are_removed_and_the_decision_stands(handler, client, lost, s3):
    from upload_core.sweep import sweep

    upload_id = lost("photo.png", samples.png())
    assert sweep(handler.store, handler.config, now=later(16))["accepted"] == 1
    s3.put_object(Bucket=BUCKET, Key=f"incoming/{upload_id}", Body=samples.png_with_script())  # sent again
    assert sweep(handler.store, handler.config, now=later(32))["skipped"] == 1
    assert status(client, upload_id)["status"] == "accepted"
    assert served_bytes(s3, upload_id) == samples.png()
    assert f"incoming/{upload_id}" not in keys(s3)


def test_what_does_not_fit_the_invocations_time_waits_for_the_next_run(handler, client, lost):
    from upload_core.sweep import sweep

    upload_id = lost("photo.png", samples.png())
    summary = sweep(handler.store, handler.config, remaining_seconds=lambda: 1.0, now=later(16))
    assert (summary["found"], summary["deferred"]) == (1, 1)
    assert status(client, upload_id)["status"] == "pending"


class ScheduledContext:
    """What the Lambda service passes: 900 s to run, 600 of them left."""

    aws_request_id = "sweep-request"

    def get_remaining_time_in_millis(self) -> int:
        return 600_000


def test_handler_sweep_is_the_scheduled_entry(handler, client, lost, monkeypatch):
    upload_id = lost("paper.pdf", samples.pdf())
    monkeypatch.setattr("upload_core.sweep.datetime", type("Later", (), {"now": staticmethod(lambda tz: later(16))}))
    scheduled = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
    summary = handler.sweep(scheduled, ScheduledContext())
    assert (summary["found"], summary["accepted"]) == (1, 1)
    assert status(client, upload_id)["status"] == "accepted"
