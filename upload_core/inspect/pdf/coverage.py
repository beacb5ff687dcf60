"""The objects in the bytes against the entries that list them: none only a rebuild finds.

A reader that trusts the cross-reference sections and a reader that rebuilds them by
scanning the file (pdf.js, PDFium and MuPDF do when anything looks broken to them) find the
same objects only if every object in the bytes is listed where it is, every listed entry is
an object there, no object header hides inside other data, and no revision holds one object
twice. Compared as sets of packed integers (C-level), not object by object.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from typing import Any

from ..base import unsafe
from .layout import SHORT_HEADER, Layout, Section
from .lexer import Ref, skip_space
from .objects import Objects
from .reader import Window
from .scan import HEADER

_REBUILD = "only a reader that rebuilds the file by scanning finds it"
_KEY = (1 << 40) - 1
_NEAR = 256  # how far an entry may point before its header, through whitespace and comments


def check(layout: Layout, sections: list[Section], win: Window, objects: Objects) -> None:
    _entries_are_objects(layout, sections, win)
    _members_are_listed(layout, sections)
    _no_hidden_headers(layout, win)
    _once_per_revision(layout, objects)
    for ref, start, stop in layout.lengths:
        _length_ends_at_endstream(layout, win, ref, start, stop)


def _entries_are_objects(layout: Layout, sections: list[Section], win: Window) -> None:
    listed: set[int] = set()  # offset << 40 | num << 16 | gen, from in-use entries
    for s in sections:
        listed.update(a << 40 | n << 16 | b for n, k, a, b in zip(s.nums, s.kinds, s.f2, s.f3, strict=True) if k == 1)
    present = [pos << 40 | key for pos, key in zip(layout.positions, layout.keys, strict=True)]
    wrong = listed.difference(present)
    for entry in sorted(wrong):  # an offset at the whitespace before its header: every reader skips it
        offset = entry >> 40
        ahead = win.read_at(offset, _NEAR)
        moved = (offset + skip_space(ahead, 0, len(ahead))) << 40 | entry & _KEY
        if moved in present and moved not in listed:
            listed.discard(entry)
            listed.add(moved)
            wrong.discard(entry)
    if wrong:
        first = min(wrong)
        offsets = {x >> 40 for x in listed}
        shown = f"object {first >> 16 & 0xFFFFFF} {first & 0xFFFF} at offset {first >> 40}"
        if len(offsets) < len(listed):
            raise unsafe(
                "pdf_ambiguous",
                f"The PDF's xref sections put two objects at one offset, {shown} among them (readers take either "
                "one, or rebuild)",
            )
        raise unsafe(
            "pdf_ambiguous",
            f"The PDF's xref puts {shown}, where that object does not start (readers look around it, or rebuild)",
        )
    unlisted = [x for x in present if x not in listed and x >> 40 not in layout.xref_streams]
    if unlisted:
        x = unlisted[0]
        raise unsafe(
            "pdf_ambiguous",
            f"The PDF has object {x >> 16 & 0xFFFFFF} {x & 0xFFFF} at offset {x >> 40} in no xref: {_REBUILD}",
        )


def _members_are_listed(layout: Layout, sections: list[Section]) -> None:
    """Type-2 entries (object stream, index) against the members the streams hold."""
    listed: set[int] = set()  # (stream << 20 | index) << 32 | num
    for s in sections:
        listed.update((a << 20 | b) << 32 | n for n, k, a, b in zip(s.nums, s.kinds, s.f2, s.f3, strict=True) if k == 2)
    held = {(stream.num << 20 | i) << 32 | m for stream in layout.object_streams for i, m in enumerate(stream.members)}
    wrong = listed - held
    if wrong:
        x = min(wrong)
        raise unsafe(
            "pdf_ambiguous",
            f"The PDF's xref puts object {x & 0xFFFFFFFF} at index {x >> 32 & 0xFFFFF} of object {x >> 52}, which is "
            "no object stream holding it there (readers fetch it anyway, or rebuild)",
        )
    unlisted = held - listed
    if unlisted:
        x = min(unlisted)
        raise unsafe(
            "pdf_ambiguous",
            f"The PDF has object {x & 0xFFFFFFFF} in object stream {x >> 52} that no xref lists: {_REBUILD}",
        )


def _no_hidden_headers(layout: Layout, win: Window) -> None:
    """Every `obj` after whitespace in the bytes is one of the headers the pass read, or no
    header (a word in a string, a comment, compressed data). Each block read holds as many
    header `obj` words as headers start in it, give or take a header cut by its end (whose
    word is counted in the next block); a block whose count is that is settled, the others
    (and those a long header spans) are searched again."""
    positions, blocks = layout.positions, win.obj_words
    starts = [block[0] for block in blocks]
    expected = [bisect_left(positions, stop) - bisect_left(positions, start) for start, stop, _ in blocks]
    unsure = {
        index
        for start, word in layout.long_headers
        for index in range(bisect_right(starts, start) - 1, bisect_right(starts, word))
    }
    for index, (_, end, _) in enumerate(blocks[:-1]):
        last = bisect_left(positions, end) - 1
        if last >= 0 and positions[last] > end - SHORT_HEADER:
            cut = HEADER.match(win.read_at(positions[last], SHORT_HEADER))
            if cut is None or positions[last] + cut.end() > end:  # its `obj` ends in the next block
                expected[index] -= 1
                expected[index + 1] += 1
    for index, (start, end, count) in enumerate(blocks):
        if count == expected[index] and index not in unsure:
            continue
        for found in win.headers_in(start, end):
            if not _listed(positions, found):
                raise unsafe(
                    "pdf_ambiguous",
                    f"The PDF has an object header inside other data at offset {found} (stream data, a string or "
                    f"a comment): {_REBUILD}",
                )


def _listed(positions: array, pos: int) -> bool:
    index = bisect_left(positions, pos)
    return index < len(positions) and positions[index] == pos


def _once_per_revision(layout: Layout, objects: Objects) -> None:
    """One number and generation twice in one revision: readers keep either one, so both
    copies must be the same bytes (a writer may repeat itself); a copy in an object stream is
    not compared (no writer puts one there)."""
    positions, keys = layout.positions, layout.keys
    bounds = [0] + [bisect_right(positions, eof) for eof in layout.eofs] + [len(positions)]
    streams: dict[int, list[int]] = {}  # segment -> keys of the members of its object streams
    for stream in layout.object_streams:
        streams.setdefault(stream.segment, []).extend(m << 16 for m in stream.members)
    for segment in range(len(bounds) - 1):
        top = keys[bounds[segment] : bounds[segment + 1]]
        members = streams.get(segment, [])
        seen = set(top)
        seen.update(members)
        if len(seen) == len(top) + len(members):
            continue
        copies: dict[int, list[Any]] = {}
        for i in range(bounds[segment], bounds[segment + 1]):
            copies.setdefault(keys[i], []).append(positions[i])
        for key in members:
            copies.setdefault(key, []).append(None)
        for key, where in copies.items():
            if len(where) > 1 and (None in where or len({objects.digest(pos) for pos in where}) > 1):
                raise unsafe(
                    "pdf_ambiguous",
                    f"The PDF has object {key >> 16} {key & 0xFFFF} twice in one revision, with different content "
                    "(readers keep either one)",
                )


def _length_ends_at_endstream(layout: Layout, win: Window, ref: Ref, start: int, stop: int) -> None:
    """A stream whose /Length is `ref`: readers that trust the length and readers that search
    for endstream must read the same data (give or take the end of line before endstream)."""
    value: Any = layout.integers.get(ref.num << 16 | ref.gen)
    extra = start + value - stop if isinstance(value, int) else -1
    if not 0 <= extra <= 2 or win.read_at(stop, extra).strip():
        raise unsafe(
            "pdf_ambiguous",
            f"A stream's /Length ({ref.num} {ref.gen} R) does not end where its endstream is (readers read "
            "different data)",
        )
