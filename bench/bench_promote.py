"""Promotion benchmark: writing the served object from the validator's spool (s3/served.py)
against the copy inside S3 it replaced (HEAD + CopyObject pinned by ETag), at 1 MiB and
100 MiB (and 1 GiB) on a local moto server, and 5 GiB against a sink that reads and drops
every body (moto holds a whole object in memory twice on CompleteMultipartUpload and on
every copy: 5 GiB there would take 10-15 GiB of this shared machine).

Each promotion runs in a fresh process, so its peak RSS (VmHWM) is its own; CPU is that
process's time.process_time() (user + system), wall is time.perf_counter(). Also printed:
the S3 server's own CPU for the same call (from /proc), and SHA-256 over the spool (the
validator hashes while it downloads; only a cut-off needs a second pass).

    .venv/bin/python bench/bench_promote.py [--sizes 1,100,1024] [--sink-mib 5120] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench_core import start_moto  # the same moto_server the other benchmarks start

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
MiB = 1024 * 1024
BUCKET = "bench-promote"
UPLOAD_ID = "B" * 22

CHILD = r"""
import base64, hashlib, json, os, sys, time
sys.path.insert(0, os.getcwd())
mode, path, size = sys.argv[1], sys.argv[2], int(sys.argv[3])

def peak_rss_kib():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            return int(line.split()[1])

from upload_core.config import Config
from upload_core.s3.store import S3Store
store = S3Store(Config(bucket=os.environ['UPLOAD_BUCKET']))
store.client  # the client is made before the clock starts: a warm validator has one
digest = bytes.fromhex(os.environ['DIGEST'])
base = peak_rss_kib()
cpu, wall = time.process_time(), time.perf_counter()
if mode == 'spool':
    with open(path, 'rb') as spool:
        store.served.write('%s', spool, size, 'image/jpeg', digest)
elif mode == 'copy':
    # What promote() did before: HEAD pinned by ETag, then one CopyObject pinned by ETag.
    source = {'Bucket': store.bucket, 'Key': store.incoming_key('%s')}
    head = store.client.head_object(Bucket=store.bucket, Key=source['Key'])
    store.client.copy_object(CopySource=source, CopySourceIfMatch=head['ETag'], Bucket=store.bucket,
                             Key=store.file_key('%s'), ContentType='image/jpeg', MetadataDirective='REPLACE')
elif mode == 'sha256':
    h = hashlib.sha256()
    with open(path, 'rb') as spool:
        for chunk in iter(lambda: spool.read(1 << 20), b''):
            h.update(chunk)
    assert h.digest() == digest
print(json.dumps({'cpu': time.process_time() - cpu, 'wall': time.perf_counter() - wall,
                  'rss_mib': peak_rss_kib() / 1024, 'floor_mib': base / 1024}))
