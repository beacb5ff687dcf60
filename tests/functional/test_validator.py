"""handler.validate on real-shaped S3 events (tests/events), S3 in-process."""

import pytest

from tests.support import corpus, samples
from tests.support.helpers import BUCKET, keys, load_event, served_key


@pytest.fixture
def client(handler):
    return handler.app.test_client()


@pytest.fixture
def landed(client, s3):
    """Ask for a presigned upload of `name` declaring `size`, then land `data` as a client would."""

    def land(name: str, data: bytes, size: int | None = None) -> str:
        body = client.post("/uploads", json={"filename": name, "size": len(data) if size is None else size})
        assert body.status_code == 201, body.get_json()
        upload_id = body.get_json()["id"]
        s3.put_object(Bucket=BUCKET, Key=f"incoming/{upload_id}", Body=data)
        return upload_id

    return land


def created(key: str, file="s3_object_created.json") -> dict:
    return load_event(file, bucket=BUCKET, key=key)


def status(client, upload_id):
    return client.get(f"/uploads/{upload_id}").get_json()


def at(step, action):
    """A pause hook (upload_core/steps.py) that runs `action` the first time the decision
    reaches `step`, then lets it go on."""
    done = []

    def pause(reached):
        if reached == step and not done:
            done.append(reached)
            action()

    return pause


def validate_pausing(handler, key, pause):
    from upload_core.validator import validate_event

    return validate_event(created(key), handler.store, handler.config, handler.events, pause=pause)


def test_an_accepted_object_becomes_downloadable(handler, client, landed, s3):
    upload_id = landed("photo.png", samples.png())
    summary = handler.validate(created(f"incoming/{upload_id}"), None)
    assert summary == {"processed": 1, "accepted": 1, "rejected": 0, "skipped": 0}
    upload = status(client, upload_id)
    assert upload["status"] == "accepted"
    assert upload["content_type"] == "image/png"
    assert keys(s3) == [served_key(upload_id, samples.png()), f"records/{upload_id}.json"]
    assert s3.get_object(Bucket=BUCKET, Key=served_key(upload_id, samples.png()))["Body"].read() == samples.png()
    assert client.get(f"/uploads/{upload_id}/content").status_code == 303


def test_url_encoded_keys_are_decoded(handler, client, landed):
    upload_id = landed("paper.pdf", samples.pdf())
    assert handler.validate(created(f"incoming%2F{upload_id}"), None)["accepted"] == 1
    assert status(client, upload_id)["status"] == "accepted"


@pytest.mark.parametrize(
    "name, make, code",
    [
        ("photo.png", lambda: samples.SCRIPT, "content_type_not_allowed"),
        ("photo.png", samples.pdf, "content_mismatch"),
        ("report.docx", samples.plain_zip, "content_mismatch"),
        ("report.docx", samples.docx_with_macros, "unsafe_content"),
        ("paper.pdf", samples.pdf_with_javascript, "unsafe_content"),
    ],
)
def test_a_rejected_object_is_never_downloadable(handler, client, landed, s3, name, make, code):
    upload_id = landed(name, make())
    summary = handler.validate(created(f"incoming/{upload_id}"), None)
    assert summary["rejected"] == 1
    upload = status(client, upload_id)
    assert upload["status"] == "rejected"
    assert upload["reason"]["code"] == code
    assert upload["reason"]["message"]
    assert keys(s3) == [f"records/{upload_id}.json"]
    response = client.get(f"/uploads/{upload_id}/content")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "rejected"


def test_a_bigger_file_than_declared_is_rejected(handler, client, landed):
    """What S3 would refuse on AWS (the signed Content-Length) moto lets through: caught here."""
    upload_id = landed("photo.png", samples.png() + b"\0" * 100, size=len(samples.png()))
    handler.validate(created(f"incoming/{upload_id}"), None)
    assert status(client, upload_id)["reason"]["code"] == "size_mismatch"


def test_the_validator_reads_every_byte_once(handler, client, landed):
    """Every byte is inspected: the handler's own store downloads the object exactly once."""
    data = samples.docx()
    upload_id = landed("report.docx", data)
    handler.validate(created(f"incoming/{upload_id}"), None)
    assert status(client, upload_id)["status"] == "accepted"
    assert handler.store.bytes_read == len(data)


