"""What the pass over a PDF found, in file offsets: objects, object streams, xref sections.

Kept compact because it grows with the file: a top-level object costs three machine
integers (array('q')), a cross-reference entry four; nothing per object is a Python object.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Any

from .lexer import Ref

# ISO 32000-1, Annex C: the most indirect objects a file may have (so a number fits 24 bits).
MAX_NUM = 8_388_607
# A header `N G obj` with single spaces is at most 21 bytes; one longer than this (whitespace
# runs) is noted, so the `obj` counts of the blocks it spans are not trusted (coverage.py).
SHORT_HEADER = 64


def ints() -> array:
    return array("q")


@dataclass
class Section:
    """One cross-reference section: a table with its trailer, or a cross-reference stream.
    Entry i: object nums[i], kind 0 (free), 1 (at offset f2, generation f3) or 2 (in object
    stream f2 at index f3)."""

    pos: int
    trailer: dict[str, Any]
    segment: int
    stream: bool
    nums: array = field(default_factory=ints)
    kinds: array = field(default_factory=ints)
    f2: array = field(default_factory=ints)
    f3: array = field(default_factory=ints)

    def entries(self) -> dict[int, tuple[int, int, int]]:
        return {num: (kind, a, b) for num, kind, a, b in zip(self.nums, self.kinds, self.f2, self.f3, strict=True)}


@dataclass
class ObjectStream:
    num: int
    pos: int  # the stream object's header
    segment: int
    members: array  # object numbers, by index
    data_start: int
    data_len: int
    params: dict[str, Any]


@dataclass
class Layout:
    size: int
    positions: array = field(default_factory=ints)  # top-level objects' headers, in file order
    keys: array = field(default_factory=ints)  # num << 16 | gen of each
    xref_streams: set[int] = field(default_factory=set)  # headers of cross-reference stream objects
    long_headers: list[tuple[int, int]] = field(default_factory=list)  # start and `obj` of long headers
    object_streams: list[ObjectStream] = field(default_factory=list)
    sections: dict[int, Section] = field(default_factory=dict)
    startxrefs: list[tuple[int, int]] = field(default_factory=list)  # (offset of the keyword, value)
    eofs: list[int] = field(default_factory=list)
    first: tuple[int, Any] | None = None  # the first object's header offset and value (linearization)
    lengths: list[tuple[Ref, int, int]] = field(default_factory=list)  # indirect /Length, data start, endstream
    integers: dict[int, int] = field(default_factory=dict)  # num << 16 | gen -> value, for /Length
    undecodable: list[str] = field(default_factory=list)  # object streams that did not inflate
