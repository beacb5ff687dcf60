"""PNG, JPEG and GIF inspected by their structure, every byte, without decoding a pixel.

Each inspector walks the container to its end marker (PNG chunks with their CRCs, JPEG
segments and entropy-coded scans, GIF blocks and sub-blocks) through a buffered reader,
so memory stays flat whatever the file's size. Dimensions come from the header and are
checked against `max_image_pixels` before anything else is read; no pixel is decoded
(Pillow is not needed at run time). Markup is looked for where an image keeps text:
PNG tEXt/zTXt/iTXt (inflated under a cap) and every other ancillary chunk, JPEG COM and
APPn segments (XMP; EXIF and other metadata without the JPEG previews they embed), GIF comment, plain-text and
application extensions, and the GIF header itself.

Bytes after the end marker (IEND, EOI, the GIF trailer) are refused as `trailing_data`,
with these exceptions for JPEG, because real phone photos carry them:
- further JPEG images (MPF: HDR gain maps, depth maps; Ultra HDR) are inspected by the
  same rules and kept;
- a motion photo's video (an MP4: an `ftyp` box; Google's MicroVideo/Container XMP,
  Samsung's MotionPhoto) and Samsung's SEF trailer (maker data ending in `SEFT`) are
  cut off: the file served is the still photo, [0, end);
- padding made only of 0x00 or 0xFF bytes is cut off.
Anything else after EOI (a script, PHP, an archive) is `trailing_data`.
"""

from __future__ import annotations

import itertools
import re
import struct
import zlib

from ..errors import Unsafe
from .base import READ_BYTES, Inspected, Limits, Source, unsafe
from .markup import MarkupScanner, Reader, Truncated, refuse_markup

# Inflated text of one zTXt/iTXt chunk: far beyond any honest caption or XMP packet.
MAX_TEXT_CHUNK_BYTES = 4 * 1024 * 1024


def _check_pixels(width: int, height: int, limits: Limits, kind: str) -> None:
    if width <= 0 or height <= 0:
        raise unsafe("malformed", f"The {kind} declares a {width}x{height} image")
    if width * height > limits.max_image_pixels:
        raise unsafe(
            "image_dimensions",
            f"The {kind} is {width}x{height} pixels; at most {limits.max_image_pixels} are accepted",
            width=width,
            height=height,
            max_image_pixels=limits.max_image_pixels,
        )


def _truncated(kind: str) -> Unsafe:
    return unsafe("malformed", f"The {kind} is truncated or its structure is broken")


# --- PNG -------------------------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Chunks whose data is compressed pixels (entropy) or a fixed binary layout (palette,
# colour, timing): never scanned for markup. Text chunks, eXIf and unknown (private)
# chunks are.
_PNG_PIXEL_CHUNKS = {
    b"IDAT", b"fdAT", b"PLTE", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"sBIT", b"bKGD", b"hIST", b"pHYs",
    b"tIME", b"acTL", b"fcTL", b"cICP", b"mDCV", b"cLLI",
}  # fmt: skip


def inspect_png(source: Source, size: int, limits: Limits) -> Inspected:
    """Walk every chunk from the signature to IEND, checking lengths and CRCs."""
    reader = Reader(source, size)
    try:
        if reader.read(8) != PNG_SIGNATURE:
            raise unsafe("malformed", "The file does not start with the PNG signature")
        first = True
        while True:
            length, ctype = struct.unpack(">I4s", reader.read(8))
            if length > 0x7FFFFFFF or not ctype.isalpha():
                raise _truncated("PNG")
            if first:
                if ctype != b"IHDR" or length != 13:
                    raise unsafe("malformed", "The PNG does not start with its IHDR chunk")
                data = reader.read(13)
                width, height = struct.unpack(">II", data[:8])
                _check_pixels(width, height, limits, "PNG")
                crc = zlib.crc32(ctype + data)
                first = False
            elif ctype in _PNG_PIXEL_CHUNKS:
                crc = zlib.crc32(ctype)
                for piece in reader.pieces(length):
                    crc = zlib.crc32(piece, crc)
            else:
                crc = _png_text_chunk(reader, ctype, length)
            if struct.unpack(">I", reader.read(4))[0] != crc:
                raise unsafe("malformed", f"The PNG's {ctype.decode('latin-1')} chunk fails its CRC")
            if ctype == b"IEND":
                break
    except Truncated:
        raise _truncated("PNG") from None
    if not reader.at_end():
        raise unsafe("trailing_data", f"{size - reader.tell()} bytes follow the PNG's IEND chunk")
    return Inspected("image/png", size)


