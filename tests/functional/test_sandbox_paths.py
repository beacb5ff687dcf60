"""Files that exhaust an inspector inside every limit it checks itself, through both paths
(the inline POST through handler.api, and a presigned upload decided by handler.validate):
refused as unsafe_content / too_complex within the function's ceilings, nothing stored or
served, and the function's own process stays small (the child's memory is never the parent's).

The files are tests/support/exhaustion.py's. The small exhausting files of issues 17 and 18 are
now refused by their inspectors' own limits (`pdf_limits`, `zip_limits`, `image_limits`), each
in that inspector's tests; what stays here is built inside every inspector limit."""

from __future__ import annotations

import errno
import io
import logging
import os

import pytest

from tests.support import samples
from tests.support.helpers import BUCKET, import_handler, keys, load_event

MB = 1_000_000
INLINE_1MIB = {"INLINE_MAX_BYTES": str(1024 * 1024)}  # so that the budget holds with the short timeouts below
# The API's inline inspection gets ~2.2 s of CPU within 7.6 s (a 12 s timeout at 512 MB). On a
# loaded machine the child may not get that CPU in time: then the wall clock ends it.
TIGHT_API = {"API_TIMEOUT_SECONDS": "12", **INLINE_1MIB}
# The validator's gets ~4 s of CPU within 27 s (a 40 s timeout at 256 MB: 0.145 of a vCPU).
TIGHT_VALIDATOR = {"VALIDATE_TIMEOUT_SECONDS": "40", **INLINE_1MIB}
# The API's memory ceiling at 256 MB is 96 MB: reached in a fraction of a second of CPU.
SMALL_API = {"API_MEMORY_MB": "256", **INLINE_1MIB}
# The validator's memory ceiling at 160 MB (its footprint plus the least an inspection gets): 64 MB.
SMALL_VALIDATOR = {"VALIDATE_MEMORY_MB": "160", **INLINE_1MIB}
TIME = ("cpu", "time")


@pytest.fixture
def deploy(bucket, env):
    """handler (api and validate) built from the environment plus `settings`."""

    def build(**settings: str):
        for name, value in settings.items():
            env.setenv(name, value)
        return import_handler()

    return build


def vm_rss() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))


def sandbox_runs(caplog) -> list:
    return [r.sandbox for r in caplog.records if hasattr(r, "sandbox")]


def inline(handler, name: str, data: bytes):
    return handler.app.test_client().post("/uploads", data={"file": [(io.BytesIO(data), name)]})


def presigned(handler, s3, name: str, data: bytes) -> tuple[str, dict]:
    client = handler.app.test_client()
    upload_id = client.post("/uploads", json={"filename": name, "size": len(data)}).get_json()["id"]
    s3.put_object(Bucket=BUCKET, Key=f"incoming/{upload_id}", Body=data)
    handler.validate(load_event("s3_object_created.json", bucket=BUCKET, key=f"incoming/{upload_id}"), None)
    return upload_id, client.get(f"/uploads/{upload_id}").get_json()


CASES = [
    # (name, builder (evaluated in the container), path, settings, how it may end); the
    # validator's at its deployed size
    # A PDF inside every limit of the PDF reader: ~140 MB, ~8 s of CPU in-process.
    ("dest.pdf", "exhaustion.pdf_destination_flood", "validator", SMALL_VALIDATOR, ("memory",)),
    ("dest.pdf", "exhaustion.pdf_destination_flood", "validator", TIGHT_VALIDATOR, TIME),
    # Inline at the default 4 MiB limit (the API decides a 4 MiB PDF in time at 256 MB).
    # (at 0.145 of a vCPU its CPU ceiling may come first on a loaded machine: either refuses)
    ("dest.pdf", "exhaustion.pdf_destination_flood", "inline", {"API_MEMORY_MB": "256"}, ("memory", "cpu", "time")),
    ("dest.pdf", "exhaustion.pdf_destination_flood", "inline", {"API_TIMEOUT_SECONDS": "12"}, TIME),
]


