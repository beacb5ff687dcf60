"""Objects read a second time, by number or by offset, after the pass.

A reference an action rule follows is resolved to every object with that number (any
generation, any revision, top-level or in an object stream): whichever one a reader takes,
the rule has seen it. Re-reading costs a seek and, for a member, its object stream inflated
again (counted against the same total as the first time).
"""

from __future__ import annotations

import re
import zlib
from typing import Any

from ..base import unsafe
from . import objstm
from .lexer import END, WS, object_end, parse_value
from .scan import HEADER, Scan

_LENGTH = re.compile(rb"/Length[" + WS + rb"]++(\d++)" + END)
_INDEXED_AFTER = 8  # lookups by scanning the arrays before an index is built


class Objects:
    def __init__(self, scan: Scan):
        self.scan, self.layout, self.win = scan, scan.layout, scan.win
        self._lookups = 0
        self._index: dict[int, list[int]] | None = None

    def numbered(self, num: int) -> list[Any]:
        """Every object numbered `num`, as a value."""
        layout = self.layout
        self._lookups += 1
        if self._index is None and self._lookups > _INDEXED_AFTER:
            self._index = {}
            for pos, key in zip(layout.positions, layout.keys, strict=True):
                self._index.setdefault(key >> 16, []).append(pos)
        if self._index is not None:
            positions = self._index.get(num, [])
        else:
            positions = [pos for pos, key in zip(layout.positions, layout.keys, strict=True) if key >> 16 == num]
        values = [self._top_level(pos) for pos in positions]
        for stream in layout.object_streams:
            indexes = [index for index, member in enumerate(stream.members) if member == num]
            if indexes:
                text = self.scan.inflate(self.win.read_at(stream.data_start, stream.data_len), stream.params, "again")
                nums, offsets = objstm.members(text, len(stream.members), stream.params["First"], "again")
                values += [objstm.member(text, offsets, i, self.scan.budget, f"object {num} 0") for i in indexes]
        return values

    def _text(self, pos: int) -> tuple[bytes, int, tuple[str, int, int]]:
        """The bytes from the header at `pos` (enough for its text), where its body starts,
        and how it ends."""
        limits = self.scan.limits
        head = self.win.read_at(pos, limits.max_object_text)
        header = HEADER.match(head)
        found = object_end(head, header.end(), len(head), limits.max_string_bytes) if header else None
        if header is None or found is None:
            raise unsafe("malformed", f"The object at offset {pos} cannot be read again")
        return head, header.end(), found

    def _top_level(self, pos: int) -> Any:
        head, start, found = self._text(pos)
        return parse_value(head, start, found[1], self.scan.budget)[0]

    def digest(self, pos: int) -> tuple[bytes, int] | None:
        """The object at `pos` as bytes to compare with another copy: its text, and a CRC of
        its stream data; None when its length is not a plain number."""
        head, start, found = self._text(pos)
        text = head[start : found[1]]
        if found[0] == "endobj":
            return text, 0
        length = _LENGTH.search(text)
        if length is None:
            return None
        return text, zlib.crc32(self.win.read_at(pos + found[2], int(length.group(1)) + 2))
