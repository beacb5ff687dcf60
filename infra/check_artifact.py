"""Prove the Lambda artifact is what it should be: small, without development files, and
able to sniff files with the libmagic it carries, with no system libmagic involved.

    python infra/check_artifact.py .serverless/upload-service.zip

It unpacks the zip into an empty directory and runs a Python that sees only that
directory and the standard library (-I -S: no site-packages, no PYTHONPATH), with
ctypes.util.find_library disabled so no system libmagic can be found by name. That
Python sniffs a real PNG and DOCX through the service's own rules, and reads
/proc/self/maps to show which libmagic.so it mapped. Lambda's Python 3.12 is used when
this machine has one (ARTIFACT_PYTHON, python3.12, pyenv's 3.12); otherwise the running Python.

Then it runs the handlers from the zip alone, as Lambda gets them (infra/artifact_lambda.py,
same isolated interpreter): against a local S3 (devstack's, as strict as S3) it makes an
inline upload, a presigned upload that handler.validate decides, its download, a sweep, and
imports every module the packaged code imports anywhere (on first use too: inspectors,
telemetry, scanners, tracing). A package that imports here but not from the zip fails.
Last, with MALWARE_SCANNER=clamd and nothing listening at CLAMD_ADDRESS, an inline upload
through handler.api from the zip answers 503 scanner_unavailable, never 500 (issue 21).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

GOAL_BYTES = 30 * 1024 * 1024
KNOWN_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FORBIDDEN = ("devstack/", "tests/", "node_modules/", ".venv/", "bench/", "infra/", ".serverless/")
REQUIRED = (
    "handler.py",
    "upload_core/inspect/sniff.py",
    "pylibmagic/libmagic.so.1",
    "pylibmagic/magic.mgc",
    "magic/__init__.py",
    "serverless_wsgi.py",
    "flask/__init__.py",
)

PROBE = r"""
import ctypes.util, json, sys
sys.path.insert(0, sys.argv[1])
ctypes.util.find_library = lambda name: None   # no system library found by name
from upload_core.config import Config
from upload_core.inspect.rules import Sample, check_content
from upload_core.inspect.sniff import libmagic_version
config = Config(bucket="artifact-check")
found = {name: check_content(name, Sample.of_bytes(open(path, "rb").read()), config)
         for name, path in json.loads(sys.argv[2]).items()}
maps = sorted({line.split()[-1] for line in open("/proc/self/maps") if "libmagic" in line})
print(json.dumps({"python": sys.version.split()[0], "libmagic": libmagic_version(), "types": found,
                  "libmagic_mapped": maps, "magic_module": __import__("magic").__file__}))
"""


# An inline upload through handler.api with MALWARE_SCANNER=clamd and nothing listening at
# CLAMD_ADDRESS: the clamd client must load from the slimmed zip and answer 503
# scanner_unavailable (clamav-client read its version from stripped package metadata: 500).
SCANNER_PROBE = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import handler
answer = handler.api(json.load(open(sys.argv[2])), None)
print(json.dumps({"status": answer["statusCode"], "body": json.loads(answer["body"])}))
"""


def check_scanner_from_artifact(task: Path, python: str) -> list[str]:
    """With clamd chosen and unreachable, an inline upload from the artifact answers 503
    scanner_unavailable, never 500 (README "Malware scanning")."""
    import socket

    from tests.support import samples
    from tests.support.helpers import form_body, v2_post

    with socket.socket() as probe:  # a free port: nothing listens there
        probe.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{probe.getsockname()[1]}"
    event = task.parent / "inline-upload-event.json"
    event.write_text(json.dumps(v2_post(*form_body("photo.png", samples.png()))))
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "UPLOAD_BUCKET": "artifact-check",
        "AWS_REGION": "us-east-1",
        "MALWARE_SCANNER": "clamd",
        "CLAMD_ADDRESS": address,
    }
    run = subprocess.run(
        [python, "-I", "-S", "-c", SCANNER_PROBE, str(task), str(event)],
        capture_output=True,
        text=True,
        cwd=task.parent,
        env=env,
        timeout=120,
    )
    if run.returncode != 0:
        return [f"an inline upload with clamd unreachable failed in the artifact:\n{run.stderr[-3000:]}"]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    code = result["body"].get("error", {}).get("code")
    print(f"  clamd unreachable at {address}: inline upload answers {result['status']} {code}")
    if (result["status"], code) != (503, "scanner_unavailable"):
        return [f"clamd unreachable: an inline upload answered {result['status']} {code}, not 503 scanner_unavailable"]
    return []


def lambda_python() -> str:
    candidates = [
        os.environ.get("ARTIFACT_PYTHON"),
        shutil.which("python3.12"),
        *sorted(str(p) for p in Path.home().glob(".pyenv/versions/3.12*/bin/python3.12")),
    ]
    for candidate in filter(None, candidates):
        try:
            out = subprocess.run(
                [candidate, "-I", "-S", "-c", "import sys; print(sys.version_info[:2])"],
                capture_output=True,
                text=True,
                timeout=30,
            )
        except OSError:
            continue
        if out.returncode == 0 and out.stdout.strip() == "(3, 12)":
            return candidate
    return sys.executable


