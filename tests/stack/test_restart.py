"""--data-dir: what was uploaded is still there after Ctrl-C and a new start."""

from __future__ import annotations

import requests

from tests.support import samples
from tests.support.helpers import served_key
from tests.support.largefiles import MiB, png_of

from .conftest import start_stack
from .test_cli_on_stack import upload_files


def test_uploads_survive_a_restart_with_a_data_directory(tmp_path):
    data = tmp_path / "data"
    first = start_stack(tmp_path, "--data-dir", str(data))
    try:
        png = samples.png(24)
        inline = requests.post(f"{first.api}/uploads", files={"file": ("kept.png", png)}, timeout=10).json()
        pending = requests.post(f"{first.api}/uploads", json={"filename": "later.pdf", "size": 10}, timeout=10).json()
        summary = first.output()
        assert first.api in summary and first.s3 in summary and str(data) in summary
    finally:
        assert first.stop() == 0, first.output()
    assert "saved 3 object(s)" in first.output()

    second = start_stack(tmp_path, "--data-dir", str(data))
    try:
        assert requests.get(f"{second.api}/uploads/{pending['id']}", timeout=5).json()["status"] == "pending"
        kept = requests.get(f"{second.api}/uploads/{inline['id']}", timeout=5).json()
        assert kept["status"] == "accepted" and kept["filename"] == "kept.png"
        location = requests.get(
            f"{second.api}/uploads/{inline['id']}/content", allow_redirects=False, timeout=5
        ).headers["Location"]
        got = requests.get(location, timeout=5)
        assert got.content == png
        assert got.headers["Content-Type"] == "image/png"
    finally:
        assert second.stop() == 0, second.output()


def test_a_cli_multipart_upload_with_checksums_survives_a_restart_byte_for_byte(tmp_path):
    """The CLI pins SHA-256 on every part (S3 records a composite checksum, VALUE-N, for the
    incoming object); the served object, written from the inspected bytes with its own part
    checksums, must download with boto3 (which checks them) and be saved and restored."""
    data = tmp_path / "data"
    env = {"MULTIPART_THRESHOLD_BYTES": str(5 * MiB)}
    photo = tmp_path / "scan.png"
    photo.write_bytes(png_of(12))
    first = start_stack(tmp_path, "--data-dir", str(data), env=env)
    try:
        status, outcomes = upload_files(first, photo)
        assert status == 0, (outcomes, first.output()[-3000:])
        assert outcomes[0]["status"] == "accepted"
        upload_id = outcomes[0]["id"]
        record = requests.get(f"{first.api}/uploads/{upload_id}", timeout=5).json()
        assert record["checksum"]["algorithm"] == "SHA256"
        # What a boto3 user does with the validated file: botocore checks the checksum.
        s3 = first.s3_client()
        stored = s3.get_object(Bucket=first.bucket, Key=served_key(upload_id, photo.read_bytes()))["Body"].read()
        assert stored == photo.read_bytes()
    finally:
        assert first.stop() == 0, first.output()
    assert "could not save" not in first.output() and "failed" not in first.output()

    second = start_stack(tmp_path, "--data-dir", str(data), env=env)
    try:
        assert requests.get(f"{second.api}/uploads/{upload_id}", timeout=5).json()["status"] == "accepted"
        location = requests.get(f"{second.api}/uploads/{upload_id}/content", allow_redirects=False, timeout=5).headers[
            "Location"
        ]
        assert requests.get(location, timeout=30).content == photo.read_bytes()
    finally:
        assert second.stop() == 0, second.output()
