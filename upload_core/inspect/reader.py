"""A front-to-back reader for image inspectors that hands every non-pixel byte to a scan.

An image walker asks for small structured reads (a 4-byte length, a 255-byte GIF sub-block)
while the source is asked only for blocks of at most READ_BYTES, so an S3 object is read in
a few large sequential ranges and memory stays flat.

Every byte the walker moves over is text, and goes to `TextScan` (markup, foreign formats'
anchors), unless the walker says it is compressed pixels: `pixels()` (a PNG IDAT),
`pixels_until()` (JPEG entropy-coded data up to its next marker), `gif_sub_blocks(pixels=True)`
(GIF LZW data) and `exclude()` (an embedded thumbnail's entropy-coded data). So whatever
a chunk or segment is called, and whether the walker knows it or not, its bytes are scanned:
what is left out is named, not what is put in. Text is handed over in bulk (when the buffer
is refilled, at a pixel span, at the end), so a run of thousands of small segments costs
one scan of their bytes, not thousands.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator

from .base import READ_BYTES, Source
from .scan import TextScan


class Truncated(Exception):
    """The file ends inside a structure that says it goes on."""


# A run of 0xFF (JPEG fill bytes) or 0x00 (zeros between MPO images): a repeated literal
# is matched ~6x faster than a search for the first byte that differs.
_RUN_OF = {0xFF: re.compile(rb"\xff*"), 0x00: re.compile(rb"\x00*")}


class Reader:
    """Sequential reads through a small buffer over `source`, starting at offset 0."""

    def __init__(self, source: Source, size: int, scan: TextScan | None = None):
        self._source = source
        self.size = size
        self.scan = scan if scan is not None else TextScan()
        self._buf = b""
        self._at = 0  # offset in the file of self._buf[0]
        self._pos = 0  # offset in self._buf of the next byte
        self._text_at = 0  # file offset of the first text byte not yet scanned
        self._in_pixels = False
        self._pixels_at = 0
        self.pixel_bytes = 0  # bytes left out of the scan as pixel data, in all
        source.seek(0)

    def tell(self) -> int:
        return self._at + self._pos

    def at_end(self) -> bool:
        return self.tell() >= self.size

    def mark(self, label: str, offset: int | None = None) -> None:
        """Name the structure that starts here (for the scan's messages)."""
        self.scan.label(self.tell() if offset is None else offset, label)

    # --- buffering ------------------------------------------------------------------

    def _flush(self) -> None:
        """Hand the text read since the last flush to the scan."""
        if self._in_pixels:
            return
        upto = self.tell()
        if upto > self._text_at:
            self.scan.feed(self._buf[self._text_at - self._at : self._pos], self._text_at)
            self._text_at = upto

    def _fill(self) -> bool:
        """Read one more block after the buffer; False at the end of the file."""
        self._flush()  # the bytes before _pos are dropped below
        block = self._source.read(min(READ_BYTES, self.size - self._at - len(self._buf)))
        if not block:
            return False
        self._at += self._pos
        self._buf = self._buf[self._pos :] + block
        self._pos = 0
        return True

    def _available(self, n: int) -> bool:
        """At least n bytes buffered after the position (n <= READ_BYTES), or False at the end."""
        while len(self._buf) - self._pos < n:
            if not self._fill():
                return False
        return True

    # --- text -----------------------------------------------------------------------

    def read(self, n: int) -> bytes:
        """Exactly n bytes (n small: at most READ_BYTES), or Truncated."""
        if not self._available(n):
            raise Truncated()
        out = self._buf[self._pos : self._pos + n]
        self._pos += n
        return out

    def byte(self) -> int:
        if self._pos >= len(self._buf) and not self._fill():
            raise Truncated()
        self._pos += 1
        return self._buf[self._pos - 1]

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
        """Move over n bytes of text (scanned like any other)."""
        while n > 0:
            if self._pos >= len(self._buf) and not self._fill():
                raise Truncated()
            step = min(n, len(self._buf) - self._pos)
            self._pos += step
            n -= step

    def skip_fill(self) -> None:
        """Move over a run of 0xFF bytes (JPEG fill bytes) in bulk."""
        if not self.skip_run(0xFF):
            raise Truncated()

    def skip_run(self, value: int) -> bool:
        """Move over a run of bytes equal to `value` in bulk; False when it runs to the end."""
        run = _RUN_OF[value]
        while True:
            self._pos = run.match(self._buf, self._pos).end()  # type: ignore[union-attr]
            if self._pos < len(self._buf):
                return True
            if not self._fill():
                return False

    def gif_sub_blocks(self, pixels: bool = False, max_steps: int = 2**62) -> int:
        """Move over a GIF sub-block chain through its terminator; the number of Python
        steps it took. A run of sub-blocks of one length (an encoder writes 255-byte ones)
        is checked in one C-level slice, so only irregular chains cost a step per block.
        Past `max_steps` it stops where it is (the caller refuses the file)."""
        if pixels:
            self._enter_pixels()
        try:
            return self._sub_blocks(max_steps)
        finally:
            if pixels:
                self._leave_pixels()

    def _sub_blocks(self, max_steps: int) -> int:
        steps = 0
        while steps <= max_steps:
            if not self._available(1):
                raise Truncated()
            n = self._buf[self._pos]
            if n == 0:
                self._pos += 1
                return steps
            steps += 1
            stride = n + 1
            if not self._available(stride):
                raise Truncated()
            whole = (len(self._buf) - self._pos) // stride  # sub-blocks wholly in the buffer
            run, probe, length = 1, 64, bytes((n,))
            while run < whole:
                lengths = self._buf[self._pos + run * stride : self._pos + min(whole, run + probe) * stride : stride]
                same = len(lengths) - len(lengths.lstrip(length))
                run += same
                if same < len(lengths):
                    break
                probe *= 2
            self._pos += run * stride
        return steps

    # --- pixels ---------------------------------------------------------------------

    def _enter_pixels(self) -> None:
        self._flush()
        self._in_pixels = True
        self._pixels_at = self.tell()

    def _leave_pixels(self) -> None:
        self._in_pixels = False
        self._text_at = self.tell()
        self.pixel_bytes += self._text_at - self._pixels_at
        self.scan.gap()

    def pixels(self, n: int, crc: int) -> int:
        """Move over n bytes of compressed pixels (never scanned); `crc` continued over them
        (straight from the buffer: no copy)."""
        self._enter_pixels()
        while n > 0:
            if self._pos >= len(self._buf) and not self._fill():
                raise Truncated()
            end = min(len(self._buf), self._pos + n)
            with memoryview(self._buf) as view:
                crc = zlib.crc32(view[self._pos : end], crc)
            n -= end - self._pos
            self._pos = end
        self._leave_pixels()
        return crc

    def pixels_until(self, pattern: re.Pattern[bytes]) -> bool:
        """Move over compressed pixels up to the first match of `pattern` (at most 2 bytes
        long: a JPEG marker); False when the file ends first."""
        self._enter_pixels()
        try:
            while True:
                found = pattern.search(self._buf, self._pos)
                if found is not None:
                    self._pos = found.start()
                    return True
                # Keep the last byte: a 2-byte pattern may straddle the blocks.
                self._pos = max(self._pos, len(self._buf) - 1)
                if not self._fill():
                    return False
        finally:
            self._leave_pixels()

    def exclude(self, spans: list[tuple[int, int]]) -> None:
        """Leave out of the scan these file ranges, just read and not yet scanned
        (an embedded thumbnail's entropy-coded data), in order."""
        for start, end in spans:
            if start < self._text_at or end > self.tell():
                raise ValueError("exclude() takes ranges read since the last scan")
            keep = self._pos
            self._pos = start - self._at
            self._flush()
            self._pos = keep
            self._text_at = end
            self.pixel_bytes += end - start
            self.scan.gap()

    # --- the end --------------------------------------------------------------------

    def finish(self) -> None:
        """Scan what is left of the text read so far."""
        self._flush()
        self.scan.flush()

    def rest(self) -> Iterator[bytes]:
        """What follows, to the end of the file, unscanned (bytes past the format's end,
        which are cut off or refused, never served)."""
        self.finish()
        self._in_pixels = True
        yield from self.pieces(self.size - self.tell())
