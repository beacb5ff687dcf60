"""Polyglots refused by anchor: a file of one allowed type that another format's reader
would also open, because that format's anchor is where its reader looks for it.

rules.py calls `refuse_polyglot` after a type's own inspector, for every type that is not
a zip container, on the bytes that will be served ([0, end): bytes cut off are never
served, so an anchor there opens nothing). Each rule is a reader's own search:

- a zip end of central directory record whose central directory is where a zip reader
  looks for it (at its offset, or just before the record: a zip behind other data), in
  the last 64 KiB + 22 bytes, where `java -jar` (a JAR), unzip and PHP's `zip://` look;
- `%PDF-` in the first 1,024 bytes of a file that is not a PDF (Acrobat, pdf.js, PDFium);
- `startxref` in the last 1,024 bytes of a file that is not a PDF (pdf.js opens a file
  without a header from its trailer);
- GIF and JPEG: the whole file is also JavaScript, read as windows-1252 (a `<script src>`
  runs it): `GIF89a/*...*/=alert(1)//`, or a JPEG whose first bytes FF D8 FF E0 read
  `ÿØÿà` (letters: an identifier) and whose APP0 length spells `/*`.

Inside an image's text (its metadata: see markup.py) a zip local file header, `%PDF-` or
a RAR signature is refused wherever it is, since 7-Zip, WinRAR and PDF readers that
repair a file find them anywhere; pixel data is not searched (any short pattern turns up
there by chance), and neither are other types' insides, which their own inspectors read.

An honest file trips none of these: a zip end record must point at a central directory
(two 4-byte signatures at related offsets), the PDF keywords are 5 and 9 letters, and no
honest image is valid JavaScript from its first byte to its last (the first NUL or control
byte outside a comment or a string ends the question).
"""

from __future__ import annotations

import re
import struct

from .base import Inspected, Source, unsafe

ZIP_WINDOW = 0xFFFF + 22  # a zip comment is at most 65,535 bytes; the record is 22
PDF_HEAD = 1024
PDF_TAIL = 1024
_MAX_END_RECORDS = 64
# Lexing a file as JavaScript: past this many tokens or bytes it is a script, whatever else
# it is (an honest image meets a control byte outside a comment or string within bytes).
MAX_SCRIPT_STEPS = 100_000
MAX_SCRIPT_BYTES = 16 * 1024 * 1024
_BLOCK = 1024 * 1024


def refuse_polyglot(source: Source, verdict: Inspected, head: bytes) -> None:
    """Raise `polyglot` when the served bytes are also another format where its reader looks."""
    end, mime = verdict.end, verdict.mime
    start = max(0, end - ZIP_WINDOW)
    source.seek(start)
    tail = source.read(end - start)
    at = _zip_end_record(source, tail, start)
    if at is not None:
        raise unsafe(
            "polyglot",
            f"The file is also a zip archive (its end record at byte {at}): a reader such as `java -jar` opens it",
        )
    if mime != "application/pdf":
        at = head[: min(PDF_HEAD, end)].find(b"%PDF-")
        if at >= 0:
            raise unsafe("polyglot", f"The file is also a PDF: `%PDF-` at byte {at}, where PDF readers look for it")
        if b"startxref" in tail[-PDF_TAIL:]:
            raise unsafe("polyglot", "The file is also a PDF: `startxref` in its last 1,024 bytes")
    if mime in ("image/gif", "image/jpeg") and is_javascript(source, end):
        raise unsafe("polyglot", "The file is also JavaScript from its first byte to its last (a script polyglot)")


def _zip_end_record(source: Source, tail: bytes, start: int) -> int | None:
    """The offset of a zip end record in `tail` that a zip reader would follow to a
    central directory, or None."""
    at = tail.rfind(b"PK\x05\x06")
    for _ in range(_MAX_END_RECORDS):
        if at < 0:
            return None
        if at + 22 <= len(tail):
            entries, size, offset = struct.unpack("<10xHII", tail[at : at + 20])
            record = start + at
            if tail[max(0, at - 20) : at - 16] == b"PK\x06\x07":  # a ZIP64 locator
                return record
            if entries or size:
                for directory in {record - size, offset}:
                    if 0 <= directory <= record - 4 and _bytes_at(source, tail, start, directory, 4) == b"PK\x01\x02":
                        return record
        at = tail.rfind(b"PK\x05\x06", 0, at)
    return start + at if at >= 0 else None  # more end records than any zip has: refuse


