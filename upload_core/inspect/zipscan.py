"""A zip read by its structure, front to back, every entry inflated under a cap.

Python's zipfile trusts the archive: it reads the whole central directory into memory
(ZipInfo objects of ~1 KB each: a 90 MB docx with a large directory took the validator
from 58 to 318 MiB) and believes each header's sizes. Here every limit is checked
before the work it bounds:

- the end record (EOCD, zip64 EOCD) is read from the last 64 KiB; the directory's size
  and entry count are checked against the limits before one directory byte is read;
- each directory record's name length is checked before its name is read;
- local-header ranges are checked for overlap (one stored blob referenced by 400
  records) before anything is inflated, and the entries must tile the file exactly from
  byte 0 to the directory: bytes in front are `leading_data`, after the end record
  `trailing_data`, gaps `malformed`;
- every reader must see the same entries: a streaming reader (Java's ZipInputStream,
  stream-unzip) trusts the local headers, unzip and Office the directory, so each local
  header must agree with its directory record (name bytes, flags, method, CRC and sizes,
  zip64 ones included; zeros or the same values under a data descriptor), an Info-ZIP
  Unicode Path field (0x7075, which unzip prefers to the name) must say the same name,
  a stored entry written with a data descriptor must not hold a descriptor signature
  (readers that scan for it would end the entry there), and two names that a reader
  could take for one (case, `\\` for `/`, a leading `/`) are refused;
- each entry is inflated in bounded steps (zlib max_length) and stops one byte past its
  declared size, the total limit or the ratio limit, whichever comes first, so a header
  that says 1,000 bytes over a stream of 1 GiB costs 1,001 bytes of work; its CRC-32 is checked.

The caller sees each entry's inflated bytes as a stream of chunks (`on_entry`), so
XML parts can be parsed incrementally and nothing is held whole.
"""

from __future__ import annotations

import struct
import unicodedata
import zlib
from dataclasses import dataclass
from typing import Callable, Iterator, Protocol

from .base import READ_BYTES, Limits, Source, unsafe

_EOCD = struct.Struct("<4s4H2LH")  # sig, disk, cd disk, entries here, entries, cd size, cd offset, comment len
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_LOCAL = struct.Struct("<4s5H3L2H")
_TAIL_BYTES = _EOCD.size + 0xFFFF  # the end record plus the longest comment
_INFLATE_STEP = 256 * 1024  # the most one decompress call may produce


@dataclass(frozen=True)
class Entry:
    name: str
    flags: int
    method: int
    crc: int
    packed: int
    size: int
    offset: int
    name_bytes: int  # the name's length as stored (cp437 names decode to longer UTF-8)
    raw_name: bytes = b""


class Sink(Protocol):
    """Where one entry's inflated bytes go: fed in order, closed once the entry checked out."""

    def feed(self, data: bytes) -> None: ...

    def close(self) -> None: ...


class InflateCounter:
    """Bytes really inflated, across all entries (what the limits and the tests look at)."""

    def __init__(self) -> None:
        self.inflated = 0


def scan_zip(
    source: Source,
    size: int,
    limits: Limits,
    on_entry: Callable[[Entry], Sink | None],
    counter: InflateCounter | None = None,
    on_directory: Callable[[list[Entry]], None] | None = None,
) -> list[Entry]:
    """Check the zip's structure and inflate every entry, feeding each one's bytes to the
    sink `on_entry(entry)` returns (None: inflate and check, but keep nothing).
    `on_directory` sees every entry once the directory checked out, before any inflating.
    Returns the entries in file order. Raises unsafe(...) on anything refused."""
    counter = counter or InflateCounter()
    cd_offset, cd_size, count = _end_records(source, size, limits)
    entries = sorted(_directory(source, cd_offset, cd_size, count, limits), key=lambda e: e.offset)
    _check_layout(entries, cd_offset, limits, size)
    if on_directory is not None:
        on_directory(entries)
    reader = _Sequential(source, 0, cd_offset)
    for entry in entries:
        if reader.pos != entry.offset:
            raise unsafe("malformed", f"Unaccounted bytes before the zip entry {entry.name!r}")
        zip64 = _local_header(reader, entry)
        sink = on_entry(entry)
        _inflate(reader, entry, sink, limits, size, counter)
        if sink is not None:
            sink.close()
        _data_descriptor(reader, entry, zip64)
    if reader.pos != cd_offset:
        raise unsafe("malformed", "Unaccounted bytes between the last zip entry and the directory")
    return entries


