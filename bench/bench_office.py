"""Office inspection benchmark: CPU time and peak RSS, before and after, on honest and hostile files.

Each file is inspected in a fresh process (reading it from disk in bounded reads, as the
validator reads its spooled copy) by two code trees: `before` (this repository at a git
revision, `main` by default, exported with `git archive` into a temp directory) and `after`
(the working tree). Each child reports CPU seconds (resource.getrusage: user + system, of
the inspection only, imports excluded) and VmHWM (its own peak RSS), and the verdict.
Nothing is asserted; figures and ratios are printed.

Cases:
- honest: the python-docx report, handbook (fields, comments, links) and a ~10 MB text
  document, the openpyxl workbook, the Word 97 letter; honest files written by LibreOffice
  from them when `soffice` is installed (Debian's libreoffice-writer-nogui; optional);
- hostile: the 1.6 MB DOCX with one 250 MB w:instrText (issue 17: 538 MB before), a
  40 MB fldSimple attribute, the zip whose directory holds 180,000 entries, and a .doc with
  a JAR in its free sectors;
- flat: honest docx plus stored noise media at 1 MiB and 100 MiB (every byte read,
  inflated or CRC-checked; peak RSS must not follow the size).

    .venv/bin/python bench/bench_office.py [--before main] [--keep DIR] [--big-mib 100]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
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
import io, resource, sys
code, path, ext = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, code)
from upload_core.errors import UploadError
from upload_core.inspect.base import Limits
from upload_core.inspect import ole2, ooxml  # imports before the clock and the baseline
MAIN = {'docx': 'word/document.xml', 'xlsx': 'xl/workbook.xml'}
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
def hwm():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM'):
            return int(line.split()[1]) / 1024
start = cpu()
with open(path, 'rb') as f:
    size = f.seek(0, 2)
    try:
        if ext in ('doc', 'xls'):
            verdict = ole2.inspect_ole(f, size, Limits(), ext).mime.rsplit('.', 1)[-1]
        else:
            verdict = ooxml.inspect_ooxml(f, size, Limits(), MAIN[ext], ext).mime.rsplit('.', 1)[-1]
        verdict = 'accepted (' + verdict + ')'
    except UploadError as e:
        verdict = 'refused: ' + str(e.extra.get('found', e.code))
print(f'{cpu() - start:.3f} {hwm():.0f} {verdict}')
"""


def write(path: Path, data: bytes) -> None:
    path.write_bytes(data)


