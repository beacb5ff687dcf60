"""GIF inspected by its structure: header, logical screen, every block to the trailer.

What is refused, and why (`found` in brackets; each rule has a test in
tests/unit/test_inspect_images.py or a hostile file in tests/support/hostile_media.py):
- no GIF87a/GIF89a header; an unknown block; no image; an LZW code size over 11 [malformed];
- a graphic control extension other than one 4-byte sub-block; an application or plain
  text extension whose first sub-block is not 11 or 12 bytes [malformed];
- the logical screen or a frame over MAX_IMAGE_PIXELS; a frame that ends so far outside
  the screen that the canvas a viewer grows to hold it is over MAX_IMAGE_PIXELS (a 100x100
  frame at 65535,65535) [image_dimensions];
- markup in any block but image data (LZW: compressed pixels): the header, colour tables,
  every extension of any label, raw and, for comments and plain text, with the sub-blocks
  joined as a reader shows them [markup]; a zip, PDF or RAR anchor there [polyglot];
- more than 10,000 frames; blocks and short sub-blocks past the structure limit
  (images.py) [image_limits];
- bytes after the trailer that are not padding [trailing_data] (padding is cut off).

A GIF whose bytes are also a script (`GIF89a/*...*/=alert(1)`) is refused by polyglot.py.
"""

from __future__ import annotations

import struct

from .base import Inspected, Limits, Source, unsafe
from .images import MAX_FRAMES, Budget, check_pixels, over_limit, padding_end, walking
from .reader import Reader
from .scan import TextScan

# Sub-blocks shorter than this count against the structure limit (a walk's cost is per
# block; an encoder writes 255-byte ones).
_SHORT_SUB_BLOCK = 64
_JOIN_BYTES = 64 * 1024
# The first sub-block's size that these labels fix: graphic control, application, plain text.
_HEADER_BLOCK = {0xF9: 4, 0xFF: 11, 0x01: 12}
_EXTENSIONS = tuple(f"extension 0x{label:02X}" for label in range(256))


def inspect_gif(source: Source, size: int, limits: Limits) -> Inspected:
    """Walk the header, logical screen, extensions and images to the trailer."""
    reader = Reader(source, size)
    with walking(reader, "GIF"):
        _walk(reader, limits, Budget("GIF", size))
        end = padding_end(reader, reader.tell(), "GIF")
    return Inspected("image/gif", end)


def _walk(reader: Reader, limits: Limits, budget: Budget) -> None:
    reader.mark("header")
    header = reader.read(13)
    if header[:6] not in (b"GIF87a", b"GIF89a"):
        raise unsafe("malformed", "The file does not start with a GIF header")
    width, height, flags = struct.unpack("<HHB", header[6:11])
    check_pixels(width, height, limits, "GIF")
    if flags & 0x80:
        reader.mark("global colour table")
        reader.skip(3 << ((flags & 7) + 1))
    frames = 0
    while True:
        budget.structure()
        at = reader.tell()
        block = reader.byte()
        if block == 0x3B:  # trailer
            break
        if block == 0x21:
            label = reader.byte()
            reader.mark(_EXTENSIONS[label], at)
            _extension(reader, label, budget)
        elif block == 0x2C:
            frames += 1
            if frames > MAX_FRAMES:
                raise over_limit("GIF", "frames", MAX_FRAMES)
            reader.mark(f"frame {frames}", at)
            left, top, frame_width, frame_height, frame_flags = struct.unpack("<HHHHB", reader.read(9))
            check_pixels(frame_width, frame_height, limits, "GIF frame")
            _check_canvas(width, height, left, top, frame_width, frame_height, limits)
            if frame_flags & 0x80:
                reader.skip(3 << ((frame_flags & 7) + 1))
            if reader.byte() > 11:
                raise unsafe("malformed", "The GIF has an invalid LZW code size")
            budget.structure(reader.gif_sub_blocks(pixels=True, max_steps=budget.left))
        else:
            raise unsafe("malformed", f"The GIF has an unknown block 0x{block:02X} at byte {at}")
    if not frames:
        raise unsafe("malformed", "The GIF has no image")


def _check_canvas(width: int, height: int, left: int, top: int, fw: int, fh: int, limits: Limits) -> None:
    """Viewers grow the canvas to hold a frame that ends outside the logical screen."""
    canvas_width, canvas_height = max(width, left + fw), max(height, top + fh)
    if canvas_width * canvas_height > limits.max_image_pixels:
        raise unsafe(
            "image_dimensions",
            f"A {fw}x{fh} GIF frame at {left},{top} needs a {canvas_width}x{canvas_height} canvas; "
            f"at most {limits.max_image_pixels} pixels are accepted",
            width=canvas_width,
            height=canvas_height,
            max_image_pixels=limits.max_image_pixels,
        )


def _extension(reader: Reader, label: int, budget: Budget) -> None:
    """An extension of any label: its sub-blocks walked (and scanned) to the terminator,
    then its first sub-block checked against the size its label fixes."""
    start = reader.tell()
    first = reader.byte()
    reader.unread(1)
    if label == 0xFE:  # comment: what a reader shows, joined
        _joined_text(reader, label, budget)
    elif label == 0x01:  # plain text: a 12-byte text grid, then text
        reader.skip(1 + first)
        if first:
            _joined_text(reader, label, budget)
    else:
        budget.structure(reader.gif_sub_blocks(max_steps=budget.left))
    expected = _HEADER_BLOCK.get(label)
    if expected is not None and first != expected:
        raise unsafe(
            "malformed", f"The GIF's extension 0x{label:02X} has a first block of {first} bytes, not {expected}"
        )
    if label == 0xF9 and reader.tell() - start != 6:
        raise unsafe("malformed", "The GIF's graphic control extension is not one 4-byte block")


def _joined_text(reader: Reader, label: int, budget: Budget) -> None:
    """Sub-blocks whose data a reader joins into one text (a comment): scanned joined too."""
    joined = _Joined("comment" if label == 0xFE else "plain text extension")
    while n := reader.byte():
        if n < _SHORT_SUB_BLOCK:
            budget.structure()
        joined.add(reader.read(n))
    joined.flush()


class _Joined:
    """Text gathered from sub-blocks and scanned in 64 KiB pieces (no scan when empty)."""

    def __init__(self, where: str):
        self.where, self.text, self.offset = where, bytearray(), 0
        self.scan: TextScan | None = None

    def add(self, data: bytes) -> None:
        self.text += data
        if len(self.text) >= _JOIN_BYTES:
            self.flush()

    def flush(self) -> None:
        if not self.text:
            return
        if self.scan is None:
            self.scan = TextScan(anchors=False)
            self.scan.label(0, self.where)
        self.scan.feed(bytes(self.text), self.offset)
        self.scan.flush()
        self.offset += len(self.text)
        self.text.clear()
