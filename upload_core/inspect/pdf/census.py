"""The census: every object's text read for the names the rules care about, and measured.

Every object's text passes through here (top-level objects, object-stream members, of every
revision): a regular expression over the raw bytes finds the names the rules watch, however a
reader would spell them (`#xx` escapes send the text to the exact reading), and brackets are
counted for the nesting and size limits. Only text that may hold such a name is parsed into
a tree (lexer.parse_value), where names in strings and comments no longer count. So the
common object costs two C-level scans and no Python objects. What runs by itself (/OpenAction,
/AA) is remembered and walked once every object is known, through references to every
object that carries the number (rules.allowed decides what may run).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..base import unsafe
from .lexer import DELIMS, WS, Hex, Ref
from .limits import PdfLimits
from .rules import REFUSED_NAMES, TRIGGERS, allowed, link_text, refuse_name, web_address

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
# `/URI` and what follows it: a plain string, or a name or the end of a container (`/S /URI`:
# the name is the value, and the string after the next `/URI` is looked at by itself).
_URI_STRING = re.compile(
    rb"/URI[" + WS + rb"]*+(?:\(((?:[^()\\]++|\\.)*+)\)|<([0-9A-Fa-f" + WS + rb"]*+)>|(?=/|>>|\]))", re.S
)


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
        hits = [m.start() for m in _PREFILTER.finditer(buf, start, end) if not _web_link(buf, m.start(), end)]
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
                    refuse_name(key, where)
                    if key == "URI" and isinstance(inner, bytes) and not web_address(inner):
                        self.links.append((inner, where))
                    elif key == "URI" and isinstance(inner, Ref):
                        self.triggers.append(("uri", inner, where))
                    if key in TRIGGERS:
                        self.triggers.append(("open" if key == "OpenAction" else "aa", inner, where))
                    work.append(inner)
            elif isinstance(item, list):
                work.extend(item)
            elif isinstance(item, str):
                refuse_name(item, where)

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
            if kind == "uri":
                if isinstance(value, bytes) and not web_address(value):
                    self.links.append((value, where))
                    self.check_links()
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
            allowed(value, where)
            if "Next" in value:
                work.append(("next", value["Next"], where))


def _web_link(buf: bytes, at: int, end: int) -> bool:
    """A `/URI` followed by a plain string that is a web address, or by a name (`/S /URI`), needs
    no closer look (the R manual has 651 links); anything else at a watched name is parsed."""
    link = _URI_STRING.match(buf, at, end)
    if link is None:
        return False
    literal, digits = link.groups()
    if literal is None and digits is None:
        return True
    return web_address(literal if literal is not None else Hex(digits))


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
