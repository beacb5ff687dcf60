"""Image inspection on real files and hostile shapes: CPU MB/s, verdicts, before and after.

Part of `bench/bench_inspect.py` (it runs this after its synthetic sizes; `--only-images`
runs this alone). Each set of files is inspected through `rules.inspect_content` (libmagic,
the type's inspector, the polyglot check: what both paths run) in a fresh process, timed in
CPU time (`time.process_time`; real and corpus files are inspected once untimed first, so
the clock counts the inspection, not a fresh process's first-touch costs; hostile shapes
once, under a CPU limit), with the process's peak RSS (VmHWM, its imports included). With `--before REF` the same
files are also inspected by the code of a git ref (`git archive REF` into a temporary
directory, run by the same Python), side by side:

- real files: every JPEG, PNG, GIF and PDF under the cache of Debian packages (`--real`,
  default /root/.cache/upload-service/x: mate-backgrounds photos, octave/gnuplot/R docs),
  per type: files, MB, CPU s, MB/s, the slowest file, and the verdicts;
- the honest files of tests/support (camera-like photos near the size limits, PDFs from
  fpdf2, Pillow and pikepdf, a Word .doc): verdicts;
- hostile shapes, one process each under a CPU limit: a JPEG padded with thousands of
  comment segments, fill bytes, a GIF of empty blocks or 1-byte sub-blocks, a PNG of
  empty chunks or of ~1,000 zTXt chunks each inflating to 4 MiB, a 4 MiB private chunk.

    .venv/bin/python bench/bench_images.py [--before main] [--real DIR] [--cpu-limit 60]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import struct
import subprocess
import sys
import tarfile
import tempfile
import zlib
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path("/root/.cache/upload-service/x")
TYPES = {"jpg": "jpeg", "jpeg": "jpeg", "png": "png", "gif": "gif", "pdf": "pdf"}

# Run in a fresh process with cwd at a tree (this one or a git ref's): inspect each file
# named in the JSON list on argv[1]; one JSON line per file.
CHILD = """
import json, resource, sys, time
limit, warm = int(sys.argv[2]), sys.argv[3] == 'warm'
if limit:
    resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 1))
from upload_core.config import Config
from upload_core.errors import UploadError
from upload_core.inspect.rules import Sample, inspect_content
from upload_core.inspect import rules
from upload_core.inspect.sniff import detect_mime
try:  # imports and libmagic's load are paid before the clock starts
    import upload_core.inspect.pdf
except ImportError:  # a tree from before the PDF reader (pypdf then)
    import pypdf
detect_mime(b'GIF89a')
for module in [m for m, _ in rules._INSPECTORS.values()] + ['polyglot']:
    try:
        rules._inspector(module, '__name__')
    except ImportError:  # a tree from before polyglot.py
        pass
config = Config(bucket='bench')
for name, path in json.load(open(sys.argv[1])):
    data = open(path, 'rb').read()
    if warm:  # once untimed: the clock then counts the inspection, not first-touch costs
        try:
            inspect_content(name, Sample.of_bytes(data), config)
        except UploadError:
            pass
    t = time.process_time()
    try:
        verdict = inspect_content(name, Sample.of_bytes(data), config)
        result = 'accepted' if verdict.end == len(data) else f'accepted, cut at {verdict.end}'
    except UploadError as err:
        result = err.extra.get('found', err.code)
    cpu = time.process_time() - t
    rss = next(int(line.split()[1]) for line in open('/proc/self/status') if line.startswith('VmHWM:'))
    print(json.dumps({'path': path, 'cpu': cpu, 'verdict': result, 'rss_kib': rss}), flush=True)
"""


def tree_of(ref: str, into: Path) -> Path:
    """The upload_core package of a git ref, extracted under `into`."""
    archive = subprocess.run(["git", "archive", ref, "upload_core"], cwd=ROOT, capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into


def inspect_files(tree: Path, files: list[tuple[str, str]], cpu_limit: int = 0, warm: bool = True) -> dict[str, dict]:
    """{path: {cpu, verdict, rss_kib}} for `files` (name, path) inspected by `tree`'s code;
    `warm`: each file is inspected once untimed first."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as listing:
        json.dump(files, listing)
    env = dict(os.environ, PYTHONPATH=str(tree))
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, listing.name, str(cpu_limit), "warm" if warm else "cold"],
            cwd=tree,
            env=env,
            capture_output=True,
            text=True,
        )
    finally:
        os.unlink(listing.name)
    results = {line["path"]: line for line in map(json.loads, done.stdout.splitlines())}
    for _, path in files:  # killed at the CPU limit (SIGXCPU) before it answered
        results.setdefault(
            path, {"path": path, "cpu": float(cpu_limit), "verdict": f"> {cpu_limit} s CPU", "rss_kib": 0}
        )
    return results


