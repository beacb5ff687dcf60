"""Where every JSON line of the functions goes (log records and EMF metrics): stdout,
as Lambda wants, unless the local stack swaps in its own (readable console, JSON file)."""

from __future__ import annotations

import sys
from typing import Callable


def _stdout(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


_sink: Callable[[str], None] = _stdout


def set_sink(sink: Callable[[str], None] | None) -> None:
    """Send every JSON line to `sink` instead of stdout (None: back to stdout)."""
    global _sink
    _sink = sink or _stdout


def emit(line: str) -> None:
    _sink(line)
