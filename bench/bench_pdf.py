"""PDF inspection on real documents against a qpdf walk, and on the hostile files of issue 17.

Real documents: the PDF manuals of Debian's r-doc-pdf, octave-doc and gnuplot-doc, unpacked
under ~/.cache/upload-service/x (fetched with `apt-get download` and `dpkg-deb -x` when
missing; never in the repository). For each file, in fresh processes, interleaved, `--runs`
times (median): the CPU time (time.process_time, imports excluded) of `inspect_pdf` and of a
pikepdf (qpdf) walk of every object with every stream's data read (read_raw_bytes: the
inspector does not decode content streams either), their ratio, the object count, and the
inspection's peak RSS (VmHWM; the process's imports alone are shown as its floor). Then the
totals over all the manuals, the import cost of each parser, and what each adds to the
Lambda artifact (installed size of the distribution and of its dependencies).

Hostile files (tests/support/hostile_pdf.py) and the largest file the limits accept (250,000
objects): CPU time and peak RSS of a refusal. Nothing is asserted: figures are printed.

    make bench-pdf      # or: .venv/bin/python bench/bench_pdf.py [--runs 5] [--hostile-only]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path.home() / ".cache" / "upload-service"
PACKAGES = ("r-doc-pdf", "octave-doc", "gnuplot-doc")

CHILD = r"""
import json, os, resource, sys, time
def hwm():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            return int(line.split()[1]) / 1024
tool, path = sys.argv[1], sys.argv[2]
t = time.process_time()
if tool == 'ours':
    from upload_core.inspect.base import Limits
    from upload_core.inspect.pdf import inspect_pdf
    from upload_core.errors import UploadError
else:
    import pikepdf
imported = time.process_time() - t
floor = hwm()
t = time.process_time()
objects, verdict = 0, 'accepted'
if tool == 'ours':
    try:
        with open(path, 'rb') as source:
            inspect_pdf(source, os.path.getsize(path), Limits())
    except UploadError as error:
        verdict = error.extra.get('found', error.code)
else:
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            objects += 1
            if isinstance(obj, pikepdf.Stream):
                obj.read_raw_bytes()
print(json.dumps({'cpu': time.process_time() - t, 'import': imported, 'floor': floor, 'peak': hwm(),
                  'objects': objects, 'verdict': verdict}))