# --- hostile shapes -----------------------------------------------------------------------


def _png_chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


def hostile_shapes() -> list[tuple[str, str, bytes]]:
    """(label, filename, bytes): the shapes that cost a walk the most per byte."""
    sys.path.insert(0, str(ROOT))
    from tests.support import corpus, hostile_media

    photo = corpus.noise_jpeg(1, 60_000)
    png = corpus.noise_png(1, 20_000)
    gif = corpus.noise_gif(1, 20_000)
    start = hostile_media.gif_blocks_start(gif)

    def comments(count: int, size: int) -> bytes:
        return photo[:2] + (b"\xff\xfe" + struct.pack(">H", size + 2) + b"c" * size) * count + photo[2:]

    fake = b"\xff\xd8\xff" + b"\xff\xdb\x00\x02" * 16_000  # a "thumbnail" of empty tables
    embedded = b"\xff\xe1" + struct.pack(">H", len(fake) + 2) + fake

    def sub_blocks(lengths: list[int]) -> bytes:
        data = b"".join(bytes([n]) + b"\x01" * n for n in lengths)
        return b"GIF89a\1\0\1\0\0\0\0" + b"\x2c\0\0\0\0\1\0\1\0\0\x02" + data + b"\0\x3b"

    return [
        ("JPEG + 4,000 COM segments of 1 KB", "a.jpg", comments(4_000, 1_000)),
        ("JPEG + 65,000 COM segments of 64 bytes", "a.jpg", comments(65_000, 62)),
        ("JPEG + 1,000,000 empty COM segments", "a.jpg", comments(1_000_000, 0)),
        ("JPEG + 4 MiB of fill bytes", "a.jpg", photo[:2] + b"\xff" * 4 * 2**20 + photo[2:]),
        ("corpus JPEG of 4 MiB (COM-padded)", "a.jpg", corpus.jpeg(4 * corpus.MiB - 1024)),
        ("JPEG + 60 APP1 of 16,000 embedded segments", "a.jpg", photo[:2] + embedded * 60 + photo[2:]),
        ("GIF + 1.3 million empty extensions", "a.gif", gif[:start] + b"\x21\xfe\x00" * 1_300_000 + gif[start:]),
        ("GIF of 2 million 1-byte sub-blocks", "a.gif", sub_blocks([1] * 2_000_000)),
        ("GIF of 1- and 2-byte sub-blocks in turn", "a.gif", sub_blocks([1, 2] * 700_000)),
        ("PNG + 300,000 empty chunks", "a.png", png[:-12] + _png_chunk(b"prVt", b"") * 300_000 + png[-12:]),
        ("PNG + 950 zTXt chunks of 4 MiB inflated", "a.png", hostile_media.png_ztxt_flood()),
        (
            "PNG + 4 MiB private chunk of random bytes",
            "a.png",
            png[:-12] + _png_chunk(b"prVt", os.urandom(4 << 20)) + png[-12:],
        ),
    ]


# --- report ---------------------------------------------------------------------------------


def _real_files(root: Path) -> list[tuple[str, str]]:
    found = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower().lstrip(".") in TYPES)
    return [(p.name, str(p)) for p in found]


def _per_type(files: list[tuple[str, str]], results: dict[str, dict]) -> dict[str, dict]:
    table: dict[str, dict] = defaultdict(
        lambda: {"files": 0, "bytes": 0, "cpu": 0.0, "slowest": (0.0, ""), "verdicts": Counter()}
    )
    for name, path in files:
        row, result = table[TYPES[name.rsplit(".", 1)[1].lower()]], results[path]
        size = os.path.getsize(path)
        row["files"] += 1
        row["bytes"] += size
        row["cpu"] += result["cpu"]
        row["slowest"] = max(row["slowest"], (result["cpu"], f"{name} {size / 1e6:.1f} MB"))
        row["verdicts"][result["verdict"].split(",")[0]] += 1
    return table