def _png_text_chunk(reader: Reader, ctype: bytes, length: int) -> int:
    """Scan an ancillary chunk for markup (inflating zTXt/iTXt under a cap); its CRC."""
    where = f"{ctype.decode('latin-1')} chunk"
    crc = zlib.crc32(ctype)
    if ctype in (b"zTXt", b"iTXt", b"iCCP"):
        if length > READ_BYTES:
            raise unsafe("malformed", f"The PNG's {where} is {length} bytes; text chunks are smaller")
        data = reader.read(length)
        _png_compressed_text(data, ctype, where)
        return zlib.crc32(data, crc)
    scanner = MarkupScanner(where)
    for piece in reader.pieces(length):
        scanner.feed(piece)
        crc = zlib.crc32(piece, crc)
    return crc


def _png_compressed_text(data: bytes, ctype: bytes, where: str) -> None:
    keyword, sep, rest = data.partition(b"\0")
    if not sep:
        raise unsafe("malformed", f"The PNG's {where} has no keyword")
    refuse_markup(keyword, where)
    if ctype == b"iCCP":  # a compressed colour profile: binary, not text
        return
    if ctype == b"zTXt":
        compressed, body = True, rest[1:]
    else:  # iTXt: flag, method, language\0, translated keyword\0, text
        if len(rest) < 2:
            raise unsafe("malformed", f"The PNG's {where} is cut short")
        compressed = rest[0] == 1
        parts = rest[2:].split(b"\0", 2)
        if len(parts) != 3:
            raise unsafe("malformed", f"The PNG's {where} is cut short")
        refuse_markup(parts[0] + b" " + parts[1], where)
        body = parts[2]
    if compressed:
        inflater = zlib.decompressobj()
        try:
            body = inflater.decompress(body, MAX_TEXT_CHUNK_BYTES)
        except zlib.error:
            raise unsafe("malformed", f"The PNG's {where} does not inflate") from None
        if inflater.unconsumed_tail:
            raise unsafe("malformed", f"The PNG's {where} inflates past {MAX_TEXT_CHUNK_BYTES} bytes")
    refuse_markup(body, where)


# --- JPEG ------------------------------------------------------------------------------

# A marker inside entropy-coded data: 0xFF followed by anything but a stuffed 0x00 or RSTn.
_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7]")
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_XMP = b"http://ns.adobe.com/xap/1.0/\0"
_EXIF = b"Exif\0\0"
# Text a motion photo's XMP declares its appended video with (Google, Samsung).
_MOTION_XMP = re.compile(rb"MicroVideo|MotionPhoto|Container:Directory")
# Appended images: at most this many (MPF declares a handful: gain map, depth, thumbnails).
_MAX_APPENDED_JPEGS = 8


def inspect_jpeg(source: Source, size: int, limits: Limits) -> Inspected:
    """Walk the primary JPEG's segments and scans to EOI, then what follows it."""
    reader = Reader(source, size)
    try:
        motion = _jpeg_image(reader, limits)
        for _ in range(_MAX_APPENDED_JPEGS):
            if reader.at_end():
                return Inspected("image/jpeg", size)
            start = reader.tell()
            head = reader.read(min(12, size - start))
            if head[:3] != b"\xff\xd8\xff":
                return _jpeg_trailer(reader, start, head, motion)
            reader.unread(len(head))
            motion = _jpeg_image(reader, limits) or motion
    except Truncated:
        raise _truncated("JPEG") from None
    if reader.at_end():
        return Inspected("image/jpeg", size)
    raise unsafe("trailing_data", f"More than {_MAX_APPENDED_JPEGS} images follow the JPEG")