def _read_at(source: Source, offset: int, n: int) -> bytes:
    source.seek(offset)
    data = source.read(n)
    if len(data) != n:
        raise unsafe("malformed", "The zip is truncated")
    return data


def _end_records(source: Source, size: int, limits: Limits) -> tuple[int, int, int]:
    """(directory offset, directory size, entry count), limits checked."""
    if size < _EOCD.size:
        raise unsafe("malformed", "Too short to be a zip")
    tail_start = max(0, size - _TAIL_BYTES)
    tail = _read_at(source, tail_start, size - tail_start)
    at = tail.rfind(b"PK\x05\x06")
    # Skip a signature inside the comment or cut short: the record must fit before the end.
    while at >= 0 and (
        at + _EOCD.size > len(tail) or tail_start + at + _EOCD.size + _EOCD.unpack_from(tail, at)[-1] > size
    ):
        at = tail.rfind(b"PK\x05\x06", 0, at)
    if at < 0:
        raise unsafe("malformed", "No zip end record (truncated, or not a zip)")
    _, disk, cd_disk, here, count, cd_size, cd_offset, comment = _EOCD.unpack_from(tail, at)
    eocd_at = tail_start + at
    if eocd_at + _EOCD.size + comment != size:
        raise unsafe("trailing_data", f"{size - eocd_at - _EOCD.size - comment} bytes after the zip's end record")
    if disk or cd_disk or here != count:
        raise unsafe("malformed", "Multi-disk zips are not accepted")
    directory_end = eocd_at
    if 0xFFFF in (here, count) or 0xFFFFFFFF in (cd_size, cd_offset):
        loc_at = at - _ZIP64_LOCATOR.size
        if loc_at < 0 or tail[loc_at : loc_at + 4] != b"PK\x06\x07":
            raise unsafe("malformed", "A zip64 end record is announced but missing")
        record_at = _ZIP64_LOCATOR.unpack_from(tail, loc_at)[2]
        if record_at + _ZIP64_EOCD.size > tail_start + loc_at:
            raise unsafe("malformed", "The zip64 end record is out of place")
        record = _ZIP64_EOCD.unpack(_read_at(source, record_at, _ZIP64_EOCD.size))
        if record[0] != b"PK\x06\x06":
            raise unsafe("malformed", "Bad zip64 end record")
        count, cd_size, cd_offset = record[7], record[8], record[9]
        directory_end = record_at
    if count > limits.max_zip_entries:
        raise unsafe("zip_limits", f"The zip has {count} entries; at most {limits.max_zip_entries} are accepted")
    if cd_size > limits.max_zip_directory_bytes:
        raise unsafe(
            "zip_limits",
            f"The zip's directory is {cd_size} bytes; at most {limits.max_zip_directory_bytes} are accepted",
        )
    if cd_offset + cd_size != directory_end:
        shift = directory_end - cd_size - cd_offset
        if shift > 0 and _read_at(source, cd_offset + shift, 4) == b"PK\x01\x02":
            # The whole archive sits `shift` bytes later than its offsets say: something
            # (an HTML page, an executable stub) was put in front of it.
            raise unsafe("leading_data", f"{shift} bytes in front of the zip")
        raise unsafe("malformed", "The zip's directory is not where its end record says")
    if count == 0:
        raise unsafe("malformed", "The zip is empty")
    return cd_offset, cd_size, count


