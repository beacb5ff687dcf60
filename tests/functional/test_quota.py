"""Per-owner quotas (AUTH_MODE=jwt): what counts, what gives it back, expiry by a clock the
test controls, and 20 parallel creates against a moto S3 server over real HTTP."""

from __future__ import annotations

import threading

import pytest

from tests.support import samples
from tests.support.helpers import BUCKET, caller, keys, load_event, owner_of

ALICE, BOB = "alice-sub", "bob-sub"
HOUR, DAY = 3600, 86400


@pytest.fixture
def make(env, bucket, clock):
    """A client of an app with these quotas (and the test's clock)."""

    def build(**quotas):
        from upload_core.config import Config
        from upload_core.http import create_app
        from upload_core.s3.store import S3Store

        env.setenv("AUTH_MODE", "jwt")
        for name, value in quotas.items():
            env.setenv(name.upper(), str(value))
        config = Config.from_env()
        store = S3Store(config)
        store.owners.clock = clock
        return create_app(config, store).test_client()

    return build


def create(client, sub=ALICE, size=1000, name="photo.png"):
    return client.post("/uploads", json={"filename": name, "size": size}, environ_base=caller(sub))


def validate(client, s3, upload_id, data):
    from upload_core.validator import validate_event

    app = client.application
    s3.put_object(Bucket=BUCKET, Key=f"incoming/{upload_id}", Body=data)
    event = load_event("s3_object_created.json", bucket=BUCKET, key=f"incoming/{upload_id}")
    return validate_event(event, app.extensions["upload_store"], app.extensions["upload_config"])


def refused(response, quota, limit, in_use):
    assert response.status_code == 429, response.get_json()
    error = response.get_json()["error"]
    assert (error["code"], error["quota"], error["limit"], error["in_use"]) == ("quota_exceeded", quota, limit, in_use)


def test_pending_quota_counts_uploads_at_once_per_owner(make):
    client = make(quota_pending=2)
    first = create(client).get_json()["id"]
    assert create(client).status_code == 201
    refused(create(client), "pending", 2, 2)
    assert create(client, sub=BOB).status_code == 201  # quotas are per owner
    assert client.delete(f"/uploads/{first}", environ_base=caller(ALICE)).status_code == 204
    assert create(client).status_code == 201


def test_bytes_quota_counts_declared_then_accepted_bytes(make, s3):
    photo = samples.png()
    client = make(quota_bytes=2 * len(photo) + 10)
    kept = create(client, size=len(photo)).get_json()["id"]
    assert validate(client, s3, kept, photo)["accepted"] == 1
    bad = create(client, size=len(photo)).get_json()["id"]
    refused(create(client, size=len(photo)), "bytes", 2 * len(photo) + 10, 2 * len(photo))
    # A rejected upload gives its bytes back; the accepted one keeps counting.
    assert validate(client, s3, bad, samples.pdf()[: len(photo)].ljust(len(photo), b"x"))["rejected"] == 1
    assert create(client, size=len(photo)).status_code == 201
    refused(create(client, size=len(photo)), "bytes", 2 * len(photo) + 10, 2 * len(photo))
    # Deleting the accepted one gives its bytes back.
    assert client.delete(f"/uploads/{kept}", environ_base=caller(ALICE)).status_code == 204
    assert create(client, size=len(photo)).status_code == 201


