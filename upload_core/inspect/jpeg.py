"""JPEG inspected by its structure: every segment and scan from SOI to EOI, then what follows.

What is refused, and why (`found` in brackets; each rule has a test in
tests/unit/test_inspect_images.py or a hostile file in tests/support/hostile_media.py):
- no SOI; bytes between segments that are not a marker; a stray SOI or 0xFF00 [malformed];
- a scan before the frame header, a second frame header, no frame or no scan [malformed];
- width x height (from the frame header) over MAX_IMAGE_PIXELS [image_dimensions];
- markup in any segment (COM; APPn: EXIF, XMP, ICC, Photoshop, ...), a marker, a scan
  header: every byte but entropy-coded data [markup]; a zip, PDF or RAR anchor [polyglot];
- more than 1,000 scans in an image, segments past the structure limit [image_limits];
  more than 8 images [trailing_data];
- bytes after the last image's EOI other than what a camera or editor leaves [trailing_data].

Only entropy-coded data (the compressed pixels after each SOS, up to the next marker) is
left out of the scan: any short byte pattern turns up there by chance. That holds for the
JPEGs a segment embeds too (an EXIF thumbnail, a Photoshop or maker-note preview): each is
walked by the same rules inside its segment, and only its entropy-coded data is left out;
a "preview" that is not a JPEG all the way to its EOI is scanned like any other bytes.

After the first image's EOI:
- further JPEG images (MPF: MPO stereo pairs, HDR gain maps, depth maps; cameras leave a few
  zero bytes between them) are inspected by the same rules and kept;
- a motion photo's video (an MP4: an `ftyp` box; Google's MicroVideo/Container XMP,
  Samsung's MotionPhoto) and Samsung's SEF trailer (maker data ending in `SEFT`) are cut
  off: the file served is the still photo, [0, end);
- padding (0x00, 0xFF, whitespace) is cut off;
- JPEG data that ends the file with an EOI is cut off: an earlier save's tail (an editor
  that rewrote the file in place without truncating it) or a camera's preview image
  (Konica Minolta writes a 640x480 one, its SOI blanked, after the photo).
Anything else after EOI (a script, PHP, an archive) is `trailing_data`.
"""

from __future__ import annotations

import re
import struct

from .base import Inspected, Limits, Source, unsafe
from .images import PADDING, Budget, check_pixels, over_limit, walking
from .reader import Reader, Truncated

# A marker inside entropy-coded data: 0xFF followed by anything but a stuffed 0x00 or RSTn.
_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7]")
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_SOI = b"\xff\xd8\xff"
_XMP = b"http://ns.adobe.com/xap/1.0/\0"
# Text a motion photo's XMP declares its appended video with (Google, Samsung).
_MOTION_XMP = re.compile(rb"MicroVideo|MotionPhoto|Container:Directory")
# Appended images: at most this many (MPF declares a handful: gain map, depth, thumbnails).
MAX_APPENDED_JPEGS = 8
# Scans in one image: a progressive JPEG has about 10; each is a full pass for a viewer.
MAX_SCANS = 1000
# JPEGs looked for in one segment (an EXIF thumbnail, a Photoshop preview).
_MAX_EMBEDDED = 16


def inspect_jpeg(source: Source, size: int, limits: Limits) -> Inspected:
    """Walk the primary JPEG's segments and scans to EOI, then what follows it."""
    reader = Reader(source, size)
    budget = Budget("JPEG", size)
    with walking(reader, "JPEG"):
        motion = _image(reader, limits, budget)
        for _ in range(MAX_APPENDED_JPEGS):
            start = reader.tell()
            if reader.at_end():
                return Inspected("image/jpeg", start)
            head = _peek(reader, 12)
            if head[4:8] == b"ftyp" or (motion and head.startswith(b"MotionPho")):
                reader.finish()
                return Inspected("image/jpeg", start)  # a motion photo's MP4 (Google; Samsung): cut off
            if not reader.skip_run(0x00):  # zeros to the end: padding
                return Inspected("image/jpeg", start)
            if not _peek(reader, 3) == _SOI:  # zeros before it: cameras leave a few between MPO images
                return Inspected("image/jpeg", _trailer(reader, start))
            motion = _image(reader, limits, budget) or motion
        reader.finish()
        if reader.at_end():
            return Inspected("image/jpeg", size)
    raise unsafe("trailing_data", f"More than {MAX_APPENDED_JPEGS} images follow the JPEG")