def with_media(path: Path, media_bytes: int) -> None:
    """The honest report plus stored noise media parts of up to 16 MiB each."""
    from tests.support.documents import report_docx

    with (
        zipfile.ZipFile(io.BytesIO(report_docx()[1])) as src,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for item in src.infolist():
            dst.writestr(item.filename, src.read(item.filename))
        part, left = 0, media_bytes
        while left > 0:
            size = min(left, 16 << 20)
            info = zipfile.ZipInfo(f"word/media/video{part}.bin")
            with dst.open(info, "w", force_zip64=True) as out:
                for at in range(0, size, 1 << 20):
                    out.write(os.urandom(min(1 << 20, size - at)))
            part, left = part + 1, left - size


def text_docx(path: Path, paragraphs: int = 40_000) -> None:
    """A long text document: ~10 MB of document.xml (paragraphs as Word writes them, with
    rsids and a bold run), which is parsed, not just inflated. Written into python-docx's
    own package (adding 40,000 paragraphs through python-docx takes minutes)."""
    from tests.support.documents import report_docx
    from tests.support.hostile_office import repack

    paragraph = (
        '<w:p w:rsidR="00A1B2C3" w:rsidRDefault="00A1B2C3"><w:r><w:t xml:space="preserve">'
        + "The committee reviewed the figures and agreed. " * 3
        + '</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve"> noted</w:t></w:r></w:p>'
    ).encode()
    edit = {"word/document.xml": lambda d: d.replace(b"<w:sectPr", paragraph * paragraphs + b"<w:sectPr", 1)}
    path.write_bytes(repack(report_docx()[1], edit=edit))


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


def cases(work: Path, big_mib: int) -> list[tuple[str, Path]]:
    from tests.support import documents, hostile_doc, hostile_office

    built: list[tuple[str, Path]] = []

    def add(label: str, name: str, data: bytes) -> None:
        path = work / name
        write(path, data)
        built.append((label, path))

    add("report (python-docx)", "report.docx", documents.report_docx()[1])
    add("handbook (fields)", "handbook.docx", documents.handbook_docx()[1])
    text_docx(work / "text.docx")
    built.append(("10 MB of text XML", work / "text.docx"))
    add("workbook (openpyxl)", "reviewed.xlsx", documents.commented_xlsx()[1])
    add("letter (Word 97)", "letter.doc", documents.letter_doc()[1])
    built += libreoffice(work)
    add("250 MB instrText", "fields.docx", hostile_office.docx_huge_instruction()[1])
    add("40 MB fldSimple", "attribute.docx", hostile_office.docx_huge_simple_field()[1])
    huge_directory(work / "directory.docx")
    built.append(("180k entries", work / "directory.docx"))
    add("JAR in free sectors", "letter-jar.doc", hostile_doc.doc_jar_in_free_sectors()[1])
    for mib in (1, big_mib):
        with_media(work / f"media-{mib}.docx", mib << 20)
        built.append((f"{mib} MiB media", work / f"media-{mib}.docx"))
    return built


def libreoffice(work: Path) -> list[tuple[str, Path]]:
    """The honest documents re-saved by LibreOffice as .docx and .doc, when it is installed."""
    soffice = shutil.which("soffice")
    if not soffice:
        print("(soffice not installed: no LibreOffice-written files; apt-get install libreoffice-writer-nogui)")
        return []
    out = []
    for source in ("handbook.docx", "report.docx"):
        for target, filt in (("docx", "docx:MS Word 2007 XML"), ("doc", "doc:MS Word 97")):
            folder = work / f"lo-{target}"
            subprocess.run(
                [soffice, "--headless", "--convert-to", filt, "--outdir", str(folder), str(work / source)],
                capture_output=True,
                timeout=180,
            )
            path = folder / (Path(source).stem + "." + target)
            if path.exists():
                out.append((f"LibreOffice {source.split('.')[0]}.{target}", path))
    return out


def measure(code: Path, path: Path) -> tuple[float, float, str]:
    ext = path.suffix[1:]
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(code), str(path), ext], cwd=ROOT, capture_output=True, text=True
    )
    if out.returncode:
        return float("nan"), float("nan"), "failed: " + (out.stderr.strip().splitlines() or ["?"])[-1][:60]
    cpu, rss, verdict = out.stdout.split(" ", 2)
    return float(cpu), float(rss), verdict.strip()


def export(revision: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "upload_core"], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", default="main", help="git revision to compare with (default: main)")
    parser.add_argument("--big-mib", type=int, default=100)
    parser.add_argument("--keep", type=Path, default=None, help="build the files here and keep them")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-office-"))
    work.mkdir(parents=True, exist_ok=True)
    before = export(args.before, Path(tempfile.mkdtemp(prefix="bench-office-before-")))
    print("CPU seconds of the inspection (getrusage, imports excluded) and peak RSS (VmHWM) of a fresh process")
    print(
        f"{'case':>24} {'MB':>7} | {'before s':>8} {'MiB':>5} {'verdict':<28} | {'after s':>7} {'MiB':>5} "
        f"{'verdict':<30} | {'CPU x':>6}"
    )
    for label, path in cases(work, args.big_mib):
        size = path.stat().st_size / 1e6
        b_cpu, b_rss, b_verdict = measure(before, path)
        a_cpu, a_rss, a_verdict = measure(ROOT, path)
        ratio = a_cpu / b_cpu if b_cpu > 0 else float("nan")
        print(
            f"{label:>24} {size:>7.2f} | {b_cpu:>8.2f} {b_rss:>5.0f} {b_verdict[:28]:<28} | "
            f"{a_cpu:>7.2f} {a_rss:>5.0f} {a_verdict[:30]:<30} | {ratio:>6.2f}"
        )
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(before, ignore_errors=True)


if __name__ == "__main__":
    main()
