"""`sls offline` smoke test, run inside the local stack by `make offline-smoke`:

    python -m devstack --api none --s3-port 0 --run python infra/offline_smoke.py

It starts `sls offline` on free ports with the stack's environment (so its function uses
the local S3), then over HTTP: health, an inline upload, and a presigned PUT that the
stack's event pump validates. Exit status 0 when all of it worked.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> int:
    from tests.support import samples

    port, lambda_port = free_port(), free_port()
    env = {**os.environ, "OFFLINE_PORT": str(port), "OFFLINE_LAMBDA_PORT": str(lambda_port)}
    offline = subprocess.Popen(
        [str(ROOT / "node_modules/.bin/sls"), "offline"], cwd=ROOT, env=env, start_new_session=True
    )
    api = f"http://127.0.0.1:{port}"
    checks = []
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if requests.get(f"{api}/healthz", timeout=5).json() == {"status": "ok"}:
                    break
            except requests.RequestException:
                pass
            if offline.poll() is not None or time.monotonic() > deadline:
                print("sls offline did not come up", file=sys.stderr)
                return 1
            time.sleep(0.5)
        checks.append("healthz")

        png = samples.png()
        inline = requests.post(f"{api}/uploads", files={"file": ("photo.png", png)}, timeout=30)
        assert inline.status_code == 201 and inline.json()["status"] == "accepted", inline.text
        checks.append("inline upload accepted")

        issued = requests.post(f"{api}/uploads", json={"filename": "photo.png", "size": len(png)}, timeout=30).json()
        sent = requests.put(issued["upload"]["url"], data=png, headers=issued["upload"]["headers"], timeout=30)
        assert sent.status_code == 200, sent.text
        deadline = time.monotonic() + 20
        status = "pending"
        while status == "pending" and time.monotonic() < deadline:
            time.sleep(0.3)
            status = requests.get(f"{api}/uploads/{issued['id']}", timeout=30).json()["status"]
        assert status == "accepted", status
        checks.append("presigned PUT validated by the local S3's notification")
    finally:
        os.killpg(offline.pid, signal.SIGINT)
        try:
            offline.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(offline.pid, signal.SIGKILL)
    for check in checks:
        print(f"sls offline: {check}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