def run_as_lambda(python: str, work: Path, files: dict[str, bytes]) -> list[str]:
    """The handlers from the unpacked zip alone against a local S3; what went wrong."""
    repo = Path(__file__).resolve().parents[1]
    from devstack import s3 as local_s3
    from tests.support import corpus

    events = work / "events"
    events.mkdir()
    for name in ("api_v2_post_uploads.json", "s3_object_created.json"):
        shutil.copy(repo / "tests" / "events" / name, events / name)
    (events / "photo.jpg").write_bytes(corpus.jpeg(300_000))
    (events / "paper.pdf").write_bytes(files["paper.pdf"])
    server = local_s3.start_server("127.0.0.1", 0)
    try:
        bucket = "artifact-check"
        local_s3.client("s3", server.endpoint).create_bucket(Bucket=bucket)
        env = {
            "PATH": "/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "UPLOAD_BUCKET": bucket,
            "AWS_ENDPOINT_URL_S3": server.endpoint,
            "AWS_ACCESS_KEY_ID": local_s3.ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": local_s3.SECRET_KEY,
            "AWS_REGION": local_s3.REGION,
            "CORS_ALLOWED_ORIGINS": "https://app.example.com",
        }
        run = subprocess.run(
            [python, "-I", "-S", str(repo / "infra" / "artifact_lambda.py"), str(work / "task"), str(events)],
            capture_output=True,
            text=True,
            cwd=work,
            env=env,
            timeout=300,
        )
    finally:
        server.stop()
    if run.returncode != 0:
        return [f"the handlers did not run from the artifact:\n{run.stderr[-4000:]}"]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    print(
        f"artifact runs as Lambda (Python {result['python']}, no site-packages): inline {result['inline']}, "
        f"presigned {result['presigned']} ({result['validate']}), content {result['content']}, "
        f"sweep {result['sweep']}, {result['imported']} modules imported"
    )
    problems = [f"cannot import {name} from the artifact: {why}" for name, why in result["import_failures"].items()]
    expected = {"inline": [201, "accepted"], "presigned": "accepted", "content": 303}
    problems += [f"{k}: {result[k]!r}, expected {v!r}" for k, v in expected.items() if result[k] != v]
    if result["site_packages"] or result["loaded_from_outside"]:
        problems.append(
            f"code loaded from outside the artifact: {result['site_packages'] + result['loaded_from_outside']}"
        )
    return problems


def main(zip_path: str) -> int:
    size = os.path.getsize(zip_path)
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
        unpacked = sum(i.file_size for i in archive.infolist())
        bad = [n for n in names if n.startswith(FORBIDDEN)]
        missing = [n for n in REQUIRED if n not in names]
        work = Path(tempfile.mkdtemp(prefix="artifact-"))
        archive.extractall(work / "task")
    print(
        f"artifact: {zip_path}: {size / 2**20:.1f} MiB zipped, {unpacked / 2**20:.1f} MiB unpacked, "
        f"{len(names)} files (goal: under {GOAL_BYTES // 2**20} MiB)"
    )
    problems = [f"development file in the artifact: {n}" for n in bad[:10]]
    problems += [f"missing from the artifact: {n}" for n in missing]
    if size > GOAL_BYTES:
        problems.append(f"artifact is {size} bytes, over the {GOAL_BYTES} goal")
    try:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from tests.support import samples

        # The PDF proves the PDF inspector (inspect/pdf/, pure Python) works from the artifact.
        files = {"photo.png": samples.png(), "report.docx": samples.docx(), "paper.pdf": samples.pdf()}
        paths = {}
        for name, data in files.items():
            (work / name).write_bytes(data)
            paths[name] = str(work / name)
        python = lambda_python()
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
        run = subprocess.run(
            [python, "-I", "-S", "-c", PROBE, str(work / "task"), json.dumps(paths)],
            capture_output=True,
            text=True,
            cwd=work,
            env=env,
            timeout=120,
        )
        if run.returncode != 0:
            problems.append(f"sniffing from the artifact failed:\n{run.stderr[-3000:]}")
        else:
            result = json.loads(run.stdout.strip().splitlines()[-1])
            print(f"artifact sniffs with {python} (Python {result['python']}), libmagic {result['libmagic']}:")
            for name, mime in result["types"].items():
                print(f"  {name}: {mime}")
            print(f"  libmagic mapped from: {', '.join(result['libmagic_mapped'])}")
            task = str(work / "task")
            if not result["libmagic_mapped"] or not all(p.startswith(task) for p in result["libmagic_mapped"]):
                problems.append(f"libmagic did not come from the artifact: {result['libmagic_mapped']}")
            if not result["magic_module"].startswith(task):
                problems.append(f"python-magic did not come from the artifact: {result['magic_module']}")
            if result["types"] != {"photo.png": "image/png", "report.docx": KNOWN_DOCX, "paper.pdf": "application/pdf"}:
                problems.append(f"unexpected types: {result['types']}")
        problems += run_as_lambda(python, work, files)
        problems += check_scanner_from_artifact(work / "task", python)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    if not problems:
        print("artifact OK")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ".serverless/upload-service.zip"))
