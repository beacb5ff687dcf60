"""Large-file benchmark, printed as figures and ratios in one run (`make bench-large`).

Against one local moto S3 server (its own process), with the API served as on AWS:
HTTP -> API Gateway payload 2.0 event -> handler.api, and the validator fed each object
that lands. It measures, for a file of --size bytes (default 1 GiB):
- the CLI's upload time vs boto3's managed `upload_file` to the same S3 (goal >= 0.9x);
- the CLI's peak RSS (it streams: it should not grow with the file);
- the bytes that passed through handler.api during the CLI's upload (goal: only the
  small JSON requests, never the file).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BUCKET = "bench-large"
MiB = 1024 * 1024

# Runs `python ARGS` and prints its peak RSS (KiB): the only child of this wrapper is that process.
RSS_WRAPPER = (
    "import resource, subprocess, sys; rc = subprocess.call([sys.executable, *sys.argv[1:]]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(rc)"
)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class S3Server:
    """moto's S3 server in its own process, started fresh (same port) for every run, so
    that no run pays for the memory an earlier one left behind."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def fresh(self) -> None:
        self.stop()
        self.proc = start_s3(self.port)
        import boto3

        boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        ).create_bucket(Bucket=BUCKET)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait()
            self.proc = None


def start_s3(port: int) -> subprocess.Popen:
    # Objects in memory: moto spills anything over 5 MiB to temporary files otherwise, and
    # the disk's writeback then decides the figures more than either client does.
    env = {**os.environ, "MOTO_S3_DEFAULT_KEY_BUFFER_SIZE": str(4 * 1024 * MiB)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1)
            return proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("moto server did not start")


def make_file(path: Path, size: int) -> None:
    """A PDF header, then random bytes (nothing compresses, nothing is cached by content)."""
    with open(path, "wb") as f:
        head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + b"\n" * (64 * 1024)
        f.write(head)
        left = size - len(head)
        block = os.urandom(8 * MiB)
        while left > 0:
            f.write(block[: min(left, len(block))])
            left -= len(block)
            block = block[1:] + block[:1]  # parts differ, cheaply


class Gateway:
    """HTTP -> API Gateway HTTP API (payload 2.0) event -> handler.api; counts the bytes."""

    def __init__(self, api):
        self.api, self.bytes_in, self.bytes_out, self.requests = api, 0, 0, 0
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        event = {
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": environ["PATH_INFO"],
            "rawQueryString": environ.get("QUERY_STRING", ""),
            "headers": headers,
            "requestContext": {
                "stage": "$default",
                "http": {"method": environ["REQUEST_METHOD"], "path": environ["PATH_INFO"], "sourceIp": "127.0.0.1"},
            },
            "body": base64.b64encode(body).decode(),
            "isBase64Encoded": True,
        }
        answer = self.api(event, None)
        out = answer.get("body") or ""
        out = base64.b64decode(out) if answer.get("isBase64Encoded") else out.encode()
        with self.lock:
            self.bytes_in += len(body)
            self.bytes_out += len(out)
            self.requests += 1
        start_response(f"{answer['statusCode']} X", list((answer.get("headers") or {}).items()))
        return [out]


