"""One pass over the file as a rebuilding reader sees it: every object, xref and trailer in order.

From the header to the end, everything at the top level must be an object (`N G obj ...
endobj`, a stream's data stepped over by its /Length and checked against `endstream`), a
cross-reference table with its trailer, `startxref`, or whitespace and comments; any other
byte is `malformed`. Runs of plain objects (no stream, no nested string) are matched whole
by one regular expression and censused together; the rest one at a time. Object streams
are inflated and their members censused (objstm.py); xref sections decoded (sections.py)
for xref.py to hold against what this pass found.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate
from typing import Any

from ...errors import Unsafe
from ..base import unsafe
from . import objstm
from .census import Census
from .layout import MAX_NUM, SHORT_HEADER, Layout, ObjectStream, Section
from .lexer import WS, Budget, Ref, object_end, parse_value, skip_space
from .limits import PdfLimits
from .reader import Window
from .sections import Entries, numbers_once, usable_xref_stream
from .streams import decode

_R = rb"[^" + WS + rb"\x0b()<>\[\]{}/%]"  # a regular character: a token goes on
_T = rb"(?!" + _R + rb")"  # the token ends here
_S = rb"[" + WS + rb"]"
HEADER = re.compile(rb"(\d{1,10})" + _S + rb"++(\d{1,5})" + _S + rb"++obj" + _T)
# A whole plain object: its body steps over simple strings and comments and stops at no
# `stream` or `endobj` keyword but its own end; then whitespace and comments (not %%EOF).
_PLAIN_OBJECT = (
    rb"(\d{1,10})" + _S + rb"{1,16}+(\d{1,5})" + _S + rb"{1,16}+obj" + _T
    + rb"(?:[^()%es]++|\((?:[^()\\]++|\\.)*+\)|%[^\r\n]*+|e(?!ndobj" + _T + rb")|s(?!tream" + _T + rb"))*+"
    + rb"(?<=[" + WS + rb">\])])endobj" + _T
    + rb"(?:" + _S + rb"++|%(?!%EOF)[^\r\n]*+)*+"
)  # fmt: skip
_PLAIN = re.compile(rb"(" + _PLAIN_OBJECT + rb")", re.S)  # one object: (whole, num, gen)
_PLAIN_RUN = re.compile(rb"(?:" + _PLAIN_OBJECT + rb")++", re.S)  # where a run of them ends
_KEYWORD = re.compile(rb"(xref|trailer|startxref)" + _T)
_STARTXREF = re.compile(rb"startxref" + _S + rb"++(\d{1,20})" + _T)
_SUBSECTION = re.compile(_S + rb"*+(\d{1,10})[ \t]++(\d{1,10})[ \t]*+(?:\r\n?|\n)")
_ENDSTREAM = re.compile(_S + rb"*+endstream" + _T + _S + rb"*+endobj" + _T)
_INTEGER = re.compile(_S + rb"*+(\d{1,20})" + _S + rb"*+")
_INTEGER_BODY = re.compile(rb"obj" + _S + rb"++(\d{1,20})" + _S + rb"++endobj" + _T)
_EOF = re.compile(rb"%%EOF")
_EOL = re.compile(rb"[\r\n]")
MAX_GEN = 65535
_TRAILER_BYTES = 64 * 1024  # no writer's trailer dictionary comes near this
_MARGIN = 4096  # plain objects are matched whole only this far from the buffer's end


class Scan:
    def __init__(self, window: Window, limits: PdfLimits, census: Census):
        self.win, self.limits, self.census = window, limits, census
        self.layout = Layout(window.size)
        self.budget = Budget(limits.max_tree_elements, limits.max_string_bytes, limits.max_name_bytes, 64)
        self.entries = Entries(limits)
        self.count = 0  # objects, object-stream members included
        self.inflated = 0

    def run(self) -> Layout:
        win, pos = self.win, 0
        while True:
            pos = self._space(pos)
            if not win.fill(pos + 1) or pos >= win.size:
                break
            win.fill(pos + 256)
            if self.layout.first is not None:
                pos = self._plain_objects(pos)
                if pos >= win.size:
                    break
            at = pos - win.base
            header = HEADER.match(win.buf, at)
            if header is not None:
                pos = self._object(pos, header)
            else:
                keyword = _KEYWORD.match(win.buf, at)
                if keyword is None or keyword.group(1) == b"trailer":
                    raise unsafe("malformed", f"The PDF has bytes that are no object or xref at offset {pos}")
                pos = self._xref_table(pos) if keyword.group(1) == b"xref" else self._startxref(pos)
            win.drop(pos)
        return self.layout

    def _count(self, n: int) -> None:
        self.count += n
        if self.count > self.limits.max_objects:
            raise unsafe("pdf_limits", f"The PDF has more than {self.limits.max_objects} objects")

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
        self.layout.eofs.extend(base + eof.start() for eof in _EOF.finditer(buf, start, stop))
        self._revisions(len(self.layout.eofs))

    def _revisions(self, count: int) -> None:
        if count > self.limits.max_revisions:
            raise unsafe("pdf_limits", f"The PDF has more than {self.limits.max_revisions} revisions or xref sections")

    def _plain_objects(self, pos: int) -> int:
        """Plain objects one after another, matched whole by C code (their run's end, then
        each one's text and number), censused as one text. A run stops short of the buffer's
        end, where an object may be cut, and at anything else (a stream, an xref, %%EOF)."""
        win, layout = self.win, self.layout
        buf, base = win.buf, win.base
        start = pos - base
        stop = len(buf) - (_MARGIN if win.end < win.size else 0)
        if start >= stop:
            return pos
        run = _PLAIN_RUN.match(buf, start, stop)
        if run is None:
            return pos
        end = run.end()
        found = _PLAIN.findall(buf, start, end)  # contiguous, as the run matched them
        keys = [int(num) << 16 | int(gen) for _, num, gen in found]
        if max(keys) >> 16 > MAX_NUM or max(key & 0xFFFF for key in keys) > MAX_GEN:
            return pos  # one at a time, to be refused there
        self._count(len(keys))
        first = len(layout.positions)
        layout.positions.extend(accumulate([len(whole) for whole, _, _ in found[:-1]], initial=base + start))
        layout.keys.extend(keys)
        for integer in _INTEGER_BODY.finditer(buf, start, end):  # bare numbers: indirect /Length values
            index = bisect_right(layout.positions, base + integer.start(), first) - 1
            layout.integers[layout.keys[index]] = int(integer.group(1))
        for hit in self.census.watched(buf, start, end):
            index = bisect_right(layout.positions, base + hit, first) - 1
            key = layout.keys[index]
            self._watched(layout.positions[index] - base, f"object {key >> 16} {key & 0xFFFF}")
        return base + end

    def _watched(self, at: int, where: str) -> None:
        buf = self.win.buf
        header = HEADER.match(buf, at)
        assert header is not None
        found = object_end(buf, header.end(), len(buf), self.limits.max_string_bytes)
        assert found is not None
        value, stop = parse_value(buf, header.end(), found[1], self.budget)
        if skip_space(buf, stop, found[1]) != found[1]:
            raise unsafe("malformed", f"{where} holds more than one value")
        self.census.check_tree(value, where)

    def _object(self, pos: int, header: re.Match[bytes]) -> int:
        """One object read on its own: a stream, one with nested strings, the first one."""
        win, limits, layout = self.win, self.limits, self.layout
        num, gen = int(header.group(1)), int(header.group(2))
        if gen > MAX_GEN or num > MAX_NUM:
            raise unsafe("malformed", f"The PDF has an object numbered {num} {gen}, past what PDF allows")
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
        if keyword == "stream" or watched or layout.first is None:
            value, stop = parse_value(buf, start, kw_start, self.budget)
            if skip_space(buf, stop, kw_start) != kw_start:
                raise unsafe("malformed", f"{where} holds more than one value")
            if watched:
                self.census.check_tree(value, where)
        key = num << 16 | gen
        layout.positions.append(pos)
        layout.keys.append(key)
        if header.end() - header.start() > SHORT_HEADER:
            layout.long_headers.append((pos, base + header.end() - 3))
        if layout.first is None:
            layout.first = (pos, value)
        if keyword == "endobj":
            if value is None and kw_start - start <= 24:
                integer = _INTEGER.fullmatch(buf, start, kw_start)
                if integer is not None:
                    layout.integers[key] = int(integer.group(1))
            return base + kw_end
        if not isinstance(value, dict):
            raise unsafe("malformed", f"{where} has stream data after something that is no dictionary")
        return self._stream(pos, num, value, base + kw_end, where)

    # --- streams ----------------------------------------------------------------------

    def _stream(self, pos: int, num: int, params: dict[str, Any], after: int, where: str) -> int:
        win, limits = self.win, self.limits
        win.fill(after + 2)
        at = after - win.base
        if win.buf[at : at + 2] == b"\r\n":
            start = after + 2
        elif win.buf[at : at + 1] in (b"\n", b"\r"):  # a lone CR: old Mac writers; every reader takes it
            start = after + 1
        else:
            raise unsafe("malformed", f"{where}: `stream` is not followed by an end of line")
        kind = params.get("Type")
        kind = kind if kind in ("ObjStm", "XRef") else "stream"
        length = params.get("Length")
        exact = True
        if isinstance(length, Ref):
            stop = self._find_endstream(start, where, keep=kind != "stream")
            self.layout.lengths.append((length, start, stop))
            length, exact = stop - start, False
        elif not isinstance(length, int) or length < 0:
            raise unsafe("malformed", f"{where} has no usable /Length")
        data = b""
        if kind != "stream":
            if length > limits.max_stream_stored:
                raise unsafe("pdf_limits", f"{where}: an {kind} stream of {length} bytes is more than is inflated")
            win.fill(start + length)
            data = win.buf[start - win.base : start - win.base + length]
        win.skip(start + length)
        end = self._after_endstream(start + length, where, exact)
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

    def inflate(self, data: bytes, params: dict[str, Any], where: str) -> bytes:
        """An object or xref stream's data, under the per-stream cap and what is left of the total."""
        cap = min(self.limits.max_stream_inflated, self.limits.max_inflated_total - self.inflated)
        text = decode(data, params, cap, f"object or xref stream ({where})")
        self.inflated += len(text)
        return text

    def _object_stream(self, num: int, pos: int, params: dict[str, Any], start: int, data: bytes, where: str) -> None:
        limits = self.limits
        count, first = params.get("N"), params.get("First")
        if not isinstance(count, int) or not isinstance(first, int) or count < 0 or first < 0:
            raise unsafe("malformed", f"{where} is an object stream without /N and /First")
        if count > limits.max_objstm_objects:
            raise unsafe("pdf_limits", f"{where} declares {count} objects; at most {limits.max_objstm_objects}")
        self._count(count)
        try:
            text = self.inflate(data, params, where)
        except Unsafe as exc:  # encrypted data does not inflate: xref.py tells which it is
            if exc.extra.get("found") != "malformed":
                raise
            self.layout.undecodable.append(exc.message)
            return
        nums, offsets = objstm.members(text, count, first, where)
        segment = len(self.layout.eofs)
        self.layout.object_streams.append(ObjectStream(num, pos, segment, nums, start, len(data), params))
        objstm.read_members(text, nums, offsets, self.census, self.budget)

    # --- cross-reference sections -------------------------------------------------------

    def _xref_table(self, pos: int) -> int:
        win = self.win
        section = Section(pos, {}, len(self.layout.eofs), False)
        at = pos + 4
        while True:
            win.fill(at + 64)
            sub = _SUBSECTION.match(win.buf, at - win.base)
            if sub is None:
                break
            first, count = int(sub.group(1)), int(sub.group(2))
            self.entries.declare(count, first + count)
            at = win.base + sub.end()
            win.fill(at + 20 * count + 64)
            at = win.base + self.entries.table_rows(section, win.buf, at - win.base, first, count)
        numbers_once(section)
        at = win.base + skip_space(win.buf, at - win.base, len(win.buf))
        keyword = _KEYWORD.match(win.buf, at - win.base)
        if keyword is None or keyword.group(1) != b"trailer":
            raise unsafe("malformed", f"The PDF's xref table at offset {pos} is not followed by its trailer")
        win.fill(at + 7 + _TRAILER_BYTES)
        start = at + 7 - win.base
        trailer, stop = parse_value(win.buf, start, len(win.buf), self.budget)
        if not isinstance(trailer, dict):
            raise unsafe("malformed", f"The PDF's trailer at offset {at} is not a dictionary")
        self.census.watched(win.buf, start, stop)
        self.census.check_tree(trailer, "the trailer")
        section.trailer = trailer
        self.layout.sections[pos] = section
        self._revisions(len(self.layout.sections))
        return win.base + stop

    def _xref_stream(self, pos: int, params: dict[str, Any], data: bytes, where: str) -> None:
        if not usable_xref_stream(params):
            raise unsafe("malformed", f"{where} is an xref stream without a usable /W, /Size or /Index")
        index = params.get("Index", [0, params.get("Size")])
        self.entries.declare(sum(index[1::2]), max(a + b for a, b in zip(index[0::2], index[1::2], strict=True)))
        section = Section(pos, params, len(self.layout.eofs), True)
        self.entries.stream_rows(section, params, self.inflate(data, params, where), where)
        numbers_once(section)
        self.layout.sections[pos] = section
        self.layout.xref_streams.add(pos)
        self._revisions(len(self.layout.sections))

    def _startxref(self, pos: int) -> int:
        found = _STARTXREF.match(self.win.buf, pos - self.win.base)
        if found is None:
            raise unsafe("malformed", f"The PDF's startxref at offset {pos} has no offset after it")
        self.layout.startxrefs.append((pos, int(found.group(1))))
        return self.win.base + found.end()
