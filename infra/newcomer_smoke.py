"""The local stack as a newcomer gets it (CI: `make newcomer-smoke`).

A fresh clone of this checkout, `make dev` in it (so its .venv holds requirements-devstack.txt
alone, as on a newcomer's machine), then the README's "Try it" lines and its CLI line run as
written, read from README.md itself so they cannot drift. The only changes to the lines are
the ports (the banner prints them with the real address too: this machine is shared, 8000
may be taken). Fails on any traceback in the stack's log, on a line that fails, on an upload
that is not accepted, and if SIGINT to make's PID does not stop the stack.

    .venv/bin/python infra/newcomer_smoke.py      # from the repository root
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README_API = "http://127.0.0.1:8000"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def readme_lines() -> tuple[list[str], str]:
    """The "Try it" block (its indented lines) and the CLI line, as README.md has them."""
    text = (REPO / "README.md").read_text("utf-8")
    section = text.split("### Try it", 1)[1]
    block = re.search(r"\n\n((?:    .*\n)+)", section).group(1)
    try_it = [line[4:] for line in block.splitlines()]
    [cli] = re.findall(r"^    (\.venv/bin/python -m upload_cli .*?)\s+#", text, re.M)
    return try_it, cli


def run(cmd: str, cwd: Path, env: dict, timeout: float = 300) -> str:
    done = subprocess.run(["bash", "-e", "-c", cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    print(done.stdout + done.stderr, end="")
    if done.returncode != 0:
        raise SystemExit(f"newcomer-smoke: failed ({done.returncode}): {cmd}")
    return done.stdout


def main() -> int:
    sys.path.insert(0, str(REPO))
    from tests.support import corpus
    from tests.support.helpers import as_typed_at_a_terminal

    work = Path(tempfile.mkdtemp(prefix="newcomer-"))
    clone = work / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    # The working tree's README and code, not only the last commit: what CI checks out is committed anyway.
    api_port, s3_port = free_port(), free_port()
    api = f"http://127.0.0.1:{api_port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VIRTUAL_ENV", "PYTHON"))}
    log = work / "make-dev.log"
    started = time.monotonic()
    with log.open("wb") as out:
        make = subprocess.Popen(
            ["make", "dev", f"DEV_ARGS=--port {api_port} --s3-port {s3_port}"],
            cwd=clone,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=as_typed_at_a_terminal,  # CI runs this smoke as a background job
        )
    try:
        while True:
            if make.poll() is not None or time.monotonic() - started > 600:
                raise SystemExit(f"newcomer-smoke: make dev did not come up:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{api}/healthz", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        print(f"newcomer-smoke: make dev on a fresh clone answered after {time.monotonic() - started:.0f} s (wall)")

        try_it, cli = readme_lines()
        (clone / "photo.png").write_bytes(corpus.png(400_000))
        (clone / "report.pdf").write_bytes(corpus.fpdf_document(pages=3))
        (clone / "scans").mkdir()
        (clone / "scans" / "a.png").write_bytes(corpus.png(150_000, seed=5))
        (clone / "scans" / "b.png").write_bytes(corpus.png(2_500_000, seed=6))  # over --inline-below: presigned
        out = run("\n".join(try_it).replace(README_API, api), clone, env)
        if len(re.findall(r'"status":\s*"accepted"', out)) < 2 or "same bytes" not in out:
            raise SystemExit("newcomer-smoke: Try it did not end with two accepted uploads and the same bytes back")
        out = run(cli.replace(README_API, api), clone, env)
        if out.count("accepted") != 3:
            raise SystemExit("newcomer-smoke: the CLI line did not get its three files accepted")

        output = log.read_text("utf-8", errors="replace")
        if "Traceback" in output:
            raise SystemExit(f"newcomer-smoke: a traceback in the stack's log:\n{output[-5000:]}")
        make.send_signal(signal.SIGINT)  # to make's PID only, as a script would
        make.wait(timeout=30)
        print("newcomer-smoke: SIGINT to make's PID stopped the stack; no traceback in its log")
        return 0
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
