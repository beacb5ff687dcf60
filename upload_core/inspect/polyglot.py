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
- GIF and JPEG: the whole file is also JavaScript (javascript.py), which a `<script src>`
  runs: `GIF89a/*...*/=alert(1)//`, or a JPEG whose APP0 length spells `/*`.

In an image's text (every byte but pixel data: scan.py calls `find_foreign`) a zip local
file header, `%PDF-`, a PDF object header (`1 0 obj`) or a RAR signature is refused
wherever it is: 7-Zip, WinRAR and PDF readers that repair a file (MuPDF, pdf.js) find them
anywhere. Pixel data is not searched (any short pattern turns up there by chance), and
neither are other types' insides, which their own inspectors read.

An honest file trips none of these: a zip end record must point at a central directory
(two 4-byte signatures at related offsets), the PDF anchors are 5 to 9 bytes, and no
honest image is valid JavaScript from its first byte to its last (the first NUL or control
byte outside a comment or a string ends the question).
"""

from __future__ import annotations

import re
import struct

from .base import Inspected, Source, unsafe
from .javascript import is_javascript

ZIP_WINDOW = 0xFFFF + 22  # a zip comment is at most 65,535 bytes; the record is 22
PDF_HEAD = 1024
PDF_TAIL = 1024
_MAX_END_RECORDS = 64

# Another format's anchor in an image's text: what a zip, PDF or RAR reader finds anywhere.
_ZIP_LOCAL = re.compile(rb"PK\x03\x04[\x0a-\x3f]\x00")  # version needed: 1.0 to 6.3
_PDF_OBJECT = re.compile(rb"(?<![0-9])[0-9]{1,10}[\x00\t\n\f\r ]+[0-9]{1,5}[\x00\t\n\f\r ]+obj$")
_OBJ_AFTER = (b"", b"<", b"[", b"(", b" ", b"\t", b"\n", b"\r", b"\f", b"\x00", b"/")
_FOREIGN = (
    (b"PK\x03\x04", "a zip archive (a local file header)"),
    (b"%PDF-", "a PDF header"),
    (b"obj", "a PDF object (N G obj)"),
    (b"Rar!\x1a\x07", "a RAR archive"),
)


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


# --- anchors in an image's text (scan.py calls this on every piece) ---------------------------


def find_foreign(data: bytes) -> tuple[int, str] | None:
    """Where another format's anchor is in `data`, and what it is; None when there is none."""
    best: tuple[int, str] | None = None
    for anchor, what in _FOREIGN:
        at = data.find(anchor)
        if at < 0 or (best is not None and at > best[0]):
            continue
        if anchor == b"PK\x03\x04":
            while at >= 0 and _ZIP_LOCAL.match(data, at) is None:
                at = data.find(anchor, at + 1)
        elif anchor == b"obj":
            while at >= 0 and not _pdf_object(data, at):
                at = data.find(anchor, at + 1)
        if at >= 0 and (best is None or at < best[0]):
            best = (at, what)
    return best


def _pdf_object(data: bytes, at: int) -> bool:
    """`obj` at `at` ends a PDF object header: `N G obj` (MuPDF and pdf.js, repairing a
    file, find objects by it anywhere, header or not)."""
    return _PDF_OBJECT.search(data, max(0, at - 20), at + 3) is not None and data[at + 3 : at + 4] in _OBJ_AFTER
