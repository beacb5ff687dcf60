"""What a PDF may not carry: one row per `found` code (the rule, its reason, its test), the
names refused wherever they are, what may run by itself, and what a clicked link may open.
The census (census.py) finds them in every object.

Actions by allow-list. /OpenAction and /AA (any object's: document, page, annotation, field
events) run without a click; what they run, and every action its /Next reaches (a
dictionary, a reference, an array of either, a reference to an array), may only be
navigation inside the document:
- GoTo (a destination in this file), and
- Named with NextPage, PrevPage, FirstPage or LastPage (ISO 32000-1, 12.6.4.11).
Anything else run that way (URI, GoToR, GoToE, Launch, Thread, Sound, Movie, Hide,
Rendition, SetOCGState, Trans, GoTo3DView, ResetForm, JavaScript, an unknown type, an action
without /S) is `pdf_action`. A reference is followed to every object with its number, in
every revision and object stream, so a reader that resolves it differently finds nothing
else. A link the reader clicks (a Link annotation's or an outline item's /A) may be a URI:
a web, mail or ftp address, or a path relative to the document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..base import unsafe
from .lexer import string_bytes


@dataclass(frozen=True)
class Rule:
    found: str
    refused: str
    reason: str
    test: str  # in tests/unit/test_inspect_pdf.py


RULES: tuple[Rule, ...] = (
    Rule(
        "pdf_javascript",
        "/JS, /JavaScript or /OnInstantiate (a 3D scene's script) as a key or a name, anywhere",
        "viewers with a script engine (Acrobat, pdf.js's sandbox, Foxit) run it",
        "test_hostile_pdfs_are_refused[js-*]",
    ),
    Rule(
        "pdf_action",
        "/Launch, /SubmitForm, /ImportData anywhere; on open or on an event, anything but navigation; a "
        "link (/URI) to anything but a web, mail or ftp address or a relative path",
        "they start programs, send form data or fetch URLs without the reader asking; a javascript:, "
        "file: or \\\\host link runs a script or leaks the reader's credentials when clicked",
        "test_hostile_pdfs_are_refused[open-*, aa-*, next-*, link-*]",
    ),
    Rule(
        "pdf_embedded_file",
        "/EmbeddedFile, /EmbeddedFiles, /EF (so e-invoices with their XML too)",
        "an attachment is a second file that was never inspected",
        "test_hostile_pdfs_are_refused[attached]",
    ),
    Rule(
        "pdf_rich_media",
        "/RichMedia, /RichMediaContent, /RichMediaSettings",
        "Flash, 3D and video players run inside the viewer",
        "test_hostile_pdfs_are_refused[flash]",
    ),
    Rule("pdf_xfa", "/XFA", "XFA forms carry scripts and fetch data", "test_hostile_pdfs_are_refused[xfa]"),
    Rule(
        "pdf_encrypted",
        "/Encrypt in any trailer or cross-reference stream",
        "encrypted strings and streams cannot be inspected",
        "test_hostile_pdfs_are_refused[locked]",
    ),
    Rule(
        "pdf_ambiguous",
        "structure that readers resolve differently: xref entries of another type than n/f or 0/1/2, "
        "entries that point at another object, a linearized file's first-page xref disagreeing with the "
        "main one, xref sections no startxref or /Prev reaches, objects in no xref (or inside another's "
        "stream data), one object twice in a revision, a /Length that misses endstream, startxref outside "
        "the last 1,024 bytes, a name with a broken # escape, a key given twice",
        "the inspector would check one reading while a viewer shows another (pdf.js, PDFium, MuPDF "
        "rebuild broken files by scanning)",
        "test_ambiguous_structure_is_refused",
    ),
    Rule(
        "pdf_limits",
        "more objects, xref entries, free entries, nesting, brackets, inflated bytes or object-stream "
        "members than PdfLimits allows",
        "small files that would cost the inspector (or a viewer) gigabytes or minutes",
        "test_resource_exhaustion_is_refused_cheaply",
    ),
    Rule(
        "malformed",
        "no %PDF- header, no %%EOF, bytes between objects, broken syntax, an undecodable object stream",
        "what cannot be read cannot be inspected",
        "test_broken_pdfs_say_what_is_wrong",
    ),
)

REFUSED_NAMES: dict[str, str] = {
    "JS": "pdf_javascript",
    "JavaScript": "pdf_javascript",
    "OnInstantiate": "pdf_javascript",
    "Launch": "pdf_action",
    "SubmitForm": "pdf_action",
    "ImportData": "pdf_action",
    "EmbeddedFile": "pdf_embedded_file",
    "EmbeddedFiles": "pdf_embedded_file",
    "EF": "pdf_embedded_file",
    "RichMedia": "pdf_rich_media",
    "RichMediaContent": "pdf_rich_media",
    "RichMediaSettings": "pdf_rich_media",
    "XFA": "pdf_xfa",
}
_WHAT = {
    "pdf_javascript": "The PDF carries JavaScript",
    "pdf_action": "The PDF has an action that runs outside the document",
    "pdf_embedded_file": "The PDF embeds files",
    "pdf_rich_media": "The PDF carries rich media",
    "pdf_xfa": "The PDF carries an XFA form",
}
TRIGGERS = ("OpenAction", "AA")
# What a link a reader clicks may open: a web, mail or file-transfer address, or a path
# relative to the document (`../doc/grid.pdf` in the R manual); not javascript:, data:, file:,
# a drive (`C:\\...`) or a network share (`\\\\host\\share`, `//host/share`, which leaks the
# reader's credentials), which viewers that hand a URI to the system would open.
_SCHEME = re.compile(rb"([A-Za-z][A-Za-z0-9+.-]*):")
_WEB_SCHEMES = frozenset({b"http", b"https", b"mailto", b"ftp"})
_URL_LEADING = b"".join(bytes([c]) for c in range(0x21))  # what browsers strip before a URL
NAVIGATION = frozenset({"NextPage", "PrevPage", "FirstPage", "LastPage"})


def link_text(value: bytes) -> bytes:
    """A URI string as a viewer hands it on: escapes resolved, UTF-16 made text, leading
    spaces and control characters dropped (as browsers drop them)."""
    text = string_bytes(value)
    if text.startswith(b"\xfe\xff"):  # UTF-16BE, as PDF text strings may be
        text = text[2:].decode("utf-16-be", "replace").encode("latin-1", "replace")
    return text.lstrip(_URL_LEADING)


def web_address(value: bytes) -> bool:
    text = link_text(value)
    scheme = _SCHEME.match(text)
    if scheme is not None:
        return scheme.group(1).lower() in _WEB_SCHEMES
    return not text.startswith((b"//", b"\\", b"/\\", b"\\/"))


def refuse_name(name: str, where: str) -> None:
    found = REFUSED_NAMES.get(name)
    if found is not None:
        raise unsafe(found, f"{_WHAT[found]} (/{name} in {where})")


def allowed(action: Any, where: str) -> None:
    kind = action.get("S") if isinstance(action, dict) else None
    if kind == "GoTo" or (kind == "Named" and action.get("N") in NAVIGATION):
        return
    shown = f"a /{kind} action" if isinstance(kind, str) else "something that is not a navigation action"
    raise unsafe(
        "pdf_action",
        f"The PDF runs {shown} by itself, on open or on an event ({where}); only navigation inside "
        "the document may run that way (GoTo, Named NextPage/PrevPage/FirstPage/LastPage)",
    )