def _directory(source: Source, cd_offset: int, cd_size: int, count: int, limits: Limits) -> Iterator[Entry]:
    reader = _Sequential(source, cd_offset, cd_offset + cd_size)
    seen: set[str] = set()
    for _ in range(count):
        fields = _CENTRAL.unpack(reader.read(_CENTRAL.size))
        if fields[0] != b"PK\x01\x02":
            raise unsafe("malformed", "Bad zip directory record")
        flags, method, crc, packed, size = fields[3], fields[4], fields[7], fields[8], fields[9]
        name_len, extra_len, comment_len, disk, offset = fields[10], fields[11], fields[12], fields[13], fields[16]
        if name_len > limits.max_zip_name_bytes:
            raise unsafe("zip_limits", f"A zip entry name is {name_len} bytes; at most {limits.max_zip_name_bytes}")
        raw_name = reader.read(name_len)
        name = _decode_name(raw_name, flags)
        extra = reader.read(extra_len)
        reader.skip(comment_len)
        _check_unicode_path(extra, name)
        size, packed, offset = _zip64_sizes(extra, size, packed, offset)
        if flags & 0x1:
            raise unsafe("malformed", f"The zip entry {name!r} is encrypted and cannot be inspected")
        if method not in (0, 8):
            raise unsafe("malformed", f"The zip entry {name!r} uses compression method {method}")
        if disk:
            raise unsafe("malformed", "Multi-disk zips are not accepted")
        folded = unicodedata.normalize("NFC", name.replace("\\", "/").lstrip("/")).casefold()
        if folded in seen:
            raise unsafe("malformed", f"The zip holds {name!r} twice (names that readers take for one)")
        seen.add(folded)
        yield Entry(name, flags, method, crc, packed, size, offset, name_len, raw_name)
    if reader.pos != reader.end:
        raise unsafe("malformed", "The zip's directory is longer than its records")


def _decode_name(raw: bytes, flags: int) -> str:
    try:
        return raw.decode("utf-8" if flags & 0x800 else "cp437")
    except UnicodeDecodeError:
        raise unsafe("malformed", "A zip entry name is not valid UTF-8") from None


def _extra_fields(extra: bytes) -> Iterator[tuple[int, bytes]]:
    """(tag, data) of each field of an extra block; a field running past the block is malformed."""
    at = 0
    while at + 4 <= len(extra):
        tag, length = struct.unpack_from("<2H", extra, at)
        if at + 4 + length > len(extra):
            raise unsafe("malformed", "A zip extra field runs past its block")
        yield tag, extra[at + 4 : at + 4 + length]
        at += 4 + length


def _check_unicode_path(extra: bytes, name: str) -> None:
    """unzip names an entry by its Info-ZIP Unicode Path field (0x7075: version, CRC-32 of
    the header's name, the UTF-8 name) when the CRC matches; other readers use the name.
    Both must be the same name, whatever the CRC says."""
    for tag, data in _extra_fields(extra):
        if tag == 0x7075:
            try:
                other = data[5:].decode("utf-8")
            except UnicodeDecodeError:
                other = None
            if len(data) < 5 or data[0] != 1 or other != name:
                raise unsafe("malformed", f"The zip entry {name!r} has a Unicode Path field naming another entry")


def _zip64_sizes(extra: bytes, size: int, packed: int, offset: int) -> tuple[int, int, int]:
    """Replace the 0xFFFFFFFF placeholders with the zip64 extra field's values, in order."""
    if 0xFFFFFFFF not in (size, packed, offset):
        return size, packed, offset
    for tag, data in _extra_fields(extra):
        if tag == 0x0001:
            values = list(struct.unpack_from(f"<{len(data) // 8}Q", data))
            out = []
            for value in (size, packed, offset):
                out.append(values.pop(0) if value == 0xFFFFFFFF and values else value)
            if 0xFFFFFFFF not in out:
                return out[0], out[1], out[2]
    raise unsafe("malformed", "A zip64 entry without its zip64 sizes")


