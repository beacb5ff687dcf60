"""An image's text scanned as the walker hands it over (reader.py): for markup (markup.py)
and for other formats' anchors (polyglot.py), in pieces at increasing file offsets.

Pieces that touch are scanned with an overlap, so that nothing is missed across a
boundary; pieces with pixel data between them are not joined (no reader joins them). A
match is named by the structure it was found in (`label`). The text scanned in one file is
bounded: honest metadata is kilobytes, rarely a few MiB.
"""

from __future__ import annotations

import bisect

from .base import unsafe
from .markup import HANDLER_LOOKBACK, markup_at
from .polyglot import find_foreign

# Text scanned in one file, at most: honest metadata is kilobytes, rarely a few MiB (a
# Photoshop XMP history); this bounds the scan's cost (~1 s of CPU) whatever the file.
MAX_TEXT_BYTES = 64 * 1024 * 1024
# Longest stretch of bytes a match can span, so a scan of a long text in pieces keeps
# enough of the previous piece to find a pattern across the boundary.
_OVERLAP = HANDLER_LOOKBACK + 512


class TextScan:
    """Scans an image's text as the walker hands it over: in pieces at increasing file
    offsets, keeping an overlap across pieces that touch (not across pixel data between
    them, which no reader joins), and naming the structure a match was found in."""

    def __init__(self, max_bytes: int | None = None, anchors: bool = True) -> None:
        self.max_bytes = MAX_TEXT_BYTES if max_bytes is None else max_bytes
        self.anchors = anchors
        self.scanned = 0
        self._tail = b""
        self._end = -1  # file offset just past the last piece
        self._labels: list[tuple[int, str]] = []

    def label(self, offset: int, label: str) -> None:
        """The structure (chunk, segment, block) that starts at `offset`."""
        self._labels.append((offset, label))

    def gap(self) -> None:
        """What comes next does not touch what came before (pixel data lies between)."""
        self._tail, self._end = b"", -1

    def feed(self, data: bytes, offset: int) -> None:
        self.scanned += len(data)
        if self.scanned > self.max_bytes:
            raise unsafe(
                "image_limits",
                f"The image has more than {self.max_bytes} bytes of metadata and other text",
                limit=self.max_bytes,
            )
        if offset == self._end:
            window, start = self._tail + data, offset - len(self._tail)
        else:
            window, start = data, offset
        self._end = offset + len(data)
        if window:
            self._check(window, start)
        self._tail = window[-_OVERLAP:]
        self._forget(start)

    def _check(self, window: bytes, start: int) -> None:
        foreign = find_foreign(window) if self.anchors else None
        if foreign is not None:
            at, what = foreign
            raise unsafe("polyglot", f"The image's {self._where(start + at)} holds {what} at byte {start + at}")
        # Every markup rule needs a `<` (a tag, PHP, ASP, an include) or a `:` (a URL),
        # also in UTF-16: most pieces between pixel data (a PNG's CRC and next chunk
        # header) have neither, and are done with two memchr calls.
        found = markup_at(window) if b"<" in window or b":" in window else None
        if found is not None:
            at, shown = found
            raise unsafe("markup", f"The image carries markup or script in its {self._where(start + at)} ({shown!r})")

    def _where(self, offset: int) -> str:
        i = bisect.bisect_right(self._labels, (offset, "\uffff")) - 1
        return self._labels[i][1] if i >= 0 else "header"

    def _forget(self, start: int) -> None:
        """Drop labels no later match can fall in (keep the one covering `start`)."""
        i = bisect.bisect_right(self._labels, (start, "\uffff")) - 1
        if i > 64:
            del self._labels[: i - 1]
