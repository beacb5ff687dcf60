"""Inspection benchmark: throughput (MB/s) and peak RSS of the image and PDF inspectors.

For each type and size (1 MiB, 100 MiB, 1 GiB by default) a file is written to a temp
directory, then inspected in a fresh process from a plain file object (the inspectors
read it in READ_BYTES blocks, as they read an S3 object through the validator's ranged
reader), printing MB/s of CPU time (time.process_time) and VmHWM (the process's own peak
RSS) against the same process before the inspection (its imports). Nothing is asserted:
flat memory is read off the figures. Then bench_images.py runs: images on real files (the
Debian packages' cache), the honest corpus and hostile shapes, with `--before REF` side by
side with a git ref's code (`--no-images` skips it, `--only-images` runs it alone).

The large files are structurally valid containers whose pixel data is random bytes:
an inspector walks structure and never decodes pixels, so what it costs is what it
reads. A 1 GiB photo has far more than MAX_IMAGE_PIXELS (50 MP), so the inspection runs
with max_image_pixels raised to 2^32 for this benchmark only. PDFs are pages with one
1 MiB image stream each (what a scanner writes). With --pikepdf, the same PDFs are also
opened by pikepdf with every object resolved, the alternative to pypdf (pikepdf does not
read stream data until asked, so its MB/s are not comparable; the PDF of 250,000 tiny
objects, the most inspect/pdf.py accepts, compares what each holds per object).

    .venv/bin/python bench/bench_inspect.py [--sizes-mib 1,100,1024] [--types jpeg,png,gif,pdf] [--pikepdf]
        [--no-images | --only-images] [--before REF]
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MiB = 1024 * 1024
BLOCK = 4 * MiB

INSPECT = """
import json, os, sys, time
def peak_rss_kib():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            return int(line.split()[1])
kind, path = sys.argv[1], sys.argv[2]
t = time.process_time()
from upload_core.inspect.base import Limits
from upload_core.inspect import rules
if kind == 'pdf':
    import upload_core.inspect.pdf  # loaded on first use; count it as import, not inspection
mime = {'jpeg': 'image/jpeg', 'png': 'image/png', 'gif': 'image/gif', 'pdf': 'application/pdf'}[kind]
inspector = rules._inspector(*rules._INSPECTORS[mime])
imported = time.process_time() - t
size = os.path.getsize(path)
before = peak_rss_kib()
with open(path, 'rb', buffering=0) as source:
    t = time.process_time()
    verdict = inspector(source, size, Limits(max_image_pixels=2**32))
    seconds = time.process_time() - t
assert verdict.end == size, verdict
print(json.dumps({'seconds': seconds, 'import_s': imported, 'rss_before_kib': before, 'peak_rss_kib': peak_rss_kib()}))
"""

PIKEPDF = """
import json, sys, time
def peak_rss_kib():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            return int(line.split()[1])
t = time.perf_counter()
import pikepdf
imported = time.perf_counter() - t
before = peak_rss_kib()
t = time.perf_counter()
with pikepdf.open(sys.argv[1]) as pdf:
    count = sum(1 for obj in pdf.objects if obj is not None and obj.is_indirect)