"""


def child(tool: str, path: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, tool, str(path)], cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout)


def manuals() -> list[Path]:
    """The Debian manuals, each file once (by content: the packages link some twice)."""
    unpacked = CACHE / "x"
    if not list(unpacked.rglob("*.pdf")):
        fetch()
    seen, files = set(), []
    for path in sorted(unpacked.rglob("*.pdf"), key=lambda p: -p.stat().st_size):
        if path.is_symlink() or not path.is_file():
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest not in seen:
            seen.add(digest)
            files.append(path)
    return files


def fetch() -> None:
    debs = CACHE / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    subprocess.run(["apt-get", "download", *PACKAGES], cwd=debs, check=True)
    for deb in debs.glob("*.deb"):
        if deb.name.split("_")[0] in PACKAGES:
            subprocess.run(["dpkg-deb", "-x", str(deb), str(CACHE / "x")], check=True)


def installed_mib(name: str) -> float:
    """What a distribution and its runtime dependencies take installed (the artifact's share)."""
    todo, seen, total = [name], set(), 0
    while todo:
        dist = metadata.distribution(todo.pop())
        key = dist.metadata["Name"].lower()
        if key in seen:
            continue
        seen.add(key)
        total += sum((f.size or 0) for f in dist.files or [])
        for requirement in dist.requires or []:
            if "extra ==" not in requirement:
                todo.append(
                    requirement.split(";")[0].split()[0].split("<")[0].split(">")[0].split("=")[0].split("[")[0]
                )
    return total / 2**20


def import_cost(statement: str, runs: int) -> float:
    """CPU time of `statement` in a fresh process, after what every inspection imports anyway."""
    code = "import upload_core.inspect.base, time; t = time.process_time(); "
    code += f"{statement}; print(time.process_time() - t)"
    times = [float(subprocess.check_output([sys.executable, "-c", code], cwd=ROOT)) for _ in range(runs)]
    return statistics.median(times)


def real(runs: int) -> None:
    files = manuals()
    print(f"{'file':22} {'MB':>6} {'objects':>8} {'ours s':>8} {'qpdf s':>8} {'ratio':>6} {'peak RSS':>9}  verdict")
    totals = {"ours": 0.0, "qpdf": 0.0, "bytes": 0}
    for path in files:
        ours, theirs = [], []
        for _ in range(runs):  # interleaved, so the machine's load falls on both alike
            ours.append(child("ours", path))
            theirs.append(child("qpdf", path))
        cpu = statistics.median(r["cpu"] for r in ours)
        qpdf = statistics.median(r["cpu"] for r in theirs)
        peak, floor = max(r["peak"] for r in ours), min(r["floor"] for r in ours)
        totals["ours"] += cpu
        totals["qpdf"] += qpdf
        totals["bytes"] += path.stat().st_size
        print(
            f"{path.name:22} {path.stat().st_size / 1e6:>6.2f} {theirs[0]['objects']:>8} {cpu:>8.3f} {qpdf:>8.3f} "
            f"{cpu / qpdf:>6.2f} {peak:>6.0f} MiB  {ours[0]['verdict']} (imports alone: {floor:.0f} MiB)",
            flush=True,
        )
    mb = totals["bytes"] / 1e6
    print(
        f"{len(files)} manuals, {mb:.1f} MB: inspection {totals['ours']:.2f} s CPU ({mb / totals['ours']:.1f} MB/s), "
        f"qpdf walk {totals['qpdf']:.2f} s, ratio {totals['ours'] / totals['qpdf']:.2f}"
    )
    print("import on the first PDF, CPU (median of fresh processes), and installed size with runtime dependencies:")
    for label, statement, dist in (
        ("inspect/pdf (ours)", "import upload_core.inspect.pdf", None),
        ("pikepdf", "import pikepdf", "pikepdf"),
        ("pypdf (before)", "import pypdf", "pypdf"),
    ):
        size = (
            installed_mib(dist)
            if dist
            else sum(p.stat().st_size for p in (ROOT / "upload_core/inspect/pdf").glob("*.py")) / 2**20
        )
        print(f"  {label:20} {import_cost(statement, runs) * 1000:6.0f} ms  {size:6.2f} MiB")


def hostile(runs: int) -> None:
    sys.path.insert(0, str(ROOT))
    from bench.bench_inspect import write_pdf_objects
    from tests.support import hostile_pdf

    cases = [
        ("nested arrays (pypdf: 388 MB, 11 s)", hostile_pdf.nested_arrays),
        ("60 MB string (pypdf: 1,335 MB)", hostile_pdf.huge_string),
        ("2M free entries, table (pypdf: 284 MB)", hostile_pdf.free_entries),
        ("2M free entries, stream", hostile_pdf.free_entries_in_a_stream),
        ("2M objects declared", hostile_pdf.many_objects_declared),
    ]
    print(f"\n{'hostile or largest accepted':40} {'KB':>8} {'CPU s':>7} {'peak RSS':>9}  verdict")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "case.pdf"
        objects = Path(tmp) / "objects.pdf"
        with open(objects, "wb") as out:
            write_pdf_objects(out, 249_990)
        for label, make in cases + [("249,990 objects (the limit: 250,000)", objects.read_bytes)]:
            path.write_bytes(make())
            figures = [child("ours", path) for _ in range(runs)]
            qpdf = ""
            if figures[0]["verdict"] == "accepted":
                walk = statistics.median(child("qpdf", path)["cpu"] for _ in range(runs))
                qpdf = f" (a qpdf walk: {walk:.3f} s)"
            print(
                f"{label:40} {path.stat().st_size / 1000:>8.1f} {statistics.median(f['cpu'] for f in figures):>7.3f} "
                f"{max(f['peak'] for f in figures):>6.0f} MiB  {figures[0]['verdict']}{qpdf}",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--hostile-only", action="store_true")
    args = parser.parse_args()
    if not args.hostile_only:
        real(args.runs)
    hostile(args.runs)


if __name__ == "__main__":
    main()