def serve_api(s3_url: str):
    from werkzeug.serving import make_server

    os.environ.update(
        UPLOAD_BUCKET=BUCKET,
        AWS_ENDPOINT_URL_S3=s3_url,
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_REGION="us-east-1",
    )
    import handler

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("upload_core").setLevel(logging.WARNING)
    gateway = Gateway(handler.api)
    server = make_server("127.0.0.1", 0, gateway, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stop = threading.Event()
    store = handler.app.extensions["upload_store"]

    def notify():  # what the bucket notification does on AWS
        while not stop.wait(0.2):
            with contextlib.suppress(Exception):  # S3 restarting between runs: try again next round
                for obj in store.client.list_objects_v2(Bucket=BUCKET, Prefix="incoming/").get("Contents", []):
                    handler.validate(
                        {
                            "Records": [
                                {
                                    "eventName": "ObjectCreated:CompleteMultipartUpload",
                                    "s3": {
                                        "bucket": {"name": BUCKET},
                                        "object": {"key": obj["Key"], "size": obj["Size"]},
                                    },
                                }
                            ]
                        },
                        None,
                    )

    threading.Thread(target=notify, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", gateway, store, stop


def timed(cmd: list[str], env: dict) -> tuple[float, int, str]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", RSS_WRAPPER, *cmd], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{cmd[:4]} failed: {done.stdout}\n{done.stderr[-2000:]}")
    return elapsed, int(done.stderr.strip().splitlines()[-1]), done.stdout


BOTO3_UPLOAD = (
    "import boto3, sys; boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1')"
    ".upload_file(sys.argv[2], sys.argv[3], 'bench/boto3')"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1024 * MiB)
    parser.add_argument("--repeat", type=int, default=3, help="interleaved runs of each; the median counts")
    args = parser.parse_args()

    moto = S3Server()
    moto.fresh()
    s3_url = moto.url
    work = Path(tempfile.mkdtemp(prefix="bench-large-"))
    try:
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
        api_url, gateway, store, stop = serve_api(s3_url)
        path = work / "large.pdf"
        make_file(path, args.size)
        print(
            f"file: {args.size / MiB:.0f} MiB; S3: moto server (own process, fresh for each run); "
            f"API: handler.api behind an API Gateway v2 adapter; {os.cpu_count()} cores"
        )

        cli_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}  # no credentials

        def boto3_run():
            elapsed, rss, _ = timed(["-c", BOTO3_UPLOAD, s3_url, str(path), BUCKET], env)
            return {"time": elapsed, "rss": rss}

        def cli_run(*extra: str):
            before = (gateway.bytes_in, gateway.bytes_out, gateway.requests)
            elapsed, rss, out = timed(
                [
                    "-m",
                    "upload_cli",
                    api_url,
                    str(path),
                    "-q",
                    "--no-wait",
                    "--json",
                    "--state-dir",
                    str(work / "state"),
                    *extra,
                ],
                cli_env,
            )
            through = (gateway.bytes_in - before[0], gateway.bytes_out - before[1], gateway.requests - before[2])
            upload_id = json.loads(out)[0]["id"]
            waited = time.perf_counter()
            while store.get_record(upload_id).status == "pending" and time.perf_counter() - waited < 300:
                time.sleep(0.1)
            record = store.get_record(upload_id)
            return {
                "time": elapsed,
                "rss": rss,
                "through": through,
                "status": record.status,
                "validated_after": time.perf_counter() - waited,
            }

        variants = {
            "boto3 upload_file": boto3_run,
            "cli": cli_run,
            "cli --no-checksum": lambda: cli_run("--no-checksum"),
            "cli --jobs 8": lambda: cli_run("-j", "8"),
        }
        runs: dict[str, list[dict]] = {label: [] for label in variants}
        order = list(variants.items())
        for round_ in range(args.repeat):  # interleaved and rotated: a slow spell hits all alike
            for label, run in order[round_ % len(order) :] + order[: round_ % len(order)]:
                moto.fresh()
                runs[label].append(run())

        mib = args.size / MiB
        base = statistics.median(r["time"] for r in runs["boto3 upload_file"])
        print(
            f"\nmedian of {args.repeat} interleaved runs each (all times: "
            + "; ".join(f"{label} " + ", ".join(f"{r['time']:.1f}" for r in rs) for label, rs in runs.items())
            + " s)"
        )
        for label, rs in runs.items():
            t = statistics.median(r["time"] for r in rs)
            rss = max(r["rss"] for r in rs)
            print(
                f"{label + ':':<20} {t:6.2f} s  {mib / t:6.1f} MiB/s  peak RSS {rss / 1024:5.1f} MiB"
                f"  ({rss * 1024 / args.size:.3f}x the file)"
            )
            if label == "boto3 upload_file":
                continue
            bin_, bout, reqs = rs[-1]["through"]
            print(
                f"    speed vs boto3 upload_file: {base / t:.2f}x (goal >= 0.90x); "
                f"{rs[-1]['status']} {statistics.median(r['validated_after'] for r in rs):.1f} s after the upload"
            )
            print(
                f"    through handler.api: {reqs} requests, {bin_} bytes in + {bout} bytes out = "
                f"{(bin_ + bout) / 1024:.1f} KiB, {(bin_ + bout) / args.size:.6f}x the file"
            )
        stop.set()
        return 0
    finally:
        moto.stop()
        for f in work.glob("**/*"):
            if f.is_file():
                f.unlink()


if __name__ == "__main__":
    sys.exit(main())
