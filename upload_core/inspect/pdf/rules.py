"""What a PDF may not carry, one row per `found` code, and the census that finds it.

Every object's text is read by the census (top-level objects, object-stream members, of
every revision): a regular expression over the raw bytes finds the names the rules care
about, however a reader would spell them (`#xx` escapes send the text to the exact reading),
and counts brackets for the nesting and size limits. Only text that may hold such a name
is parsed into a tree (lexer.parse_value), where names in strings and comments no longer
count. So the common object costs two C-level scans and no Python objects.

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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..base import unsafe
from .lexer import DELIMS, WS, Ref, string_bytes
from .limits import PdfLimits


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

# Names the census must look at closely: the refused ones, the triggers, and any name with a
# `#` escape (which may spell either). A name ends where a reader's would: at whitespace, a
# delimiter, or anything but a letter or a digit, so the match errs towards a closer look.
_WATCHED = sorted(set(REFUSED_NAMES) | set(TRIGGERS) | {"Encrypt", "URI"}, key=len, reverse=True)
_PREFILTER = re.compile(rb"/(?:" + b"|".join(n.encode() for n in _WATCHED) + rb")(?![A-Za-z0-9])")
_HASH = re.compile(rb"#")
_NAME_BEFORE = re.compile(rb"/[^" + WS + rb"\x0b" + DELIMS + rb"]*+")
_BRACKETS_ONLY = bytes(b for b in range(256) if b not in b"[]<>")
_RUNS = re.compile(rb"[\[<]++|[\]>]++")
_STRING = re.compile(rb"\((?:[^()\\]++|\\.)*+\)", re.S)


class Census:
    """Counts and watched names over every object's text; trigger values for later."""

    def __init__(self, limits: PdfLimits):
        self.limits = limits
        self.brackets = 0
        self.triggers: list[tuple[str, Any, str]] = []
        self.links: list[tuple[bytes, str]] = []  # URIs to what is no web or mail address

    def watched(self, buf: bytes, start: int, end: int) -> list[int]:
        """Offsets in buf[start:end] where a watched name may start (empty: nothing to read
        closely), after counting brackets and measuring nesting."""
        count = buf.count(b"[", start, end) + buf.count(b"<", start, end)
        if count:
            self.brackets += count
            if self.brackets > self.limits.max_brackets:
                raise unsafe("pdf_limits", f"The PDF has more than {self.limits.max_brackets} brackets")
            if count > self.limits.max_nesting // 2:
                self._nesting(buf[start:end])
        hits = [m.start() for m in _PREFILTER.finditer(buf, start, end)]
        if buf.find(b"#", start, end) >= 0:
            hits += _escaped_names(buf, start, end)
            hits.sort()
        return hits

    def _nesting(self, text: bytes) -> None:
        """Levels of [ ] and < > (a dictionary's << counts two). Honest text nests a handful of
        levels: a few passes over its brackets alone, each removing the innermost pairs
        (C-level replace), leave nothing, and bound the depth. If they stall (deep nesting, or
        brackets in strings, as in a title `a < b`), strings are cut out and the rest is
        measured run by run, stopping as soon as it is too deep: a million `[` cost one pass."""
        limit = self.limits.max_nesting
        if 2 * _passes(text.translate(None, _BRACKETS_ONLY)) <= limit:
            return
        brackets = _STRING.sub(b"", text).translate(None, _BRACKETS_ONLY)
        if 2 * _passes(brackets) <= limit:
            return
        depth = 0
        for run in _RUNS.finditer(brackets):
            if brackets[run.start()] in b"[<":
                depth += run.end() - run.start()
                if depth > limit:
                    raise unsafe("pdf_limits", "The PDF nests arrays and dictionaries deeper than any real document")
            else:
                depth -= run.end() - run.start()

    def check_tree(self, value: Any, where: str) -> None:
        """Refuse what a parsed object says; remember what /OpenAction and /AA run."""
        work = [value]
        while work:
            item = work.pop()
            if isinstance(item, dict):
                for key, inner in item.items():
                    _refuse_name(key, where)
                    if key == "URI" and isinstance(inner, bytes) and not _web_address(inner):
                        self.links.append((inner, where))
                    if key in TRIGGERS:
                        self.triggers.append(("open" if key == "OpenAction" else "aa", inner, where))
                    work.append(inner)
            elif isinstance(item, list):
                work.extend(item)
            elif isinstance(item, str):
                _refuse_name(item, where)

    def check_links(self) -> None:
        """Refuse a link to what is no web or mail address (after the trailers are read: an
        encrypted file's strings are noise, and it is refused as encrypted)."""
        if self.links:
            value, where = self.links[0]
            shown = link_text(value)[:40].decode("latin-1")
            raise unsafe(
                "pdf_action",
                f"The PDF links to {shown!r} ({where}): a link may open only a web or mail address or a "
                "path beside the document",
            )

    def check_triggered(self, resolve: Callable[[int], list[Any]]) -> None:
        """Walk what runs by itself, following references to every candidate object."""
        work = list(self.triggers)
        seen: set[tuple[str, int]] = set()
        while work:
            kind, value, where = work.pop()
            if isinstance(value, Ref):
                if (kind, value.num) not in seen:
                    seen.add((kind, value.num))
                    work.extend((kind, found, f"object {value.num}") for found in resolve(value.num))
                continue
            if value is None:
                continue
            if kind == "open" and isinstance(value, (list, str, bytes)):
                continue  # a destination: the page to show first
            if kind == "aa":
                if isinstance(value, dict):
                    work.extend(("action", action, where) for action in value.values())
                continue
            if kind == "next" and isinstance(value, list):
                work.extend(("action", action, where) for action in value)
                continue
            _allowed(value, where)
            if "Next" in value:
                work.append(("next", value["Next"], where))


