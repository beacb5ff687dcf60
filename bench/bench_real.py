"""Inspection measured on real documents and photos, and the time budget it implies.

Real files come from Debian packages (manuals: r-doc-pdf, octave-doc, gnuplot-doc; photos:
mate-backgrounds; Office documents: r-cran-officer's examples and templates, python3-docx's
template), fetched with `apt-get download` into a cache outside the repository
(UPLOAD_BENCH_CACHE, default ~/.cache/upload-service: debs/ and the unpacked x/), never
committed. Per type it prints, all in CPU time (time.process_time and the children's
rusage, one core):
- MB/s of `inspect_content` over all files, and the slowest file (the budget's rate: the
  slowest file of at least 1 MB where the type has any);
- the sandbox's peak RSS (the child's own, from wait4) and its CPU overhead over the same
  inspection in-process;
- for PDFs, the ratio to a pikepdf (qpdf) walk of every object with every stream read.
Then the sandbox's cost per inspection (fork, verdict, reap: ms of CPU and wall) and its
import time, SHA-256's CPU MB/s, and the budget table these rates imply for the deployed
functions (budget.py). With --write it rewrites upload_core/measured_rates.py, the one
table budget.py and the sandbox's ceilings read: re-run it when an inspector changes.

    .venv/bin/python bench/bench_real.py [--write] [--repeat 2] [--types pdf,jpeg,png,ooxml]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from upload_core import budget  # noqa: E402
from upload_core.config import Config  # noqa: E402
from upload_core.inspect import sandbox  # noqa: E402
from upload_core.inspect.rules import Sample, inspect_content  # noqa: E402

MB = 1_000_000
PACKAGES = ("r-doc-pdf", "octave-doc", "gnuplot-doc", "mate-backgrounds", "r-cran-officer", "python3-docx")
KIND_OF = {".pdf": "pdf", ".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".gif": "gif", ".docx": "ooxml"}
KIND_OF.update({".xlsx": "ooxml", ".pptx": "ooxml", ".doc": "ole2"})
# Files that Debian ships but the service refuses on purpose (the budget needs accepted ones).
RATE_FLOOR_BYTES = MB


def cache_dir() -> Path:
    return Path(os.environ.get("UPLOAD_BENCH_CACHE", Path.home() / ".cache" / "upload-service"))


def fetch(cache: Path) -> Path:
    """Every package's .deb in cache/debs (apt-get download), unpacked into cache/x."""
    debs, tree = cache / "debs", cache / "x"
    debs.mkdir(parents=True, exist_ok=True)
    for tool in ("apt-get", "dpkg-deb"):
        if shutil.which(tool) is None:
            sys.exit(f"bench-real needs Debian's {tool} to fetch real files (or a cache in {cache} already filled)")
    for package in PACKAGES:
        if list(debs.glob(f"{package}_*.deb")):
            continue
        if _download(package, debs) != 0:
            if os.geteuid() == 0:
                subprocess.run(["apt-get", "update", "-qq"], check=False)
            if _download(package, debs) != 0:
                sys.exit(
                    f"apt-get download {package} failed: run `sudo apt-get update` (as root this script does) "
                    f"or put the .deb in {debs}"
                )
    stamp = tree / ".unpacked"
    wanted = sorted(p.name for p in debs.glob("*.deb") if p.name.split("_")[0] in PACKAGES)
    if not stamp.exists() or stamp.read_text().split() != wanted:
        tree.mkdir(exist_ok=True)
        for name in wanted:
            subprocess.run(["dpkg-deb", "-x", str(debs / name), str(tree)], check=True)
        stamp.write_text("\n".join(wanted))
    return tree


def _download(package: str, into: Path) -> int:
    print(f"fetching {package} (apt-get download) into {into}", file=sys.stderr)
    return subprocess.run(["apt-get", "download", "-qq", package], cwd=into, check=False).returncode


