"""What a browser or a PHP include() could act on, looked for in an image's text.

"Text" is every byte of an image that is not compressed pixel data (reader.py decides which
bytes that is, scan.py scans them): chunk and segment headers and payloads of any type,
palettes, metadata, embedded thumbnails' headers. PHP's include() and a browser sniffing
HTML read the raw bytes, so the raw bytes are scanned, not a decoder's idea of them; text a
metadata reader joins or inflates (GIF comment sub-blocks, PNG zTXt/iTXt) is scanned as
well, joined or inflated.

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
"""

from __future__ import annotations

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
HANDLER_LOOKBACK = 4096
_MATCH_AT = re.compile(rb".{0,40}", re.S)  # a match object at a known offset, for the message
_PRINTABLE = re.compile(rb"[\t\n\r\x20-\x7e]*")
_SCRIPT_URL = re.compile(rb"script\s*:")
_DATA_URL = re.compile(rb"data\s*:\s*$")
# Markup in UTF-16 has `<` or `:` next to a NUL (every rule needs one of them).
_UTF16_HINTS = (b"<\0", b"\0<", b":\0", b"\0:")


def _handler(low: bytes) -> re.Match[bytes] | None:
    for found in _HANDLER.finditer(low):
        at = found.start()
        if at == 0 or low[at - 1] not in b" \t\n\r\f/\"'":
            continue
        if _TAG_START.search(low, max(0, at - HANDLER_LOOKBACK), at):
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


def refuse_markup(data: bytes, where: str) -> None:
    shown = find_markup(data)
    if shown is not None:
        raise unsafe("markup", f"The image carries markup or script in its {where} ({shown!r})")
