"""PNG inspected by its structure: every chunk from the signature to IEND, with its CRC.

What is refused, and why (`found` in brackets; each rule has a test in
tests/unit/test_inspect_images.py or a hostile file in tests/support/hostile_media.py):
- IHDR not first or not 13 bytes, an invalid depth or colour type [malformed]; width x
  height over MAX_IMAGE_PIXELS [image_dimensions];
- a chunk of a fixed or bounded size (tIME 7, gAMA 4, pHYs 9, cHRM 32, sRGB 1, PLTE 3-768,
  ...) of another size: its bytes are not what a reader parses [malformed];
- no IDAT; a second run of IDAT chunks after another chunk: a second image stream, which
  no decoder reads and a PHP include() does [malformed];
- an unknown critical chunk: readers refuse the file or skip the chunk [malformed];
- zTXt, iTXt or iCCP whose stream does not end or has bytes after its end [malformed];
- APNG: not the frames acTL declares, fdAT without acTL, a frame outside the canvas,
  chunks out of sequence [malformed];
- markup in any chunk but IDAT/fdAT (compressed pixels): raw, and for zTXt/iTXt inflated
  too [markup]; a zip, PDF or RAR anchor there [polyglot];
- more than 1,024 text chunks, 1 MiB inflated in one, 16 MiB in all; chunks past the
  structure limit (images.py) [image_limits];
- bytes after IEND that are not padding [trailing_data] (padding is cut off).
"""

from __future__ import annotations

import struct
import zlib

from .base import READ_BYTES, Inspected, Limits, Source, unsafe
from .images import MAX_FRAMES, Budget, check_pixels, over_limit, padding_end, walking
from .jpeg import embedded_entropy
from .markup import refuse_markup
from .reader import Reader

SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Sizes a reader parses these chunks at; any other size is not the chunk it claims to be.
_SIZES: dict[bytes, range | tuple[int, ...]] = {
    b"IHDR": (13,),
    b"IEND": (0,),
    b"PLTE": range(3, 769, 3),
    b"tIME": (7,),
    b"gAMA": (4,),
    b"cHRM": (32,),
    b"sRGB": (1,),
    b"pHYs": (9,),
    b"sBIT": range(1, 5),
    b"bKGD": (1, 2, 6),
    b"tRNS": range(1, 257),
    b"hIST": range(2, 513, 2),
    b"oFFs": (9,),
    b"sTER": (1,),
    b"gIFg": (4,),
    b"acTL": (8,),
    b"fcTL": (26,),
    b"cICP": (4,),
    b"mDCV": (24,),
    b"cLLI": (8,),
}
_CRITICAL = {b"IHDR", b"PLTE", b"IDAT", b"IEND"}
# Colour type -> allowed bit depths (PNG spec, table 11.1).
_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}

_LABELS: dict[bytes, str] = {}  # "IDAT chunk", ...: made once per chunk type
MAX_TEXT_CHUNKS = 1024
# Pillow refuses a text chunk or colour profile that inflates past 1 MiB (MAX_TEXT_CHUNK).
MAX_INFLATED_CHUNK = 1024 * 1024
MAX_INFLATED_TEXT = 16 * 1024 * 1024


def inspect_png(source: Source, size: int, limits: Limits) -> Inspected:
    """Walk every chunk from the signature to IEND, checking sizes, order and CRCs."""
    reader = Reader(source, size)
    with walking(reader, "PNG"):
        _Walk(reader, limits, size).run()
        end = padding_end(reader, reader.tell(), "PNG")
    return Inspected("image/png", end)


