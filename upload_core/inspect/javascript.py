"""Whether a file is also JavaScript: the GIF and JPEG script polyglots (polyglot.py).

A `<script src>` runs a file of any type if it parses; a script with a syntax error never
runs. So a GIF or JPEG is a script polyglot only if it lexes as JavaScript from its first
byte to its last: `GIF89a/*...*/=alert(1)//`, or a JPEG whose first bytes FF D8 FF E0
read `ÿØÿà` in windows-1252 (letters: an identifier) and whose APP0
length spells `/*`.

The lexer over-approximates: it says "not JavaScript" only for what no JavaScript engine
accepts (a control byte outside a comment, string or template; an unterminated comment,
string or template; a newline in a string), and reads any other byte (0x80-0xFF included)
as part of a token. An honest image meets a NUL or a control byte outside a comment or a
string within its first bytes; a file that lexes for 16 MiB or 100,000 tokens is a script,
whatever else it is. Regular expressions and `${...}` in templates are not followed: an
attacker gains nothing from them that a comment does not give.
"""

from __future__ import annotations

import re

from .base import Source

MAX_SCRIPT_STEPS = 100_000
MAX_SCRIPT_BYTES = 16 * 1024 * 1024
_BLOCK = 1024 * 1024

_CODE = re.compile(rb"[^\x00-\x08\x0e-\x1f\x7f/'\"`<]*")
_INVALID = frozenset(b"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b")
_INVALID |= frozenset(b"\x1c\x1d\x1e\x1f\x7f")
_BLOCK_END = re.compile(rb"\*/")
_LINE_END = re.compile(rb"[\n\r]")
_STRING_END = {ord("'"): re.compile(rb"['\\\n\r]"), ord('"'): re.compile(rb'["\\\n\r]')}
_TEMPLATE_END = re.compile(rb"[`\\]")


class _Text:
    """The file [0, end) read front to back in blocks, for searches that may span them."""

    def __init__(self, source: Source, end: int):
        self._source, self._end = source, end
        self.buf, self.pos, self._read = b"", 0, 0
        source.seek(0)

    def more(self) -> bool:
        """Read the next block, keeping the bytes from pos on; False at the end."""
        if self._read >= self._end:
            return False
        block = self._source.read(min(_BLOCK, self._end - self._read))
        if not block:
            return False
        self._read += len(block)
        self.buf, self.pos = self.buf[self.pos :] + block, 0
        return True

    def ahead(self, n: int) -> bytes:
        while len(self.buf) - self.pos < n and self.more():
            pass
        return self.buf[self.pos : self.pos + n]

    def search(self, pattern: re.Pattern[bytes], keep: int = 1) -> re.Match[bytes] | None:
        """The next match of `pattern` (at most keep + 1 bytes long), moving to its start."""
        while True:
            found = pattern.search(self.buf, self.pos)
            if found is not None and (found.end() < len(self.buf) or self._read >= self._end):
                self.pos = found.start()
                return found
            self.pos = max(self.pos, len(self.buf) - keep)
            if not self.more():
                return None


def is_javascript(source: Source, end: int) -> bool:
    """Whether bytes [0, end) lex as JavaScript from the first to the last."""
    text = _Text(source, min(end, MAX_SCRIPT_BYTES))
    # Cut short, the text's end decides nothing: what has lexed so far is a script.
    cut = end > MAX_SCRIPT_BYTES
    for _ in range(MAX_SCRIPT_STEPS):
        while True:  # code: up to the next byte that starts or breaks something
            run = _CODE.match(text.buf, text.pos)
            text.pos = run.end() if run else text.pos
            if text.pos < len(text.buf) or not text.more():
                break
        head = text.ahead(4)
        if not head:
            return True  # the file (or its first MAX_SCRIPT_BYTES) ends in code
        c = head[0]
        if c in _INVALID:
            return False
        text.pos += 1
        if c == ord("/") and head[1:2] in (b"*", b"/"):
            text.pos += 1
            pattern, keep = (_BLOCK_END, 1) if head[1:2] == b"*" else (_LINE_END, 0)
            found = text.search(pattern, keep)
            if found is None:
                return pattern is _LINE_END or cut  # a line comment may run to the end; a block may not
            text.pos = found.end()
        elif c == ord("<") and head == b"<!--":  # an HTML-like comment: to the end of the line
            if text.search(_LINE_END, 0) is None:
                return True
        elif c in _STRING_END or c == ord("`"):
            pattern = _STRING_END.get(c, _TEMPLATE_END)
            while True:
                found = text.search(pattern, 0)
                if found is None:
                    return cut  # a string or template that does not end
                if found.group() in (b"\n", b"\r"):
                    return False
                if found.group() != b"\\":
                    text.pos = found.end()
                    break
                escaped = text.ahead(3)[1:]  # a backslash and what it escapes (CR LF: a line continuation)
                if not escaped:
                    return cut
                text.pos += 3 if escaped == b"\r\n" else 2
    return True  # this many tokens: a script, whatever else the file is
