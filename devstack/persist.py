"""--data-dir: the local bucket's objects saved to disk and restored at the next start.

moto keeps everything in memory. With a data directory the stack writes every object
(bytes, content type, user metadata) there on a clean stop and every few seconds while it
runs, and puts them back at start. Blobs are stored by content hash (unchanged objects are
not rewritten) and index.json, written last and atomically, says which key is which.
Restoring goes through the S3 API after the bucket's notification is set up, so an
incoming/ object that was never validated is validated after the restart, as its event
would have been; records/ and files/ are outside the notification's prefix.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from pathlib import Path

log = logging.getLogger("devstack.persist")

INDEX = "index.json"


class Snapshots:
    def __init__(self, s3_client, bucket: str, data_dir: Path):
        self.s3 = s3_client
        self.bucket = bucket
        self.dir = Path(data_dir)
        self.blobs = self.dir / "objects"
        self._lock = threading.Lock()

    def restore(self) -> int:
        index_path = self.dir / INDEX
        if not index_path.exists():
            return 0
        index = json.loads(index_path.read_text("utf-8"))
        # records first, then files, then incoming: an incoming object's validation finds
        # its record.
        order = sorted(
            index["objects"].items(),
            key=lambda kv: (not kv[0].startswith("records/"), kv[0].startswith("incoming/"), kv[0]),
        )
        for key, meta in order:
            extra = {"Metadata": meta.get("metadata") or {}}
            if meta.get("content_type"):
                extra["ContentType"] = meta["content_type"]
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=(self.blobs / meta["blob"]).read_bytes(), **extra)
        return len(order)

    def save(self) -> int:
        """Write every object of the bucket; return how many."""
        with self._lock:
            self.blobs.mkdir(parents=True, exist_ok=True)
            objects: dict[str, dict] = {}
            paginator = self.s3.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket):
                for item in page.get("Contents", []):
                    key = item["Key"]
                    try:
                        obj = self.s3.get_object(Bucket=self.bucket, Key=key)
                    except self.s3.exceptions.NoSuchKey:
                        continue  # deleted while we listed
                    data = obj["Body"].read()
                    blob = hashlib.sha256(data).hexdigest()
                    path = self.blobs / blob
                    if not path.exists():
                        _atomic_write(path, data)
                    objects[key] = {
                        "blob": blob,
                        "content_type": obj.get("ContentType"),
                        "metadata": obj.get("Metadata") or {},
                    }
            _atomic_write(
                self.dir / INDEX,
                json.dumps({"bucket": self.bucket, "objects": objects}, indent=1, sort_keys=True).encode("utf-8"),
            )
            used = {meta["blob"] for meta in objects.values()}
            for path in self.blobs.iterdir():
                if path.name not in used and not path.name.endswith(".tmp"):
                    path.unlink(missing_ok=True)
            return len(objects)


class PeriodicSaver(threading.Thread):
    def __init__(self, snapshots: Snapshots, every_seconds: float):
        super().__init__(name="snapshots", daemon=True)
        self.snapshots = snapshots
        self.every = every_seconds
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(self.every):
            try:
                self.snapshots.save()
            except Exception:  # noqa: BLE001 - keep serving; the final save will try again
                log.warning("saving the data directory failed", exc_info=True)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=10)


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
