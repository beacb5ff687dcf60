"""PDF syntax: tokens, direct objects as Python values, and where an object's text ends.

Driven by `re` over the raw bytes, never a byte at a time: one match per token, and
strings, comments and keywords found by searching. Objects are built as trees only where
a rule needs their structure (stream dictionaries, trailers, actions); everything else is
read by the census in rules.py without building anything.

Values: int and float for numbers, str for names (`#xx` decoded), bytes for strings (raw,
escapes left as they are: no rule reads a string's text), Ref for `N G R`, list, dict,
True/False/None. A name with a broken `#` escape is refused (readers decode it differently),
as is a dictionary that repeats a key with another value (readers keep either one).
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from ..base import unsafe

# PDF's whitespace and delimiters (ISO 32000-1, 7.2.2). \x0b is no PDF whitespace, but qpdf
# takes it as one: a name ends there too, so `/JavaScript\x0b` is still /JavaScript.
WS = rb"\x00\t\n\x0c\r "
DELIMS = rb"()<>\[\]{}/%"
_REGULAR = rb"[^" + WS + rb"\x0b" + DELIMS + rb"]"
END = rb"(?!" + _REGULAR + rb")"  # the token ends here (a delimiter, whitespace or the end)
_SKIP = rb"(?:[" + WS + rb"]++|%[^\r\n]*+)*+"

TOKEN = re.compile(
    _SKIP
    + rb"(?:(/"
    + _REGULAR
    + rb"*+)"  # 1 name
    + rb"|([+-]?(?:\d++(?:\.\d*+)?|\.\d++))"
    + END  # 2 number
    + rb"|(<<|\[)"  # 3 open
    + rb"|(>>|\])"  # 4 close
    + rb"|<([0-9A-Fa-f"
    + WS
    + rb"]*+)>"  # 5 hex string
    + rb"|(\()"  # 6 literal string
    + rb"|("
    + _REGULAR
    + rb"++)"  # 7 keyword
    + rb")"
)
_REF_TAIL = re.compile(rb"[" + WS + rb"]++(\d++)[" + WS + rb"]++R" + END)
SKIP = re.compile(_SKIP)
_SIMPLE_STRING = re.compile(rb"\((?:[^()\\]++|\\.)*+\)", re.S)
_PAREN = re.compile(rb"[()\\]")
_BAD_ESCAPE = re.compile(rb"#(?![0-9A-Fa-f]{2})")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# The end of an object's text: `endobj`, or `stream` after its dictionary; strings and
# comments are stepped over, since either may hold those words.
_BODY_EVENT = re.compile(rb"[(%]|(?<![^" + WS + rb">\])])(endobj|stream)" + END)
_EOL = re.compile(rb"[\r\n]")


class Ref(NamedTuple):
    num: int
    gen: int


class Hex(bytes):
    """A hex string's digits, as written (a literal string is plain bytes, escapes and all)."""


_WHITESPACE = b"\x00\t\n\x0c\r "
_STRING_ESCAPE = re.compile(rb"\\(?:([0-7]{1,3})|(\r\n?|\n)|(.))", re.S)
_ESCAPED = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def string_bytes(value: bytes) -> bytes:
    """What a string means: hex digits decoded, or a literal string's escapes resolved."""
    if isinstance(value, Hex):
        digits = value.translate(None, _WHITESPACE)
        return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode("ascii"))

    def unescape(found: re.Match[bytes]) -> bytes:
        octal, newline, char = found.groups()
        if octal is not None:
            return bytes([int(octal, 8) & 0xFF])
        return b"" if newline is not None else _ESCAPED.get(char, char)

    return _STRING_ESCAPE.sub(unescape, value)


class Budget:
    """What tree-building may still spend in this inspection (limits.PdfLimits)."""

    def __init__(self, elements: int, string_bytes: int, name_bytes: int, depth: int):
        self.elements, self.string_bytes, self.name_bytes, self.depth = elements, string_bytes, name_bytes, depth


def decode_name(raw: bytes) -> str:
    """A name token (with its slash) as text, `#xx` decoded; a `#` not followed by two hex
    digits is refused: pdf.js keeps it, others drop it or read one digit."""
    body = raw[1:]
    if b"#" in body:
        if _BAD_ESCAPE.search(body):
            raise unsafe(
                "pdf_ambiguous",
                f"The PDF has a name with a broken # escape ({raw[:40]!r}), which readers decode differently",
            )
        body = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), body)
    return body.decode("latin-1")


