"""Resume state: which multipart upload a file was being sent to.

One small JSON file per (API, file path, size, mtime), in ~/.cache/upload-cli (or
--state-dir), written when a multipart upload starts and removed once it is complete.
A changed file gets a new key, so stale parts are never reused for different bytes;
which parts S3 already has is asked of the service, not stored here.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path


def default_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "upload-cli"


class ResumeState:
    def __init__(self, directory: Path, api_url: str, path: str):
        stat = os.stat(path)
        ident = f"{api_url.rstrip('/')}|{os.path.abspath(path)}|{stat.st_size}|{stat.st_mtime_ns}"
        self.file = Path(directory) / (hashlib.sha256(ident.encode()).hexdigest()[:32] + ".json")

    def load(self) -> dict | None:
        try:
            return json.loads(self.file.read_text("utf-8"))
        except (OSError, ValueError):
            return None

    def save(self, upload_id: str, part_size: int, checksums: bool) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"upload_id": upload_id, "part_size": part_size, "checksums": checksums}), "utf-8")
        tmp.replace(self.file)

    def clear(self) -> None:
        try:
            self.file.unlink()
        except FileNotFoundError:
            pass
