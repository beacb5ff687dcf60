"""The file front to back through a sliding buffer, and every `obj` keyword in its bytes.

The source is read in READ_BYTES blocks, once, in order; the buffer holds what the scan
still needs (one object's text, or one object stream's stored bytes), never the file.
Every block's `obj` keywords are also counted, wherever they are (stream data, strings,
comments included): `N G obj` is what pdf.js, PDFium and MuPDF take for an object when they
rebuild a broken cross-reference table by scanning, so an object only such a scan finds
cannot hide from the inspector. What is counted is every `obj` but those of `endobj` (a
literal search, 10x faster than one for whitespace before the word): never fewer than the
headers in the block, so a block whose count is the number of headers the pass read there
holds no other; only the other blocks are searched again (coverage.py).
"""

from __future__ import annotations

import re

from ..base import READ_BYTES, Source

# Whitespace as any reader counts it before `N G obj`: PDF's six, and what JavaScript's \s
# adds for bytes (\x0b, \xa0), since pdf.js's rebuild matches /^(\d+)\s+(\d+)\s+obj\b/.
WS_ANY = b"\x00\t\n\x0b\x0c\r \xa0"
_OBJ = re.compile(rb"obj(?![A-Za-z0-9_])")
_LOOK_BACK = 64  # a header `N G obj` with single spaces is at most 21 bytes
_ENDOBJ = re.compile(rb"endobj(?![A-Za-z0-9_])")


def _obj_words(text: bytes) -> int:
    return len(_OBJ.findall(text)) - len(_ENDOBJ.findall(text))


_HEADER_BEFORE = re.compile(rb"\d++[" + re.escape(WS_ANY) + rb"]++\d++[" + re.escape(WS_ANY) + rb"]++\Z")


class Window:
    """Bytes [base, end) of the file in `buf`; reads go forward only."""

    def __init__(self, source: Source, size: int):
        self.source, self.size = source, size
        self.buf, self.base, self.end = b"", 0, 0
        self.obj_words: list[tuple[int, int, int]] = []  # per block read: start, end, `obj` keywords
        self._tail = b""

    def more(self) -> bool:
        """Read the next block after the buffer; False at the end of the file."""
        if self.end >= self.size:
            return False
        self.source.seek(self.end)
        block = self.source.read(min(READ_BYTES, self.size - self.end))
        if not block:
            self.size = self.end  # the source is shorter than it said: what is there is the file
            return False
        self.obj_words.append(
            (self.end, self.end + len(block), _obj_words(self._tail + block) - _obj_words(self._tail))
        )
        self._tail = block[-8:]
        self.buf = self.buf + block if self.buf else block
        self.end += len(block)
        return True

    def fill(self, upto: int) -> bool:
        """Make the buffer reach offset `upto` (or the end of the file); True if it does."""
        while self.end < upto:
            if not self.more():
                return False
        return True

    def drop(self, before: int) -> None:
        """Forget the bytes before offset `before` once they are worth a copy."""
        if before - self.base >= READ_BYTES:
            self.buf = self.buf[before - self.base :]
            self.base = before

    def skip(self, to: int) -> None:
        """Move past stream data up to offset `to` without keeping it (every block is still
        searched for `obj`)."""
        if to <= self.end:
            self.drop(to)
            return
        self.buf, self.base = b"", self.end
        while self.end < to and self.more():
            if self.end <= to:
                self.buf, self.base = b"", self.end
        if self.end > to:  # the last block read goes past `to`: keep what follows it
            self.buf, self.base = self.buf[to - self.base :], to

    def read_at(self, pos: int, n: int) -> bytes:
        """Bytes [pos, pos + n) from the source, whatever the buffer holds (a second look at an
        object already passed); the sequential reads seek back before each block."""
        pos = max(0, pos)
        if self.base <= pos and pos + n <= self.end:
            return self.buf[pos - self.base : pos + n - self.base]
        self.source.seek(pos)
        return self.source.read(min(n, max(0, self.size - pos)))

    def headers_in(self, start: int, end: int) -> list[int]:
        """Where every `N G obj` whose `obj` ends in bytes [start, end) begins, numbers and
        whitespace as any reader accepts them: each `obj` is found as a literal word (C-level),
        the byte before it looked at, and the header before it matched in a short window."""
        shift = max(0, start - _LOOK_BACK)
        block = self.read_at(shift, end - shift)
        found = []
        for word in _OBJ.finditer(block, start - shift):
            at = word.start()
            if at == 0 or block[at - 1] not in WS_ANY:
                continue
            window = max(0, at - _LOOK_BACK)
            header = _HEADER_BEFORE.search(block, window, at)
            if header is not None and header.start() == window:
                found.append(self.header_before(shift + at))  # it may begin further back
            elif header is not None:
                found.append(shift + header.start())
        return [at for at in found if at >= 0]

    def header_before(self, at: int) -> int:
        """Where `N G` (numbers and whitespace) starts right before the `obj` at offset `at`,
        or -1, looking up to 4 KiB back."""
        before = self.read_at(at - 4096, min(at, 4096))
        found = _HEADER_BEFORE.search(before)
        return -1 if found is None else at - len(before) + found.start()
