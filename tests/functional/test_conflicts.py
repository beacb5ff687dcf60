"""409 ConditionalRequestConflict wherever the service writes conditionally (issue 19.2): the
decision, the tombstone of a DELETE, the usage object, the index. S3 answers it while another
write to the key is in flight; the write is then retried after fetching the ETag, and a
DELETE racing a decision leaves no bytes under any served prefix (tests/support/conflicts.py
answers for S3, in-process)."""

from __future__ import annotations

import pytest

from tests.support import corpus
from tests.support.conflicts import Conflicts
from tests.support.helpers import BUCKET, caller, keys, load_event, owner_of, served_key

PHOTO = corpus.jpeg(200_000)


@pytest.fixture
def app(env, bucket):
    from upload_core.http import create_app

    env.setenv("AUTH_MODE", "jwt")
    env.setenv("QUOTA_BYTES", str(10 * len(PHOTO)))
    return create_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def conflicts(app, monkeypatch):
    monkeypatch.setattr("upload_core.s3.store.CONFLICT_BACKOFF_SECONDS", 0.0)  # the retries, without the waits
    return Conflicts(app.extensions["upload_store"].client)


def landed(client, s3) -> str:
    answer = client.post("/uploads", json={"filename": "IMG_7.jpg", "size": len(PHOTO)}, environ_base=caller("ann"))
    assert answer.status_code == 201, answer.get_json()
    upload_id = answer.get_json()["id"]
    s3.put_object(Bucket=BUCKET, Key=f"incoming/{upload_id}", Body=PHOTO)
    return upload_id


def validate(app, upload_id: str, pause=None):
    from upload_core.steps import no_pause
    from upload_core.validator import validate_event

    event = load_event("s3_object_created.json", bucket=BUCKET, key=f"incoming/{upload_id}")
    store, config = app.extensions["upload_store"], app.extensions["upload_config"]
    return validate_event(event, store, config, pause=pause or no_pause)


def usage(app) -> dict:
    from upload_core.flows.quota import usage_of

    return usage_of(owner_of("ann"), app.extensions["upload_store"], app.extensions["upload_config"])


def test_a_409_on_the_decision_is_retried_once_the_etag_says_nothing_landed(app, client, s3, conflicts):
    upload_id = landed(client, s3)
    conflicts.next_on(f"records/{upload_id}.json", times=2)
    assert validate(app, upload_id)["accepted"] == 1
    assert conflicts.answered == [f"records/{upload_id}.json"] * 2
    assert client.get(f"/uploads/{upload_id}", environ_base=caller("ann")).get_json()["status"] == "accepted"
    assert keys(s3) == sorted(
        [served_key(upload_id, PHOTO), f"records/{upload_id}.json", *[k for k in keys(s3) if k.startswith("owners/")]]
    )
    assert usage(app)["bytes"] == len(PHOTO)


@pytest.mark.parametrize("also_on_the_tombstone", [False, True])
def test_a_delete_racing_the_decision_with_409s_leaves_no_bytes(app, client, s3, conflicts, also_on_the_tombstone):
    """The validator's decision write meets the DELETE in flight (409); by the time it
    fetches the ETag the tombstone has landed: it has lost, removes its served object, and
    the DELETE removes the rest. Optionally the tombstone itself first meets a 409 too."""
    upload_id = landed(client, s3)
    record = f"records/{upload_id}.json"
    answers = []

    def delete() -> None:
        if also_on_the_tombstone:
            conflicts.next_on(record)
        answers.append(client.delete(f"/uploads/{upload_id}", environ_base=caller("ann")).status_code)

    def at_the_decision(step: str) -> None:
        if step == "write_decision":
            assert served_key(upload_id, PHOTO) in keys(s3)
            conflicts.next_on(record, meanwhile=delete)

    assert validate(app, upload_id, at_the_decision)["skipped"] == 1
    assert answers == [204]
    assert conflicts.answered == [record] * (2 if also_on_the_tombstone else 1)
    assert [k for k in keys(s3) if k.startswith(("files/", "incoming/", "records/"))] == []
    assert client.get(f"/uploads/{upload_id}", environ_base=caller("ann")).status_code == 404
    assert usage(app)["bytes"] == 0 and usage(app)["pending"] == 0


def test_when_409s_do_not_stop_the_decision_fails_and_its_retry_finds_the_upload_deleted(app, client, s3, conflicts):
    """Before 19.2 was fixed a 409 was a storage failure and the retry, finding the record
    gone, left files/ID behind forever. Now the retry removes every served object of an
    upload that is gone."""
    from upload_core.validator import ValidationIncomplete

    upload_id = landed(client, s3)
    conflicts.next_on(f"records/{upload_id}.json", times=50)
    with pytest.raises(ValidationIncomplete):
        validate(app, upload_id)
    assert served_key(upload_id, PHOTO) in keys(s3)  # written; the record still says pending
    assert client.get(f"/uploads/{upload_id}/content", environ_base=caller("ann")).status_code == 409
    conflicts.pending.clear()
    assert client.delete(f"/uploads/{upload_id}", environ_base=caller("ann")).status_code == 204
    assert validate(app, upload_id)["skipped"] == 1  # Lambda's retry of the failed event
    assert [k for k in keys(s3) if k.startswith(("files/", "incoming/", "records/"))] == []


def test_a_409_on_the_usage_object_is_retried(app, client, s3, conflicts):
    store = app.extensions["upload_store"]
    conflicts.next_on(store.owners.usage_key(owner_of("ann")), times=3)
    upload_id = landed(client, s3)
    assert validate(app, upload_id)["accepted"] == 1
    assert len(conflicts.answered) == 3
    assert usage(app) | {"quota_bytes": None} == {
        "pending": 0,
        "bytes": len(PHOTO),
        "pending_bytes": 0,
        "quota_pending": None,
        "quota_bytes": None,
        "quota_pending_bytes": None,
    }


def test_a_409_on_the_index_is_retried_and_the_upload_listed_once(app, client, s3, conflicts):
    store = app.extensions["upload_store"]
    index = store.owners.prefix(owner_of("ann")) + "index/"
    real = store.owners.new_index_name

    def named_then_conflicting(upload_id: str) -> str:
        name = real(upload_id)
        conflicts.next_on(index + name)
        return name

    store.owners.new_index_name = named_then_conflicting
    upload_id = landed(client, s3)
    assert conflicts.answered and conflicts.answered[0].startswith(index)
    listed = client.get("/uploads", environ_base=caller("ann")).get_json()["uploads"]
    assert [u["id"] for u in listed] == [upload_id]
