"""The served object is written from the inspected bytes, with a SHA-256 S3 checks on every
byte it receives (s3/served.py): one PutObject up to SINGLE_PUT_MAX_BYTES, a multipart
upload with a checksum per part past it; trailing bytes are cut off by writing [0, end).
What S3 is sent is watched on the client's own event hooks (moto checks no checksum)."""

from __future__ import annotations

import base64
import hashlib
import io

import pytest

from tests.support import corpus
from tests.support.helpers import keys
from tests.support.largefiles import png_of

MiB = 1024 * 1024
UPLOAD_ID = "S" * 22


def b64sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


@pytest.fixture
def sent(store):
    """Every write the store sends, in part order: (operation, its x-amz-checksum-sha256
    header, its body). Parts go a few at a time, so they are sorted by their number."""
    from urllib.parse import parse_qs, urlsplit

    requests: list[tuple[int, str, str | None, bytes]] = []

    def watch(request, operation_name, **_):
        if operation_name in ("PutObject", "UploadPart"):
            body = request.body if isinstance(request.body, bytes) else request.body.read()
            if hasattr(request.body, "seek"):
                request.body.seek(0)
            number = int(parse_qs(urlsplit(request.url).query).get("partNumber", ["1"])[0])
            requests.append((number, operation_name, request.headers.get("x-amz-checksum-sha256"), body))

    store.client.meta.events.register("before-sign.s3", watch)

    class Sent:
        def __iter__(self):
            return iter([entry[1:] for entry in sorted(requests, key=lambda entry: entry[0])])

        def __getitem__(self, index):
            return list(self)[index]

    return Sent()


def test_a_photo_is_one_put_whose_sha256_is_of_exactly_the_bytes_sent(store, s3, bucket, sent):
    photo = corpus.jpeg(800 * corpus.KB)
    digest = hashlib.sha256(photo).digest()
    served = store.served.write(UPLOAD_ID, io.BytesIO(photo), len(photo), "image/jpeg", digest)
    assert served.key == f"files/{UPLOAD_ID}/{digest.hex()}"
    assert served.checksum == {"algorithm": "SHA256", "value": b64sha(photo), "type": "FULL_OBJECT"}
    assert [(op, header) for op, header, _ in sent] == [("PutObject", b64sha(photo))]
    assert sent[0][2] == photo
    stored = s3.get_object(Bucket=bucket, Key=served.key)
    assert stored["Body"].read() == photo and stored["ContentType"] == "image/jpeg"


def test_trailing_bytes_are_cut_off_by_writing_only_what_comes_before_the_end(store, s3, bucket, sent):
    """A motion photo's video after the JPEG's end: 1 MB, where S3 refuses a ranged copy
    (sources of 5 MB or less), so the old copy failed on AWS; a write of [0, end) cannot."""
    from upload_core.s3.served import sha256_of

    still = corpus.jpeg(900 * corpus.KB)
    spool = io.BytesIO(still + b"\0\0\0\x18ftypmp42" + bytes(300 * corpus.KB))
    digest = sha256_of(spool, len(still))
    served = store.served.write(UPLOAD_ID, spool, len(still), "image/jpeg", digest)
    assert s3.get_object(Bucket=bucket, Key=served.key)["Body"].read() == still
    assert [body for _, _, body in sent] == [still]


def test_a_large_object_goes_in_parts_each_checked_by_its_own_sha256(store, s3, bucket, sent, monkeypatch):
    """Stand the single-PUT limit low so that a 12 MiB PNG takes the multipart path, in
    parts of S3's smallest size."""
    monkeypatch.setattr("upload_core.s3.served.SINGLE_PUT_MAX_BYTES", 5 * MiB)
    monkeypatch.setattr("upload_core.s3.served.PART_BYTES", 5 * MiB)
    data = png_of(12)
    digest = hashlib.sha256(data).digest()
    served = store.served.write(UPLOAD_ID, io.BytesIO(data), len(data), "image/png", digest)
    assert [op for op, _, _ in sent] == ["UploadPart"] * 3
    assert [header for _, header, _ in sent] == [b64sha(body) for _, _, body in sent]
    assert b"".join(body for _, _, body in sent) == data
    head = s3.head_object(Bucket=bucket, Key=served.key)
    assert head["Metadata"] == {"sha256": b64sha(data)}
    assert s3.get_object(Bucket=bucket, Key=served.key)["Body"].read() == data
    assert served.checksum["value"] == b64sha(data)


def test_a_failed_part_aborts_and_leaves_nothing_served(store, s3, bucket, monkeypatch):
    from upload_core.errors import StorageUnavailable

    monkeypatch.setattr("upload_core.s3.served.SINGLE_PUT_MAX_BYTES", 5 * MiB)
    monkeypatch.setattr("upload_core.s3.served.PART_BYTES", 5 * MiB)
    data = png_of(12)

    def refuse_the_second(params, **_):
        if params["PartNumber"] == 2:
            from botocore.exceptions import EndpointConnectionError

            raise EndpointConnectionError(endpoint_url="https://s3.example")

    store.client.meta.events.register("provide-client-params.s3.UploadPart", refuse_the_second)
    with pytest.raises(StorageUnavailable):
        store.served.write(UPLOAD_ID, io.BytesIO(data), len(data), "image/png", hashlib.sha256(data).digest())
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert keys(s3, bucket) == []


def test_parts_grow_past_ten_thousand(monkeypatch):
    from upload_core.s3.served import PART_BYTES, part_size_for

    assert part_size_for(5 * 1024 * MiB) == PART_BYTES
    big = 5 * 1024 * 1024 * MiB  # S3's largest object
    assert part_size_for(big) % MiB == 0 and -(-big // part_size_for(big)) <= 10_000


def test_remove_keeps_only_the_object_named(store, s3, bucket):
    for name in ("a" * 64, "b" * 64):
        s3.put_object(Bucket=bucket, Key=f"files/{UPLOAD_ID}/{name}", Body=b"x")
    s3.put_object(Bucket=bucket, Key=f"files/{UPLOAD_ID}", Body=b"older layout")
    s3.put_object(Bucket=bucket, Key=f"files/{'T' * 22}/{'c' * 64}", Body=b"another upload")
    store.served.remove(UPLOAD_ID, keep=f"files/{UPLOAD_ID}/{'a' * 64}")
    assert keys(s3, bucket) == [f"files/{UPLOAD_ID}/{'a' * 64}", f"files/{'T' * 22}/{'c' * 64}"]
    store.served.remove(UPLOAD_ID)
    assert keys(s3, bucket) == [f"files/{'T' * 22}/{'c' * 64}"]