def real_files(tree: Path, kinds: set[str]) -> dict[str, list[Path]]:
    """Real files by kind, each content once (Debian ships some twice: refman/fullrefman)."""
    found: dict[str, list[Path]] = defaultdict(list)
    seen: set[str] = set()
    for path in sorted(tree.rglob("*")):
        kind = KIND_OF.get(path.suffix.lower())
        if kind not in kinds or not path.is_file() or path.is_symlink() or path.stat().st_size == 0:
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest not in seen:
            seen.add(digest)
            found[kind].append(path)
    return found


def cpu() -> float:
    """This process's CPU time plus its reaped children's (the sandbox's children)."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def inspect_once(path: Path, data: bytes, config: Config) -> tuple[float, bool]:
    t = time.process_time()
    try:
        inspect_content(path.name, Sample.of_bytes(data), config)
        accepted = True
    except Exception:  # noqa: BLE001 - a real file refused is reported, not fatal
        accepted = False
    return time.process_time() - t, accepted


def sandboxed(path: Path, data: bytes, config: Config) -> tuple[float, sandbox.Run]:
    generous = sandbox.Ceiling(memory_bytes=4 * 1024 * MB, cpu_seconds=600, wall_seconds=600)
    sandbox.warm(path.suffix.lstrip(".").lower())
    t = cpu()
    run = sandbox.execute(lambda: inspect_content(path.name, Sample.of_bytes(data), config), generous)
    return cpu() - t, run


def pikepdf_walk(path: Path) -> float:
    import pikepdf

    t = time.process_time()
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream):
                obj.read_raw_bytes()
    return time.process_time() - t


def sandbox_cost(config: Config, rounds: int = 100) -> dict[str, float]:
    """CPU and wall ms per inspection of a small real-shaped PNG, in-process vs sandboxed."""
    import zlib

    raw = b"".join(b"\0" + bytes(range(256)) * 3 for _ in range(64))
    png = b"\x89PNG\r\n\x1a\n"
    for kind, body in (
        (b"IHDR", (256).to_bytes(4, "big") + (64).to_bytes(4, "big") + b"\x08\x02\0\0\0"),
        (b"IDAT", zlib.compress(raw)),
        (b"IEND", b""),
    ):
        png += len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")
    sample = Sample.of_bytes(png)
    sandbox.warm("png")
    inspect_content("p.png", sample, config)
    figures = {}
    for label, call in (
        ("in-process", lambda: inspect_content("p.png", sample, config)),
        (
            "sandboxed",
            lambda: sandbox.run(
                lambda: inspect_content("p.png", sample, config), sandbox.Ceiling(512 * MB, 10, 10), "png"
            ),
        ),
    ):
        t_cpu, t_wall = cpu(), time.perf_counter()
        for _ in range(rounds):
            call()
        figures[f"{label} cpu ms"] = (cpu() - t_cpu) / rounds * 1000
        figures[f"{label} wall ms"] = (time.perf_counter() - t_wall) / rounds * 1000
    figures["overhead cpu ms"] = figures["sandboxed cpu ms"] - figures["in-process cpu ms"]
    return figures


def import_cost() -> float:
    """ms that importing the sandbox adds to what the validator imports already (json and
    logging come with boto3 and the telemetry anyway): -X importtime, best of 5."""
    code = "import json, logging, upload_core.config, upload_core.inspect.rules; import upload_core.inspect.sandbox"
    err = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], cwd=ROOT, capture_output=True, text=True
    ).stderr
    for line in err.splitlines():
        if line.rstrip().endswith("upload_core.inspect.sandbox"):
            return int(line.split("|")[1]) / 1000
    return float("nan")


def sha256_rate() -> float:
    block = os.urandom(MB)
    t = time.process_time()
    digest = hashlib.sha256()
    for _ in range(256):
        digest.update(block)
    return 256 / (time.process_time() - t)


def measure(kinds: set[str], repeat: int) -> tuple[dict[str, dict], dict[str, float]]:
    config = Config(bucket="bench", max_image_pixels=Config.max_image_pixels)
    tree = fetch(cache_dir())
    files = real_files(tree, kinds)
    results: dict[str, dict] = {}
    for kind, paths in sorted(files.items()):
        rows = []
        for path in paths:
            data = path.read_bytes()
            inspect_once(path, data, config)  # imports and caches on first use, as a warm container
            seconds, accepted = min(inspect_once(path, data, config) for _ in range(repeat))
            total, run = sandboxed(path, data, config)
            row = {"path": path, "bytes": len(data), "cpu": seconds, "accepted": accepted, "run": run, "sandbox": total}
            if kind == "pdf":
                row["pikepdf"] = min(pikepdf_walk(path) for _ in range(repeat))
            rows.append(row)
        results[kind] = summarize(rows)
    return results, sandbox_cost(config)


def summarize(rows: list[dict]) -> dict:
    accepted = [r for r in rows if r["accepted"]]
    large = [r for r in accepted if r["bytes"] >= RATE_FLOOR_BYTES]
    slowest = min(large or accepted, key=lambda r: r["bytes"] / max(r["cpu"], 1e-9)) if accepted else None
    total_bytes, total_cpu = sum(r["bytes"] for r in rows), sum(r["cpu"] for r in rows)
    # With no file of at least 1 MB, a file's fixed costs dwarf its size: the rate over all
    # of them is the honest figure (still cautious), and such a kind is flagged.
    rate = slowest and slowest["bytes"] / MB / slowest["cpu"] if large else total_bytes / MB / total_cpu
    summary = {
        "small_only": not large,
        "files": len(rows),
        "refused": [r["path"].name for r in rows if not r["accepted"]],
        "bytes": total_bytes,
        "mb_per_s": total_bytes / MB / total_cpu,
        "slowest": slowest and (slowest["path"].name, slowest["bytes"], slowest["cpu"]),
        "rate": rate,
        "peak_rss": max(r["run"].peak_rss_bytes for r in rows),
        "overhead": sum(r["sandbox"] for r in rows) - total_cpu,
        "ended": sorted({r["run"].ended for r in rows}),
    }
    if "pikepdf" in rows[0]:
        summary["pikepdf"] = sum(r["pikepdf"] for r in rows)
        summary["per_file"] = [(r["path"].name, r["bytes"], r["cpu"], r["pikepdf"]) for r in rows if r["bytes"] >= MB]
    return summary


def report(results: dict[str, dict], cost: dict[str, float], sha: float, imported_ms: float) -> None:
    print("\nInspection of real files (CPU time, one core; the sandbox's figures from wait4)\n")
    print("| type | files | MB | MB/s (all) | slowest file (budget rate) | sandbox peak RSS | sandbox CPU overhead |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for kind, s in results.items():
        name, size, seconds = s["slowest"] or ("-", 0, 0)
        rate = "all files (none of 1 MB)" if s["small_only"] else f"{s['rate']:.2f} MB/s"
        print(
            f"| {kind} | {s['files']} | {s['bytes'] / MB:.1f} | {s['mb_per_s']:.1f} | {name} ({size / MB:.2f} MB, "
            f"{seconds:.2f} s; budget: {rate}) | {s['peak_rss'] / MB:.0f} MB | "
            f"{s['overhead'] / s['files'] * 1000:+.1f} ms/file |"
        )
        if s["refused"]:
            print(f"|   refused (left out of the rate) | {', '.join(s['refused'])} | | | | | |")
    if "pdf" in results and "pikepdf" in results["pdf"]:
        pdf = results["pdf"]
        inspect_total = sum(r[2] for r in pdf["per_file"])
        walk_total = sum(r[3] for r in pdf["per_file"])
        print("\nPDFs of at least 1 MB against a pikepdf (qpdf) walk of every object, streams read (CPU s)\n")
        print("| file | MB | inspection | pikepdf walk | ratio |")
        print("| --- | --- | --- | --- | --- |")
        for name, size, seconds, walk in pdf["per_file"]:
            print(f"| {name} | {size / MB:.1f} | {seconds:.2f} | {walk:.2f} | {seconds / walk:.1f}x |")
        print(f"| all of them | | {inspect_total:.2f} | {walk_total:.2f} | {inspect_total / walk_total:.1f}x |")
    print(
        f"\nSandbox per inspection (small PNG, {len(cost) and 100} rounds): "
        + ", ".join(f"{k} {v:.2f}" for k, v in cost.items())
    )
    print(f"Importing inspect/sandbox.py beside the validator's imports: {imported_ms:.1f} ms (-X importtime)")
    print(f"SHA-256: {sha:.0f} MB/s of CPU")


def budget_table() -> None:
    """What the (possibly just written) rates imply for the deployed functions."""
    base = Config(bucket="bench")
    print("\nTime budget (budget.py; Lambda CPU share = memory / 1,769 MB; transfers at written-down rates)\n")
    print(
        "| type | CPU MB/s (one core) | validator 256 MB: MB/s | largest decided in 900 s | "
        "at 512 / 1,024 / 1,769 MB | inline 4 MiB at 512 MB (of 29 s) | largest inline |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for ext in ("pdf", "jpg", "png", "gif", "docx", "doc"):
        rate = budget.inspect_cpu_mb_per_s(ext)
        fn = base.validate_function
        sizes = [budget.validator(m, 900).largest_decidable(ext, False) for m in (512, 1024, 1769)]
        inline = base.api_function.decide_seconds(ext, base.inline_max_bytes, False)
        mark = "" if budget.measured(ext) else " (not measured: slowest type's)"
        print(
            f"| {ext} | {rate:.1f}{mark} | {rate * fn.cpu_share:.2f} | {_size(fn.largest_decidable(ext, False))} | "
            f"{' / '.join(_size(s) for s in sizes)} | {inline:.1f} s | {_size(base.inline_max_for(ext))} |"
        )


def _size(n: int) -> str:
    return f"{n / 1024**3:.1f} GiB" if n >= 1024**3 else f"{n / 1024**2:.1f} MiB"


def write_table(results: dict[str, dict], cost: dict[str, float], sha: float) -> None:
    rates = {kind: round(s["rate"], 2) for kind, s in results.items() if s["rate"]}
    small = sorted(kind for kind, s in results.items() if s["small_only"])
    lines = [
        '"""Inspection rates measured on real files: generated by bench/bench_real.py, do not edit.',
        "",
        "Re-measure with `make bench-real` (it rewrites this file with --write) after an inspector",
        "changes; budget.py and the sandbox's ceilings take the new figures from here.",
        '"""',
        "",
        f"MEASURED = {json.dumps(_where())}",
        "# CPU MB/s of inspect_content on one core, per kind: the slowest real file of at least 1 MB,",
        "# or, for a kind with none (SMALL_FILES_ONLY), all its files together.",
        f"INSPECT_CPU_MB_PER_S: dict[str, float] = {json.dumps(rates)}",
        f"SMALL_FILES_ONLY: frozenset[str] = frozenset({json.dumps(small)})",
        "# CPU MB/s of SHA-256 on one core.",
        f"SHA256_CPU_MB_PER_S = {round(sha, -1)!r}",
        "# CPU seconds a sandboxed inspection costs beyond the inspection (fork, verdict, reap).",
        f"SANDBOX_CPU_SECONDS = {round(max(cost['overhead cpu ms'], 1.0) / 1000, 4)!r}",
        "",
    ]
    # json.dumps writes strings with double quotes, as `ruff format` (make lint) wants them
    (ROOT / "upload_core" / "measured_rates.py").write_text("\n".join(lines))
    print("\nwrote upload_core/measured_rates.py")


def _where() -> str:
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "")
    return f"{date.today()}, {model or platform.machine()}, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="rewrite upload_core/measured_rates.py")
    parser.add_argument("--repeat", type=int, default=2, help="inspect each file this many times, keep the fastest")
    parser.add_argument("--types", default="pdf,jpeg,png,gif,ooxml,ole2")
    args = parser.parse_args()
    results, cost = measure(set(args.types.split(",")), args.repeat)
    sha = sha256_rate()
    report(results, cost, sha, import_cost())
    if args.write:
        write_table(results, cost, sha)
        import importlib

        from upload_core import measured_rates

        importlib.reload(measured_rates)
    budget_table()


if __name__ == "__main__":
    main()
