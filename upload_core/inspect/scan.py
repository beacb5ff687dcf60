"""An image's text scanned as the walker hands it over (reader.py): for markup (markup.py)
and for other formats' anchors (polyglot.py), in pieces at increasing file offsets.

Pieces that touch are scanned with an overlap, so that nothing is missed across a
boundary; pieces with pixel data between them are not joined (no reader joins them). A
match is named by the structure it was found in (`label`). The text scanned in one file is
bounded: honest metadata is kilobytes, rarely a few MiB.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable

from .base import unsafe
from .markup import HANDLER_LOOKBACK, markup_at
from .polyglot import find_foreign

# Text scanned in one file, at most: honest metadata is kilobytes, rarely a few MiB (a
# Photoshop XMP history); this bounds the scan's cost (~1 s of CPU) whatever the file.
MAX_TEXT_BYTES = 64 * 1024 * 1024
# Longest stretch of bytes a match can span, so a scan of a long text in pieces keeps
# enough of the previous piece to find a pattern across the boundary.
_OVERLAP = HANDLER_LOOKBACK + 512
_ANCHOR_HINT = re.compile(rb"PK\x03\x04|%PDF-|obj|Rar!")
# Pieces this short that touch no other are checked in batches of about _SHORT_BATCH bytes,
# kept apart by a byte that no rule needs (not whitespace, a letter, a digit, a quote, `<`,
# `>`, `:` or NUL): each piece is checked whole, and the few rules that may read across
# the byte (a comment, a quoted attribute) can only make a refusal more likely.
_SHORT = 64
_SHORT_BATCH = 64 * 1024
_APART = b"\x01"


class TextScan:
    """Scans an image's text as the walker hands it over: in pieces at increasing file
    offsets, keeping an overlap across pieces that touch (not across pixel data between
    them, which no reader joins), and naming the structure a match was found in.

    Short pieces that touch nothing (the CRC and header between two IDAT chunks, a GIF
    frame's descriptor) are checked in batches, each kept apart from the next by a byte no
    rule needs, so that a run of thousands costs a few calls, not thousands."""

    def __init__(self, max_bytes: int | None = None, anchors: bool = True) -> None:
        self.max_bytes = MAX_TEXT_BYTES if max_bytes is None else max_bytes
        self.anchors = anchors
        self.scanned = 0
        self._tail = b""
        self._end = -1  # file offset just past the last piece
        self._labels: list[tuple[int, str]] = []
        self._short: list[bytes] = []  # isolated short pieces not yet checked, and where they are
        self._short_at: list[int] = []
        self._short_bytes = 0

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
        if offset != self._end and len(data) <= _SHORT:
            self._short.append(data)
            self._short_at.append(offset)
            self._short_bytes += len(data)
            self._tail, self._end = b"", offset + len(data)
            if self._short_bytes > _SHORT_BATCH:
                self.flush()
            return
        if offset == self._end and self._short and self._short_at[-1] + len(self._short[-1]) == offset:
            last = self._short.pop()  # it goes on: check them together
            self._short_at.pop()
            self._short_bytes -= len(last)
            window, start = last + data, offset - len(last)
        elif offset == self._end:
            window, start = self._tail + data, offset - len(self._tail)
        else:
            window, start = data, offset
        self._end = offset + len(data)
        if window:
            self._check(window, lambda at: start + at)
        self._tail = window[-_OVERLAP:]
        if len(self._labels) > 128 and not self._short:
            self._forget(start)

    def flush(self) -> None:
        """Check the short pieces still waiting (the walk calls it at its end)."""
        if not self._short:
            return
        pieces, offsets = self._short, self._short_at
        self._short, self._short_at, self._short_bytes = [], [], 0
        starts, at = [], 0
        for piece in pieces:
            starts.append(at)
            at += len(piece) + 1

        def to_file(position: int) -> int:
            i = bisect.bisect_right(starts, position) - 1
            return offsets[i] + min(position - starts[i], len(pieces[i]))

        self._check(_APART.join(pieces), to_file)

    def _check(self, window: bytes, to_file: Callable[[int], int]) -> None:
        # A short window (the CRC and header between two IDAT chunks) is first asked in one
        # regex call whether it could hold an anchor at all.
        may_hold = len(window) > 4096 or _ANCHOR_HINT.search(window) is not None
        foreign = find_foreign(window) if self.anchors and may_hold else None
        if foreign is not None:
            at, what = foreign
            raise unsafe("polyglot", f"The image's {self._where(to_file(at))} holds {what} at byte {to_file(at)}")
        # Every markup rule needs a `<` (a tag, PHP, ASP, an include) or a `:` (a URL),
        # also in UTF-16: most pieces between pixel data have neither.
        found = markup_at(window) if b"<" in window or b":" in window else None
        if found is not None:
            at, shown = found
            raise unsafe("markup", f"The image carries markup or script in its {self._where(to_file(at))} ({shown!r})")

    def _where(self, offset: int) -> str:
        i = bisect.bisect_right(self._labels, (offset, "\uffff")) - 1
        return self._labels[i][1] if i >= 0 else "header"

    def _forget(self, start: int) -> None:
        """Drop labels no later match can fall in (keep the one covering `start`)."""
        i = bisect.bisect_right(self._labels, (start, "\uffff")) - 1
        if i > 64:
            del self._labels[: i - 1]