def string_end(buf: bytes, pos: int, end: int, limit: int) -> int:
    """The offset after the literal string that starts at buf[pos] == '(' (parentheses nest,
    a backslash escapes the next byte); -1 when it goes on past `end`."""
    simple = _SIMPLE_STRING.match(buf, pos, end)
    if simple is not None:
        stop = simple.end()
    else:
        depth, at, stop = 0, pos, -1
        while stop < 0:
            found = _PAREN.search(buf, at, end)
            if found is None:
                if end - pos > limit:
                    break
                return -1
            at = found.end()
            char = buf[found.start()]
            if char == 0x5C:  # backslash
                at += 1
            elif char == 0x28:
                depth += 1
            else:
                depth -= 1
                if depth == 0:
                    stop = at
    if stop < 0 or stop - pos > limit:
        raise unsafe("pdf_limits", f"The PDF has a string longer than {limit} bytes")
    return stop


def object_end(buf: bytes, pos: int, end: int, limit: int) -> tuple[str, int, int] | None:
    """Where the object text starting at `pos` ends: ("endobj" or "stream", start and end of
    that keyword), or None when buf[:end] holds no end yet."""
    at = pos
    while True:
        found = _BODY_EVENT.search(buf, at, end)
        if found is None:
            return None
        keyword = found.group(1)
        if keyword is not None:
            return keyword.decode(), found.start(1), found.end(1)
        if buf[found.start()] == 0x28:  # (
            stop = string_end(buf, found.start(), end, limit)
            if stop < 0:
                return None
            at = stop
        else:  # a comment runs to the end of its line
            eol = _EOL.search(buf, found.end(), end)
            if eol is None:
                return None
            at = eol.end()


def parse_value(buf: bytes, pos: int, end: int, budget: Budget) -> tuple[Any, int]:
    """The direct object at buf[pos:end] and the offset after it, built iteratively (no
    recursion) under the budget: nesting depth, elements, string and name bytes."""
    stack: list[Any] = []  # open containers: a list (an array) or a _Dict
    while True:
        token = TOKEN.match(buf, pos, end)
        if token is None:
            raise _syntax(buf, pos, end)
        pos = token.end()
        kind = token.lastindex
        value: Any
        if kind == 1:
            raw = token.group(1)
            if len(raw) > budget.name_bytes:
                raise unsafe("pdf_limits", f"The PDF has a name longer than {budget.name_bytes} bytes")
            value = decode_name(raw)
        elif kind == 2:
            text = token.group(2)
            if b"." in text:
                value = float(text)
            else:
                value = int(text)
                ref = _REF_TAIL.match(buf, pos, end)
                if ref is not None and value >= 0:
                    value, pos = Ref(value, int(ref.group(1))), ref.end()
        elif kind == 3:
            if len(stack) >= budget.depth:
                raise unsafe("pdf_limits", f"The PDF nests arrays and dictionaries deeper than {budget.depth}")
            stack.append([] if token.group(3) == b"[" else _Dict())
            continue
        elif kind == 4:
            if not stack:
                raise _syntax(buf, token.start(4), end)
            top = stack.pop()
            if token.group(4) == b"]":
                if type(top) is not list:
                    raise _syntax(buf, token.start(4), end)
                value = top
            else:
                if type(top) is not _Dict or top.key is not None:
                    raise _syntax(buf, token.start(4), end)
                value = top.table
        elif kind == 5:
            hexdigits = token.group(5)
            if len(hexdigits) > 2 * budget.string_bytes:
                raise unsafe("pdf_limits", f"The PDF has a string longer than {budget.string_bytes} bytes")
            value = Hex(hexdigits)
        elif kind == 6:
            start = token.start(6)
            stop = string_end(buf, start, end, budget.string_bytes)
            if stop < 0:
                raise _syntax(buf, start, end)
            value, pos = buf[start + 1 : stop - 1], stop
        else:
            word = token.group(7)
            if word == b"true" or word == b"false":
                value = word == b"true"
            elif word == b"null":
                value = None
            else:
                raise _syntax(buf, token.start(7), end)
        budget.elements -= 1
        if budget.elements < 0:
            raise unsafe("pdf_limits", "The PDF's dictionaries and arrays hold more elements than are inspected")
        if not stack:
            return value, pos
        top = stack[-1]
        if type(top) is list:
            top.append(value)
        elif top.key is None:
            if kind != 1:
                raise _syntax(buf, token.start(), end)
            top.key = value
        else:
            key, table = top.key, top.table
            if key in table and table[key] != value:
                raise unsafe("pdf_ambiguous", f"A PDF dictionary gives /{key} twice (readers keep either one)")
            table[key] = value
            top.key = None


class _Dict:
    """A dictionary being read: its entries so far and the key waiting for its value."""

    __slots__ = ("table", "key")

    def __init__(self) -> None:
        self.table: dict[str, Any] = {}
        self.key: str | None = None


def skip_space(buf: bytes, pos: int, end: int) -> int:
    """The offset after whitespace and comments from `pos`."""
    found = SKIP.match(buf, pos, end)
    return pos if found is None else found.end()


def _syntax(buf: bytes, pos: int, end: int) -> Exception:
    shown = buf[pos : min(end, pos + 24)]
    return unsafe("malformed", f"The PDF's syntax is broken near {shown!r}")
