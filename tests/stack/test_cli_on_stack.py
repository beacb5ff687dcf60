"""The CLI against the local stack (`python -m devstack`), as a user runs the
two: validation comes from the local S3's own event notifications (two for a multipart
completion, as moto sends them), and the CLI has no AWS credentials."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import requests

from tests.support import samples
from tests.support.largefiles import MiB, png_of

from .conftest import ROOT, start_stack


@pytest.fixture(scope="module")
def small_multipart_stack(tmp_path_factory):
    running = start_stack(tmp_path_factory.mktemp("cli-stack"), env={"MULTIPART_THRESHOLD_BYTES": str(5 * MiB)})
    yield running
    assert running.stop() == 0, running.output()


def upload_files(stack, *paths, timeout: float = 120) -> tuple[int, list[dict]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "upload_cli",
            stack.api,
            *map(str, paths),
            "--json",
            "-q",
            "--timeout",
            "60",
            "--state-dir",
            str(paths[0].parent / "state"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return done.returncode, json.loads(done.stdout or "[]")


def test_inline_put_and_multipart_files_are_accepted(small_multipart_stack, tmp_path):
    stack = small_multipart_stack
    files = {"tiny.png": samples.png(), "report.docx": samples.docx(), "medium.png": png_of(2), "scan.png": png_of(12)}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    status, outcomes = upload_files(stack, *(tmp_path / n for n in files))
    assert status == 0, (outcomes, stack.output()[-3000:])
    by_name = {os.path.basename(o["file"]): o for o in outcomes}
    assert {n: o["status"] for n, o in by_name.items()} == dict.fromkeys(files, "accepted")
    for name, data in files.items():
        link = requests.get(f"{stack.api}/uploads/{by_name[name]['id']}/content", allow_redirects=False, timeout=5)
        assert requests.get(link.headers["Location"], timeout=30).content == data
    # The multipart one was validated once, from the stack's own notifications.
    assert stack.output().count(f"accepted {by_name['scan.png']['id']}") == 1


def test_a_rejected_file_makes_the_exit_status_1(small_multipart_stack, tmp_path):
    fake = tmp_path / "fake.png"
    fake.write_bytes(b"%PDF-1.4\n" + b"\0" * (6 * MiB))  # multipart; the validator refuses it
    status, outcomes = upload_files(small_multipart_stack, fake)
    assert status == 1
    assert outcomes[0]["status"] == "rejected"
    assert outcomes[0]["detail"]["reason"]["code"] == "content_mismatch"
