"""Ownership and quota costs in S3 requests (AUTH_MODE=jwt, both quotas set), on a moto S3
server over HTTP. Prints figures (nothing is asserted; README "How ownership scales"):

- S3 requests per operation: create (presigned PUT), validator decision, status, delete,
  one page of GET /uploads, and the same create in AUTH_MODE=none for comparison;
- 20 parallel creates of one owner against QUOTA_PENDING=5 and against a quota they all
  fit in: how many succeed, conditional writes that lost a race (retries), wall time;
- the usage object's size as an owner's accepted uploads grow.

    .venv/bin/python bench/bench_owners.py
"""

from __future__ import annotations

import collections
import json
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import samples  # noqa: E402
from tests.support.helpers import caller, free_port, load_event, owner_of  # noqa: E402


class Counter:
    """S3 requests a boto3 client makes, by operation (botocore's before-call event)."""

    def __init__(self, client):
        self.ops: collections.Counter = collections.Counter()
        self.lock = threading.Lock()
        client.meta.events.register("before-call.s3", self._count)

    def _count(self, model, **_):
        with self.lock:
            self.ops[model.name] += 1

    def take(self) -> dict[str, int]:
        with self.lock:
            taken, self.ops = dict(self.ops), collections.Counter()
        return taken


def app_for(endpoint: str, bucket: str, **env: str):
    import boto3

    from upload_core.config import Config
    from upload_core.http import create_app
    from upload_core.s3.store import S3Store

    os.environ.update({"UPLOAD_BUCKET": bucket, "AWS_ENDPOINT_URL_S3": endpoint, **env})
    boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint).create_bucket(Bucket=bucket)
    config = Config.from_env()
    store = S3Store(config)
    app = create_app(config, store)
    return app, store, config, Counter(store.client)


def line(label: str, ops: dict[str, int]) -> None:
    detail = ", ".join(f"{n} {op}" for op, n in sorted(ops.items()))
    print(f"  {label:<34} {sum(ops.values()):>3} S3 requests ({detail})")


def per_operation(endpoint: str) -> None:
    from upload_core.validator import validate_event

    print("S3 requests per operation (AUTH_MODE=jwt, QUOTA_BYTES and QUOTA_PENDING set):")
    app, store, config, counter = app_for(
        endpoint, "bench-ops", AUTH_MODE="jwt", QUOTA_BYTES=str(10**9), QUOTA_PENDING="100"
    )
    client, me = app.test_client(), caller("alice")
    photo = samples.png()
    for i in range(20):  # something to list, and a usage object with history
        client.post("/uploads", json={"filename": f"p{i}.png", "size": len(photo)}, environ_base=me)
    counter.take()
    created = client.post("/uploads", json={"filename": "p.png", "size": len(photo)}, environ_base=me).get_json()
    line("create (presigned PUT)", counter.take())
    store.client.put_object(Bucket=store.bucket, Key=f"incoming/{created['id']}", Body=photo)
    counter.take()
    validate_event(
        load_event("s3_object_created.json", bucket=store.bucket, key=f"incoming/{created['id']}"), store, config
    )
    line("validator decision (accept)", counter.take())
    client.get(f"/uploads/{created['id']}", environ_base=me)
    line("status", counter.take())
    client.get("/uploads?limit=20", environ_base=me)
    line("GET /uploads (a page of 20)", counter.take())
    client.delete(f"/uploads/{created['id']}", environ_base=me)
    line("delete (accepted)", counter.take())

    app, store, config, counter = app_for(
        endpoint, "bench-ops-none", AUTH_MODE="none", QUOTA_BYTES="", QUOTA_PENDING=""
    )
    app.test_client().post("/uploads", json={"filename": "p.png", "size": len(photo)})
    line("create, AUTH_MODE=none", counter.take())


def parallel(endpoint: str, quota_pending: int, bucket: str) -> None:
    app, store, _, counter = app_for(
        endpoint, bucket, AUTH_MODE="jwt", QUOTA_PENDING=str(quota_pending), QUOTA_BYTES=""
    )
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(20)

    def one(i: int) -> None:
        client = app.test_client()
        barrier.wait()
        status = client.post("/uploads", json={"filename": f"p{i}.png", "size": 100}, environ_base=caller("alice"))
        with lock:
            statuses.append(status.status_code)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(20)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    ops = counter.take()
    usage, _ = store.owners.read_usage(owner_of("alice"))
    print(
        f"  QUOTA_PENDING={quota_pending:<3} 20 parallel creates: {statuses.count(201)} x 201, "
        f"{statuses.count(429)} x 429; {store.owners.conflicts} conditional writes lost a race; "
        f"{sum(ops.values())} S3 requests ({ops.get('GetObject', 0)} GetObject, {ops.get('PutObject', 0)} PutObject); "
        f"{elapsed:.2f} s; {len(usage['pending'])} reserved"
    )


def usage_size() -> None:
    from upload_core.flows import quota

    print("Usage object size (read and written on every create and decision of the owner):")
    usage: dict = {}
    for n in (100, 1_000, 10_000):
        while len(usage.get("accepted", {})) < n:
            i = len(usage.get("accepted", {}))
            usage = quota.accept(usage, f"{i:022d}", 123_456, 0) or usage
        print(f"  {n:>6} accepted uploads: {len(json.dumps(usage, separators=(',', ':'))):>8} bytes")


def main() -> None:
    from moto.server import ThreadedMotoServer

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "bench")
    os.environ.setdefault("AWS_REGION", "us-east-1")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    import logging

    logging.disable(logging.INFO)
    try:
        per_operation(endpoint)
        print("One owner, 20 parallel creates (threads, one moto server):")
        parallel(endpoint, 5, "bench-par-5")
        parallel(endpoint, 20, "bench-par-20")
        usage_size()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
