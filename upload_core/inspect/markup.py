"""What image inspectors share: a buffered front-to-back reader and the markup scan.

The reader turns a seekable `source` into small structured reads (a 4-byte length, a
255-byte GIF sub-block) while asking the source only for blocks of at most READ_BYTES,
so an S3 object is read in a few large sequential ranges and memory stays flat.

The markup scan looks for what makes a browser or a PHP include run a file: HTML/SVG
tags, event handlers, `javascript:` URLs and PHP openers, in ASCII and in UTF-16. It is
run only over bytes where an image keeps text (comments, text chunks, metadata), never
over compressed pixel data, where any short byte pattern turns up by chance.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .base import READ_BYTES, Source, unsafe

# PHP's short echo `<?=` counts only with three printable characters after it: three
# bytes alone turn up by chance once in 16 million positions of binary metadata.
_MARKUP = re.compile(
    rb"<\s*(?:script|html|body|iframe|svg|object|embed|img\b[^>]{0,200}?\bonerror|meta\b[^>]{0,200}?http-equiv)\b"
    rb"|<\?php|<\?=[\x09\x0a\x0d\x20-\x7e]{3}|javascript\s*:|\bon(?:load|error)\s*=",
    re.I,
)
# Longest stretch of bytes a match can span, so a scan of a long text in pieces keeps
# enough of the previous piece to find a pattern across the boundary.
_OVERLAP = 512


def find_markup(data: bytes) -> str | None:
    """The first markup found in `data` (also as UTF-16 text, NULs dropped), or None."""
    found = _MARKUP.search(data)
    if found is None and b"\0" in data:
        found = _MARKUP.search(data.replace(b"\0", b""))
    return None if found is None else found.group(0)[:40].decode("latin-1")


def refuse_markup(data: bytes, where: str) -> None:
    shown = find_markup(data)
    if shown is not None:
        raise unsafe("markup", f"The image carries markup or script in its {where} ({shown!r})")


class MarkupScanner:
    """Scans a long text given in pieces, keeping an overlap so no match is split."""

    def __init__(self, where: str):
        self.where = where
        self._tail = b""

    def feed(self, piece: bytes) -> None:
        window = self._tail + piece
        refuse_markup(window, self.where)
        self._tail = window[-_OVERLAP:]


class Truncated(Exception):
    """The file ends inside a structure that says it goes on."""


class Reader:
    """Sequential reads through a small buffer over `source`, starting at offset 0."""

    def __init__(self, source: Source, size: int):
        self._source = source
        self.size = size
        self._buf = b""
        self._at = 0  # offset in the file of self._buf[0]
        self._pos = 0  # offset in self._buf of the next byte
        source.seek(0)

    def tell(self) -> int:
        return self._at + self._pos

    def _fill(self) -> bool:
        """Read one more block after the buffer; False at the end of the file."""
        block = self._source.read(min(READ_BYTES, self.size - self._at - len(self._buf)))
        if not block:
            return False
        self._at += self._pos
        self._buf = self._buf[self._pos :] + block
        self._pos = 0
        return True

    def read(self, n: int) -> bytes:
        """Exactly n bytes (n small: at most READ_BYTES), or Truncated."""
        while len(self._buf) - self._pos < n:
            if not self._fill():
                raise Truncated()
        out = self._buf[self._pos : self._pos + n]
        self._pos += n
        return out

    def unread(self, n: int) -> None:
        """Step back over the n bytes the last read() returned (they are still buffered)."""
        self._pos -= n

    def pieces(self, n: int) -> Iterator[bytes]:
        """The next n bytes, in pieces of at most READ_BYTES (for long chunks)."""
        while n > 0:
            if self._pos >= len(self._buf) and not self._fill():
                raise Truncated()
            piece = self._buf[self._pos : self._pos + n]
            self._pos += len(piece)
            n -= len(piece)
            yield piece

    def skip(self, n: int) -> None:
        for _ in self.pieces(n):
            pass

    def search(self, pattern: re.Pattern[bytes]) -> re.Match[bytes] | None:
        """Move to the first match of `pattern` (at most 2 bytes long) and return it;
        None at the end of the file. Used to cross entropy-coded data without a copy."""
        while True:
            found = pattern.search(self._buf, self._pos)
            if found is not None:
                self._pos = found.start()
                return found
            # Keep the last byte: a 2-byte pattern may straddle the blocks.
            self._pos = max(self._pos, len(self._buf) - 1)
            if not self._fill():
                return None

    def at_end(self) -> bool:
        return self.tell() >= self.size