def _bytes_at(source: Source, tail: bytes, start: int, offset: int, n: int) -> bytes:
    if offset >= start:
        return tail[offset - start : offset - start + n]
    source.seek(offset)
    return source.read(n)


# --- JavaScript --------------------------------------------------------------------------
#
# An over-approximating lexer: it says "not JavaScript" only for what no JavaScript engine
# accepts (a control byte outside a comment, string or template; an unterminated comment,
# string or template; a newline in a string), and reads any other byte (0x80-0xFF
# included) as part of a token. A script with a syntax error never runs, so a file that
# fails here cannot be run as a script however a page loads it.

_CODE = re.compile(rb"[^\x00-\x08\x0e-\x1f\x7f/'\"`<]*")
_INVALID = frozenset(b"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b")
_INVALID |= frozenset(b"\x1c\x1d\x1e\x1f\x7f")
_BLOCK_END = re.compile(rb"\*/")
_LINE_END = re.compile(rb"[\n\r]")
_STRING_END = {ord("'"): re.compile(rb"['\\\n\r]"), ord('"'): re.compile(rb'["\\\n\r]')}
_TEMPLATE_END = re.compile(rb"[`\\]")


class _Text:
    """The file [0, end) read front to back in blocks, for searches that may span them."""

    def __init__(self, source: Source, end: int):
        self._source, self._end = source, end
        self.buf, self.pos, self._read = b"", 0, 0
        source.seek(0)

    def more(self) -> bool:
        """Read the next block, keeping the bytes from pos on; False at the end."""
        if self._read >= self._end:
            return False
        block = self._source.read(min(_BLOCK, self._end - self._read))
        if not block:
            return False
        self._read += len(block)
        self.buf, self.pos = self.buf[self.pos :] + block, 0
        return True

    def ahead(self, n: int) -> bytes:
        while len(self.buf) - self.pos < n and self.more():
            pass
        return self.buf[self.pos : self.pos + n]

    def search(self, pattern: re.Pattern[bytes], keep: int = 1) -> re.Match[bytes] | None:
        """The next match of `pattern` (at most keep + 1 bytes long), moving to its start."""
        while True:
            found = pattern.search(self.buf, self.pos)
            if found is not None and (found.end() < len(self.buf) or self._read >= self._end):
                self.pos = found.start()
                return found
            self.pos = max(self.pos, len(self.buf) - keep)
            if not self.more():
                return None


def is_javascript(source: Source, end: int) -> bool:
    """Whether bytes [0, end) lex as JavaScript from the first to the last."""
    text = _Text(source, min(end, MAX_SCRIPT_BYTES))
    # Cut short, the text's end decides nothing: what has lexed so far is a script.
    cut = end > MAX_SCRIPT_BYTES
    for _ in range(MAX_SCRIPT_STEPS):
        while True:  # code: up to the next byte that starts or breaks something
            run = _CODE.match(text.buf, text.pos)
            text.pos = run.end() if run else text.pos
            if text.pos < len(text.buf) or not text.more():
                break
        head = text.ahead(4)
        if not head:
            return True  # the file (or its first MAX_SCRIPT_BYTES) ends in code
        c = head[0]
        if c in _INVALID:
            return False
        text.pos += 1
        if c == ord("/") and head[1:2] in (b"*", b"/"):
            text.pos += 1
            pattern, keep = (_BLOCK_END, 1) if head[1:2] == b"*" else (_LINE_END, 0)
            found = text.search(pattern, keep)
            if found is None:
                return pattern is _LINE_END or cut  # a line comment may run to the end; a block may not
            text.pos = found.end()
        elif c == ord("<") and head == b"<!--":  # an HTML-like comment: to the end of the line
            if text.search(_LINE_END, 0) is None:
                return True
        elif c in _STRING_END or c == ord("`"):
            pattern = _STRING_END.get(c, _TEMPLATE_END)
            while True:
                found = text.search(pattern, 0)
                if found is None:
                    return cut  # a string or template that does not end
                if found.group() in (b"\n", b"\r"):
                    return False
                if found.group() != b"\\":
                    text.pos = found.end()
                    break
                escaped = text.ahead(3)[1:]  # a backslash and what it escapes (CR LF: a line continuation)
                if not escaped:
                    return cut
                text.pos += 3 if escaped == b"\r\n" else 2
    return True  # this many tokens: a script, whatever else the file is
