"""What a browser or a PHP include() could act on, looked for in an image's text.

"Text" is every byte of an image that is not compressed pixel data (reader.py decides which
bytes that is): chunk and segment headers and payloads of any type, palettes, metadata,
embedded thumbnails' headers. PHP's include() and a browser sniffing HTML read the raw bytes,
so the raw bytes are scanned, not a decoder's idea of them; text a metadata reader joins or
inflates (GIF comment sub-blocks, PNG zTXt/iTXt) is scanned as well, joined or inflated.

What counts as markup (`find_markup`), chosen so that it also holds in binary metadata,
where random bytes (an ICC curve, a palette, a thumbnail) must not trip it: each rule needs
a few bytes that chance rarely lines up (about one false match in 10^9 random bytes):
- a tag that runs or loads something: `<script`, `<svg`, `<iframe`, `<object`, `<meta`,
  `<!DOCTYPE`, ... followed by whitespace, `/` or `>`;
- an event handler inside a tag: `on` and three or more letters, `=`, after whitespace, `/`
  or a quote, with a `<` and a letter (a tag's start) in the 4 KiB before it;
- PHP: `<?php`; `<?=` or `<?` and whitespace followed by code-like text; any `<?...?>` block
  of printable text. XML processing instructions that honest metadata carries are not PHP:
  `<?xpacket begin=`/`end=` (every XMP packet), `<?xml version=` and
  `<?adobe-xap-filters esc=` (two words in a row are a PHP parse error, so none can run);
- ASP and JSP: `<%...%>` or `<%` followed by code-like text;
- `javascript:`, `vbscript:` and `data:text/html` URLs;
- server and edge side includes: `<!--#exec`, `<!--#include`, ..., `<esi:`.
Each is also looked for in UTF-16 text (the bytes with their NULs dropped).

What counts as another format's anchor (`polyglot`, see polyglot.py for the whole file):
a zip local file header, `%PDF-`, a PDF object header (`1 0 obj`), a RAR signature, in an
image's text (7-Zip, WinRAR and PDF readers that repair a file find them anywhere).
"""

from __future__ import annotations

import bisect
import re

from .base import unsafe

_TEXT = rb"[\t\n\r\x20-\x7e]"
# XML processing instructions honest metadata carries: none of them can be PHP code.
_XML_PI = rb"(?:xpacket\s+(?:begin|end)|xml\s+version|adobe-xap-filters\s+esc)\s*="
_TAGS = (
    rb"script|html|head|body|i?frame|frameset|svg|math|object|embed|applet|meta|base|link|style|form|xmp"
    rb"|template|isindex|!doctype|!entity"
)
# On lower-cased bytes (so the search can start from the literal `<`, ~10x faster than re.I).
_OPENER = re.compile(
    rb"<(?:(?:" + _TAGS + rb")[\s/>]"
    rb"|!--\#(?:exec|include|echo|config|set|printenv|fsize|flastmod)\b|esi:"  # server and edge side includes
    rb"|\?(?!" + _XML_PI + rb")(?:php\s|=" + _TEXT + rb"{6}|\s" + _TEXT + rb"{8}|" + _TEXT + rb"{2,256}?\?>"
    rb"|" + _TEXT + rb"{12})"
    rb"|%(?:" + _TEXT + rb"{2,256}?%>|" + _TEXT + rb"{12}))"
)
_HANDLER = re.compile(rb"on[a-z]{3,}\s*=")
_TAG_START = re.compile(rb"<[a-z]")
_HANDLER_LOOKBACK = 4096
_MATCH_AT = re.compile(rb".{0,40}", re.S)  # a match object at a known offset, for the message
_PRINTABLE = re.compile(rb"[\t\n\r\x20-\x7e]*")
_SCRIPT_URL = re.compile(rb"script\s*:")
_DATA_URL = re.compile(rb"data\s*:\s*$")
# Another format's anchor in an image's text: what a zip, PDF, RAR or 7-Zip reader finds.
_ZIP_LOCAL = re.compile(rb"PK\x03\x04[\x0a-\x3f]\x00")  # version needed: 1.0 to 6.3
_PDF_OBJECT = re.compile(rb"(?<![0-9])[0-9]{1,10}[\x00\t\n\f\r ]+[0-9]{1,5}[\x00\t\n\f\r ]+obj$")
_OBJ_AFTER = (b"", b"<", b"[", b"(", b" ", b"\t", b"\n", b"\r", b"\f", b"\x00", b"/")
_FOREIGN = (
    (b"PK\x03\x04", "a zip archive (a local file header)"),
    (b"%PDF-", "a PDF header"),
    (b"obj", "a PDF object (N G obj)"),
    (b"Rar!\x1a\x07", "a RAR archive"),
)
# Markup in UTF-16 has `<` or `:` next to a NUL (every rule needs one of them).
_UTF16_HINTS = (b"<\0", b"\0<", b":\0", b"\0:")
# Text scanned in one file, at most: honest metadata is kilobytes, rarely a few MiB (a
# Photoshop XMP history); this bounds the scan's cost (~1 s of CPU) whatever the file.
MAX_TEXT_BYTES = 64 * 1024 * 1024
# Longest stretch of bytes a match can span, so a scan of a long text in pieces keeps
# enough of the previous piece to find a pattern across the boundary.
_OVERLAP = _HANDLER_LOOKBACK + 512