def _verdicts(counter: Counter) -> str:
    return ", ".join(f"{n} {verdict}" for verdict, n in counter.most_common())


def report_real(trees: dict[str, Path], root: Path) -> None:
    files = _real_files(root)
    if not files:
        print(f"(no real files under {root}: fetch them as README's Testing and benchmarks says)")
        return
    print(f"\nReal files under {root}: inspect_content, CPU time, one process per tree")
    print(f"{'code':8} {'type':5} {'files':>5} {'MB':>7} {'CPU s':>7} {'MB/s':>7}  slowest file (CPU s)  verdicts")
    for label, tree in trees.items():
        results = inspect_files(tree, files)
        for kind, row in sorted(_per_type(files, results).items()):
            print(
                f"{label:8} {kind:5} {row['files']:>5} {row['bytes'] / 1e6:>7.1f} {row['cpu']:>7.2f} "
                f"{row['bytes'] / 1e6 / max(row['cpu'], 1e-9):>7.0f}  {row['slowest'][1]} ({row['slowest'][0]:.3f})  "
                f"{_verdicts(row['verdicts'])}"
            )
        refused = {p: r["verdict"] for p, r in results.items() if not r["verdict"].startswith("accepted")}
        cut = {p: r["verdict"] for p, r in results.items() if r["verdict"].startswith("accepted, cut")}
        for path, verdict in sorted({**refused, **cut}.items()):
            print(f"{label:8}   {Path(path).name}: {verdict}")


def report_corpus(trees: dict[str, Path], tmp: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.support import corpus, documents, samples

    makers = list(corpus.honest()) + [
        ("letter.doc", lambda: documents.letter_doc()[1]),
        ("sample.png", samples.png),
        ("sample.jpg", samples.jpeg),
        ("sample.gif", samples.gif),
        ("sample.pdf", samples.pdf),
    ]
    files = []
    for name, make in makers:
        path = tmp / f"corpus-{len(files)}-{name}"
        path.write_bytes(make())
        files.append((name, str(path)))
    print(f"\nThe honest files of tests/support ({len(files)}: photos near the size limits, PDFs, a .doc): verdicts")
    for label, tree in trees.items():
        results = inspect_files(tree, files)
        counts = Counter(r["verdict"].split(",")[0] for r in results.values())
        cpu = sum(r["cpu"] for r in results.values())
        size = sum(os.path.getsize(p) for _, p in files)
        print(f"{label:8} {_verdicts(counts)}; {size / 1e6:.1f} MB in {cpu:.2f} s CPU ({size / 1e6 / cpu:.0f} MB/s)")
        for path, result in sorted(results.items()):
            if not result["verdict"].startswith("accepted"):
                print(f"{label:8}   {Path(path).name}: {result['verdict']}")


def report_hostile(trees: dict[str, Path], tmp: Path, cpu_limit: int) -> None:
    print(f"\nHostile shapes, one process each (CPU limit {cpu_limit} s): verdict, CPU s, MB/s, peak RSS")
    header = "".join(f" | {label + ': verdict':>24} {'CPU s':>7} {'MB/s':>7} {'RSS':>6}" for label in trees)
    print(f"{'shape':44} {'MB':>5}{header}")
    for i, (label, name, data) in enumerate(hostile_shapes()):
        path = tmp / f"hostile-{i}-{name}"
        path.write_bytes(data)
        line = f"{label:44} {len(data) / 1e6:>5.1f}"
        for tree in trees.values():
            result = inspect_files(tree, [(name, str(path))], cpu_limit, warm=False)[str(path)]
            speed = len(data) / 1e6 / max(result["cpu"], 1e-9)
            rss = result["rss_kib"] / 1024
            line += f" | {result['verdict'][:24]:>24} {result['cpu']:>7.3f} {speed:>7.0f} {rss:>4.0f}Mi"
        print(line, flush=True)
        path.unlink()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", metavar="REF", help="also inspect with the code of this git ref (e.g. main)")
    parser.add_argument("--real", type=Path, default=CACHE, help="a directory of real files")
    parser.add_argument("--cpu-limit", type=int, default=60, help="CPU seconds per hostile shape")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"after": ROOT}
        if args.before:
            trees = {"before": tree_of(args.before, Path(tmp) / "before"), **trees}
        report_real(trees, args.real)
        report_corpus(trees, Path(tmp))
        report_hostile(trees, Path(tmp), args.cpu_limit)


if __name__ == "__main__":
    main()
