"""What the PNG, JPEG and GIF inspectors share: the pixel limit, the limits on everything
a file can multiply, the rule for bytes after an image's end, and the walk's frame.

Each format has its own module (png.py, jpeg.py, gif.py). Every one walks the container
from its signature to its end marker through a `Reader`, which scans every byte that is
not compressed pixel data for markup and other formats' anchors (scan.py); dimensions
are checked against `max_image_pixels` before anything else is read; no pixel is decoded.

**Limits** on what a file can multiply, checked as the walk goes, before the work they
bound: a refusal is `image_limits`.
- structures (chunks, segments, extension blocks, irregular GIF sub-block runs): at most
  16,384 plus one per KiB of the file, so the walk costs at most a few microseconds of
  Python per KiB whatever the file is made of (a JPEG of a million 4-byte comments, a GIF
  of empty extensions, a PNG of empty chunks are refused within tens of milliseconds), and
  an animation of thousands of small frames still fits;
- text (every byte scanned for markup): at most 64 MiB per file (scan.MAX_TEXT_BYTES);
  honest metadata is kilobytes, rarely a few MiB (a Photoshop XMP history);
- frames: 10,000 for GIF and APNG, 8 appended images for JPEG (MPF), 1,000 scans per JPEG;
- PNG text chunks: 1,024 of them, each inflating to at most 1 MiB (Pillow's own limit),
  16 MiB inflated in all.

**Bytes after an image's end** (the end marker: PNG's IEND, JPEG's last EOI, GIF's
trailer) are never served. They are cut off (the verdict's `end`) when a camera, phone or
editor put them there, and refused as `trailing_data` otherwise:
- padding: only 0x00, 0xFF and whitespace (a newline after IEND, zeros after EOI);
- JPEG only: a motion photo's video (an MP4), Samsung's SEF trailer, and an earlier
  save's leftover (entropy-coded bytes ending in an EOI: an editor that rewrote the file
  in place without truncating it); see jpeg.py.
Anything else (a script, PHP, an archive) is `trailing_data`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import Unsafe
from .base import Limits, unsafe
from .reader import Reader, Truncated

STRUCTURES_FLOOR = 16_384
BYTES_PER_STRUCTURE = 1024
MAX_FRAMES = 10_000

# What may follow an image's end and be cut off as padding.
PADDING = b"\x00\xff\t\n\r "


def check_pixels(width: int, height: int, limits: Limits, kind: str) -> None:
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


def truncated(kind: str) -> Unsafe:
    return unsafe("malformed", f"The {kind} is truncated or its structure is broken")


def over_limit(kind: str, what: str, limit: int) -> Unsafe:
    return unsafe("image_limits", f"The {kind} has more than {limit} {what}", limit=limit)


class Budget:
    """Counts what a file multiplies against the limits above."""

    def __init__(self, kind: str, size: int):
        self.kind = kind
        self.structures = STRUCTURES_FLOOR + size // BYTES_PER_STRUCTURE
        self._structures_left = self.structures

    @property
    def left(self) -> int:
        return self._structures_left

    def structure(self, steps: int = 1) -> None:
        self._structures_left -= steps
        if self._structures_left < 0:
            raise over_limit(self.kind, "chunks, segments or blocks for its size", self.structures)


@contextmanager
def walking(reader: Reader, kind: str) -> Iterator[None]:
    """The frame of every walk: a file that ends early is `malformed`; and when the walk
    refuses the file for its structure, the text read up to there is scanned first, so that
    markup (the reason an attacker broke the structure) is what the refusal names."""
    try:
        try:
            yield
        except Truncated:
            raise truncated(kind) from None
    except Unsafe as err:
        if err.extra.get("found") not in ("markup", "polyglot", "image_limits"):
            reader.finish()
        raise
    reader.finish()


def padding_end(reader: Reader, end: int, kind: str) -> int:
    """Where the served file ends, `end` being the format's end marker: the bytes after it
    are cut off when they are padding, refused as `trailing_data` otherwise."""
    reader.finish()
    if reader.at_end():
        return end
    for piece in reader.rest():
        if piece.strip(PADDING):
            raise unsafe("trailing_data", f"{reader.size - end} bytes follow the {kind}'s end and are not padding")
    return end
