"""--data-dir: the local bucket's objects saved to disk and restored at the next start.

moto keeps everything in memory. With a data directory the stack writes every object
(bytes, content type, user metadata) there on a clean stop and every few seconds while it
runs, and puts them back at start. Blobs are stored by content hash (unchanged objects are
not rewritten) and index.json, written last and atomically, says which key is which.
Restoring goes through the S3 API after the bucket's notification is set up, so an
incoming/ object that was never validated is validated after the restart, as its event
would have been; records/ and files/ are outside the notification's prefix.

A save never leaves less than the previous one: an object that cannot be read this time
is reported and keeps its entry (and blob) from the previous snapshot, the others are
saved; the index is replaced atomically only once every blob it names is on disk, and a
save that cannot even list the bucket leaves the previous snapshot as it was.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("devstack.persist")

INDEX = "index.json"
BLOCK = 1 << 20


@dataclass
class SaveReport:
    saved: int = 0
    kept_from_before: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class Snapshots:
    def __init__(self, s3_client, bucket: str, data_dir: Path):
        self.s3 = s3_client
        self.bucket = bucket
        self.dir = Path(data_dir)
        self.blobs = self.dir / "objects"
        self._lock = threading.Lock()
        self.last = SaveReport()

    def _previous(self) -> dict[str, dict]:
        try:
            return json.loads((self.dir / INDEX).read_text("utf-8"))["objects"]
        except (OSError, ValueError, KeyError):
            return {}

    def restore(self) -> int:
        """Put every saved object back; one that cannot be put back is reported, not fatal."""
        previous = self._previous()
        # records first, then files, then incoming: an incoming object's validation finds
        # its record.
        order = sorted(
            previous.items(), key=lambda kv: (not kv[0].startswith("records/"), kv[0].startswith("incoming/"), kv[0])
        )
        restored = 0
        for key, meta in order:
            extra = {"Metadata": meta.get("metadata") or {}}
            if meta.get("content_type"):
                extra["ContentType"] = meta["content_type"]
            try:
                with (self.blobs / meta["blob"]).open("rb") as body:
                    self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, **extra)
            except Exception as exc:  # noqa: BLE001 - one lost object must not cost the others
                log.warning("could not restore %s: %s", key, exc)
                continue
            restored += 1
        return restored

    def save(self) -> int:
        """Write every object of the bucket; return how many were saved now.

        self.last says which objects could not be read (kept from the previous snapshot
        when it had them, otherwise missing from this one)."""
        with self._lock:
            self.blobs.mkdir(parents=True, exist_ok=True)
            previous = self._previous()
            report = SaveReport()
            objects: dict[str, dict] = {}
            paginator = self.s3.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket):  # a failure here leaves the old index
                for item in page.get("Contents", []):
                    key = item["Key"]
                    try:
                        entry = self._save_object(key)
                    except self.s3.exceptions.NoSuchKey:
                        continue  # deleted while we listed
                    except Exception as exc:  # noqa: BLE001 - report it, save the others
                        old = previous.get(key)
                        if old and (self.blobs / old["blob"]).exists():
                            objects[key] = old
                            report.kept_from_before.append(key)
                            log.warning("could not save %s (%s); its previous copy is kept", key, exc)
                        else:
                            report.failed.append(key)
                            log.warning("could not save %s (%s); it is not in the data directory", key, exc)
                        continue
                    objects[key] = entry
                    report.saved += 1
            _atomic_write(
                self.dir / INDEX,
                json.dumps({"bucket": self.bucket, "objects": objects}, indent=1, sort_keys=True).encode("utf-8"),
            )
            used = {meta["blob"] for meta in objects.values()}
            for path in self.blobs.iterdir():
                if path.name not in used and not path.name.endswith(".tmp"):
                    path.unlink(missing_ok=True)
            self.last = report
            return report.saved

    def _save_object(self, key: str) -> dict:
        """Stream one object into a blob named by its SHA-256; its index entry."""
        obj = self.s3.get_object(Bucket=self.bucket, Key=key)
        digest = hashlib.sha256()
        tmp = self.blobs / f"incoming-{threading.get_ident()}.tmp"
        try:
            with tmp.open("wb") as out:
                while block := obj["Body"].read(BLOCK):
                    digest.update(block)
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
            blob = digest.hexdigest()
            path = self.blobs / blob
            if path.exists():
                tmp.unlink()
            else:
                os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return {"blob": blob, "content_type": obj.get("ContentType"), "metadata": obj.get("Metadata") or {}}


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
                log.warning("saving the data directory failed; the previous snapshot is kept", exc_info=True)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=10)


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
