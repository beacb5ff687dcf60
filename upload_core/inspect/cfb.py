"""A compound file ([MS-CFB]: .doc, .xls, .ppt) read so that every byte is accounted for.

A compound file is a small file system: a header, then sectors that the allocation
tables (DIFAT -> FAT sectors; FAT -> chains of sectors; the miniFAT -> chains of 64-byte
mini sectors inside the mini stream) hand out to the directory and the streams. A reader
that walks the directory never looks at a sector no chain uses, so those sectors can carry
anything: a JAR there (its end record in the file's last 64 KiB) runs with `java -jar`.
So, before any stream is read:

- the header is checked field by field (version and sector size agree, reserved bytes and
  the unused part of a version 4 header are zero) and the file is whole sectors;
- the DIFAT chain, the FAT, the directory chain and the miniFAT chain are followed, and
  every stream reachable from the root's tree claims its chain (FAT, or miniFAT inside
  the mini stream) with exactly the sectors its size needs; a sector claimed twice, a
  chain that loops, ends early, runs past the file or is longer than its stream, is
  `malformed`;
- what no chain claims is looked at where a reader of another format would look: every
  sector after the last claimed one must be zeros (an appended JAR, an HTML page), and so
  must the slack after a stream's last byte (in its sector or mini sector), the mini
  sectors no stream uses, and the table entries past the file's end ([MS-CFB] 2.7 asks
  writers to zero them). Free sectors *between* claimed ones may hold bytes: LibreOffice
  leaves a stale copy of its directory in one (and stale, unreachable directory entries),
  so refusing them would refuse every .doc it writes; such bytes are not where any
  reader looks (ole2.py checks the anchors that are: a zip end record reaching the end of
  the file, a PDF header in the first 1,024 bytes).

Tables are arrays of 32-bit integers read in one call (array.frombytes); chains are
followed one sector at a time (a 32 MiB file has 65,536 sectors); zeros are checked a
sector at a time with bytes.count, never a byte at a time.
"""

from __future__ import annotations

import struct
import sys
from array import array
from dataclasses import dataclass

from .base import unsafe

MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEADER = struct.Struct("<8s16sHHHHH6sLLLLLLLLL")
MAXREGSECT, DIFSECT, FATSECT, ENDOFCHAIN, FREESECT = 0xFFFFFFFA, 0xFFFFFFFC, 0xFFFFFFFD, 0xFFFFFFFE, 0xFFFFFFFF
NOSTREAM = 0xFFFFFFFF
_ENTRY = struct.Struct("<64sHBB3L16sL2Q3L")  # name, length, type, color, left, right, child, ..., start, size
_EMPTY_ENTRY = b"\0" * 68 + struct.pack("<3L", NOSTREAM, NOSTREAM, NOSTREAM) + b"\0" * 48
STORAGE, STREAM, ROOT = 1, 2, 5
MAX_DEPTH = 64  # storages nested deeper than any Office writer nests them


@dataclass(frozen=True)
class DirEntry:
    path: tuple[str, ...]
    kind: int
    start: int
    size: int


def _ints(data: bytes) -> array:
    table = array("I")
    table.frombytes(data)
    if sys.byteorder == "big":
        table.byteswap()
    return table


