"""The functions' JSON lines (logs and EMF metrics), locally: every line is kept in a
file for tools (jq, a log shipper), and the console shows one readable line per log
record instead, or the raw JSON with --json-logs."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import IO


class LogView:
    def __init__(self, path: Path, raw_to_console: bool = False, console: IO[str] | None = None):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a", encoding="utf-8")
        self.raw_to_console = raw_to_console
        self._console = console
        self._lock = threading.Lock()

    def __call__(self, line: str) -> None:
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()
            shown = line if self.raw_to_console else readable(line)
            if shown is not None:
                console = self._console or sys.stdout
                console.write(shown + "\n")
                console.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()


def readable(line: str) -> str | None:
    """`12:00:01 upload_core.validator: accepted ID as image/png [request R]`; None for
    metrics lines (they stay in the file)."""
    try:
        record = json.loads(line)
    except ValueError:
        return line
    if "_aws" in record:
        return None
    time = str(record.get("timestamp", ""))[11:19]
    name = record.get("name") or record.get("service", "")
    level = record.get("level", "INFO")
    text = f"{time} {name}: {record.get('message', '')}"
    if level not in ("INFO", "DEBUG"):
        text = f"{time} {name}: {level} {record.get('message', '')}"
    if record.get("correlation_id"):
        text += f" [request {record['correlation_id']}]"
    if record.get("exception"):
        text += "\n" + str(record["exception"])
    return text
