"""One pass over the file as a rebuilding reader sees it: every object, xref and trailer in order.

From the header to the end, everything at the top level must be an object (`N G obj ...
endobj`, a stream's data stepped over by its /Length and checked against `endstream`), a
cross-reference table with its trailer, `startxref`, or whitespace and comments; any other
byte is `malformed`. Each object's text goes to the census (rules.py); object streams are
inflated and their members censused; cross-reference sections (tables and streams) are
decoded for xref.py, which holds them against what this pass found.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from typing import Any

from ...errors import Unsafe
from ..base import unsafe
from .lexer import WS, Budget, Ref, object_end, parse_value, skip_space
from .limits import PdfLimits
from .reader import Window
from .rules import Census
from .streams import decode

_T = rb"(?![^" + WS + rb"\x0b()<>\[\]{}/%])"
_HEADER = re.compile(rb"(\d{1,10})[" + WS + rb"]++(\d{1,5})[" + WS + rb"]++obj" + _T)
_KEYWORD = re.compile(rb"(xref|trailer|startxref)" + _T)
_STARTXREF = re.compile(rb"startxref[" + WS + rb"]++(\d{1,20})" + _T)
_SUBSECTION = re.compile(rb"[" + WS + rb"]*+(\d{1,10})[ \t]++(\d{1,10})[ \t]*+(?:\r\n?|\n)")
_ENTRIES_20 = re.compile(rb"(?:\d{10} \d{5} [nf](?: \r| \n|\r\n))*+")
_ENTRY_20 = re.compile(rb"(\d{10}) (\d{5}) ([nf])")
_ENTRY_ANY = re.compile(rb"[" + WS + rb"]*+(\d{1,10})[ \t]++(\d{1,10})[ \t]++(\S)")
_ENDSTREAM = re.compile(rb"[" + WS + rb"]*+endstream" + _T + rb"[" + WS + rb"]*+endobj" + _T)
_INTEGER = re.compile(rb"[" + WS + rb"]*+(\d{1,20})[" + WS + rb"]*+")
_EOF = re.compile(rb"%%EOF")
_DIGITS_ONLY = re.compile(rb"[\d" + WS + rb"]*+")
_EOL = re.compile(rb"[\r\n]")
MAX_GEN = 65535
_TRAILER_BYTES = 64 * 1024


@dataclass
class Section:
    """One cross-reference section: a table with its trailer, or a cross-reference stream."""

    pos: int
    entries: dict[int, tuple[int, int, int]]  # num -> (0 free | 1 at offset | 2 in a stream, field 2, field 3)
    trailer: dict[str, Any]
    segment: int
    stream: bool


@dataclass
class ObjectStream:
    num: int
    pos: int  # the stream object's header
    segment: int
    members: list[int]  # object numbers, by index
    data_start: int
    data_len: int
    params: dict[str, Any]


@dataclass
class Layout:
    """What the pass found, in file offsets."""

    size: int
    objects: dict[int, int] = field(default_factory=dict)  # header offset -> num << 16 | gen
    obj_keywords: set[int] = field(default_factory=set)  # offsets of `obj` in those headers
    streams: dict[int, str] = field(default_factory=dict)  # header offset -> /Type of stream objects
    object_streams: list[ObjectStream] = field(default_factory=list)
    sections: dict[int, Section] = field(default_factory=dict)
    startxrefs: list[tuple[int, int]] = field(default_factory=list)  # (offset of the keyword, value)
    eofs: list[int] = field(default_factory=list)
    first: tuple[int, Any] | None = None  # the first object's header offset and value (linearization)
    lengths: list[tuple[Ref, int, int]] = field(default_factory=list)  # indirect /Length, data start, endstream
    integers: dict[int, int] = field(default_factory=dict)  # num << 16 | gen -> value, for /Length
    undecodable: list[str] = field(default_factory=list)  # object streams that did not inflate


class Scan:
    def __init__(self, window: Window, limits: PdfLimits, census: Census):
        self.win, self.limits, self.census = window, limits, census
        self.layout = Layout(window.size)
        self.budget = Budget(limits.max_tree_elements, limits.max_string_bytes, limits.max_name_bytes, 64)
        self.count = 0  # objects, members included
        self.entries = 0
        self.free = 0
        self.inflated = 0
        self.segment_seen: dict[int, int] = {}  # num << 16 | gen -> header offset, in this segment
        self._numbered: dict[int, list[tuple[int, int]]] | None = None

    def run(self) -> Layout:
        win, pos = self.win, 0
        while True:
            pos = self._space(pos)
            if not win.fill(pos + 1) or pos >= win.size:
                break
            win.fill(pos + 256)
            at = pos - win.base
            header = _HEADER.match(win.buf, at)
            if header is not None:
                pos = self._object(pos, header)
            else:
                keyword = _KEYWORD.match(win.buf, at)
                if keyword is None or keyword.group(1) == b"trailer":
                    raise unsafe("malformed", f"The PDF has bytes that are no object or xref at offset {pos}")
                pos = self._xref_table(pos) if keyword.group(1) == b"xref" else self._startxref(pos)
            win.drop(pos)
        return self.layout

    # --- the top level ----------------------------------------------------------------

    def _space(self, pos: int) -> int:
        """Past whitespace and comments; `%%EOF` comments close a revision."""
        win = self.win
        while True:
            win.fill(pos + 1)
            buf, base = win.buf, win.base
            at = pos - base
            stop = skip_space(buf, at, len(buf))
            if stop < len(buf) or win.end >= win.size:
                self._eofs(buf, base, at, stop)
                return base + stop
            # The run reaches the end of what is read: go on from the comment it may end in.
            cut = buf.rfind(b"%", at, stop)
            if cut < 0 or _EOL.search(buf, cut, stop):
                cut = stop
            if stop - cut > self.limits.max_object_text:
                raise unsafe("pdf_limits", f"The PDF has a comment longer than {self.limits.max_object_text} bytes")
            self._eofs(buf, base, at, cut)
            pos = base + cut
            win.drop(pos)
            win.more()

    def _eofs(self, buf: bytes, base: int, start: int, stop: int) -> None:
        for eof in _EOF.finditer(buf, start, stop):
            self.layout.eofs.append(base + eof.start())
            self.segment_seen.clear()

    def _object(self, pos: int, header: re.Match[bytes]) -> int:
        win, limits = self.win, self.limits
        num, gen = int(header.group(1)), int(header.group(2))
        if gen > MAX_GEN:
            raise unsafe("malformed", f"The PDF has an object with generation {gen}")
        self._count(1)
        body = win.base + header.end()
        while True:
            found = object_end(win.buf, body - win.base, len(win.buf), limits.max_string_bytes)
            if found is not None:
                break
            if win.end - body > limits.max_object_text:
                raise unsafe("pdf_limits", f"Object {num} {gen} is longer than {limits.max_object_text} bytes")
            if not win.more():
                raise unsafe("malformed", f"Object {num} {gen} has no endobj: the PDF is cut short")
        keyword, kw_start, kw_end = found
        buf, base, start = win.buf, win.base, body - win.base
        where = f"object {num} {gen}"
        watched = self.census.watched(buf, start, kw_start)
        value: Any = None
        if keyword == "stream" or watched or self.layout.first is None:
            value, stop = parse_value(buf, start, kw_start, self.budget)
            if skip_space(buf, stop, kw_start) != kw_start:
                raise unsafe("malformed", f"{where} holds more than one value")
            if watched:
                self.census.check_tree(value, where)
        key = num << 16 | gen
        self.layout.objects[pos] = key
        self.layout.obj_keywords.add(base + header.end() - 3)
        if self.layout.first is None:
            self.layout.first = (pos, value)
        earlier = self.segment_seen.get(key)
        if earlier is not None:
            self._same_twice(where, earlier, pos)
        self.segment_seen[key] = pos
        if keyword == "endobj":
            if value is None and kw_start - start <= 24:
                integer = _INTEGER.fullmatch(buf, start, kw_start)
                if integer is not None:
                    self.layout.integers[key] = int(integer.group(1))
            return base + kw_end
        if not isinstance(value, dict):
            raise unsafe("malformed", f"{where} has stream data after something that is no dictionary")
        return self._stream(pos, num, value, base + kw_end, where)

    def _stream(self, pos: int, num: int, params: dict[str, Any], after: int, where: str) -> int:
        win, limits = self.win, self.limits
        win.fill(after + 2)
        at = after - win.base
        if win.buf[at : at + 2] == b"\r\n":
            start = after + 2
        elif win.buf[at : at + 1] == b"\n":
            start = after + 1
        else:
            raise unsafe("malformed", f"{where}: `stream` is not followed by an end of line")
        kind = params.get("Type")
        kind = kind if kind in ("ObjStm", "XRef") else "stream"
        self.layout.streams[pos] = kind
        length = params.get("Length")
        if isinstance(length, Ref):
            stop = self._find_endstream(start, where, keep=kind != "stream")
            self.layout.lengths.append((length, start, stop))
            length = stop - start
            data_end = None
        elif isinstance(length, int) and length >= 0:
            data_end = start + length
        else:
            raise unsafe("malformed", f"{where} has no usable /Length")
        data = b""
        if kind != "stream":
            if length > limits.max_stream_stored:
                raise unsafe("pdf_limits", f"{where}: an {kind} stream of {length} bytes is more than is inflated")
            win.fill(start + length)
            data = win.buf[start - win.base : start - win.base + length]
        if data_end is None:  # found by endstream: the data runs up to the whitespace before it
            win.skip(start + length)
            end = self._after_endstream(start + length, where, exact=False)
        else:
            win.skip(data_end)
            end = self._after_endstream(data_end, where, exact=True)
        if kind == "ObjStm":
            self._object_stream(num, pos, params, start, data, where)
        elif kind == "XRef":
            self._xref_stream(pos, params, data, where)
        return end

    def _after_endstream(self, at: int, where: str, exact: bool) -> int:
        win = self.win
        win.fill(at + 64)
        found = _ENDSTREAM.match(win.buf, at - win.base)
        if found is None:
            if exact:
                raise unsafe(
                    "pdf_ambiguous",
                    f"{where}: /Length does not end at endstream (readers that trust /Length and readers "
                    "that search for endstream read different data)",
                )
            raise unsafe("malformed", f"{where} has no endobj after its endstream")
        return win.base + found.end()

    def _find_endstream(self, start: int, where: str, keep: bool) -> int:
        """The offset where the data of a stream with an indirect /Length ends: before the
        first `endstream` and the end of line before it. Data that is kept (an object or
        xref stream's) is bounded; other data is let go as the search goes."""
        win, at = self.win, start
        while True:
            found = win.buf.find(b"endstream", at - win.base)
            if found >= 0:
                stop = win.base + found
                break
            at = max(start, win.end - 9)
            if keep and win.end - start > self.limits.max_stream_stored:
                raise unsafe("pdf_limits", f"{where}: an object or xref stream is longer than is inflated")
            if not keep:
                win.drop(max(start, at - 16))
            if not win.more():
                raise unsafe("malformed", f"{where} has no endstream: the PDF is cut short")
        tail = win.buf[max(start, stop - 2) - win.base : stop - win.base]
        return stop - (2 if tail == b"\r\n" else 1 if tail[-1:] in (b"\n", b"\r") else 0)

    def _same_twice(self, where: str, first: int, second: int) -> None:
        """One number and generation twice in a revision: readers keep either one, so both
        must be the same bytes (a writer may repeat itself) or the file is refused. A copy in
        an object stream (first < 0) is not compared: no writer puts one there."""
        if first < 0 or _digest(self.win, first, self.limits) != _digest(self.win, second, self.limits):
            raise unsafe(
                "pdf_ambiguous",
                f"The PDF has {where} twice in one revision, with different content (readers keep either one)",
            )

    def _count(self, n: int) -> None:
        self.count += n
        if self.count > self.limits.max_objects:
            raise unsafe("pdf_limits", f"The PDF has more than {self.limits.max_objects} objects")

    def resolve(self, num: int) -> list[Any]:
        """Every object numbered `num`, in any revision, top-level or in an object stream: what
        one reader or another may take a reference to it for."""
        if self._numbered is None:
            self._numbered = {}
            for pos, key in self.layout.objects.items():
                self._numbered.setdefault(key >> 16, []).append((pos, -1))
            for number, stream in enumerate(self.layout.object_streams):
                for index, member in enumerate(stream.members):
                    self._numbered.setdefault(member, []).append((number, index))
        values = []
        for where, index in self._numbered.get(num, []):
            if index < 0:
                head = self.win.read_at(where, self.limits.max_object_text)
                header = _HEADER.match(head)
                found = object_end(head, header.end(), len(head), self.limits.max_string_bytes) if header else None
                if header is None or found is None:
                    raise unsafe("malformed", f"Object {num} at offset {where} cannot be read again")
                values.append(parse_value(head, header.end(), found[1], self.budget)[0])
            else:
                stream = self.layout.object_streams[where]
                text = self._inflate(self.win.read_at(stream.data_start, stream.data_len), stream.params, "again")
                first = stream.params["First"]
                offsets = [int(n) + first for n in text[:first].split()[1::2]] + [len(text)]
                values.append(parse_value(text, offsets[index], offsets[index + 1], self.budget)[0])
        return values

    # --- object streams -----------------------------------------------------------------

    def _object_stream(self, num: int, pos: int, params: dict[str, Any], start: int, data: bytes, where: str) -> None:
        limits = self.limits
        count, first = params.get("N"), params.get("First")
        if not isinstance(count, int) or not isinstance(first, int) or count < 0 or first < 0:
            raise unsafe("malformed", f"{where} is an object stream without /N and /First")
        if count > limits.max_objstm_objects:
            raise unsafe("pdf_limits", f"{where} declares {count} objects; at most {limits.max_objstm_objects}")
        self._count(count)
        try:
            text = self._inflate(data, params, where)
        except Unsafe as exc:  # encrypted data does not inflate: xref.py tells which it is
            if exc.extra.get("found") != "malformed":
                raise
            self.layout.undecodable.append(str(exc))
            return
        numbers = text[:first].split()
        if len(numbers) != 2 * count or not _DIGITS_ONLY.fullmatch(text, 0, first):
            raise unsafe("malformed", f"{where}: the object stream's header does not list {count} objects")
        members = [int(n) for n in numbers[0::2]]
        offsets = [int(n) + first for n in numbers[1::2]] + [len(text)]
        if any(b <= a for a, b in zip(offsets, offsets[1:], strict=False)) or offsets[-1] > len(text):
            raise unsafe("pdf_ambiguous", f"{where}: the object stream's offsets overlap or run backwards")
        stream = ObjectStream(num, pos, len(self.layout.eofs), members, start, len(data), params)
        self.layout.object_streams.append(stream)
        keys = dict.fromkeys([member << 16 for member in members], -1)
        if len(keys) < len(members) or not self.segment_seen.keys().isdisjoint(keys):
            twice = next(k for k in keys if k in self.segment_seen or members.count(k >> 16) > 1) >> 16
            raise unsafe(
                "pdf_ambiguous", f"The PDF has object {twice} 0 twice in one revision (readers keep either one)"
            )
        self.segment_seen.update(keys)
        index, checked = 0, -1
        for at in self.census.watched(text, first, len(text)):
            while offsets[index + 1] <= at:
                index += 1
            if index != checked:
                self.check_member(text, offsets[index], offsets[index + 1], f"object {members[index]} 0")
                checked = index

    def check_member(self, text: bytes, start: int, end: int, where: str) -> Any:
        value, stop = parse_value(text, start, end, self.budget)
        if skip_space(text, stop, end) != end:
            raise unsafe("pdf_ambiguous", f"{where} (in an object stream) holds more than one value")
        self.census.check_tree(value, where)
        return value

    def _inflate(self, data: bytes, params: dict[str, Any], where: str) -> bytes:
        limits = self.limits
        cap = min(limits.max_stream_inflated, limits.max_inflated_total - self.inflated)
        text = decode(data, params, cap, f"object or xref stream ({where})")
        self.inflated += len(text)
        return text

    # --- cross-reference sections -------------------------------------------------------

    def _add_entries(self, count: int) -> None:
        self.entries += count
        if self.entries > self.limits.max_xref_entries:
            raise unsafe("pdf_limits", f"The PDF's xref sections have more than {self.limits.max_xref_entries} entries")

    def _xref_table(self, pos: int) -> int:
        win = self.win
        at = pos + 4
        entries: dict[int, tuple[int, int, int]] = {}
        while True:
            win.fill(at + 64)
            sub = _SUBSECTION.match(win.buf, at - win.base)
            if sub is None:
                break
            first, count = int(sub.group(1)), int(sub.group(2))
            self._add_entries(count)
            at = win.base + sub.end()
            win.fill(at + 20 * count + 64)
            at = self._table_rows(entries, first, count, at)
        at = win.base + skip_space(win.buf, at - win.base, len(win.buf))
        keyword = _KEYWORD.match(win.buf, at - win.base)
        if keyword is None or keyword.group(1) != b"trailer":
            raise unsafe("malformed", f"The PDF's xref table at offset {pos} is not followed by its trailer")
        win.fill(at + 7 + _TRAILER_BYTES)  # no writer's trailer comes near this
        start = at + 7 - win.base
        trailer, stop = parse_value(win.buf, start, len(win.buf), self.budget)
        if not isinstance(trailer, dict):
            raise unsafe("malformed", f"The PDF's trailer at offset {at} is not a dictionary")
        self.census.watched(win.buf, start, stop)
        self.census.check_tree(trailer, "the trailer")
        self.layout.sections[pos] = Section(pos, entries, trailer, len(self.layout.eofs), False)
        return win.base + stop

    def _table_rows(self, entries: dict[int, tuple[int, int, int]], first: int, count: int, at: int) -> int:
        buf, base = self.win.buf, self.win.base
        rows = _ENTRIES_20.match(buf, at - base, at - base + 20 * count)
        if rows is not None and rows.end() - rows.start() == 20 * count:
            parsed = _ENTRY_20.findall(buf, at - base, rows.end())
            at += 20 * count
        else:
            parsed = []
            for _ in range(count):
                row = _ENTRY_ANY.match(buf, at - base)
                if row is None:
                    raise unsafe("malformed", f"The PDF's xref table is broken at offset {at}")
                parsed.append(row.groups())
                at = base + row.end()
        for i, (field1, field2, kind) in enumerate(parsed):
            if kind == b"n":
                entry = (1, int(field1), int(field2))
            elif kind == b"f":
                entry = (0, int(field1), int(field2))
                self.free += 1
            else:
                raise unsafe(
                    "pdf_ambiguous",
                    f"The PDF's xref has an entry of type {kind!r} (readers drop it, keep it, or rebuild)",
                )
            self._put(entries, first + i, entry)
        self._free_limit()
        return at

    def _put(self, entries: dict[int, tuple[int, int, int]], num: int, entry: tuple[int, int, int]) -> None:
        if entries.setdefault(num, entry) != entry:
            raise unsafe("pdf_ambiguous", f"The PDF's xref section lists object {num} twice")

    def _free_limit(self) -> None:
        if self.free > self.limits.max_free_entries:
            raise unsafe("pdf_limits", f"The PDF's xref has more than {self.limits.max_free_entries} free entries")

    def _xref_stream(self, pos: int, params: dict[str, Any], data: bytes, where: str) -> None:
        widths, size = params.get("W"), params.get("Size")
        index = params.get("Index", [0, size])
        if (
            not isinstance(widths, list)
            or len(widths) != 3
            or not all(isinstance(w, int) and 0 <= w <= 8 for w in widths)
            or not isinstance(index, list)
            or len(index) % 2
            or not all(isinstance(n, int) and n >= 0 for n in index)
        ):
            raise unsafe("malformed", f"{where} is an xref stream without a usable /W, /Size or /Index")
        count = sum(index[1::2])
        self._add_entries(count)
        width = sum(widths)
        text = self._inflate(data, params, where)
        if len(text) < count * width:
            raise unsafe("malformed", f"{where}: the xref stream holds fewer rows than its /Index says")
        fields: list[list[int]] = []
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
        self.free += fields[0].count(0)
        self._free_limit()
        numbers: list[int] = []
        for first, n in zip(index[0::2], index[1::2], strict=True):
            numbers += range(first, first + n)
        entries = dict(zip(numbers, zip(*fields, strict=True), strict=True))
        if len(entries) != count:  # overlapping /Index ranges: each number once, or the same entry
            entries = {}
            for num, entry in zip(numbers, zip(*fields, strict=True), strict=True):
                self._put(entries, num, entry)
        self.layout.sections[pos] = Section(pos, entries, params, len(self.layout.eofs), True)

    def _startxref(self, pos: int) -> int:
        found = _STARTXREF.match(self.win.buf, pos - self.win.base)
        if found is None:
            raise unsafe("malformed", f"The PDF's startxref at offset {pos} has no offset after it")
        self.layout.startxrefs.append((pos, int(found.group(1))))
        return self.win.base + found.end()


def _digest(win: Window, pos: int, limits: PdfLimits) -> tuple[bytes, int] | None:
    """The bytes of the object at `pos` (its text, and a CRC of its stream data), to compare two
    copies; None when it cannot be read again the same way."""
    head = win.read_at(pos, limits.max_object_text)
    header = _HEADER.match(head)
    found = object_end(head, header.end(), len(head), limits.max_string_bytes) if header else None
    if header is None or found is None:
        return None
    text = head[header.end() : found[1]]
    if found[0] == "endobj":
        return text, 0
    length = re.search(rb"/Length[" + WS + rb"]++(\d++)" + _T, text)
    if length is None:
        return None
    data = win.read_at(pos + found[2], int(length.group(1)) + 2)
    return text, zlib.crc32(data)
