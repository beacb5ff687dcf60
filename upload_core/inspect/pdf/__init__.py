"""PDF inspection: every object any reader could find, read at C speed, inside hard limits.

A viewer does not read one parse of a PDF: pdf.js, PDFium and MuPDF each find objects their
own way, and rebuild a file they think broken by scanning it for `N G obj`. So the inspector
reads the union: one pass over every byte (scan.py) censuses every object in it, of every
revision, inside every object stream, wherever an xref says it is or not (census.py); then
every reader's cross-reference view is held against the others (xref.py) and against those
objects (coverage.py), and the file is refused where they disagree; last, what runs by
itself (/OpenAction, /AA) is followed to every object a reference may mean (objects.py).
What is refused and why is the table in rules.RULES.

The parser is our own (lexer.py): `re` over the raw bytes, streams stepped over by /Length,
only object and xref streams inflated, and objects built as trees only where a rule needs
their structure. Chosen by measurement (bench/bench_pdf.py, README "What validated means"):
on the Debian manuals it takes about the CPU time of a pikepdf (qpdf) walk of every object,
where pypdf took 9.7x; its import costs ~70 ms of CPU on the first PDF (its regular
expressions compiled: less than pikepdf's or pypdf's), it adds no wheel to the artifact, and
it shows every reading, where qpdf repairs silently and shows one.

Memory: the file is read front to back, in READ_BYTES blocks (reader.py), and only what a
check needs is read again (a block whose `obj` count is off, an object a reference names);
what is held at once is one object's text or one object stream (limits.py), plus a few
integers per object; peak RSS is in the benchmark's table.
"""

from __future__ import annotations

from ..base import READ_BYTES, Inspected, Limits, Source, unsafe
from . import coverage, xref
from .census import Census
from .limits import LIMITS, PdfLimits
from .objects import Objects
from .reader import Window
from .scan import Scan

# MuPDF looks for `startxref` in the last 1,024 bytes, PDFium in the last 4,096; past that they
# rebuild the file by scanning. Honest writers end with `startxref N %%EOF` in a few dozen bytes.
TAIL_BYTES = 1024
_WHITESPACE = b" \t\r\n\f\0"


def inspect_pdf(source: Source, size: int, limits: Limits) -> Inspected:
    """Check the header, the tail, every object, every reader's view; refuse what can act on its own."""
    return inspect_pdf_with(source, size, LIMITS)


def inspect_pdf_with(source: Source, size: int, limits: PdfLimits) -> Inspected:
    """inspect_pdf under other PDF limits (the tests' and the benchmark's)."""
    source.seek(0)
    head = source.read(min(1024, size))
    if not head.startswith(b"%PDF-"):
        if b"%PDF-" in head:
            raise unsafe("leading_data", f"{head.index(b'%PDF-')} bytes come before the PDF header")
        raise unsafe("malformed", "The file does not start with %PDF-")
    last_eof, last_startxref = _check_tail(source, size)
    window = Window(source, size)
    census = Census(limits)
    scan = Scan(window, limits, census)
    layout = scan.run()
    if not layout.eofs or layout.eofs[-1] != last_eof:
        raise unsafe("malformed", "The PDF's last %%EOF is not where its structure ends")
    if not layout.startxrefs or layout.startxrefs[-1][0] != last_startxref:
        raise unsafe(
            "pdf_ambiguous",
            "The PDF's last `startxref` word is not its last startxref (readers that search the tail for the "
            "word land elsewhere than readers that parse it)",
        )
    sections = xref.check(layout, window)
    census.check_links()
    objects = Objects(scan)
    coverage.check(layout, sections, window, objects)
    census.check_triggered(objects.numbered)
    return Inspected("application/pdf", size)


def _check_tail(source: Source, size: int) -> tuple[int, int]:
    """The file ends with `startxref N %%EOF` (and whitespace) inside the last TAIL_BYTES;
    the offsets of that %%EOF and of the last `startxref` before it, as MuPDF and pdf.js find
    them (searching backwards for the word)."""
    source.seek(max(0, size - TAIL_BYTES))
    tail = source.read(min(TAIL_BYTES, size))
    eof = tail.rfind(b"%%EOF")
    if eof < 0:
        last = _last_eof(source, size)
        if last < 0:
            raise unsafe("malformed", "The PDF has no %%EOF end marker: it is cut short, or not a whole PDF")
        if not _blank_after(source, last + 5, size):
            raise unsafe("trailing_data", f"{size - last - 5} bytes follow the PDF's last %%EOF")
        raise unsafe(
            "pdf_ambiguous",
            f"{size - last - 5} bytes of whitespace after the PDF's %%EOF put startxref outside the last "
            f"{TAIL_BYTES} bytes, where MuPDF looks for it (it would rebuild the file by scanning)",
        )
    if tail[eof + 5 :].strip(_WHITESPACE):
        raise unsafe("trailing_data", f"{len(tail) - eof - 5} bytes follow the PDF's last %%EOF")
    startxref = tail.rfind(b"startxref", 0, eof)
    if startxref < 0:
        source.seek(max(0, size - 64 * 1024))
        if b"startxref" not in source.read(64 * 1024):
            raise unsafe("malformed", "The PDF has no startxref before its %%EOF: it is cut short or broken")
        raise unsafe(
            "pdf_ambiguous",
            f"The PDF's startxref is not within its last {TAIL_BYTES} bytes, where MuPDF looks for it "
            "(it would rebuild the file by scanning)",
        )
    return size - len(tail) + eof, size - len(tail) + startxref


def _last_eof(source: Source, size: int) -> int:
    """The offset of the last `%%EOF` in the file, -1 if none: blocks read from the end."""
    end = size
    while end > 0:
        start = max(0, end - READ_BYTES)
        source.seek(start)
        block = source.read(end - start + (4 if end < size else 0))
        found = block.rfind(b"%%EOF")
        if found >= 0:
            return start + found
        end = start
    return -1


def _blank_after(source: Source, pos: int, size: int) -> bool:
    source.seek(pos)
    while pos < size:
        block = source.read(min(READ_BYTES, size - pos))
        if not block or block.strip(_WHITESPACE):
            return not block
        pos += len(block)
    return True