def _jpeg_trailer(reader: Reader, start: int, head: bytes, motion: bool) -> Inspected:
    """Bytes after the last EOI: cut off when a phone put them there, refused otherwise."""
    if head[4:8] == b"ftyp" or (motion and head.startswith(b"MotionPho")):
        return Inspected("image/jpeg", start)  # a motion photo's MP4 (Google; Samsung)
    padding, tail = True, b""
    for piece in itertools.chain([head], reader.pieces(reader.size - reader.tell())):
        if padding and piece.strip(b"\0") and piece.strip(b"\xff"):
            padding = False
        tail = (tail + piece)[-4:]
    if padding or tail == b"SEFT":  # zero/0xFF padding; Samsung's SEF maker data
        return Inspected("image/jpeg", start)
    raise unsafe(
        "trailing_data", f"{reader.size - start} bytes follow the JPEG's end (EOI) and are not a phone's appendix"
    )


def _jpeg_image(reader: Reader, limits: Limits) -> bool:
    """One JPEG from SOI to EOI; True when its XMP declares a motion photo."""
    if reader.read(2) != b"\xff\xd8":
        raise unsafe("malformed", "The file does not start with a JPEG SOI marker")
    motion = seen_frame = False
    while True:
        marker = reader.read(2)
        if marker[0] != 0xFF:
            raise unsafe("malformed", f"The JPEG has no marker at byte {reader.tell() - 2}")
        code = marker[1]
        while code == 0xFF:  # fill bytes before a marker
            code = reader.read(1)[0]
        if code == 0xD9:  # EOI
            if not seen_frame:
                raise unsafe("malformed", "The JPEG ends before any frame")
            return motion
        if code in (0x01, *range(0xD0, 0xD8)):
            continue
        if code in (0x00, 0xD8):
            raise unsafe("malformed", f"The JPEG has a stray marker 0xFF{code:02X}")
        (length,) = struct.unpack(">H", reader.read(2))
        if length < 2:
            raise unsafe("malformed", "The JPEG has a segment shorter than its length field")
        length -= 2
        if code in _SOF:
            data = reader.read(length)
            if len(data) < 6:
                raise unsafe("malformed", "The JPEG's frame header is cut short")
            height, width = struct.unpack(">HH", data[1:5])
            _check_pixels(width, height, limits, "JPEG")
            seen_frame = True
        elif code == 0xDA:  # SOS: its header, then entropy-coded data up to the next marker
            if not seen_frame:
                raise unsafe("malformed", "The JPEG has a scan before its frame header")
            reader.skip(length)
            if reader.search(_SCAN_END) is None:
                raise Truncated()
        elif code == 0xFE or 0xE0 <= code <= 0xEF:
            motion = _jpeg_text_segment(reader, code, length) or motion
        else:  # tables and the like: binary, fixed meaning
            reader.skip(length)


def _jpeg_text_segment(reader: Reader, code: int, length: int) -> bool:
    """COM and APPn: scanned for markup, embedded thumbnails (JPEGs: entropy) left out."""
    data = reader.read(length)  # a segment is at most 64 KiB
    where = "comment" if code == 0xFE else f"APP{code - 0xE0} segment"
    if code == 0xFE or data.startswith(_XMP):
        refuse_markup(data, where)
        return data.startswith(_XMP) and _MOTION_XMP.search(data) is not None
    if code == 0xE1 and data.startswith(_EXIF):
        tiff = data[len(_EXIF) :]
        start, end = _exif_thumbnail(tiff)
        data, where = tiff[:start] + b" " + tiff[end:], "EXIF metadata"
    refuse_markup(_without_embedded_jpeg(data), where)
    return False