seconds = time.perf_counter() - t
print(json.dumps({'seconds': seconds, 'import_s': imported, 'rss_before_kib': before, 'peak_rss_kib': peak_rss_kib()}))
"""


def _random_blocks(total: int):
    while total > 0:
        n = min(BLOCK, total)
        yield os.urandom(n)
        total -= n


def write_jpeg(out, size: int) -> None:
    """SOI, a JFIF APP0, quantization and Huffman tables, a frame, then one scan of random
    entropy-coded bytes (0xFF stuffed as an encoder does) up to EOI."""
    side = max(16, int((size / 0.8) ** 0.5))
    out.write(b"\xff\xd8" + b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    out.write(b"\xff\xdb\x00\x43\x00" + bytes(range(1, 65)))
    out.write(b"\xff\xc0\x00\x11\x08" + struct.pack(">HH", side, side) + b"\x03\x01\x11\x00\x02\x11\x00\x03\x11\x00")
    out.write(b"\xff\xc4\x00\x1f\x00" + b"\x00\x01\x05\x01\x01\x01\x01\x01\x01" + b"\x00" * 7 + bytes(range(12)))
    out.write(b"\xff\xda\x00\x0c\x03\x01\x00\x02\x00\x03\x00\x00\x3f\x00")
    written = out.tell() + 2
    for block in _random_blocks(size - written):
        stuffed = block.replace(b"\xff", b"\xff\x00")
        out.write(stuffed[: max(0, size - 2 - out.tell())])
    out.write(b"\xff\xd9")


def _png_chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


def write_png(out, size: int) -> None:
    """Signature, IHDR, a text chunk, IDAT chunks of 1 MiB (random: compressed pixels), IEND."""
    side = max(8, int((size / 3) ** 0.5))
    out.write(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)))
    out.write(_png_chunk(b"tEXt", b"Software\0bench"))
    left = size - out.tell() - 12
    while left > 12:
        n = min(MiB, left - 12)
        out.write(_png_chunk(b"IDAT", os.urandom(n)))
        left -= n + 12
    out.write(_png_chunk(b"IEND", b""))


def write_gif(out, size: int) -> None:
    """Header with a global palette, a comment, one image whose LZW data are 255-byte sub-blocks, trailer."""
    side = max(8, int(size**0.5))
    out.write(b"GIF89a" + struct.pack("<HHBBB", side, side, 0xF7, 0, 0) + os.urandom(768))
    out.write(b"\x21\xfe\x05bench\x00")
    out.write(b"\x2c" + struct.pack("<HHHHB", 0, 0, side, side, 0) + b"\x08")
    left = size - out.tell() - 2
    for block in _random_blocks(left // 256 * 255):
        for i in range(0, len(block), 255):
            piece = block[i : i + 255]
            out.write(bytes([len(piece)]) + piece)
    out.write(b"\x00\x3b")


def write_pdf(out, size: int) -> None:
    """Pages of text, each with a 1 MiB image stream (random: DCT data), an xref table."""
    offsets: list[int] = []

    def obj(body: bytes) -> None:
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % len(offsets) + body + b"\nendobj\n")

    pages = max(1, size // (MiB + 600))
    image_bytes = max(1000, min(MiB, size - 2000))
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    kids = b" ".join(b"%d 0 R" % (3 + 3 * i) for i in range(pages))
    obj(b"<< /Type /Catalog /Pages 2 0 R >>")
    obj(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages))
    for i in range(pages):
        content, image = 4 + 3 * i, 5 + 3 * i
        obj(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << /XObject << /Im0 %d 0 R >> >> >>" % (content, image)
        )
        text = b"q 400 0 0 400 100 300 cm /Im0 Do Q BT 72 712 Td (Page %d) Tj ET" % (i + 1)
        obj(b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream")
        obj(
            b"<< /Type /XObject /Subtype /Image /Width 1000 /Height 1000 /ColorSpace /DeviceRGB "
            b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n"
            % image_bytes
            + os.urandom(image_bytes)
            + b"\nendstream"
        )
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(offsets) + 1, xref))


def write_pdf_objects(out, count: int) -> None:
    """A PDF of `count` tiny objects: what makes a PDF parser's memory grow."""
    offsets: list[int] = []
    out.write(b"%PDF-1.7\n")
    bodies = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"]
    for number in range(1, count + 1):
        offsets.append(out.tell())
        body = bodies[number - 1] if number <= 2 else b"<< /V %d /N (note) >>" % number
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(offsets) + 1, xref))


WRITERS = {"jpeg": write_jpeg, "png": write_png, "gif": write_gif, "pdf": write_pdf}


def run(code: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes-mib", default="1,100,1024")
    parser.add_argument("--types", default="jpeg,png,gif,pdf")
    parser.add_argument("--pikepdf", action="store_true", help="also time pikepdf on the same PDFs")
    parser.add_argument("--pdf-objects", type=int, default=250_000, help="a PDF of this many tiny objects (0: none)")
    parser.add_argument("--no-images", action="store_true", help="skip bench_images.py (real files, hostile shapes)")
    parser.add_argument("--only-images", action="store_true", help="run bench_images.py alone")
    parser.add_argument("--before", metavar="REF", help="bench_images.py: also inspect with a git ref's code")
    args = parser.parse_args()
    if not args.only_images:
        synthetic(args)
    if not args.no_images:
        import bench_images

        bench_images.main(["--before", args.before] if args.before else [])


def synthetic(args: argparse.Namespace) -> None:
    sizes = [int(s) for s in args.sizes_mib.split(",")]
    print(f"{'type':8} {'size':>9} {'MB/s':>8} {'CPU s':>8} {'RSS after imports':>18} {'peak RSS':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.types.split(","):
            for mib in sizes:
                path = Path(tmp) / f"bench.{kind}"
                with open(path, "wb") as out:
                    WRITERS[kind](out, mib * MiB)
                real = path.stat().st_size
                runs = [("", INSPECT, kind)] + ([(" pikepdf", PIKEPDF, None)] if kind == "pdf" and args.pikepdf else [])
                for label, code, arg in runs:
                    figures = run(code, *([arg] if arg else []), str(path))
                    print(
                        f"{kind + label:8} {real / MiB:>7.0f}Mi {real / 1e6 / figures['seconds']:>8.0f} "
                        f"{figures['seconds']:>8.2f} {figures['rss_before_kib'] / 1024:>16.0f}Mi "
                        f"{figures['peak_rss_kib'] / 1024:>7.0f}Mi  (imports {figures['import_s']:.2f} s)",
                        flush=True,
                    )
                path.unlink()
        if args.pdf_objects:
            path = Path(tmp) / "objects.pdf"
            with open(path, "wb") as out:
                write_pdf_objects(out, args.pdf_objects)
            for label, code, arg in [("", INSPECT, "pdf")] + ([(" pikepdf", PIKEPDF, None)] if args.pikepdf else []):
                figures = run(code, *([arg] if arg else []), str(path))
                before, peak = figures["rss_before_kib"] / 1024, figures["peak_rss_kib"] / 1024
                print(
                    f"pdf of {args.pdf_objects} objects{label}: {figures['seconds']:.2f} s, "
                    f"peak RSS {peak:.0f} MiB after imports at {before:.0f} MiB"
                )


if __name__ == "__main__":
    main()
