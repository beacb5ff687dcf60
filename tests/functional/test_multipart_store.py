"""S3Store's multipart calls on moto: ListParts across pages, and promotion of a big
object by multipart copy that still copies only the validated version."""

from __future__ import annotations

import pytest

from upload_core.s3.client import ObjectChanged
from upload_core.upload import Method, Status, Upload

MiB = 1024 * 1024


def test_list_parts_reads_every_page(store, s3, bucket):
    upload_id = "A" * 22
    multipart_id = store.create_multipart(upload_id, "application/pdf")
    for number in range(1, 1003):  # ListParts answers 1,000 parts a page
        s3.upload_part(Bucket=bucket, Key=f"incoming/{upload_id}", UploadId=multipart_id, PartNumber=number, Body=b"x")
    parts = store.list_parts(upload_id, multipart_id)
    assert [p["PartNumber"] for p in parts] == list(range(1, 1003))


def test_abort_of_an_unknown_upload_is_quiet(store, bucket):
    store.abort_multipart("A" * 22, "no-such-upload")


@pytest.fixture
def big_incoming(store, s3, bucket):
    data = b"%PDF-1.4\n" + bytes(range(256)) * (12 * MiB // 256)
    upload = Upload(
        id="B" * 22,
        status=Status.PENDING,
        filename="big.pdf",
        size=len(data),
        content_type="application/pdf",
        method=Method.MULTIPART,
    )
    s3.put_object(Bucket=bucket, Key=f"incoming/{upload.id}", Body=data)
    return upload, data, s3.head_object(Bucket=bucket, Key=f"incoming/{upload.id}")["ETag"]


def test_promote_copies_a_big_object_in_parts_pinned_to_the_validated_version(
    store, s3, bucket, big_incoming, monkeypatch
):
    """Past 5 GiB (S3's limit for one CopyObject) the copy is a multipart copy; stand
    the limit lower so that a 12 MiB object takes that path."""
    monkeypatch.setattr("upload_core.s3.store.MAX_SINGLE_COPY_BYTES", MiB)
    upload, data, etag = big_incoming
    seen = []
    store.client.meta.events.register(
        "provide-client-params.s3.UploadPartCopy", lambda params, **kw: seen.append(params.get("CopySourceIfMatch"))
    )
    store.promote(upload, etag)
    assert seen and set(seen) == {etag}  # a multipart copy, every part conditional
    assert s3.get_object(Bucket=bucket, Key=f"files/{upload.id}")["Body"].read() == data


def test_promote_refuses_bytes_that_changed(store, s3, bucket, big_incoming):
    upload, _, _ = big_incoming
    with pytest.raises(ObjectChanged):
        store.promote(upload, '"0123456789abcdef0123456789abcdef"')
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="files/")


def test_promote_serves_only_the_validated_length(store, s3, bucket, big_incoming, monkeypatch):
    """Trailing bytes past a format's end are cut off: the served copy holds bytes [0, length),
    copied by ranges of at most COPY_PART_BYTES, each pinned to the validated version."""
    monkeypatch.setattr("upload_core.s3.store.COPY_PART_BYTES", 5 * MiB)
    upload, data, etag = big_incoming
    ranges = []
    store.client.meta.events.register(
        "provide-client-params.s3.UploadPartCopy",
        lambda params, **kw: ranges.append((params["CopySourceRange"], params["CopySourceIfMatch"])),
    )
    length = 11 * MiB + 7
    assert store.promote(upload, etag, length=length) is None  # no checksum of its own
    assert sorted(ranges) == sorted(
        [
            (f"bytes=0-{5 * MiB - 1}", etag),
            (f"bytes={5 * MiB}-{10 * MiB - 1}", etag),
            (f"bytes={10 * MiB}-{length - 1}", etag),
        ]
    )
    assert s3.get_object(Bucket=bucket, Key=f"files/{upload.id}")["Body"].read() == data[:length]