# One case in a fresh process, as lean as a Lambda container's: moto in-process, handler
# imported from the environment, the file sent through one path. A pytest process that has
# run hundreds of tests holds hundreds of MB of freed heap that a child would inherit.
CONTAINER = """
import io, json, logging, os, sys
from moto import mock_aws
from tests.support import exhaustion
from tests.support.helpers import BUCKET, import_handler, keys, load_event
name, builder, path = sys.argv[1:4]
runs = []
class Keep(logging.Handler):
    def emit(self, record):
        if hasattr(record, "sandbox"):
            runs.append(record.sandbox)
logging.getLogger("upload_core.inspect.sandbox").addHandler(Keep())
logging.getLogger("upload_core.inspect.sandbox").setLevel(logging.DEBUG)
def rss():
    return next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmRSS:"))
with mock_aws():
    import boto3
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    handler = import_handler()
    client = handler.app.test_client()
    data = eval(builder, {"exhaustion": exhaustion})()
    function = handler.config.api_function if path == "inline" else handler.config.validate_function
    before = rss()
    if path == "inline":
        response = client.post("/uploads", data={"file": [(io.BytesIO(data), name)]})
        status, error = response.status_code, response.get_json()["error"]
    else:
        upload_id = client.post("/uploads", json={"filename": name, "size": len(data)}).get_json()["id"]
        s3.put_object(Bucket=BUCKET, Key=f"incoming/{upload_id}", Body=data)
        handler.validate(load_event("s3_object_created.json", bucket=BUCKET, key=f"incoming/{upload_id}"), None)
        upload = client.get(f"/uploads/{upload_id}").get_json()
        status, error = upload["status"], upload["reason"]
        status = (status, client.get(f"/uploads/{upload_id}/content").status_code)
    run = runs[-1]
    print(json.dumps({
        "status": status, "error": error, "keys": [k.split("/")[0] for k in keys(s3)],
        "ended": run.ended, "ceiling": run.ceiling.memory_bytes, "allowance": function.inspection_memory_bytes(),
        "growth": run.peak_rss_bytes - run.inherited_rss_bytes, "parent_growth": rss() - before,
    }))
"""


@pytest.mark.parametrize("name, make, path, settings, ceiling", CASES, ids=[f"{c[0]}-{c[2]}-{c[4][0]}" for c in CASES])
def test_a_file_that_exhausts_the_inspector_is_too_complex_on_both_paths(name, make, path, settings, ceiling):
    import json
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "UPLOAD_", "API_", "VALIDATE_", "INLINE_"))}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    env.update(AWS_REGION="us-east-1", UPLOAD_BUCKET=BUCKET, **settings)
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", CONTAINER, name, make, path], cwd=root, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if path == "inline":
        assert result["status"] == 422
        assert result["keys"] == []  # nothing stored
    else:
        assert result["status"] == ["rejected", 409]  # rejected, never served
        assert result["keys"] == ["records"]  # the bytes deleted
    assert (result["error"]["code"], result["error"]["found"]) == ("unsafe_content", "too_complex")
    assert result["ended"] in ceiling
    assert result["ceiling"] == result["allowance"]
    # The child grew by at most its ceiling (plus pages it touched of what it inherited) ...
    assert result["growth"] <= result["ceiling"] + 32 * MB
    # ... and the function's own process did not grow with the file.
    assert result["parent_growth"] < 32 * MB


def test_honest_files_are_still_accepted_inside_the_ceilings(deploy, s3, caplog):
    """A real PDF and photo through both paths: accepted, each inspected in a child."""
    handler = deploy()
    caplog.set_level(logging.DEBUG, logger="upload_core.inspect.sandbox")
    for name, data in (("paper.pdf", samples.pdf()), ("photo.jpg", samples.jpeg())):
        assert inline(handler, name, data).status_code == 201
        assert presigned(handler, s3, name, data)[1]["status"] == "accepted"
    assert [run.ended for run in sandbox_runs(caplog)] == ["verdict"] * 4


def test_a_sandbox_that_cannot_start_is_a_503_inline_and_a_retry_in_the_validator(deploy, s3, monkeypatch):
    handler = deploy()
    client = handler.app.test_client()
    upload_id = client.post("/uploads", json={"filename": "photo.png", "size": len(samples.png())}).get_json()["id"]
    s3.put_object(Bucket=BUCKET, Key=f"incoming/{upload_id}", Body=samples.png())

    def no_fork():
        raise OSError(errno.ENOMEM, "Cannot allocate memory")

    monkeypatch.setattr(os, "fork", no_fork)
    response = inline(handler, "photo.png", samples.png())
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "inspection_unavailable"
    from upload_core.validator import ValidationIncomplete

    with pytest.raises(ValidationIncomplete):  # Lambda retries the event
        handler.validate(load_event("s3_object_created.json", bucket=BUCKET, key=f"incoming/{upload_id}"), None)
    assert client.get(f"/uploads/{upload_id}").get_json()["status"] == "pending"
    assert keys(s3) == [f"incoming/{upload_id}", f"records/{upload_id}.json"]  # nothing stored or served

    monkeypatch.undo()  # the retry, once a child can start again, decides it
    handler.validate(load_event("s3_object_created.json", bucket=BUCKET, key=f"incoming/{upload_id}"), None)
    assert client.get(f"/uploads/{upload_id}").get_json()["status"] == "accepted"
