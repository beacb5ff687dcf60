"""Word fields: the instructions that make a document fetch or run something.

A field is `{ KEYWORD arguments }`: stored as complex fields (begin, instruction, separate,
result, end; OOXML's w:fldChar and w:instrText runs, the .doc's 0x13/0x14/0x15 marks),
simple fields (OOXML's w:fldSimple), and nested in each other. Word evaluates nested
fields first, then the outer one with their results, so each level is judged on its own:

- dde: the keyword DDE or DDEAUTO (runs a program; the 2017 campaigns), however the
  instruction is split across runs (` DDE` + `AUTO c:\\...`);
- external_field: a keyword that fetches a file or a URL when the document opens or its
  fields update (INCLUDEPICTURE, INCLUDETEXT, LINK, IMPORT, INCLUDE, RD, DATABASE), or a
  keyword that is itself computed by a nested field (`{ {QUOTE 68 68 69} ... }` or
  `{ DD{QUOTE 69}AUTO ... }`, the tricks that hide DDE from a reader of the text), since
  what it runs cannot be read.

The keyword is the instruction's first word (Word's own reading: `{ IF x "DDE" }` is an IF;
a DDE nested in it is a field of its own, judged as one). Instruction text is counted in
characters, across all fields of a document, against `Limits.max_field_chars`, before it
is kept; each level keeps only its first characters (the keyword), so one instruction of
250 MB costs the limit's worth of parsing and no memory.
"""

from __future__ import annotations

import re

from .base import Limits, unsafe

RUNNING = frozenset({"DDE", "DDEAUTO"})
FETCHING = frozenset({"INCLUDEPICTURE", "INCLUDETEXT", "LINK", "IMPORT", "INCLUDE", "RD", "DATABASE"})
_KEYWORD = re.compile(r'[\s"]*([^\s"]*)')
_OPEN_KEYWORD = re.compile(r'[\s"]*[^\s"]*')  # a head whose keyword may still go on
_HEAD = 256  # characters kept from an instruction's start: its keyword
MAX_DEPTH = 64  # Word nests fields about 20 deep


def keyword_of(instruction: str) -> str:
    match = _KEYWORD.match(instruction)
    return match.group(1).upper() if match else ""


def check_instruction(instruction: str, where: str) -> None:
    """Raise unless a field instruction (a simple field's, or the head of one assembled) is harmless."""
    keyword = keyword_of(instruction)
    if keyword in RUNNING:
        raise unsafe("dde", f"A field in {where} runs DDE ({instruction.strip()[:60]!r})")
    if keyword in FETCHING:
        raise unsafe(
            "external_field",
            f"A field in {where} fetches another file or a URL ({instruction.strip()[:80]!r})",
        )


class _Level:
    __slots__ = ("head", "in_instruction")

    def __init__(self) -> None:
        self.head = ""
        self.in_instruction = True


class FieldReader:
    """Complex fields of one story (an OOXML part, a .doc's text), driven by its events:
    begin, text (instruction characters), separate, end; simple fields by `simple`.
    `budget` is shared by every story of a document (a one-element list of characters left)."""

    def __init__(self, where: str, limits: Limits, budget: list[int], limit_found: str):
        self.where = where
        self.limits = limits
        self.budget = budget
        self.limit_found = limit_found
        self.stack: list[_Level] = []

    def _spend(self, count: int) -> None:
        self.budget[0] -= count
        if self.budget[0] < 0:
            raise unsafe(
                self.limit_found,
                f"The document's field instructions exceed {self.limits.max_field_chars} characters",
            )

    @property
    def in_instruction(self) -> bool:
        """Inside a field, before its separator: characters here are instruction text."""
        return bool(self.stack) and self.stack[-1].in_instruction

    def begin(self) -> None:
        if self.stack:
            parent = self.stack[-1]
            if parent.in_instruction and _OPEN_KEYWORD.fullmatch(parent.head):
                raise unsafe(
                    "external_field",
                    f"A field in {self.where} has a name computed by another field (what it runs cannot be read)",
                )
        if len(self.stack) >= MAX_DEPTH:
            raise unsafe(self.limit_found, f"Fields in {self.where} are nested more than {MAX_DEPTH} deep")
        self.stack.append(_Level())

    def text(self, piece: str) -> None:
        """Instruction characters of the innermost open field (or of none: checked alone)."""
        self._spend(len(piece))
        if not self.stack or not self.stack[-1].in_instruction:
            check_instruction(piece[:_HEAD], self.where)
            return
        level = self.stack[-1]
        if len(level.head) < _HEAD:
            level.head += piece[: _HEAD - len(level.head)]

    def separate(self) -> None:
        if self.stack and self.stack[-1].in_instruction:
            self.stack[-1].in_instruction = False
            check_instruction(self.stack[-1].head, self.where)

    def end(self) -> None:
        if not self.stack:
            return
        level = self.stack.pop()
        if level.in_instruction:
            check_instruction(level.head, self.where)

    def simple(self, instruction: str) -> None:
        self._spend(len(instruction))
        check_instruction(instruction, self.where)

    def close(self) -> None:
        """A story ended: fields left open are judged on what they had."""
        while self.stack:
            self.end()