class CompoundFile:
    """The structure of a compound file held in memory (the caller bounds its size)."""

    def __init__(self, data: bytes):
        self.data = data
        if len(data) < 1024 or not data.startswith(MAGIC):
            raise unsafe("malformed", "The file is not a compound file (no OLE2 header)")
        (_, _, _, major, order, shift, mini_shift, reserved, dir_count, fat_count, dir_start, _,
         cutoff, minifat_start, minifat_count, difat_start, difat_count) = _HEADER.unpack_from(data)  # fmt: skip
        if order != 0xFFFE or (major, shift) not in ((3, 9), (4, 12)) or mini_shift != 6 or cutoff != 4096:
            raise unsafe("malformed", "The compound file's header is not one any Office writes")
        if reserved.strip(b"\0") or (major == 3 and dir_count):
            raise unsafe("malformed", "The compound file's header has bytes in its reserved fields")
        self.sector = 1 << shift
        if len(data) % self.sector:
            raise unsafe(
                "malformed", f"The file is {len(data)} bytes, not a whole number of {self.sector}-byte sectors"
            )
        if data[512 : self.sector].count(0) != self.sector - 512:
            raise unsafe("malformed", "The compound file's header sector carries bytes after its header")
        self.count = len(data) // self.sector - 1
        self.owner = bytearray(self.count)  # 1 once a chain claims the sector
        self.fat = self._load_fat(fat_count, difat_start, difat_count)
        directory = self._claim(dir_start, None, "the directory")
        self.entries = self._directory(b"".join(self._sector(i) for i in directory))
        root = self.entries[0]
        self.mini_stream = b""
        self.minifat = array("I")
        self.mini_owner = bytearray()
        if root.size:
            chain = self._claim(root.start, -(-root.size // self.sector), "the mini stream")
            self.mini_stream = b"".join(self._sector(i) for i in chain)[: root.size]
            self._zero_tail(chain[-1], root.size, "the mini stream")
            self.mini_owner = bytearray(root.size // 64 + (1 if root.size % 64 else 0))
        if minifat_count:
            chain = self._claim(minifat_start, minifat_count, "the miniFAT")
            self.minifat = _ints(b"".join(self._sector(i) for i in chain))
            past = self.minifat[len(self.mini_owner) :]
            if past.count(FREESECT) != len(past):
                raise unsafe("malformed", "The compound file's miniFAT points past its mini stream")
        self.chains: dict[tuple[str, ...], list[int]] = {}
        for entry in self.entries[1:]:
            if entry.kind == STREAM:
                self.chains[entry.path] = self._claim_stream(entry)
        self._unclaimed_are_zero()

    # ---- the tables ---------------------------------------------------------------

    def _sector(self, index: int) -> bytes:
        at = (index + 1) * self.sector
        return self.data[at : at + self.sector]

    def _load_fat(self, fat_count: int, difat_start: int, difat_count: int) -> array:
        per = self.sector // 4
        if fat_count * per < self.count or fat_count > self.count:
            raise unsafe("malformed", "The compound file's FAT does not cover the file")
        difat = _ints(self.data[76:512])
        difat_sectors = []
        at = difat_start
        for _ in range(difat_count):
            if at >= self.count or self.owner[at]:
                raise unsafe("malformed", "The compound file's DIFAT chain is broken or loops")
            self.owner[at] = 1
            difat_sectors.append(at)
            table = _ints(self._sector(at))
            difat.extend(table[:-1])
            at = table[-1]
        if at not in (ENDOFCHAIN, FREESECT):
            raise unsafe("malformed", "The compound file's DIFAT chain is longer than its header says")
        listed, rest = difat[:fat_count], difat[fat_count:]
        if rest.count(FREESECT) != len(rest):
            raise unsafe("malformed", "The compound file's DIFAT lists more FAT sectors than its header says")
        for index in listed:
            if index >= self.count or self.owner[index]:
                raise unsafe("malformed", "The compound file's DIFAT points at a sector twice or past the end")
            self.owner[index] = 1
        fat = _ints(b"".join(self._sector(i) for i in listed))
        past = fat[self.count :]
        if past.count(FREESECT) != len(past):
            raise unsafe("malformed", "The compound file's FAT allocates sectors past the end of the file")
        fat = fat[: self.count]
        if any(fat[i] != FATSECT for i in listed) or any(fat[i] != DIFSECT for i in difat_sectors):
            raise unsafe("malformed", "The compound file's FAT does not mark its own sectors")
        return fat

    def _claim(self, start: int, count: int | None, what: str) -> list[int]:
        """Follow a FAT chain, claiming each sector once; `count` sectors when it is known."""
        chain: list[int] = []
        at = start
        while at != ENDOFCHAIN:
            if at > MAXREGSECT or at >= self.count or self.owner[at] or (count is not None and len(chain) == count):
                raise unsafe("malformed", f"The compound file's chain for {what} is broken, loops or runs long")
            self.owner[at] = 1
            chain.append(at)
            at = self.fat[at]
        if not chain or (count is not None and len(chain) != count):
            raise unsafe("malformed", f"The compound file's chain for {what} ends early")
        return chain

    def _claim_stream(self, entry: DirEntry) -> list[int]:
        where = "/".join(entry.path)
        if entry.size >= 4096:
            big = self._claim(entry.start, -(-entry.size // self.sector), where)
            self._zero_tail(big[-1], entry.size, where)
            return big
        if not entry.size:
            return []
        chain: list[int] = []
        at, count = entry.start, -(-entry.size // 64)
        while at != ENDOFCHAIN:
            if at >= len(self.mini_owner) or at >= len(self.minifat) or self.mini_owner[at] or len(chain) == count:
                raise unsafe("malformed", f"The compound file's mini chain for {where} is broken or loops")
            self.mini_owner[at] = 1
            chain.append(at)
            at = self.minifat[at]
        if len(chain) != count:
            raise unsafe("malformed", f"The compound file's mini chain for {where} ends early")
        tail = self.mini_stream[chain[-1] * 64 + (entry.size - 1) % 64 + 1 : chain[-1] * 64 + 64]
        if tail.count(0) != len(tail):
            raise unsafe("malformed", f"Bytes after the end of the stream {where!r} (its last mini sector)")
        return chain

    def _zero_tail(self, last: int, size: int, what: str) -> None:
        used = (size - 1) % self.sector + 1
        tail = self._sector(last)[used:]
        if tail.count(0) != len(tail):
            raise unsafe("malformed", f"Bytes after the end of {what} (its last sector)")

    def _unclaimed_are_zero(self) -> None:
        last = self.owner.rfind(1)
        index = self.owner.find(0, last + 1)
        while index >= 0:
            if self._sector(index).count(0) != self.sector:
                raise unsafe("malformed", f"Bytes in sector {index}, after the last sector any chain uses")
            index = self.owner.find(0, index + 1)
        index = self.mini_owner.find(0)
        while index >= 0:
            chunk = self.mini_stream[index * 64 : index * 64 + 64]
            if chunk.count(0) != len(chunk):
                raise unsafe("malformed", f"Bytes in mini sector {index}, which no stream uses")
            index = self.mini_owner.find(0, index + 1)

    # ---- the directory ------------------------------------------------------------

    def _directory(self, raw: bytes) -> list[DirEntry]:
        """Entries reachable from the root, each with its path; the rest must be empty."""
        count = len(raw) // 128
        fields = [_ENTRY.unpack_from(raw, i * 128) for i in range(count)]
        if not fields or fields[0][2] != ROOT:
            raise unsafe("malformed", "The compound file's directory has no root entry")
        reached = bytearray(count)
        out: list[DirEntry] = []

        def entry(index: int, parent: tuple[str, ...]) -> DirEntry:
            name_raw, name_len, kind, _, _, _, _, _, _, _, _, start, size_low, size_high = fields[index]
            if name_len > 64 or name_len % 2 or kind not in (STORAGE, STREAM, ROOT):
                raise unsafe("malformed", "A compound file directory entry is damaged")
            name = name_raw[: max(0, name_len - 2)].decode("utf-16-le", "replace")
            size = size_low if self.sector == 512 else size_low | size_high << 32
            return DirEntry(parent + (name,) if kind != ROOT else (), kind, start, size)

        # Each storage's children form a tree (left, right siblings); walk it iteratively.
        pending: list[tuple[int, tuple[str, ...], int]] = [(0, (), 0)]
        reached[0] = 1
        while pending:
            index, parent, depth = pending.pop()
            item = entry(index, parent)
            out.append(item)
            child = fields[index][6]
            if item.kind == STREAM:
                if child != NOSTREAM:
                    raise unsafe("malformed", "A compound file stream has children")
                continue
            if depth >= MAX_DEPTH:
                raise unsafe("ole_limits", "The compound file's storages are nested too deep")
            siblings = [child] if child != NOSTREAM else []
            while siblings:
                at = siblings.pop()
                if at >= count or reached[at]:
                    raise unsafe("malformed", "The compound file's directory tree loops or points past its end")
                reached[at] = 1
                siblings.extend(s for s in fields[at][4:6] if s != NOSTREAM)
                pending.append((at, item.path, depth + 1))
        if out[0].kind != ROOT or any(e.kind == ROOT for e in out[1:]):
            raise unsafe("malformed", "The compound file's directory has no single root")
        return out

    # ---- reading ------------------------------------------------------------------

    def read(self, path: tuple[str, ...]) -> bytes:
        """A stream's bytes (its chain was claimed and checked when the file was opened)."""
        entry = next(e for e in self.entries if e.path == path)
        chain = self.chains[path]
        if entry.size >= 4096:
            return b"".join(self._sector(i) for i in chain)[: entry.size]
        return b"".join(self.mini_stream[i * 64 : i * 64 + 64] for i in chain)[: entry.size]

    def find(self, name: str) -> tuple[str, ...] | None:
        """A top-level stream by name, as Word finds WordDocument (names compare without case)."""
        for entry in self.entries:
            if len(entry.path) == 1 and entry.kind == STREAM and entry.path[0].casefold() == name.casefold():
                return entry.path
        return None
