"""Core benchmark: Lambda cold start, a warm inline upload, and what the validator reads and holds.

Prints figures and ratios in one run (nothing is asserted):
- cold start: `import handler` plus the first request, in a fresh process, against
  importing the dependencies alone (the floor); medians of several runs;
- inline: a 1 MiB noise JPEG through a warm `handler.api` against a bare Flask +
  serverless-wsgi app that only PUTs the same file to the same S3 (moto server);
  interleaved requests, medians (goal: at most 1.3x);
- validator: bytes read and peak RSS on a 1 MiB and a 1 GiB object (PNG and DOCX) in a
  moto S3 server, each validation in a fresh process.

    make bench            # or: .venv/bin/python bench/bench_core.py [--runs 7] [--big-mib 1024]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable

FLOOR = "import flask, serverless_wsgi, boto3"
FLOOR_WITH_MAGIC = FLOOR + "; import pylibmagic, magic; magic.Magic(mime=True)"
# What the functions import from Powertools (telemetry.py): its logging and metrics modules.
FLOOR_WITH_POWERTOOLS = FLOOR + (
    "; import aws_lambda_powertools.logging.logger, aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch"
)
COLD = """
import json
import handler
event = json.load(open('tests/events/api_v2_healthz.json'))
assert handler.api(event, None)['statusCode'] == 200
"""
COLD_UPLOAD = """
import base64, json, sys
import handler
png = open(sys.argv[1], 'rb').read()
b = 'BENCHb'
head = f'--{b}\\r\\nContent-Disposition: form-data; name="file"; filename="p.png"\\r\\n\\r\\n'
body = head.encode() + png + f'\\r\\n--{b}--\\r\\n'.encode()
event = json.load(open('tests/events/api_v2_healthz.json'))
event.update(rawPath='/uploads', body=base64.b64encode(body).decode(), isBase64Encoded=True)
event['requestContext']['http'].update(method='POST', path='/uploads')
event['headers']['content-type'] = f'multipart/form-data; boundary={b}'
r = handler.api(event, None)
assert r['statusCode'] == 201, r
"""
# The validate function's cold start: it must not pay for Flask. The event names an
# object nobody issued, so the run makes the S3 client and one GET, then skips it.
COLD_VALIDATE = """
import json, sys
import handler
event = json.load(open('tests/events/s3_object_created.json'))
event['Records'][0]['s3']['bucket']['name'] = sys.argv[1]
event['Records'][0]['s3']['object']['key'] = 'incoming/AAAAAAAAAAAAAAAAAAAAAA'
assert handler.validate(event, None)['skipped'] == 1
assert 'flask' not in sys.modules
"""
FLOOR_VALIDATE = "import boto3"
# VmHWM, not ru_maxrss: Linux keeps ru_maxrss across fork+exec, so a child would report
# the parent's peak; VmHWM belongs to the new process image alone.
PEAK_RSS = """
def peak_rss_kib():
    for line in open('/proc/self/status'):
        if line.startswith('VmHWM:'):
            return int(line.split()[1])
"""
VALIDATE = (
    PEAK_RSS
    + """
import json, sys, time
import handler
event = json.loads(sys.argv[1])
store = handler.store
t = time.perf_counter()
summary = handler.validate(event, None)
elapsed = time.perf_counter() - t
print(json.dumps({'summary': summary, 'bytes_read': store.bytes_read, 'seconds': elapsed,
                  'peak_rss_kib': peak_rss_kib()}))
"""
)


INLINE = """
import base64, json, statistics, sys, time
import boto3, flask, serverless_wsgi
import handler

data = open(sys.argv[1], 'rb').read()
runs = int(sys.argv[2])
b = '----BENCHboundary7MA4YWxk'
body = (f'--{b}\\r\\nContent-Disposition: form-data; name="file"; filename="IMG_2041.jpg"\\r\\n'
        'Content-Type: image/jpeg\\r\\n\\r\\n').encode() + data + f'\\r\\n--{b}--\\r\\n'.encode()
event = json.load(open('tests/events/api_v2_healthz.json'))
event.update(rawPath='/uploads', body=base64.b64encode(body).decode(), isBase64Encoded=True)
event['requestContext']['http'].update(method='POST', path='/uploads')
event['headers']['content-type'] = f'multipart/form-data; boundary={b}'

bare = flask.Flask('bare')
s3 = boto3.client('s3')
bucket = handler.app.extensions['upload_config'].bucket

@bare.post('/uploads')
def put():
    part = flask.request.files['file']
    s3.put_object(Bucket=bucket, Key='bare/' + str(time.perf_counter_ns()), Body=part.read(), ContentType='image/jpeg')
    return {'ok': True}, 201

def once(call):
    t = time.perf_counter()
    response = call()
    assert response['statusCode'] == 201, response
    return time.perf_counter() - t

