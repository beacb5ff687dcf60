"""Photos as cameras and phones make them, for anything that depends on size or bytes.

Noise does not compress, so a noise photo of N bytes is N bytes of high-entropy data with
every byte value, CR and LF included, spread through it: what broke the inline path
(issue 10) and what toy samples never show. Deterministic (seeded) and cached, so every
tier (inline, presigned, multipart, CLI, browser page) can use the same files cheaply.

    jpeg(size)  a baseline JPEG of exactly `size` bytes (padded with COM segments)
    png(size)   a PNG of exactly `size` bytes (padded with a tEXt chunk)
    gif(size)   a GIF of at most `size` bytes, within a few KB of it
"""

from __future__ import annotations

import io
import random
import struct
import zlib
from functools import cache

KB = 1000
MiB = 1024 * 1024
# The sizes the tests walk through: small to just under the default inline limit (4 MiB).
SIZES = (50 * KB, 319 * KB, 800 * KB, 1900 * KB, 4 * MiB - 1024)


def _noise(width: int, height: int, seed: int, mode: str = "RGB"):
    from PIL import Image

    channels = 3 if mode == "RGB" else 1
    data = random.Random(seed).randbytes(width * height * channels)
    return Image.frombytes(mode, (width, height), data)


def _encode(fmt: str, width: int, height: int, seed: int) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        _noise(width, height, seed).save(out, "JPEG", quality=92)
    elif fmt == "PNG":
        _noise(width, height, seed).save(out, "PNG", compress_level=1)
    else:
        _noise(width, height, seed, mode="L").convert("P", palette=0).save(out, "GIF")
    return out.getvalue()


def _largest_under(fmt: str, size: int, seed: int) -> bytes:
    """The tallest noise image of a fixed width whose encoding is at most `size` bytes:
    noise costs about the same per row, so estimate from one probe, then step."""
    width = 640 if size > 200 * KB else 160
    probe = 64
    per_row = len(_encode(fmt, width, probe, seed)) / probe
    height = max(1, int(size / per_row))
    encoded = _encode(fmt, width, height, seed)
    while len(encoded) > size and height > 1:
        height = max(1, height - max(1, int((len(encoded) - size) / per_row) + 1))
        encoded = _encode(fmt, width, height, seed)
    if len(encoded) > size:
        raise ValueError(f"no {fmt} fits in {size} bytes")
    return encoded


@cache
def jpeg(size: int, seed: int = 1) -> bytes:
    """A noise JPEG of exactly `size` bytes: the image, then COM segments right after SOI."""
    image = _largest_under("JPEG", size - 8, seed)
    missing = size - len(image)
    padding = b""
    filler = random.Random(seed + 1000)
    while missing > 0:
        take = min(missing, 65537)  # a COM segment: FF FE, a 2-byte length, up to 65533 bytes
        if 0 < missing - take < 4:  # leave room for a whole last segment
            take -= 4
        text = bytes(filler.choice(b"abcdefghijklmnopqrstuvwxyz ") for _ in range(take - 4))
        padding += b"\xff\xfe" + struct.pack(">H", take - 2) + text
        missing -= take
    data = image[:2] + padding + image[2:]
    if len(data) != size:
        raise AssertionError((len(data), size))
    return data


@cache
def png(size: int, seed: int = 2) -> bytes:
    """A noise PNG of exactly `size` bytes: the image with a tEXt chunk before IEND."""
    image = _largest_under("PNG", size - 64, seed)
    missing = size - len(image)
    text = b"Comment\0" + bytes(random.Random(seed).choice(b"abcdefghij ") for _ in range(missing - 20))
    chunk = struct.pack(">I", len(text)) + b"tEXt" + text + struct.pack(">I", zlib.crc32(b"tEXt" + text))
    data = image[:-12] + chunk + image[-12:]
    if len(data) != size:
        raise AssertionError((len(data), size))
    return data


@cache
def gif(size: int, seed: int = 3) -> bytes:
    """A noise GIF of at most `size` bytes (LZW leaves noise about as large as it was)."""
    return _largest_under("GIF", size, seed)
