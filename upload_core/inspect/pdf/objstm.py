"""Object streams: the objects most PDF 1.5+ writers compress (refman: 56,439 of 59,470).

After the stream is inflated (under its caps, scan.py), its header lists N pairs `number
offset`; member i is the text from /First + offset i to the next. The census reads the
members' text as a whole; only a member that may hold a watched name is parsed.
"""

from __future__ import annotations

import re
from array import array
from typing import Any

from ..base import unsafe
from .census import Census
from .lexer import WS, Budget, parse_value, skip_space

_DIGITS_ONLY = re.compile(rb"[\d" + WS + rb"]*+")


def members(text: bytes, count: int, first: int, where: str) -> tuple[array, list[int]]:
    """The member numbers and their text offsets (plus the end), checked: readers that
    parse members one after another and readers that seek to each offset must agree."""
    numbers = text[:first].split()
    if len(numbers) != 2 * count or not _DIGITS_ONLY.fullmatch(text, 0, first):
        raise unsafe("malformed", f"{where}: the object stream's header does not list {count} objects")
    nums = array("q", map(int, numbers[0::2]))
    offsets = [int(n) + first for n in numbers[1::2]] + [len(text)]
    if any(b <= a for a, b in zip(offsets, offsets[1:], strict=False)) or offsets[-1] > len(text):
        raise unsafe(
            "pdf_ambiguous",
            f"{where}: the object stream's offsets overlap or run backwards (readers read its members differently)",
        )
    return nums, offsets


def read_members(text: bytes, nums: array, offsets: list[int], census: Census, budget: Budget) -> None:
    """The census over all the members at once; the members it points at, parsed and checked."""
    index, checked = 0, -1
    for at in census.watched(text, offsets[0] if offsets else 0, len(text)):
        while offsets[index + 1] <= at:
            index += 1
        if index != checked:
            where = f"object {nums[index]} 0"
            census.check_tree(member(text, offsets, index, budget, where), where)
            checked = index


def member(text: bytes, offsets: list[int], index: int, budget: Budget, where: str) -> Any:
    start, end = offsets[index], offsets[index + 1]
    value, stop = parse_value(text, start, end, budget)
    if skip_space(text, stop, end) != end:
        raise unsafe("pdf_ambiguous", f"{where} (in an object stream) holds more than one value (readers take one)")
    return value