def test_inline_uploads_are_charged_at_once_and_refused_with_nothing_stored(make, s3):
    import io

    photo = samples.png()
    client = make(quota_bytes=len(photo) + len(photo) // 2)

    def inline():
        return client.post("/uploads", data={"file": (io.BytesIO(photo), "photo.png")}, environ_base=caller(ALICE))

    assert inline().status_code == 201
    before = keys(s3)
    refused(inline(), "bytes", len(photo) + len(photo) // 2, len(photo))
    assert keys(s3) == before


@pytest.mark.parametrize(
    "size, still_held_after, free_after",
    [
        (1000, 900, 900 + HOUR + 1),  # a PUT: its URL's lifetime (PRESIGN_TTL_SECONDS) plus an hour
        (200 * 1024 * 1024, 6 * DAY, 7 * DAY + HOUR + 1),  # multipart: the bucket aborts it after 7 days
    ],
)
def test_an_abandoned_upload_gives_its_quota_back_when_it_expires(make, clock, size, still_held_after, free_after):
    client = make(quota_pending=1)
    assert create(client, size=size).status_code == 201
    start = clock.now
    clock.now = start + still_held_after
    refused(create(client), "pending", 1, 1)
    clock.now = start + free_after
    assert create(client).status_code == 201


def test_a_companion_upload_past_the_bytes_quota_is_rejected_when_its_size_is_known(make, s3):
    photo = samples.png()
    client = make(quota_bytes=len(photo) - 1, quota_pending=3)
    params = client.get("/s3/params?filename=photo.png&type=image/png", environ_base=caller(ALICE)).get_json()
    upload_id = params["fields"]["key"].removeprefix("incoming/")
    assert validate(client, s3, upload_id, photo)["rejected"] == 1
    record = client.get(f"/uploads/{upload_id}", environ_base=caller(ALICE)).get_json()
    assert record["status"] == "rejected" and record["reason"]["code"] == "quota_exceeded"
    assert not [k for k in keys(s3) if k.startswith("files/")]
    # and it gave its pending slot back
    assert create(client, size=len(photo) - 1).status_code == 201


@pytest.mark.server
def test_twenty_parallel_creates_against_a_quota_of_five(env, live):
    from upload_core.http import create_app

    env.setenv("AUTH_MODE", "jwt")
    env.setenv("QUOTA_PENDING", "5")
    env_app = create_app()
    answers: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(20)

    def one(i: int) -> None:
        client = env_app.test_client()
        start.wait()
        response = create(client, name=f"photo{i}.png")
        with lock:
            answers.append(response.status_code)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [201] * 5 + [429] * 15
    listed = env_app.test_client().get("/uploads", environ_base=caller(ALICE)).get_json()["uploads"]
    assert len(listed) == 5
    store = env_app.extensions["upload_store"]
    usage, _ = store.owners.read_usage(owner_of(ALICE))
    assert len(usage["pending"]) == 5


def test_an_owners_work_in_flight_is_bounded_and_freed_as_uploads_are_decided(make, s3):
    """QUOTA_PENDING_BYTES: one owner cannot queue more bytes for the validator than this
    (its reserved concurrency is everyone's). A clear code, not quota_exceeded: wait."""
    photo = samples.png()
    client = make(quota_pending_bytes=2 * len(photo) + 10)
    first = create(client, size=len(photo)).get_json()["id"]
    assert create(client, size=len(photo)).status_code == 201
    refused = create(client, size=len(photo))
    assert refused.status_code == 429
    error = refused.get_json()["error"]
    assert (error["code"], error["limit"], error["in_flight"]) == (
        "validation_backlog",
        2 * len(photo) + 10,
        2 * len(photo),
    )
    assert create(client, sub=BOB, size=len(photo)).status_code == 201  # per owner
    assert validate(client, s3, first, photo)["accepted"] == 1  # decided: no longer in flight
    assert create(client, size=len(photo)).status_code == 201


def companion_multipart_with(client, s3, data: bytes) -> tuple[str, str, list[dict]]:
    """A Companion multipart upload whose one part S3 holds (in-process, as a browser's PUT)."""
    created = client.post(
        "/s3/multipart", json={"filename": "scan.jpg", "type": "image/jpeg"}, environ_base=caller(ALICE)
    ).get_json()
    key, multipart_id = created["key"], created["uploadId"]
    etag = s3.upload_part(Bucket=BUCKET, Key=key, UploadId=multipart_id, PartNumber=1, Body=data)["ETag"]
    return key, multipart_id, [{"PartNumber": 1, "ETag": etag}]


@pytest.mark.parametrize(
    "quotas, code",
    [({"quota_bytes": 40_000}, "quota_exceeded"), ({"quota_pending_bytes": 40_000}, "validation_backlog")],
)
def test_a_companion_multipart_upload_is_charged_when_its_size_is_known_at_completion(make, s3, quotas, code):
    """The protocol sends no size; the parts tell it at completion. Past a quota the
    completion is refused (429) before S3 completes anything: nothing lands to validate."""
    from tests.support import corpus

    client = make(**quotas)
    key, multipart_id, parts = companion_multipart_with(client, s3, corpus.jpeg(50_000))
    url = f"/s3/multipart/{multipart_id}/complete?key={key}"
    refused = client.post(url, json={"parts": parts}, environ_base=caller(ALICE))
    assert refused.status_code == 429, refused.get_json()
    assert refused.get_json()["error"]["code"] == code
    assert [u["Key"] for u in s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])] == [key]
    assert key not in keys(s3)


def test_a_companion_multipart_upload_within_the_quota_counts_from_its_completion(make, s3):
    from tests.support import corpus

    photo = corpus.jpeg(50_000)
    client = make(quota_bytes=80_000)
    key, multipart_id, parts = companion_multipart_with(client, s3, photo)
    url = f"/s3/multipart/{multipart_id}/complete?key={key}"
    assert client.post(url, json={"parts": parts}, environ_base=caller(ALICE)).status_code == 200
    refused(create(client, size=30_001), "bytes", 80_000, 50_000)  # counted before it is validated
    upload_id = key.removeprefix("incoming/")
    from upload_core.validator import validate_event

    app = client.application
    event = load_event("s3_object_created.json", bucket=BUCKET, key=key)
    assert validate_event(event, app.extensions["upload_store"], app.extensions["upload_config"])["accepted"] == 1
    assert client.get(f"/uploads/{upload_id}", environ_base=caller(ALICE)).get_json()["size"] == len(photo)
    refused(create(client, size=30_001), "bytes", 80_000, 50_000)
    assert create(client, size=30_000).status_code == 201
