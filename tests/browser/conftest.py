"""Browser tests: Debian's Chromium driven by Playwright for Python, against the local stack
started as the README starts it (`python -m devstack`), on free ports.

stack (session: the devstack process, multipart from 5 MiB, two allowed origins)
jwt_stack (session: a second one in AUTH_MODE=jwt, with a token for sub alice)
  -> stack_s3 (boto3 on the stack's S3) -> bucket_cors (restores the bucket's CORS after a test)
uppy_site (session: the Uppy harness, bundled by esbuild, served from a third origin)
browser (session: Chromium) -> context (per test: fresh, downloads kept) -> page

Everything stays on 127.0.0.1. Missing Chromium, Playwright or node_modules fail with the
command that installs them (`make browser-deps`), never a skip.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.support.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
HARNESS = Path(__file__).parent / "uppy"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MiB = 1024 * 1024
MULTIPART_THRESHOLD = 5 * MiB


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.browser)


@dataclass(frozen=True)
class Stack:
    api: str  # http://127.0.0.1:PORT, where the page is served
    s3: str  # the local S3 endpoint the presigned URLs point at
    bucket: str
    harness_origin: str  # the one other origin allowed to call the API and the bucket
    token: str | None = None  # AUTH_MODE=jwt: a bearer token the local issuer minted

    def status(self, upload_id: str) -> dict:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return requests.get(f"{self.api}/uploads/{upload_id}", headers=headers, timeout=10).json()

    def wait_decided(self, upload_id: str, timeout: float = 30) -> dict:
        """The upload once the validator has decided (the pump feeds it S3's events)."""
        deadline = time.monotonic() + timeout
        while True:
            upload = self.status(upload_id)
            if upload.get("status") != "pending" or time.monotonic() > deadline:
                return upload
            time.sleep(0.2)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def stack(artifacts):
    """The local stack as `make dev` runs it, with a lowered multipart threshold and CORS
    limited to the page's own origin and the Uppy harness's origin."""
    harness = f"http://127.0.0.1:{free_port()}"
    with _running_stack(artifacts, harness, "devstack.log") as running:
        yield running


@pytest.fixture(scope="session")
def jwt_stack(artifacts, stack):
    """A second local stack as `make dev AUTH=jwt` runs it (the local gateway verifies
    bearer tokens), allowing the same Uppy harness origin; `token` is one for sub alice."""
    with _running_stack(artifacts, stack.harness_origin, "devstack-jwt.log", "--auth", "jwt") as running:
        token = requests.get(f"{running.api}/_local/token?sub=alice", timeout=10).json()["token"]
        yield Stack(running.api, running.s3, running.bucket, running.harness_origin, token)


@contextmanager
def _running_stack(artifacts: Path, harness: str, log_name: str, *extra: str):
    api_port, s3_port = free_port(), free_port()
    api = f"http://127.0.0.1:{api_port}"
    env = {
        **os.environ,
        "MULTIPART_THRESHOLD_BYTES": str(MULTIPART_THRESHOLD),
        "CORS_ALLOWED_ORIGINS": f"{api},{harness}",
        "UPLOAD_BUCKET": "uploads-browser",
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AUTH_MODE"):
        env.pop(name, None)
    log = (artifacts / log_name).open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack", "--port", str(api_port), "--s3-port", str(s3_port), *extra],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_up(f"{api}/healthz", process, artifacts / log_name)
        yield Stack(api=api, s3=f"http://127.0.0.1:{s3_port}", bucket="uploads-browser", harness_origin=harness)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the local stack exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    pytest.fail(f"the local stack did not answer {url} within {timeout} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def stack_s3(stack):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=stack.s3,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


@pytest.fixture
def bucket_cors(stack, stack_s3):
    """Put a different CORS configuration on the bucket for one test; the bucket's own
    one (from infra/bucket.json) is back afterwards."""
    original = stack_s3.get_bucket_cors(Bucket=stack.bucket)["CORSRules"]

    def put(**changes):
        rule = {**original[0], **changes}
        rule = {k: v for k, v in rule.items() if v is not None}
        stack_s3.put_bucket_cors(Bucket=stack.bucket, CORSConfiguration={"CORSRules": [rule]})

    yield put
    stack_s3.put_bucket_cors(Bucket=stack.bucket, CORSConfiguration={"CORSRules": original})


@pytest.fixture(scope="session")
def uppy_site(stack, artifacts):
    """The Uppy harness (tests/browser/uppy), bundled from node_modules by esbuild and
    served on the one other origin the stack allows: `harness_origin/index.html`."""
    esbuild = ROOT / "node_modules" / ".bin" / "esbuild"
    if not (ROOT / "node_modules" / "@uppy" / "aws-s3").is_dir() or not esbuild.exists():
        pytest.fail("node_modules lacks @uppy/aws-s3 or esbuild: run `make browser-deps` (npm ci)")
    site = artifacts / "uppy-site"
    site.mkdir(exist_ok=True)
    shutil.copy(HARNESS / "index.html", site / "index.html")
    subprocess.run(
        [
            str(esbuild),
            str(HARNESS / "entry.js"),
            "--bundle",
            "--format=esm",
            "--log-level=warning",
            f"--outfile={site / 'uppy-bundle.js'}",
        ],
        cwd=ROOT,
        check=True,
    )
    port = int(stack.harness_origin.rsplit(":", 1)[1])
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield stack.harness_origin
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright for Python is missing: run `make browser-deps`")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `make browser-deps` (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser):
    """A fresh profile per test (no cache, cookies or CORS preflight cache carried over)."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1000, "height": 800})
    context.set_default_timeout(30_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    """A tab that records uncaught script errors (page.js_errors) and every Content-Security-
    Policy violation (window.cspViolations), so a page blocked by its own CSP fails a test."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    page.add_init_script(
        "window.cspViolations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    return page