def test_repeated_and_late_events_change_nothing(handler, client, landed, s3):
    upload_id = landed("photo.png", samples.png())
    event = load_event("s3_multipart_twice.json", bucket=BUCKET, key=f"incoming/{upload_id}")
    assert handler.validate(event, None) == {"processed": 2, "accepted": 1, "rejected": 0, "skipped": 1}
    before = status(client, upload_id)
    assert handler.validate(created(f"incoming/{upload_id}"), None)["skipped"] == 1
    assert status(client, upload_id) == before
    assert keys(s3) == [served_key(upload_id, samples.png()), f"records/{upload_id}.json"]


def test_bytes_sent_again_after_a_decision_are_dropped_unserved(handler, client, landed, s3):
    upload_id = landed("photo.png", samples.png())
    handler.validate(created(f"incoming/{upload_id}"), None)
    s3.put_object(Bucket=BUCKET, Key=f"incoming/{upload_id}", Body=samples.SCRIPT)
    assert handler.validate(created(f"incoming/{upload_id}"), None)["skipped"] == 1
    assert keys(s3) == [served_key(upload_id, samples.png()), f"records/{upload_id}.json"]


def test_a_missing_object_is_skipped(handler, client):
    upload_id = client.post("/uploads", json={"filename": "a.png", "size": 10}).get_json()["id"]
    assert handler.validate(created(f"incoming/{upload_id}"), None) == {
        "processed": 1,
        "accepted": 0,
        "rejected": 0,
        "skipped": 1,
    }
    assert status(client, upload_id)["status"] == "pending"


def test_keys_that_are_not_issued_uploads_are_skipped_and_dropped(handler, s3):
    s3.put_object(Bucket=BUCKET, Key="incoming/AAAAAAAAAAAAAAAAAAAAAA", Body=samples.png())
    event = created("incoming/AAAAAAAAAAAAAAAAAAAAAA")
    event["Records"] += created("incoming/my+holiday+photo.png")["Records"]
    event["Records"] += created("files%2Fsomething")["Records"]
    assert handler.validate(event, None) == {"processed": 3, "accepted": 0, "rejected": 0, "skipped": 3}
    assert keys(s3) == []


def test_s3_test_events_and_malformed_records_are_harmless(handler, landed, client):
    assert handler.validate(load_event("s3_test_event.json"), None)["processed"] == 0
    upload_id = landed("a.png", samples.png())
    event = created(f"incoming/{upload_id}")
    event["Records"].insert(0, {"eventName": "ObjectCreated:Put", "s3": {}})
    assert handler.validate(event, None) == {"processed": 2, "accepted": 1, "rejected": 0, "skipped": 1}


def test_one_failing_record_does_not_lose_the_others(handler, client, landed, monkeypatch):
    from upload_core.errors import StorageUnavailable
    from upload_core.validator import ValidationIncomplete

    good, flaky, bad = landed("a.png", samples.png()), landed("b.png", samples.png()), landed("c.png", samples.SCRIPT)
    event = created(f"incoming/{good}")
    event["Records"] += created(f"incoming/{flaky}")["Records"] + created(f"incoming/{bad}")["Records"]
    store = handler.store
    real = store.download_incoming

    def sometimes_down(upload_id, into):
        if upload_id == flaky:
            raise StorageUnavailable()
        return real(upload_id, into)

    monkeypatch.setattr(store, "download_incoming", sometimes_down)
    with pytest.raises(ValidationIncomplete):  # so that Lambda retries the event
        handler.validate(event, None)
    assert [status(client, i)["status"] for i in (good, flaky, bad)] == ["accepted", "pending", "rejected"]

    monkeypatch.setattr(store, "download_incoming", real)
    assert handler.validate(event, None) == {"processed": 3, "accepted": 1, "rejected": 0, "skipped": 2}
    assert [status(client, i)["status"] for i in (good, flaky, bad)] == ["accepted", "accepted", "rejected"]


def test_a_crash_after_the_served_bytes_are_written_is_completed_by_the_retry(handler, client, landed, s3, monkeypatch):
    from upload_core.errors import StorageUnavailable
    from upload_core.validator import ValidationIncomplete

    upload_id = landed("a.png", samples.png())
    store = handler.store
    real = store.put_record
    monkeypatch.setattr(store, "put_record", lambda upload, **_: (_ for _ in ()).throw(StorageUnavailable()))
    with pytest.raises(ValidationIncomplete):
        handler.validate(created(f"incoming/{upload_id}"), None)
    # The served object exists, but the record says pending: nothing is served.
    assert served_key(upload_id, samples.png()) in keys(s3)
    assert client.get(f"/uploads/{upload_id}/content").status_code == 409
    monkeypatch.setattr(store, "put_record", real)
    assert handler.validate(created(f"incoming/{upload_id}"), None)["accepted"] == 1
    assert client.get(f"/uploads/{upload_id}/content").status_code == 303
    assert keys(s3) == [served_key(upload_id, samples.png()), f"records/{upload_id}.json"]


