"""`make dev --webhook URL` as an app developer meets it: each decision is posted to the
URL with the secret header and shown in the console; the console shows readable lines,
the JSON lines are kept in a file, and --json-logs prints them raw."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.support import samples

from .conftest import start_stack


class Receiver(ThreadingHTTPServer):
    """The developer's app: records each webhook call, answers 204."""

    def __init__(self):
        self.calls: list[tuple[dict, dict]] = []
        outer = self

        class Handle(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.calls.append((dict(self.headers), json.loads(body)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handle)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/uploads"

    def wait_for(self, count: int, timeout: float = 10) -> list[tuple[dict, dict]]:
        deadline = time.monotonic() + timeout
        while len(self.calls) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.calls


@pytest.fixture(scope="module")
def receiver():
    server = Receiver()
    yield server
    server.shutdown()


@pytest.fixture(scope="module")
def stack(tmp_path_factory, receiver):
    data = tmp_path_factory.mktemp("data")
    running = start_stack(
        tmp_path_factory.mktemp("stack"),
        "--webhook",
        receiver.url,
        "--webhook-secret",
        "s3cret",
        "--data-dir",
        str(data),
    )
    running.data_dir = data
    yield running
    assert running.stop() == 0, running.output()


def test_each_decision_reaches_the_webhook_with_the_secret_and_the_console(stack, receiver):
    accepted = requests.post(f"{stack.api}/uploads", files={"file": ("photo.png", samples.png())}, timeout=10).json()
    pdf = samples.pdf_with_javascript()
    issued = requests.post(f"{stack.api}/uploads", json={"filename": "paper.pdf", "size": len(pdf)}, timeout=5).json()
    put = requests.put(issued["upload"]["url"], data=pdf, headers=issued["upload"]["headers"], timeout=10)
    assert put.status_code == 200
    calls = receiver.wait_for(2)
    by_id = {event["detail"]["id"]: (headers, event) for headers, event in calls}
    assert set(by_id) == {accepted["id"], issued["id"]}
    for headers, event in calls:
        assert headers["X-Upload-Webhook-Secret"] == "s3cret"
        assert event["source"] == "upload-service"
    assert by_id[accepted["id"]][1]["detail-type"] == "Upload Accepted"
    rejected = by_id[issued["id"]][1]
    assert rejected["detail-type"] == "Upload Rejected"
    assert rejected["detail"]["reason"]["code"] == "unsafe_content"

    deadline = time.monotonic() + 5
    # The watcher's line, not notify.py's "event Upload Rejected sent for ...", which comes first.
    while "(unsafe_content) -> webhook" not in stack.output() and time.monotonic() < deadline:
        time.sleep(0.1)
    console = stack.output()
    assert f"event Upload Accepted {accepted['id']} 'photo.png' -> webhook 204" in console
    assert f"event Upload Rejected {issued['id']} 'paper.pdf' (unsafe_content) -> webhook 204" in console


def test_the_console_is_readable_and_the_json_is_kept(stack):
    upload = requests.post(f"{stack.api}/uploads", files={"file": ("kept.png", samples.png())}, timeout=10).json()
    time.sleep(0.5)
    console = stack.output()
    [line] = [x for x in console.splitlines() if f"accepted {upload['id']} inline" in x]
    assert line.split(" ", 1)[1].startswith("upload_core.flows.inline: accepted")  # after the time
    assert '"_aws"' not in console and '{"level"' not in console
    records = [json.loads(x) for x in (stack.data_dir / "logs.jsonl").read_text().splitlines()]
    [kept] = [r for r in records if r.get("message", "").startswith(f"accepted {upload['id']}")]
    assert kept["upload_id"] == upload["id"]
    assert kept["correlation_id"]  # the gateway's request id
    metrics = [r for r in records if "_aws" in r and "UploadsAccepted" in r]
    assert metrics and metrics[-1]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "UploadService"


def test_json_logs_prints_the_raw_lines(tmp_path):
    stack = start_stack(tmp_path, "--json-logs")
    try:
        upload = requests.post(f"{stack.api}/uploads", files={"file": ("raw.png", samples.png())}, timeout=10).json()
        time.sleep(0.5)
        raw = [json.loads(x) for x in stack.output().splitlines() if x.startswith("{")]
        assert any(r.get("upload_id") == upload["id"] and r["message"].startswith("accepted") for r in raw)
    finally:
        assert stack.stop() == 0, stack.output()