def _passes(brackets: bytes) -> int:
    """How many passes, each removing the innermost pairs, pair up all the brackets: each
    removes one or two levels. A large number when 16 do not, or when they stall."""
    for passes in range(1, 17):
        inner = brackets.replace(b"[]", b"").replace(b"<>", b"")
        if not inner:
            return passes
        if len(inner) * 64 > len(brackets) * 63:
            break
        brackets = inner
    return 1 << 30


def _escaped_names(buf: bytes, start: int, end: int) -> list[int]:
    """Where a name holding `#` starts: each `#` is looked back from to the slash before it."""
    hits = []
    for mark in _HASH.finditer(buf, start, end):
        slash = buf.rfind(b"/", start, mark.start())
        if slash >= 0:
            name = _NAME_BEFORE.match(buf, slash, end)
            if name is not None and name.end() > mark.start():
                hits.append(slash)
    return hits


def link_text(value: bytes) -> bytes:
    """A URI string as a viewer hands it on: escapes resolved, UTF-16 made text, leading
    spaces and control characters dropped (as browsers drop them)."""
    text = string_bytes(value)
    if text.startswith(b"\xfe\xff"):  # UTF-16BE, as PDF text strings may be
        text = text[2:].decode("utf-16-be", "replace").encode("latin-1", "replace")
    return text.lstrip(_URL_LEADING)


def _web_address(value: bytes) -> bool:
    text = link_text(value)
    scheme = _SCHEME.match(text)
    if scheme is not None:
        return scheme.group(1).lower() in _WEB_SCHEMES
    return not text.startswith((b"//", b"\\", b"/\\", b"\\/"))


def _refuse_name(name: str, where: str) -> None:
    found = REFUSED_NAMES.get(name)
    if found is not None:
        raise unsafe(found, f"{_WHAT[found]} (/{name} in {where})")


def _allowed(action: Any, where: str) -> None:
    kind = action.get("S") if isinstance(action, dict) else None
    if kind == "GoTo" or (kind == "Named" and action.get("N") in NAVIGATION):
        return
    shown = f"a /{kind} action" if isinstance(kind, str) else "something that is not a navigation action"
    raise unsafe(
        "pdf_action",
        f"The PDF runs {shown} by itself, on open or on an event ({where}); only navigation inside "
        "the document may run that way (GoTo, Named NextPage/PrevPage/FirstPage/LastPage)",
    )
