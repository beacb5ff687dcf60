"""Cross-reference entries, from tables and from streams, counted before they are read.

An entry's type is what readers disagree on most: a table entry is `n` or `f`, a stream entry
0, 1 or 2; pypdf drops anything else, PDFium keeps it as in use, MuPDF rebuilds the file, so
anything else is refused. Counts come first: a subsection header or a stream's /Index says
how many entries follow, and more than the limits allow is refused before one is read.
"""

from __future__ import annotations

import re
from typing import Any

from ..base import unsafe
from .layout import MAX_NUM, Section
from .lexer import WS
from .limits import PdfLimits

_ENTRIES_20 = re.compile(rb"(?:\d{10} \d{5} [nf](?: \r| \n|\r\n))*+")
_ENTRY_20 = re.compile(rb"(\d{10}) (\d{5}) ([nf])")
_ENTRY_ANY = re.compile(rb"[" + WS + rb"]*+(\d{1,10})[ \t]++(\d{1,10})[ \t]++(\S)")
_CHUNK = 8192  # table rows parsed at once, so a long table never becomes one long list


class Entries:
    """The entries of every section read so far, against the limits."""

    def __init__(self, limits: PdfLimits):
        self.limits = limits
        self.count = 0
        self.free = 0

    def declare(self, count: int, end: int) -> None:
        """`count` more entries, for objects below `end`."""
        if end > MAX_NUM + 1:
            raise unsafe("pdf_limits", f"The PDF's xref lists objects numbered past {MAX_NUM}, what PDF allows")
        self.count += count
        if self.count > self.limits.max_xref_entries:
            raise unsafe("pdf_limits", f"The PDF's xref sections have more than {self.limits.max_xref_entries} entries")

    def _freed(self, count: int) -> None:
        self.free += count
        if self.free > self.limits.max_free_entries:
            raise unsafe("pdf_limits", f"The PDF's xref has more than {self.limits.max_free_entries} free entries")

    def table_rows(self, section: Section, buf: bytes, at: int, first: int, count: int) -> int:
        """Read `count` rows of a table subsection from buf[at:]; the offset after them."""
        for start in range(0, count, _CHUNK):
            n = min(_CHUNK, count - start)
            rows = _ENTRIES_20.match(buf, at, at + 20 * n)
            if rows is not None and rows.end() - at == 20 * n:
                parsed = _ENTRY_20.findall(buf, at, rows.end())
                at += 20 * n
            else:  # rows of 19 bytes or odd spacing: one at a time
                parsed = []
                for _ in range(n):
                    row = _ENTRY_ANY.match(buf, at)
                    if row is None:
                        raise unsafe("malformed", "The PDF's xref table is broken")
                    parsed.append(row.groups())
                    at = row.end()
            kinds = {row[2] for row in parsed}
            if not kinds <= {b"n", b"f"}:
                odd = sorted(kinds - {b"n", b"f"})[0]
                raise unsafe(
                    "pdf_ambiguous",
                    f"The PDF's xref has an entry of type {odd.decode('latin-1')!r} (readers drop it, keep it, "
                    "or rebuild)",
                )
            section.nums.extend(range(first + start, first + start + n))
            section.kinds.extend(1 if row[2] == b"n" else 0 for row in parsed)
            section.f2.extend(int(row[0]) for row in parsed)
            section.f3.extend(int(row[1]) for row in parsed)
            self._freed(sum(1 for row in parsed if row[2] == b"f"))
        return at

    def stream_rows(self, section: Section, params: dict[str, Any], text: bytes, where: str) -> None:
        """Decode an xref stream's rows (/W byte widths, /Index ranges) into `section`."""
        widths, index = params["W"], params.get("Index", [0, params.get("Size")])
        count, width = sum(index[1::2]), sum(widths)
        if len(text) < count * width:
            raise unsafe("malformed", f"{where}: the xref stream holds fewer rows than its /Index says")
        fields = []
        for column, w in enumerate(widths):
            if w == 0:  # absent fields: type 1, offset and generation 0
                fields.append([1 if column == 0 else 0] * count)
                continue
            offset = sum(widths[:column])
            values = list(text[offset : count * width : width])
            for k in range(1, w):  # big-endian, one byte column at a time
                values = [v << 8 | b for v, b in zip(values, text[offset + k : count * width : width], strict=True)]
            fields.append(values)
        kinds = set(fields[0])
        if not kinds <= {0, 1, 2}:
            raise unsafe(
                "pdf_ambiguous",
                f"The PDF's xref stream has an entry of type {max(kinds - {0, 1, 2})} "
                "(readers drop it, keep it, or rebuild)",
            )
        self._freed(fields[0].count(0))
        for first, n in zip(index[0::2], index[1::2], strict=True):
            section.nums.extend(range(first, first + n))
        section.kinds.extend(fields[0])
        section.f2.extend(fields[1])
        section.f3.extend(fields[2])


def usable_xref_stream(params: dict[str, Any]) -> bool:
    widths, size = params.get("W"), params.get("Size")
    index = params.get("Index", [0, size])
    return (
        isinstance(widths, list)
        and len(widths) == 3
        and all(isinstance(w, int) and 0 <= w <= 8 for w in widths)
        and isinstance(index, list)
        and len(index) % 2 == 0
        and all(isinstance(n, int) and n >= 0 for n in index)
    )


def numbers_once(section: Section) -> None:
    """A section lists each object number once (overlapping subsections or /Index ranges are
    read differently by different readers), unless both entries say the same."""
    if len(set(section.nums)) != len(section.nums):
        seen: dict[int, tuple[int, int, int]] = {}
        for entry in zip(section.nums, section.kinds, section.f2, section.f3, strict=True):
            if seen.setdefault(entry[0], entry[1:]) != entry[1:]:
                raise unsafe(
                    "pdf_ambiguous", f"The PDF's xref section lists object {entry[0]} twice (readers keep either one)"
                )