def _without_embedded_jpeg(data: bytes) -> bytes:
    """Metadata less the JPEG it embeds (a Photoshop or maker-note preview), from its SOI
    to its last EOI: compressed pixels, where markup-like bytes turn up by chance."""
    start = data.find(b"\xff\xd8\xff")
    end = data.rfind(b"\xff\xd9")
    if start < 0 or end < start:
        return data
    return data[:start] + b" " + data[end + 2 :]


def _exif_thumbnail(tiff: bytes) -> tuple[int, int]:
    """Where IFD1's JPEG thumbnail lies in the TIFF block; (0, 0) when there is none."""
    try:
        endian = {b"II": "<", b"MM": ">"}[tiff[:2]]
        (ifd0,) = struct.unpack(endian + "I", tiff[4:8])
        (count,) = struct.unpack(endian + "H", tiff[ifd0 : ifd0 + 2])
        (ifd1,) = struct.unpack(endian + "I", tiff[ifd0 + 2 + 12 * count : ifd0 + 6 + 12 * count])
        if not ifd1:
            return 0, 0
        (count,) = struct.unpack(endian + "H", tiff[ifd1 : ifd1 + 2])
        tags = {}
        for i in range(count):
            tag, _type, _n, value = struct.unpack(endian + "HHII", tiff[ifd1 + 2 + 12 * i : ifd1 + 14 + 12 * i])
            tags[tag] = value
        offset, size = tags.get(0x201, 0), tags.get(0x202, 0)
    except (KeyError, struct.error):
        return 0, 0
    if 0 < offset and offset + size <= len(tiff):
        return offset, offset + size
    return 0, 0


# --- GIF -------------------------------------------------------------------------------


def inspect_gif(source: Source, size: int, limits: Limits) -> Inspected:
    """Walk the header, logical screen, extensions and images to the trailer."""
    reader = Reader(source, size)
    try:
        header = reader.read(13)
        if header[:6] not in (b"GIF87a", b"GIF89a"):
            raise unsafe("malformed", "The file does not start with a GIF header")
        if b"/*" in header[6:] or b"*/" in header[6:]:
            raise unsafe("markup", "The GIF's header opens a script comment (a GIF/JavaScript polyglot)")
        width, height, flags = struct.unpack("<HHB", header[6:11])
        _check_pixels(width, height, limits, "GIF")
        if flags & 0x80:
            reader.skip(3 << ((flags & 7) + 1))
        frames = 0
        while True:
            block = reader.read(1)[0]
            if block == 0x3B:  # trailer
                break
            if block == 0x21:
                label = reader.read(1)[0]
                _gif_sub_blocks(reader, f"extension 0x{label:02X}" if label in (0x01, 0xFE, 0xFF) else None)
            elif block == 0x2C:
                left, top, fw, fh, fflags = struct.unpack("<HHHHB", reader.read(9))
                _check_pixels(fw, fh, limits, "GIF frame")
                if fflags & 0x80:
                    reader.skip(3 << ((fflags & 7) + 1))
                if reader.read(1)[0] > 11:
                    raise unsafe("malformed", "The GIF has an invalid LZW code size")
                _gif_sub_blocks(reader, None)
                frames += 1
            else:
                raise unsafe("malformed", f"The GIF has an unknown block 0x{block:02X} at byte {reader.tell() - 1}")
        if not frames:
            raise unsafe("malformed", "The GIF has no image")
    except Truncated:
        raise _truncated("GIF") from None
    if not reader.at_end():
        raise unsafe("trailing_data", f"{size - reader.tell()} bytes follow the GIF's trailer")
    return Inspected("image/gif", size)


def _gif_sub_blocks(reader: Reader, where: str | None) -> None:
    """Sub-blocks up to the terminator; scanned for markup when they hold text (where)."""
    scanner = MarkupScanner(where) if where else None
    while True:
        n = reader.read(1)[0]
        if n == 0:
            return
        data = reader.read(n)
        if scanner:
            scanner.feed(data)
