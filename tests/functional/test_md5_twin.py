"""Issue 20's swap, on both S3 flavours (moto in-process, and moto's server over HTTP with
the client's presigned URLs): an honest JPEG lands; while the validator inspects it, the
same URL receives its MD5 twin (same length, same ETag, with a script). The old promotion
copied incoming/ID pinned by that ETag (moto ignores the condition anyway), so it served the
twin. Now the served object is written from what was inspected: the honest bytes are served,
and the twin's own event finds the upload decided and drops it."""

from __future__ import annotations

import pytest
import requests

from tests.support import hostile_media
from tests.support.helpers import keys, load_event, served_key

ACCOUNT = "123456789012"


def give_etag(bucket: str, key: str, etag: str) -> None:
    """What S3 itself would compute for a real MD5 twin: the first object's ETag."""
    from moto.backends import get_backend

    get_backend("s3")[ACCOUNT]["global"].buckets[bucket].keys[key]._etag = etag.strip('"')


@pytest.fixture(params=["in-process", "server"])
def flavour(request):
    """(handler, s3 client, send): `send` puts bytes to the presigned upload as a client does."""
    if request.param == "in-process":
        handler, s3 = request.getfixturevalue("handler"), request.getfixturevalue("s3")

        def send(upload: dict, data: bytes) -> None:
            key = f"incoming/{upload['id']}"
            s3.put_object(Bucket=handler.config.bucket, Key=key, Body=data, ContentType="image/jpeg")

    else:
        handler, s3 = request.getfixturevalue("live_handler"), request.getfixturevalue("live")

        def send(upload: dict, data: bytes) -> None:
            signed = upload["upload"]
            answer = requests.put(signed["url"], data=data, headers=signed["headers"], timeout=30)
            assert answer.status_code == 200, answer.text

    return handler, s3, send


def test_the_twin_swapped_in_during_inspection_is_never_served(flavour):
    from upload_core.validator import validate_event

    handler, s3, send = flavour
    bucket = handler.config.bucket
    client = handler.app.test_client()
    honest, twin = hostile_media.md5_twin_pair()
    upload = client.post("/uploads", json={"filename": "IMG_0412.jpg", "size": len(honest)}).get_json()
    key = f"incoming/{upload['id']}"
    send(upload, honest)
    event = load_event("s3_object_created.json", bucket=bucket, key=key)
    etags = []

    def swap(step: str) -> None:
        if step == "verdicts" and not etags:  # the validator holds the honest bytes, inspecting
            etags.append(s3.head_object(Bucket=bucket, Key=key)["ETag"])
            send(upload, twin)
            give_etag(bucket, key, etags[0])
            etags.append(s3.head_object(Bucket=bucket, Key=key)["ETag"])

    summary = validate_event(event, handler.store, handler.config, handler.events, pause=swap)
    assert summary["accepted"] == 1
    assert etags[0] == etags[1]  # what CopySourceIfMatch would have compared: equal

    def download() -> bytes:
        """What the client gets: the 303 to a presigned GET, followed."""
        redirect = client.get(f"/uploads/{upload['id']}/content")
        assert redirect.status_code == 303
        return requests.get(redirect.headers["Location"], timeout=30).content

    assert download() == honest
    # The twin's own S3 event: the upload is decided, its bytes are dropped unread.
    assert handler.validate(event, None)["skipped"] == 1
    assert keys(s3, bucket) == [served_key(upload["id"], honest), f"records/{upload['id']}.json"]
    assert download() == honest


def test_the_twin_landed_first_is_refused_and_the_honest_one_after_it_is_not_served_either(flavour):
    """The reverse order: the twin is inspected and refused; bytes that arrive after the
    decision (even honest ones with its ETag) change nothing and are never served."""
    handler, s3, send = flavour
    bucket = handler.config.bucket
    client = handler.app.test_client()
    honest, twin = hostile_media.md5_twin_pair()
    upload = client.post("/uploads", json={"filename": "IMG_0413.jpg", "size": len(twin)}).get_json()
    key = f"incoming/{upload['id']}"
    send(upload, twin)
    event = load_event("s3_object_created.json", bucket=bucket, key=key)
    assert handler.validate(event, None)["rejected"] == 1
    reason = client.get(f"/uploads/{upload['id']}").get_json()["reason"]
    assert (reason["code"], reason["found"]) == ("unsafe_content", "markup")
    etag = s3.head_object(Bucket=bucket, Key=key)["ETag"] if key in keys(s3, bucket) else '"0"'
    send(upload, honest)
    give_etag(bucket, key, etag)
    assert handler.validate(event, None)["skipped"] == 1
    assert keys(s3, bucket) == [f"records/{upload['id']}.json"]
    assert client.get(f"/uploads/{upload['id']}/content").get_json()["error"]["code"] == "rejected"
