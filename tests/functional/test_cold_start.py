"""Importing handler must not touch the network (a Lambda cold start, tests setting env first)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, socket
def refuse(*a, **k):
    raise AssertionError("network touched during import or healthz")
socket.socket.connect = refuse
socket.create_connection = refuse
import handler
event = json.load(open("tests/events/api_v2_healthz.json"))
print(json.dumps(handler.api(event, None)))
"""


def run(env_extra: dict) -> subprocess.CompletedProcess:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_import_and_healthz_touch_no_network():
    result = run({"UPLOAD_BUCKET": "b", "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9"})
    assert result.returncode == 0, result.stderr
    response = json.loads(result.stdout.strip().splitlines()[-1])
    assert response["statusCode"] == 200


def test_a_missing_bucket_fails_at_import_naming_the_variable():
    result = run({})
    assert result.returncode != 0
    assert "UPLOAD_BUCKET" in result.stderr