def _check_layout(entries: list[Entry], cd_offset: int, limits: Limits, size: int) -> None:
    """Before any inflating: entries start at byte 0, do not overlap, end before the directory."""
    if entries[0].offset != 0:
        raise unsafe("leading_data", f"{entries[0].offset} bytes before the zip's first entry")
    declared = 0
    for entry, following in zip(entries, entries[1:] + [None], strict=True):
        end = entry.offset + _LOCAL.size + entry.name_bytes + entry.packed
        limit = following.offset if following else cd_offset
        if end > limit:
            raise unsafe("zip_bomb", f"Zip entries overlap at {entry.name!r}: one stored blob is referenced twice")
        declared += entry.size
    if declared > limits.max_inflated_bytes:
        raise unsafe(
            "zip_bomb", f"The zip declares {declared} bytes inflated; at most {limits.max_inflated_bytes} are accepted"
        )


def _local_header(reader: "_Sequential", entry: Entry) -> bool:
    """Check the local header against the directory, field by field (a streaming reader
    believes the local header alone); True if it carries zip64 sizes."""
    sig, _, flags, method, _, _, crc, packed, size, name_len, extra_len = _LOCAL.unpack(reader.read(_LOCAL.size))
    if sig != b"PK\x03\x04":
        raise unsafe("malformed", f"Bad local header for the zip entry {entry.name!r}")
    raw_name = reader.read(name_len)
    if raw_name != entry.raw_name:
        shown = raw_name.decode("utf-8", "replace")
        raise unsafe("malformed", f"The zip's directory says {entry.name!r} where the entry says {shown!r}")
    if flags != entry.flags:
        raise unsafe("malformed", f"The zip entry {entry.name!r} has other flags in its local header")
    if method != entry.method:
        raise unsafe("malformed", f"The zip entry {entry.name!r} has two compression methods")
    extra = reader.read(extra_len)
    _check_unicode_path(extra, entry.name)
    zip64 = any(tag == 0x0001 for tag, _ in _extra_fields(extra))
    if zip64 and 0xFFFFFFFF in (size, packed):
        # The local zip64 field holds both sizes, uncompressed first (APPNOTE 4.5.3).
        values = [data for tag, data in _extra_fields(extra) if tag == 0x0001][0]
        if len(values) < 16:
            raise unsafe("malformed", f"The zip entry {entry.name!r} has a short zip64 field")
        size, packed = struct.unpack_from("<2Q", values)
    declared = (crc, packed, size)
    if declared != (entry.crc, entry.packed, entry.size) and not (entry.flags & 0x8 and declared == (0, 0, 0)):
        raise unsafe(
            "malformed",
            f"The zip entry {entry.name!r} has other sizes or CRC in its local header than in the directory",
        )
    return zip64