""" % (UPLOAD_ID, UPLOAD_ID, UPLOAD_ID)


def cpu_of(pid: int) -> float:
    """User + system seconds of another process, from /proc."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Sink(BaseHTTPRequestHandler):
    """Answers S3's upload calls as S3 would, reading every body and keeping none."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def _drain(self) -> None:
        left = int(self.headers.get("Content-Length") or 0)
        while left:
            left -= len(self.rfile.read(min(left, 1 << 20)))

    def _answer(self, body: bytes = b"", extra: dict | None = None) -> None:
        self.send_response(200)
        for name, value in {"ETag": '"00000000000000000000000000000000"', **(extra or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self):
        self._drain()
        self._answer(extra={"x-amz-checksum-sha256": self.headers.get("x-amz-checksum-sha256", "")})

    def do_POST(self):
        self._drain()
        if "uploads" in self.path.split("?", 1)[-1].split("&"):
            body = b"<InitiateMultipartUploadResult><UploadId>sink</UploadId></InitiateMultipartUploadResult>"
        else:
            body = b"<CompleteMultipartUploadResult><ETag>&quot;0-1&quot;</ETag></CompleteMultipartUploadResult>"
        self._answer(body)


def make_spool(path: Path, size: int) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "wb") as out:
        left = size
        block = os.urandom(MiB)
        while left:
            chunk = block[: min(MiB, left)]
            out.write(chunk)
            digest.update(chunk)
            left -= len(chunk)
    return digest.hexdigest()


def child(mode: str, path: Path, size: int, env: dict) -> dict:
    out = subprocess.run([PY, "-c", CHILD, mode, str(path), str(size)], cwd=ROOT, env=env, capture_output=True)
    if out.returncode:
        raise RuntimeError(out.stderr.decode()[-3000:])
    return json.loads(out.stdout.decode().strip().splitlines()[-1])


def median(rows: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def measure(mode: str, path: Path, size: int, env: dict, runs: int, server_pid: int | None) -> dict:
    rows = []
    for _ in range(runs):
        before = cpu_of(server_pid) if server_pid else 0.0
        row = child(mode, path, size, env)
        row["server_cpu"] = cpu_of(server_pid) - before if server_pid else float("nan")
        rows.append(row)
    return {k: median(rows, k) for k in ("cpu", "wall", "rss_mib", "floor_mib", "server_cpu")}


def show(label: str, size: int, m: dict) -> None:
    mb = size / 1e6
    print(
        f"  {label:<26} validator CPU {m['cpu']:7.2f} s ({mb / max(m['cpu'], 1e-9):8.0f} MB/s)  "
        f"wall {m['wall']:7.2f} s ({mb / max(m['wall'], 1e-9):7.0f} MB/s)  "
        f"peak RSS {m['rss_mib']:5.0f} MiB (floor {m['floor_mib']:3.0f})  S3 server CPU {m['server_cpu']:6.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,100,1024", help="MiB, on the moto server")
    parser.add_argument("--sink-mib", type=int, default=5120, help="MiB against the sink (0: skip)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    base_env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "UPLOAD_BUCKET": BUCKET,
    }
    import boto3

    with tempfile.TemporaryDirectory(prefix="bench-promote-") as tmp:
        proc, url = start_moto()
        try:
            s3 = boto3.client(
                "s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="b", aws_secret_access_key="b"
            )
            s3.create_bucket(Bucket=BUCKET)
            env = {**base_env, "AWS_ENDPOINT_URL_S3": url}
            print(f"moto server {url}; medians of {args.runs} fresh processes each")
            for mib in [int(x) for x in args.sizes.split(",") if x]:
                size = mib * MiB
                path = Path(tmp) / f"spool-{mib}"
                digest = make_spool(path, size)
                env["DIGEST"] = digest
                s3.upload_file(str(path), BUCKET, f"incoming/{UPLOAD_ID}")
                print(f"{mib} MiB")
                copy = measure("copy", path, size, env, args.runs, proc.pid)
                spool = measure("spool", path, size, env, args.runs, proc.pid)
                sha = measure("sha256", path, size, env, args.runs, None)
                show("copy in S3 (before)", size, copy)
                show("write from spool (now)", size, spool)
                show("SHA-256 of the spool", size, sha)
                print(
                    f"  ratio spool/copy: wall {spool['wall'] / copy['wall']:.1f}x, "
                    f"validator CPU {spool['cpu'] / max(copy['cpu'], 1e-9):.0f}x"
                )
                for key in [f"incoming/{UPLOAD_ID}", f"files/{UPLOAD_ID}"]:
                    s3.delete_object(Bucket=BUCKET, Key=key)
                s3.delete_object(Bucket=BUCKET, Key=f"files/{UPLOAD_ID}/{digest}")
                path.unlink()
        finally:
            proc.terminate()
            proc.wait()

        if args.sink_mib:
            server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            size = args.sink_mib * MiB
            path = Path(tmp) / "spool-sink"
            env = {
                **base_env,
                "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{server.server_port}",
                "DIGEST": make_spool(path, size),
            }
            print(f"{args.sink_mib} MiB against a sink (S3's side does nothing; a copy there measures nothing)")
            show("write from spool (now)", size, measure("spool", path, size, env, 1, None))
            show("SHA-256 of the spool", size, measure("sha256", path, size, env, 1, None))
            server.shutdown()


if __name__ == "__main__":
    main()