ours = lambda: handler.api(event, None)
theirs = lambda: serverless_wsgi.handle_request(bare, event, None)
for _ in range(3):
    once(ours), once(theirs)
times = {'ours': [], 'bare': []}
for _ in range(runs):
    times['ours'].append(once(ours))
    times['bare'].append(once(theirs))
print(json.dumps({k: statistics.median(v) for k, v in times.items()}))
"""


def timed(code: str, env: dict, *args: str) -> float:
    return timed_both(code, env, *args)[0]


def timed_both(code: str, env: dict, *args: str) -> tuple[float, float]:
    """Wall time, and the child's CPU time (user + system): on a machine shared with
    other work the CPU time moves far less than the wall time."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([PY, "-c", code, *args], cwd=ROOT, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def interleaved_cpu(runs: int, cases: list[tuple[str, dict]]) -> list[float]:
    """Median CPU time of each case, the cases run in turn so that load drifts hit all alike."""
    for code, env in cases:
        timed_both(code, env)
    samples: list[list[float]] = [[] for _ in cases]
    for _ in range(runs):
        for i, (code, env) in enumerate(cases):
            samples[i].append(timed_both(code, env)[1])
    return [statistics.median(x) for x in samples]


def median_of(runs: int, code: str, env: dict, *args: str) -> float:
    timed(code, env, *args)  # warm the OS file cache once; every measured run is a fresh process
    return statistics.median(timed(code, env, *args) for _ in range(runs))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [str(Path(PY).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, url
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("moto_server did not start")


def make_png(path: Path, size: int) -> None:
    """A PNG of `size` bytes that passes inspection: IHDR (4096 x 4096, under the default
    MAX_IMAGE_PIXELS), IDAT chunks of random bytes (compressed pixels are not inflated),
    IEND. Zero padding after IEND would be refused as trailing_data."""
    from bench_inspect import _png_chunk

    with open(path, "wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 4096, 4096, 8, 2, 0, 0, 0)))
        left = size - out.tell() - 12
        while left > 12:
            n = min(1 << 20, left - 12)
            out.write(_png_chunk(b"IDAT", os.urandom(n)))
            left -= n + 12
        out.write(_png_chunk(b"IEND", b""))


def make_docx(path: Path, size: int) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.support import samples

    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as out,
        zipfile.ZipFile(__import__("io").BytesIO(samples.docx())) as src,
    ):
        for item in src.infolist():
            out.writestr(item.filename, src.read(item.filename))
        remaining = max(0, size - path.stat().st_size - 200)
        with out.open(zipfile.ZipInfo("word/media/padding.bin"), "w", force_zip64=True) as f:
            chunk = os.urandom(1 << 20)
            while remaining > 0:
                f.write(chunk[: min(len(chunk), remaining)])
                remaining -= len(chunk)


def bench_cold_start(runs: int, env: dict, png: Path) -> None:
    floor = median_of(runs, FLOOR, env)
    floor_magic = median_of(runs, FLOOR_WITH_MAGIC, env)
    floor_powertools = median_of(runs, FLOOR_WITH_POWERTOOLS, env)
    # As on Lambda: the runtime sets the function name, so handler.py sets up JSON logging.
    on_lambda = {**env, "AWS_LAMBDA_FUNCTION_NAME": "api"}
    cold = median_of(runs, COLD, on_lambda)
    cold_upload = median_of(runs, COLD_UPLOAD, on_lambda, str(png))
    interp = median_of(runs, "pass", env)
    cold_validate = median_of(runs, COLD_VALIDATE, env, env["UPLOAD_BUCKET"])
    floor_validate = median_of(runs, FLOOR_VALIDATE, env)
    print("Cold start (fresh process each run, median of %d, interpreter start included)" % runs)
    print(f"  python -c pass                                 {interp * 1000:8.1f} ms")
    print(f"  floor: import flask, serverless_wsgi, boto3    {floor * 1000:8.1f} ms")
    print(f"  floor + libmagic loaded                        {floor_magic * 1000:8.1f} ms")
    print(
        f"  floor + Powertools logging and metrics         {floor_powertools * 1000:8.1f} ms   "
        f"+{(floor_powertools - floor) * 1000:.1f} ms"
    )
    print(
        f"  import handler + first request (GET /healthz)  {cold * 1000:8.1f} ms   "
        f"ratio to floor {cold / floor:.2f}x (goal <= 0.8x; JSON logging on, as on Lambda)"
    )
    print(
        f"  import handler + first inline upload to S3     {cold_upload * 1000:8.1f} ms   "
        f"ratio to floor + libmagic {cold_upload / floor_magic:.2f}x (includes boto3 client, PUTs)"
    )
    print(f"  floor for the validator: import boto3          {floor_validate * 1000:8.1f} ms")
    print(
        f"  import handler + first validate (S3 GET)       {cold_validate * 1000:8.1f} ms   "
        f"ratio to import boto3 {cold_validate / floor_validate:.2f}x (no Flask loaded)"
    )
    cpu_floor, cpu_powertools, cpu_cold = interleaved_cpu(
        runs * 2, [(FLOOR, env), (FLOOR_WITH_POWERTOOLS, env), (COLD, on_lambda)]
    )
    print(f"CPU time (user + system, median of {runs * 2} interleaved runs)")
    print(f"  floor                                          {cpu_floor * 1000:8.1f} ms")
    print(f"  floor + Powertools logging and metrics         {cpu_powertools * 1000:8.1f} ms")
    print(
        f"  import handler + first request (GET /healthz)  {cpu_cold * 1000:8.1f} ms   "
        f"ratio to floor {cpu_cold / cpu_floor:.2f}x (goal <= 0.8x)"
    )


def bench_inline(env: dict, tmp: Path, runs: int) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.support import photos

    path = tmp / "inline.jpg"
    path.write_bytes(photos.jpeg(1 << 20))
    out = subprocess.run(
        [PY, "-c", INLINE, str(path), str(runs)], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    ours, bare = result["ours"], result["bare"]
    print(f"\nInline upload, 1 MiB noise JPEG, warm, interleaved, median of {runs}")
    print(f"  bare Flask + serverless-wsgi, one put_object    {bare * 1000:8.1f} ms")
    print(
        f"  handler.api (parse, sniff, scan, file + record) {ours * 1000:8.1f} ms   "
        f"ratio {ours / bare:.2f}x (goal <= 1.3x)"
    )


def bench_validator(env: dict, tmp: Path, big_mib: int, s3) -> None:
    for name in (
        "AWS_ENDPOINT_URL_S3",
        "UPLOAD_BUCKET",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_DEFAULT_REGION",
    ):
        os.environ[name] = env[name]
    sys.path.insert(0, str(ROOT))
    from upload_core.http import create_app

    client = create_app().test_client()
    bucket = env["UPLOAD_BUCKET"]
    rows = []
    for kind, maker in (("png", make_png), ("docx", make_docx)):
        for size in (1 << 20, big_mib << 20):
            path = tmp / f"bench.{kind}"
            maker(path, size)
            actual = path.stat().st_size
            body = client.post("/uploads", json={"filename": f"bench.{kind}", "size": actual}).get_json()
            s3.upload_file(str(path), bucket, f"incoming/{body['id']}")
            path.unlink()
            event = json.loads(
                (ROOT / "tests/events/s3_object_created.json")
                .read_text()
                .replace("{bucket}", bucket)
                .replace("{key}", f"incoming/{body['id']}")
            )
            out = subprocess.run(
                [PY, "-c", VALIDATE, json.dumps(event)], cwd=ROOT, env=env, check=True, capture_output=True, text=True
            )
            result = json.loads(out.stdout.strip().splitlines()[-1])
            assert result["summary"]["accepted"] == 1, result
            rows.append((kind, actual, result))
            s3.delete_object(Bucket=bucket, Key=f"files/{body['id']}")

    print("\nValidator (fresh process per object; the object sits in a moto S3 server)")
    print(f"  {'type':5} {'object':>12} {'bytes read':>12} {'peak RSS':>10} {'time':>8}")
    for kind, size, r in rows:
        print(f"  {kind:5} {size:>12,} {r['bytes_read']:>12,} {r['peak_rss_kib'] / 1024:>8.1f}MB {r['seconds']:>7.2f}s")
    for kind in ("png", "docx"):
        small, big = [r for k, _, r in rows if k == kind]
        print(
            f"  {kind}: object grew {big_mib}x; bytes read x{big['bytes_read'] / small['bytes_read']:.2f}, "
            f"peak RSS x{big['peak_rss_kib'] / small['peak_rss_kib']:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--big-mib", type=int, default=1024, help="size of the large object (MiB)")
    parser.add_argument("--only-inline", action="store_true", help="only the inline upload ratio")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc, url = start_moto()
    env.update(
        UPLOAD_BUCKET="bench-uploads",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL_S3=url,
    )
    try:
        import boto3

        s3 = boto3.client(
            "s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="bench", aws_secret_access_key="bench"
        )
        s3.create_bucket(Bucket=env["UPLOAD_BUCKET"])
        with tempfile.TemporaryDirectory() as tmp:
            if args.only_inline:
                bench_inline(env, Path(tmp), max(args.runs, 21))
                return
            png = Path(tmp) / "cold.png"
            make_png(png, 4096)
            bench_cold_start(args.runs, env, png)
            bench_inline(env, Path(tmp), max(args.runs, 21))
            bench_validator(env, Path(tmp), args.big_mib, s3)
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