def _inflate(
    reader: "_Sequential",
    entry: Entry,
    sink: Sink | None,
    limits: Limits,
    size: int,
    counter: InflateCounter,
) -> None:
    """Inflate one entry in bounded steps; stop at the first byte past any limit."""
    inflater = zlib.decompressobj(-15) if entry.method == 8 else None
    # A stored entry with a data descriptor ends, for readers that stream it, at the first
    # descriptor signature: one inside the data would end it early for them.
    scan_descriptor, tail = inflater is None and bool(entry.flags & 0x8), b""
    produced = 0
    crc = 0
    remaining = entry.packed
    pending = b""
    while True:
        if not pending and remaining:
            pending = reader.read(min(READ_BYTES, remaining))
            remaining -= len(pending)
        room = entry.size - produced + 1  # one byte past the declared size proves a lie
        if inflater is None:
            out, pending = pending[:room], pending[room:]
        else:
            try:
                out = inflater.decompress(pending, min(room, _INFLATE_STEP))
            except zlib.error as exc:
                raise unsafe("malformed", f"The zip entry {entry.name!r} has a broken deflate stream ({exc})") from None
            pending = inflater.unconsumed_tail
        produced += len(out)
        counter.inflated += len(out)
        if produced > entry.size:
            raise unsafe("zip_bomb", f"The zip entry {entry.name!r} inflates past the {entry.size} bytes it declares")
        if counter.inflated > limits.max_inflated_bytes:
            raise unsafe("zip_bomb", f"The zip inflates past {limits.max_inflated_bytes} bytes")
        if counter.inflated > limits.inflate_ratio_floor_bytes and counter.inflated > limits.max_inflate_ratio * size:
            raise unsafe(
                "zip_bomb",
                f"The zip inflates more than {limits.max_inflate_ratio} times its {size} bytes",
            )
        if out:
            crc = zlib.crc32(out, crc)
            if scan_descriptor:
                window = tail + out
                if b"PK\x07\x08" in window:
                    raise unsafe(
                        "malformed",
                        f"The stored zip entry {entry.name!r} holds a data descriptor signature before its end",
                    )
                tail = window[-3:]
            if sink is not None:
                sink.feed(out)
        done = inflater.eof if inflater is not None else remaining == 0 and not pending
        if done or (not out and not pending and not remaining):
            break
    if inflater is not None and (not inflater.eof or inflater.unused_data or pending or remaining):
        raise unsafe("malformed", f"The zip entry {entry.name!r} has a broken or over-long deflate stream")
    if produced != entry.size:
        raise unsafe("malformed", f"The zip entry {entry.name!r} is {produced} bytes, not the {entry.size} it declares")
    if crc != entry.crc:
        raise unsafe("malformed", f"The zip entry {entry.name!r} fails its CRC check")


def _data_descriptor(reader: "_Sequential", entry: Entry, zip64: bool) -> None:
    """Skip the descriptor that follows an entry written with flag bit 3 (streamed writers):
    optional signature, CRC, then 4- or 8-byte sizes; it must agree with the directory."""
    if not entry.flags & 0x8:
        return
    head = reader.peek(4)
    if head == b"PK\x07\x08":
        reader.skip(4)
    crc = struct.unpack("<L", reader.read(4))[0]
    wide = zip64 or entry.size >= 0xFFFFFFFF or entry.packed >= 0xFFFFFFFF
    packed, size = struct.unpack("<2Q" if wide else "<2L", reader.read(16 if wide else 8))
    if (crc, packed, size) != (entry.crc, entry.packed, entry.size):
        raise unsafe("malformed", f"The zip entry {entry.name!r} has a data descriptor that disagrees")


class _Sequential:
    """Front-to-back reads of [start, end) through a buffer of at most READ_BYTES."""

    def __init__(self, source: Source, start: int, end: int):
        self._source = source
        self.pos = start
        self.end = end
        self._buffer = b""
        self._buffer_at = start
        source.seek(start)

    def _fill(self, n: int) -> None:
        have = self._buffer_at + len(self._buffer) - self.pos
        if have >= n:
            return
        keep = self._buffer[self.pos - self._buffer_at :]
        want = min(max(READ_BYTES - len(keep), n - len(keep)), self.end - (self.pos + len(keep)))
        self._source.seek(self.pos + len(keep))
        more = self._source.read(want) if want > 0 else b""
        self._buffer, self._buffer_at = keep + more, self.pos
        if len(self._buffer) < n:
            raise unsafe("malformed", "The zip is truncated (a record runs past its end)")

    def read(self, n: int) -> bytes:
        if n > READ_BYTES:
            raise ValueError("one read is at most READ_BYTES")
        self._fill(n)
        start = self.pos - self._buffer_at
        self.pos += n
        return self._buffer[start : start + n]

    def peek(self, n: int) -> bytes:
        n = min(n, self.end - self.pos)
        self._fill(n)
        start = self.pos - self._buffer_at
        return self._buffer[start : start + n]

    def skip(self, n: int) -> None:
        while n > 0:
            step = min(n, READ_BYTES)
            self.read(step)
            n -= step