def _handler(low: bytes) -> re.Match[bytes] | None:
    for found in _HANDLER.finditer(low):
        at = found.start()
        if at == 0 or low[at - 1] not in b" \t\n\r\f/\"'":
            continue
        if _TAG_START.search(low, max(0, at - _HANDLER_LOOKBACK), at):
            return found
    return None


def _markup(data: bytes) -> re.Match[bytes] | None:
    low = data.lower()
    found = _OPENER.search(low)
    if found is None and b"on" in low:
        found = _handler(low)
    if found is None and b"script" in low:
        found = _script_url(low)
    if found is None and b"text/html" in low:
        found = _data_url(low)
    return found


def _script_url(low: bytes) -> re.Match[bytes] | None:
    for found in _SCRIPT_URL.finditer(low):
        at = found.start()
        if low[max(0, at - 4) : at] == b"java" or low[max(0, at - 2) : at] == b"vb":
            return _MATCH_AT.match(low, at - (4 if low[at - 4 : at] == b"java" else 2))
    return None


def _data_url(low: bytes) -> re.Match[bytes] | None:
    at = low.find(b"text/html")
    while at >= 0:
        if _DATA_URL.search(low, max(0, at - 64), at):
            return _MATCH_AT.match(low, at)
        at = low.find(b"text/html", at + 1)
    return None


def markup_at(data: bytes) -> tuple[int, str] | None:
    """Where the first markup in `data` is and what it says (40 bytes of it); also looked
    for as UTF-16 text, NULs dropped (then at the offset of the first byte of `data`)."""
    found = _markup(data)
    if found is not None:
        return found.start(), _shown(data, found)
    if b"\0" in data and (b"<" in data or b":" in data) and any(pair in data for pair in _UTF16_HINTS):
        stripped = data.replace(b"\0", b"")
        found = _markup(stripped)
        if found is not None:
            return 0, _shown(stripped, found)
    return None


def _shown(data: bytes, found: re.Match[bytes]) -> str:
    """The match and the printable text after it, up to 40 characters, for a message."""
    text = _PRINTABLE.match(data, found.end(), found.start() + 40)
    return data[found.start() : max(found.end(), text.end() if text else 0)][:40].decode("latin-1")


def find_markup(data: bytes) -> str | None:
    """The first markup found in `data` (also as UTF-16 text, NULs dropped), or None."""
    found = markup_at(data)
    return None if found is None else found[1]


def find_foreign(data: bytes) -> tuple[int, str] | None:
    """Where another format's anchor is in `data`, and what it is; None when there is none."""
    best: tuple[int, str] | None = None
    for anchor, what in _FOREIGN:
        at = data.find(anchor)
        verify = _VERIFY.get(anchor)
        while at >= 0 and verify is not None and not verify(data, at):
            at = data.find(anchor, at + 1)
        if at >= 0 and (best is None or at < best[0]):
            best = (at, what)
    return best


def _zip_local(data: bytes, at: int) -> bool:
    return _ZIP_LOCAL.match(data, at) is not None


def _pdf_object(data: bytes, at: int) -> bool:
    """`obj` at `at` ends a PDF object header: `N G obj` (MuPDF and pdf.js, repairing a
    file, find objects by it anywhere, header or not)."""
    return _PDF_OBJECT.search(data, max(0, at - 20), at + 3) is not None and data[at + 3 : at + 4] in _OBJ_AFTER


_VERIFY = {b"PK\x03\x04": _zip_local, b"obj": _pdf_object}


def refuse_markup(data: bytes, where: str) -> None:
    shown = find_markup(data)
    if shown is not None:
        raise unsafe("markup", f"The image carries markup or script in its {where} ({shown!r})")


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
        found = markup_at(window)
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
