"""S3Store's multipart calls on moto: ListParts across pages, aborts."""

from __future__ import annotations


def test_list_parts_reads_every_page(store, s3, bucket):
    upload_id = "A" * 22
    multipart_id = store.create_multipart(upload_id, "application/pdf")
    for number in range(1, 1003):  # ListParts answers 1,000 parts a page
        s3.upload_part(Bucket=bucket, Key=f"incoming/{upload_id}", UploadId=multipart_id, PartNumber=number, Body=b"x")
    parts = store.list_parts(upload_id, multipart_id)
    assert [p["PartNumber"] for p in parts] == list(range(1, 1003))


def test_abort_of_an_unknown_upload_is_quiet(store, bucket):
    store.abort_multipart("A" * 22, "no-such-upload")