def test_an_object_replaced_while_validated_is_not_what_gets_served(handler, client, landed, s3):
    """Bytes sent again to the URL after the validator read the object (here while it
    inspects) never reach the served object: it is written from what was inspected. The
    replacement's own event then finds the upload decided and drops it."""
    upload_id = landed("a.png", samples.png())

    def replace():
        s3.put_object(Bucket=BUCKET, Key=f"incoming/{upload_id}", Body=samples.png() + b"<script>")

    assert validate_pausing(handler, f"incoming/{upload_id}", at("verdicts", replace))["accepted"] == 1
    assert handler.validate(created(f"incoming/{upload_id}"), None)["skipped"] == 1  # the replacement's event
    assert keys(s3) == [served_key(upload_id, samples.png()), f"records/{upload_id}.json"]
    assert status(client, upload_id)["checksum"]["value"] == _sha256_b64(samples.png())


def _sha256_b64(data: bytes) -> str:
    import base64
    import hashlib

    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def test_records_carry_their_status_for_the_lifecycle_rules(handler, client, landed, s3):
    def tag(upload_id):
        tags = s3.get_object_tagging(Bucket=BUCKET, Key=f"records/{upload_id}.json")["TagSet"]
        return {t["Key"]: t["Value"] for t in tags}

    good, bad = landed("a.png", samples.png()), landed("b.png", samples.SCRIPT)
    assert tag(good) == tag(bad) == {"status": "pending"}
    for upload_id in (good, bad):
        handler.validate(created(f"incoming/{upload_id}"), None)
    assert tag(good) == {"status": "accepted"}
    assert tag(bad) == {"status": "rejected"}
    assert s3.get_object_tagging(Bucket=BUCKET, Key=served_key(good, samples.png()))["TagSet"] == []


def test_a_delete_between_the_served_write_and_the_record_write_stays_deleted(handler, client, landed, s3):
    """DELETE /uploads/ID lands after the validator wrote the served object and before it
    records `accepted`: after the 204 nothing is served, nothing is left, and it is 404."""
    photo = corpus.jpeg(800 * corpus.KB)
    upload_id = landed("IMG_2041.jpg", photo)
    answers = []

    def delete():
        assert served_key(upload_id, photo) in keys(s3)  # the served object is written
        answers.append(client.delete(f"/uploads/{upload_id}").status_code)

    summary = validate_pausing(handler, f"incoming/{upload_id}", at("write_decision", delete))
    assert answers == [204]
    assert summary["accepted"] == 0 and summary["skipped"] == 1
    assert keys(s3) == []
    assert client.get(f"/uploads/{upload_id}").status_code == 404
    assert client.get(f"/uploads/{upload_id}/content").status_code == 404
    # A repeated event for it changes nothing either.
    assert handler.validate(created(f"incoming/{upload_id}"), None)["skipped"] == 1
    assert keys(s3) == []


def test_a_delete_while_a_rejection_is_decided_stays_deleted(handler, client, landed, s3):
    upload_id = landed("cute.png", samples.SCRIPT)

    def delete():
        assert client.delete(f"/uploads/{upload_id}").status_code == 204

    assert validate_pausing(handler, f"incoming/{upload_id}", at("verdicts", delete))["skipped"] == 1
    assert keys(s3) == []
    assert client.get(f"/uploads/{upload_id}").status_code == 404


def test_a_repeated_event_validated_twice_at_once_keeps_the_served_object(handler, client, landed, s3):
    """Two runs of the same event: the second to write finds the record already accepted,
    with the very object it wrote itself (same bytes, same key), and must not remove it."""
    photo = corpus.png(319 * corpus.KB)
    upload_id = landed("scan.png", photo)
    inner = []

    def run_again():
        inner.append(handler.validate(created(f"incoming/{upload_id}"), None))

    outer = validate_pausing(handler, f"incoming/{upload_id}", at("write_decision", run_again))
    assert inner[0]["accepted"] == 1 and outer["skipped"] == 1
    assert status(client, upload_id)["status"] == "accepted"
    assert keys(s3) == [served_key(upload_id, photo), f"records/{upload_id}.json"]
    assert s3.get_object(Bucket=BUCKET, Key=served_key(upload_id, photo))["Body"].read() == photo
