"""Office inspection benchmark: peak RSS and throughput, before (zipfile's central
directory) and after (zipscan: every entry inflated in bounded steps).

Each measurement runs in a fresh process reading a file on disk in bounded reads, and
reports VmHWM (peak RSS) and seconds. Nothing is asserted; figures are printed.

- directory: a 90 MB docx-like zip whose central directory holds 180,000 entries (the
  file that took the validator from 58 to 318 MiB): before, zipfile loads it all; after,
  the EOCD's entry count and directory size refuse it before one directory byte is read;
- xml-heavy: a docx of ~10 MB of document.xml: every XML part is parsed (expat via
  defusedxml, rules in Python callbacks), the slowest bytes per second of all;
- flat: honest docx plus stored noise media at 1 MiB, 100 MiB and 1 GiB: after, every
  byte is read, inflated or CRC-checked, and peak RSS stays the same.

    .venv/bin/python bench/bench_office.py [--big-mib 1024] [--keep DIR]
"""

from __future__ import annotations

import argparse
import io
import os
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHILD = r"""
import sys, time
mode, path = sys.argv[1], sys.argv[2]
import upload_core.inspect.ooxml, zipfile  # imports before the clock and the baseline
def hwm():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM'):
            return int(line.split()[1]) / 1024
t0 = time.perf_counter()
verdict = 'ok'
with open(path, 'rb') as f:
    size = f.seek(0, 2)
    f.seek(0)
    if mode == 'before':
        with zipfile.ZipFile(f) as z:
            entries = z.infolist()
            verdict = f'{len(entries)} entries listed (old check: names only)'
    elif mode == 'after':
        from upload_core.inspect.base import Limits
        from upload_core.inspect.ooxml import inspect_ooxml
        from upload_core.errors import UploadError
        from upload_core.inspect.zipscan import InflateCounter
        counter = InflateCounter()
        try:
            inspect_ooxml(f, size, Limits(), 'word/document.xml', 'docx', counter)
            verdict = 'accepted'
        except UploadError as e:
            verdict = f"refused: {e.extra.get('found', e.code)}"
        verdict += f', {counter.inflated / 1e6:.1f} MB inflated'
        verdict += f' ({counter.inflated / 1e6 / max(time.perf_counter() - t0, 1e-9):.0f} MB/s)'

print(f'{hwm():.0f} {time.perf_counter() - t0:.2f} {verdict}')
"""


def honest_docx() -> bytes:
    from tests.support.documents import report_docx

    return report_docx()[1]


def with_media(path: Path, media_bytes: int) -> None:
    """The honest report plus stored noise media parts of up to 16 MiB each."""
    with zipfile.ZipFile(io.BytesIO(honest_docx())) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item.filename, src.read(item.filename))
        part, left = 0, media_bytes
        while left > 0:
            size = min(left, 16 << 20)
            with dst.open(zipfile.ZipInfo(f"word/media/video{part}.bin"), "w", force_zip64=True) as out:
                for at in range(0, size, 1 << 20):
                    out.write(os.urandom(min(1 << 20, size - at)))
            part, left = part + 1, left - size


def xml_heavy(path: Path, paragraphs: int = 40_000) -> None:
    """A long text document: ~10 MB of document.xml, which is parsed (not just inflated)."""
    import docx

    document = docx.Document()
    for _ in range(paragraphs):
        document.add_paragraph("The committee reviewed the figures and agreed. " * 3).add_run(" noted").bold = True
    document.save(path)


def huge_directory(path: Path, entries: int = 180_000) -> None:
    """A docx-like zip with `entries` tiny stored parts behind 200-byte names."""
    from tests.support.hostile_office import central_record, docx_entries, local_header

    with open(path, "wb") as out:
        records = []
        items = docx_entries() + [
            dict(name=f"customXml/{i:07d}" + "x" * 190, data=b"<a/>", method=0, crc=zlib.crc32(b"<a/>"), size=4)
            for i in range(entries)
        ]
        for e in items:
            records.append(dict(e, offset=out.tell()))
            out.write(local_header(e) + e["data"])
        cd = out.tell()
        for r in records:
            out.write(central_record(r))
        size, count, record_at = out.tell() - cd, len(records), out.tell()
        # More than 65,535 entries: a zip64 end record and its locator, as zip tools write.
        out.write(struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, size, cd))
        out.write(struct.pack("<4sLQL", b"PK\x06\x07", 0, record_at, 1))
        out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0))


def measure(mode: str, path: Path) -> tuple[float, float, str]:
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(path)], cwd=ROOT, capture_output=True, text=True)
    if out.returncode:
        return float("nan"), float("nan"), "failed: " + out.stderr.strip().splitlines()[-1]
    rss, seconds, verdict = out.stdout.split(" ", 2)
    return float(rss), float(seconds), verdict.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    # 1000 MiB of media: the most Limits.max_inflated_bytes (1 GiB) lets an honest docx inflate to.
    parser.add_argument("--big-mib", type=int, default=1000)
    parser.add_argument("--keep", type=Path, default=None, help="build the files here and keep them")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-office-"))
    work.mkdir(parents=True, exist_ok=True)
    cases = [("directory", work / "directory.docx", huge_directory), ("xml-heavy", work / "text.docx", xml_heavy)]
    for mib in (1, 100, args.big_mib):
        cases.append((f"{mib} MiB", work / f"media-{mib}.docx", lambda p, mib=mib: with_media(p, mib << 20)))
    print(f"python + imports alone: {measure('none', Path(__file__))[0]:.0f} MiB peak")
    print(
        f"{'case':>10} {'size MB':>9} | {'before: peak MiB':>16} {'s':>6} | {'after: peak MiB':>15} {'s':>6} "
        f"{'MB/s':>7} | verdict after"
    )
    for label, path, build in cases:
        if not path.exists():
            build(path)
        size = path.stat().st_size
        before = measure("before", path)
        after = measure("after", path)
        rate = size / 1e6 / after[1] if after[1] > 0 else float("inf")
        print(
            f"{label:>10} {size / 1e6:>9.1f} | {before[0]:>16.0f} {before[1]:>6.2f} | {after[0]:>15.0f} "
            f"{after[1]:>6.2f} {rate:>7.0f} | {after[2]}"
        )
        if args.keep is None:
            path.unlink()


if __name__ == "__main__":
    main()
