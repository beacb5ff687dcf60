"""What the malware scanners cost the service, printed (nothing is asserted; README "Malware
scanning"). CPU time (time.process_time) of this process, so a busy machine does not move them.

- clamd: the INSTREAM client (scan/clamd.py) streaming a 64 MiB object to a real clamd (the
  EICAR-only database the tests use): the client's own CPU time per GiB, and wall time;
- guardduty: S3 requests per decided upload, in each arrival order, against MALWARE_SCANNER=none
  (moto in-process; botocore's before-call event counts them).

    .venv/bin/python bench/bench_scanners.py
"""

from __future__ import annotations

import collections
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import samples  # noqa: E402
from tests.support.helpers import load_event  # noqa: E402

BUCKET = "bench-scanners"


def clamd_stream() -> None:
    from devstack.clamd import Clamd
    from upload_core.scan.clamd import ClamdScanner

    data = os.urandom(64 * 1024 * 1024)
    server = Clamd()
    # The tests' clamd takes 20 MiB; this one takes the whole object.
    import devstack.clamd as runner

    runner.STREAM_MAX_BYTES = len(data) + 1024 * 1024
    server.start()
    try:
        host, port = server.address.rsplit(":", 1)
        cpu, wall = time.process_time(), time.perf_counter()
        verdict = ClamdScanner(host, int(port)).scan_stream(io.BytesIO(data), len(data))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        server.stop()
    gib = len(data) / 2**30
    print(
        f"clamd INSTREAM, 64 MiB: {verdict[0]}; client CPU {cpu / gib:.2f} s per GiB, wall {wall:.2f} s (clamd's own)"
    )


def s3_requests() -> None:
    import boto3
    from moto import mock_aws

    os.environ.update(
        {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
         "UPLOAD_BUCKET": BUCKET}
    )  # fmt: skip
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        os.environ.pop(name, None)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        rows = {}
        for scanner, order in (("none", "-"), ("guardduty", "structure first"), ("guardduty", "malware first")):
            rows[(scanner, order)] = decide(s3, scanner, order)
    base = sum(rows[("none", "-")].values())
    for (scanner, order), ops in rows.items():
        total = sum(ops.values())
        shown = ", ".join(f"{op} {n}" for op, n in sorted(ops.items()))
        print(f"{scanner:9} {order:15}: {total:2} S3 requests ({total / base:.2f}x none): {shown}")


def decide(s3, scanner: str, order: str) -> dict[str, int]:
    import importlib

    os.environ["MALWARE_SCANNER"] = scanner
    sys.modules.pop("handler", None)
    handler = importlib.import_module("handler")
    client = handler.app.test_client()
    data = samples.png()
    upload_id = client.post("/uploads", json={"filename": "photo.png", "size": len(data)}).get_json()["id"]
    put = s3.put_object(Bucket=BUCKET, Key=f"incoming/{upload_id}", Body=data)
    ops: collections.Counter = collections.Counter()
    handler.store.client.meta.events.register("before-call.s3", lambda model, **_: ops.update([model.name]))
    event = load_event("s3_object_created.json", bucket=BUCKET, key=f"incoming/{upload_id}")
    result = load_event(
        "guardduty_scan_result.json", bucket=BUCKET, key=f"incoming/{upload_id}", version_id=put["VersionId"],
        etag=put["ETag"].strip('"'), status="NO_THREATS_FOUND", scan_status="COMPLETED", threats="null",
    )  # fmt: skip
    steps = [lambda: handler.validate(event, None)]
    if scanner == "guardduty":
        steps.append(lambda: handler.scan_result(result, None))
        if order == "malware first":
            steps.reverse()
    for step in steps:
        step()
    counted = dict(ops)
    assert client.get(f"/uploads/{upload_id}").get_json()["status"] == "accepted"
    return counted


if __name__ == "__main__":
    s3_requests()
    clamd_stream()