class _Walk:
    def __init__(self, reader: Reader, limits: Limits, size: int):
        self.reader, self.limits = reader, limits
        self.budget = Budget("PNG", size)
        self.idat = "none"  # "none" -> "run" -> "ended"
        self.text_chunks = self.inflated = 0
        self.colour_type = 0
        self.plte = False
        self.width = self.height = 0
        self.frames: int | None = None  # acTL's num_frames
        self.fctl = 0
        self.sequence = 0

    def run(self) -> None:
        reader = self.reader
        if reader.read(8) != SIGNATURE:
            raise unsafe("malformed", "The file does not start with the PNG signature")
        first = True
        while True:
            self.budget.structure()
            start = reader.tell()
            length, ctype = struct.unpack(">I4s", reader.read(8))
            if length > 0x7FFFFFFF or not ctype.isalpha():
                raise unsafe("malformed", f"The PNG has a broken chunk header at byte {start}")
            name = ctype.decode("latin-1")
            reader.mark(_LABELS.get(ctype) or _LABELS.setdefault(ctype, f"{name} chunk"), start)
            if first != (ctype == b"IHDR"):
                raise unsafe("malformed", "The PNG does not start with one IHDR chunk")
            first = False
            crc = self.chunk(ctype, name, length, start + 8)
            if struct.unpack(">I", reader.read(4))[0] != crc:
                raise unsafe("malformed", f"The PNG's {name} chunk fails its CRC")
            if ctype == b"IEND":
                break
        if self.idat == "none":
            raise unsafe("malformed", "The PNG has no image data (IDAT)")
        if self.frames is not None and self.fctl != self.frames:
            raise unsafe("malformed", f"The APNG declares {self.frames} frames and has {self.fctl}")

    def chunk(self, ctype: bytes, name: str, length: int, offset: int) -> int:
        """Read one chunk's data; its CRC."""
        reader = self.reader
        crc = zlib.crc32(ctype)
        if ctype in (b"IDAT", b"fdAT"):
            if ctype == b"IDAT":
                if self.idat == "ended":
                    raise unsafe("malformed", "The PNG has a second run of IDAT chunks (a second image stream)")
                if self.colour_type == 3 and not self.plte:
                    raise unsafe("malformed", "The PNG's palette image has no PLTE before its IDAT")
                self.idat = "run"
                return reader.pixels(length, crc)
            if self.frames is None or length < 4:
                raise unsafe("malformed", "The PNG has an fdAT chunk without an animation (acTL)")
            head = reader.read(4)
            self.sequence_number(head)
            return reader.pixels(length - 4, zlib.crc32(head, crc))
        if self.idat == "run":
            self.idat = "ended"
        if ctype[0] & 0x20 == 0 and ctype not in _CRITICAL:
            raise unsafe("malformed", f"The PNG has an unknown critical chunk {name}")
        if ctype in (b"tEXt", b"zTXt", b"iTXt"):
            self.text_chunks += 1
            if self.text_chunks > MAX_TEXT_CHUNKS:
                raise over_limit("PNG", "text chunks", MAX_TEXT_CHUNKS)
        if length > READ_BYTES:  # a long private chunk: scanned in pieces as it streams by
            if ctype in _SIZES or ctype in (b"zTXt", b"iTXt", b"iCCP"):
                raise unsafe("malformed", f"The PNG's {name} chunk is {length} bytes long")
            for piece in reader.pieces(length):
                crc = zlib.crc32(piece, crc)
            return crc
        data = reader.read(length)
        allowed = _SIZES.get(ctype)
        if allowed is not None and length not in allowed:
            raise unsafe("malformed", f"The PNG's {name} chunk is {length} bytes; a reader parses {_shown(allowed)}")
        if ctype in (b"zTXt", b"iTXt", b"iCCP"):
            reader.finish()  # the raw bytes first: markup there is named as markup
            self.compressed(data, ctype, f"{name} chunk")
        elif b"\xff\xd8\xff" in data:  # eXIf or a private chunk holding a JPEG preview
            reader.exclude([(offset + start, offset + end) for start, end in embedded_entropy(data)])
        self.parse(ctype, data)
        return zlib.crc32(data, crc)

    def parse(self, ctype: bytes, data: bytes) -> None:
        """What the other chunks say that the walk checks."""
        if ctype == b"IHDR":
            self.width, self.height, depth, self.colour_type, compression, filtering, interlace = struct.unpack(
                ">IIBBBBB", data
            )
            check_pixels(self.width, self.height, self.limits, "PNG")
            if depth not in _DEPTHS.get(self.colour_type, ()) or compression or filtering or interlace > 1:
                raise unsafe("malformed", "The PNG's IHDR has an invalid colour type, depth or method")
        elif ctype == b"PLTE":
            if self.plte or self.idat != "none" or self.colour_type in (0, 4):
                raise unsafe("malformed", "The PNG has a PLTE chunk where none may be")
            self.plte = True
        elif ctype == b"acTL":
            (frames,) = struct.unpack(">I", data[:4])
            if self.frames is not None or self.idat != "none" or not 0 < frames <= MAX_FRAMES:
                if frames > MAX_FRAMES:
                    raise over_limit("APNG", "frames", MAX_FRAMES)
                raise unsafe("malformed", "The PNG's acTL chunk is misplaced or declares no frames")
            self.frames = frames
        elif ctype == b"fcTL":
            if self.frames is None:
                raise unsafe("malformed", "The PNG has an fcTL chunk without an animation (acTL)")
            self.sequence_number(data[:4])
            width, height, left, top = struct.unpack(">IIII", data[4:20])
            if not (width and height) or left + width > self.width or top + height > self.height:
                raise unsafe("malformed", f"An APNG frame ({width}x{height} at {left},{top}) lies outside the canvas")
            self.fctl += 1
            if self.fctl > self.frames:
                raise unsafe("malformed", f"The APNG has more frames than the {self.frames} it declares")

    def sequence_number(self, head: bytes) -> None:
        if struct.unpack(">I", head)[0] != self.sequence:
            raise unsafe("malformed", "The APNG's chunks are out of sequence")
        self.sequence += 1

    def compressed(self, data: bytes, ctype: bytes, where: str) -> None:
        """zTXt, iTXt and iCCP: the stream inflated under the caps, with nothing after its
        end; the text of zTXt/iTXt scanned as a metadata reader shows it."""
        keyword, sep, rest = data.partition(b"\0")
        if not sep or not 1 <= len(keyword) <= 79:
            raise unsafe("malformed", f"The PNG's {where} has no keyword")
        if ctype == b"iTXt":  # flag, method, language\0, translated keyword\0, text
            parts = rest[2:].split(b"\0", 2)
            if len(rest) < 2 or rest[0] > 1 or rest[1] or len(parts) != 3:
                raise unsafe("malformed", f"The PNG's {where} is cut short")
            if rest[0] == 0:
                return  # uncompressed: its raw bytes are what a reader shows, scanned already
            body = parts[2]
        else:  # zTXt, iCCP: method, stream
            if not rest or rest[0]:
                raise unsafe("malformed", f"The PNG's {where} has an unknown compression method")
            body = rest[1:]
        cap = min(MAX_INFLATED_CHUNK, MAX_INFLATED_TEXT - self.inflated)
        inflater = zlib.decompressobj()
        try:
            text = inflater.decompress(body, cap + 1)
        except zlib.error:
            raise unsafe("malformed", f"The PNG's {where} does not inflate") from None
        self.inflated += len(text)
        if len(text) > cap:
            limit = MAX_INFLATED_CHUNK if cap == MAX_INFLATED_CHUNK else MAX_INFLATED_TEXT
            raise unsafe("image_limits", f"The PNG's {where} inflates past {limit} bytes", limit=limit)
        if not inflater.eof or inflater.unused_data:
            raise unsafe("malformed", f"The PNG's {where} has a stream that does not end, or bytes after its end")
        if ctype != b"iCCP":  # a colour profile is binary, read by colour management only
            refuse_markup(text, where)


def _shown(allowed: range | tuple[int, ...]) -> str:
    if isinstance(allowed, range):
        return f"{allowed.start} to {allowed.stop - 1} bytes"
    return " or ".join(str(n) for n in allowed) + " bytes"
