"""--data-dir's snapshots (devstack/persist.py) when an object cannot be read: the others
are still saved, and a save never leaves less than the previous snapshot."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from devstack.persist import INDEX, Snapshots
from tests.support import samples

BUCKET = "uploads-snapshots"


@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def break_checksum(key: str) -> None:
    """Make one stored object unreadable the way the issue met it: the SHA-256 the
    local S3 reports no longer matches its bytes, so botocore refuses the download."""
    from moto.s3.models import s3_backends

    stored = s3_backends["123456789012"]["aws"].buckets[BUCKET].keys[key]
    stored.checksum_algorithm = "SHA256"
    stored.checksum_value = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="


def restored_into_a_new_bucket(s3, data_dir, bucket: str = "uploads-restored") -> dict[str, bytes]:
    """What the next start puts back (into a fresh bucket): key -> bytes."""
    s3.create_bucket(Bucket=bucket)
    Snapshots(s3, bucket, data_dir).restore()
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {k: s3.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys}


def test_an_unreadable_object_is_reported_and_the_others_are_saved(s3, tmp_path):
    files = {"files/a.png": samples.png(20), "files/b.pdf": samples.pdf(), "records/c.json": b'{"id": "c"}'}
    for key, body in files.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    s3.put_object(Bucket=BUCKET, Key="files/broken.png", Body=samples.png(24))
    break_checksum("files/broken.png")

    snapshots = Snapshots(s3, BUCKET, tmp_path)
    assert snapshots.save() == 3
    assert snapshots.last.failed == ["files/broken.png"]
    assert restored_into_a_new_bucket(s3, tmp_path) == files


def test_a_save_keeps_the_previous_copy_of_an_object_it_cannot_read_now(s3, tmp_path):
    first = samples.png(20)
    s3.put_object(Bucket=BUCKET, Key="files/a.png", Body=first, ContentType="image/png")
    snapshots = Snapshots(s3, BUCKET, tmp_path)
    assert snapshots.save() == 1

    break_checksum("files/a.png")
    s3.put_object(Bucket=BUCKET, Key="files/new.pdf", Body=samples.pdf())
    assert snapshots.save() == 1
    assert snapshots.last.kept_from_before == ["files/a.png"]
    assert restored_into_a_new_bucket(s3, tmp_path) == {"files/a.png": first, "files/new.pdf": samples.pdf()}


def test_a_save_that_cannot_list_the_bucket_leaves_the_previous_snapshot(s3, tmp_path):
    s3.put_object(Bucket=BUCKET, Key="files/a.png", Body=samples.png(20))
    snapshots = Snapshots(s3, BUCKET, tmp_path)
    snapshots.save()
    before = (tmp_path / INDEX).read_bytes()

    s3.delete_object(Bucket=BUCKET, Key="files/a.png")
    s3.delete_bucket(Bucket=BUCKET)
    with pytest.raises(s3.exceptions.NoSuchBucket):
        snapshots.save()
    assert (tmp_path / INDEX).read_bytes() == before
    assert list(json.loads(before)["objects"]) == ["files/a.png"]
    assert restored_into_a_new_bucket(s3, tmp_path) == {"files/a.png": samples.png(20)}
