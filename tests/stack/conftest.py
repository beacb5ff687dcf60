"""The local stack as a user runs it: `python -m devstack` in a subprocess on
free ports, driven over HTTP. Fixtures: stack_factory -> stack (one per module)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.support.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]
ALLOWED_ORIGIN = "https://app.example"


@dataclass
class Stack:
    process: subprocess.Popen
    api: str
    s3: str
    bucket: str
    log: Path

    def output(self) -> str:
        return self.log.read_text("utf-8", errors="replace")

    def stop(self, timeout: float = 20) -> int:
        """Ctrl-C, as a user would; the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=timeout)

    def s3_client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.s3,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def wait_for_status(self, upload_id: str, timeout: float = 10) -> dict:
        """Poll the upload until the validator has decided it."""
        deadline = time.monotonic() + timeout
        while True:
            body = requests.get(f"{self.api}/uploads/{upload_id}", timeout=5).json()
            if body["status"] != "pending" or time.monotonic() > deadline:
                return body
            time.sleep(0.1)


def start_stack(log_dir: Path, *extra: str, env: dict | None = None) -> Stack:
    api_port, s3_port = free_port(), free_port()
    bucket = "uploads-stack-test"
    log = log_dir / f"devstack-{api_port}.log"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    environ.update({"CORS_ALLOWED_ORIGINS": ALLOWED_ORIGIN, "PYTHONUNBUFFERED": "1"}, **(env or {}))
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "devstack",
                "--port",
                str(api_port),
                "--s3-port",
                str(s3_port),
                "--bucket",
                bucket,
                *extra,
            ],
            cwd=ROOT,
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    stack = Stack(process, f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{s3_port}", bucket, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the stack exited with {process.returncode}:\n{stack.output()}")
        try:
            if requests.get(f"{stack.api}/healthz", timeout=1).status_code == 200:
                return stack
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    stack.stop()
    raise AssertionError(f"the stack did not come up:\n{stack.output()}")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    running = start_stack(tmp_path_factory.mktemp("stack"))
    yield running
    assert running.stop() == 0, running.output()