def _image(reader: Reader, limits: Limits, budget: Budget) -> bool:
    """One JPEG from SOI to EOI; True when its XMP declares a motion photo."""
    reader.mark("SOI marker")
    if reader.read(2) != b"\xff\xd8":
        raise unsafe("malformed", "The file does not start with a JPEG SOI marker")
    motion = False
    frame = scans = 0
    while True:
        budget.structure()
        at = reader.tell()
        marker = reader.read(2)
        if marker[0] != 0xFF:
            raise unsafe("malformed", f"The JPEG has no marker at byte {at}")
        code = marker[1]
        if code == 0xFF:  # fill bytes before a marker, skipped in bulk
            reader.skip_fill()
            code = reader.byte()
        if code == 0xD9:  # EOI
            if not frame or not scans:
                raise unsafe("malformed", "The JPEG ends before its frame or its first scan")
            return motion
        if code == 0x01 or 0xD0 <= code <= 0xD7:
            continue
        if code in (0x00, 0xD8):
            raise unsafe("malformed", f"The JPEG has a stray marker 0xFF{code:02X} at byte {at}")
        (length,) = struct.unpack(">H", reader.read(2))
        if length < 2:
            raise unsafe("malformed", "The JPEG has a segment shorter than its length field")
        length -= 2
        reader.mark(_NAMES[code], at)
        if code in _SOF:
            if frame:
                raise unsafe("malformed", "The JPEG has a second frame header")
            data = reader.read(length)
            if len(data) < 6:
                raise unsafe("malformed", "The JPEG's frame header is cut short")
            height, width = struct.unpack(">HH", data[1:5])
            check_pixels(width, height, limits, "JPEG")
            frame = 1
        elif code == 0xDA:  # SOS: its header, then entropy-coded data up to the next marker
            if not frame:
                raise unsafe("malformed", "The JPEG has a scan before its frame header")
            scans += 1
            if scans > MAX_SCANS:
                raise over_limit("JPEG", "scans", MAX_SCANS)
            reader.skip(length)
            if not reader.pixels_until(_SCAN_END):
                raise Truncated()
        elif 0xE0 <= code <= 0xEF:  # APPn: metadata, maybe with an embedded JPEG
            data = reader.read(length)  # a segment is at most 64 KiB
            if _SOI in data:
                base = reader.tell() - length
                reader.exclude([(base + start, base + end) for start, end in embedded_entropy(data)])
            if code == 0xE1 and data.startswith(_XMP) and _MOTION_XMP.search(data):
                motion = True
        else:  # COM, tables, anything else: text, scanned as it goes by
            reader.skip(length)


def _segment_name(code: int) -> str:
    if code == 0xFE:
        return "comment (COM segment)"
    if 0xE0 <= code <= 0xEF:
        return f"APP{code - 0xE0} segment"
    if code == 0xDA:
        return "scan header (SOS)"
    if code in _SOF:
        return "frame header (SOF)"
    return f"0xFF{code:02X} segment"


_NAMES = tuple(_segment_name(code) for code in range(256))


def embedded_entropy(data: bytes) -> list[tuple[int, int]]:
    """The entropy-coded data of each whole JPEG embedded in `data` (a thumbnail or a
    preview in a metadata segment), as (start, end) offsets in order; a JPEG that is not
    whole and well-formed from its SOI to its EOI contributes nothing, so its bytes are
    scanned like any others. The walks take at most one step per 256 bytes of `data` (an
    honest thumbnail has about ten segments): past that, the rest is scanned as text."""
    spans: list[tuple[int, int]] = []
    steps = [16 + len(data) // 256]
    at = data.find(_SOI)
    for _ in range(_MAX_EMBEDDED):
        if at < 0:
            break
        walked = _walk_embedded(data, at, steps)
        if walked is None:
            at = data.find(_SOI, at + 1)
        else:
            spans += walked[0]
            at = data.find(_SOI, walked[1])
    return spans


def _walk_embedded(data: bytes, pos: int, steps: list[int]) -> tuple[list[tuple[int, int]], int] | None:
    """An embedded JPEG from its SOI at `pos`: its entropy-coded spans and where it ends."""
    pos += 2
    frame, spans = False, list[tuple[int, int]]()
    while pos + 2 <= len(data) and steps[0] > 0:
        steps[0] -= 1
        if data[pos] != 0xFF:
            return None
        code = data[pos + 1]
        if code == 0xD9:
            return (spans, pos + 2) if frame and spans else None
        if code in _SOF:
            frame = True
        elif code in (0x00, 0x01, 0xD8, 0xFF) or 0xD0 <= code <= 0xD7 or pos + 4 > len(data):
            return None
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        pos += 2 + length
        if length < 2 or pos > len(data):
            return None
        if code == 0xDA:
            if not frame:
                return None
            found = _SCAN_END.search(data, pos)
            if found is None:
                return None
            spans.append((pos, found.start()))
            pos = found.start()
    return None


def _peek(reader: Reader, n: int) -> bytes:
    head = reader.read(min(n, reader.size - reader.tell()))
    reader.unread(len(head))
    return head


def _trailer(reader: Reader, start: int) -> int:
    """Bytes after the last EOI: where the served file ends (they are cut off when a camera
    or an editor put them there), or `trailing_data`."""
    padding, tail = True, b""
    for piece in reader.rest():
        if padding and piece.strip(PADDING):
            padding = False
        tail = (tail + piece)[-4:]
    if padding or tail == b"SEFT" or tail.endswith(b"\xff\xd9"):
        return start  # padding; Samsung's SEF maker data; JPEG data ending the file in an EOI
    raise unsafe(
        "trailing_data", f"{reader.size - start} bytes follow the JPEG's end (EOI) and are not a phone's appendix"
    )
