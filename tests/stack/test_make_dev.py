"""`make dev` as a script runs it: SIGINT or SIGTERM sent to the PID it started (make's)
stops the stack cleanly, data saved, as Ctrl-C does."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.support import samples
from tests.support.helpers import as_typed_at_a_terminal, free_port

from .conftest import ROOT


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_to_makes_pid_stops_the_stack_with_its_data_saved(tmp_path, sig):
    api_port, s3_port = free_port(), free_port()
    data, log = tmp_path / "data", tmp_path / "make-dev.log"
    with log.open("wb") as out:
        # -o: the install step counts as done (the test runs in the installed .venv).
        make = subprocess.Popen(
            ["make", "-o", ".venv/.installed-devstack", "dev",
             f"DEV_ARGS=--port {api_port} --s3-port {s3_port} --data-dir {data}"],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=as_typed_at_a_terminal,
        )  # fmt: skip
    try:
        stops_cleanly(make, sig, f"http://127.0.0.1:{api_port}", log)
    finally:
        if make.poll() is None:  # the test failed: leave nothing running
            os.killpg(make.pid, signal.SIGKILL)


def stops_cleanly(make: subprocess.Popen, sig: int, api: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert make.poll() is None and time.monotonic() < deadline, log.read_text()
        try:
            if requests.get(f"{api}/healthz", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            time.sleep(0.1)
    kept = requests.post(f"{api}/uploads", files={"file": ("kept.png", samples.png(20))}, timeout=10)
    assert kept.status_code == 201

    make.send_signal(sig)  # to make's PID only, not its process group
    make.wait(timeout=30)
    output = log.read_text()
    assert "saved 2 object(s)" in output, output
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{api}/healthz", timeout=2)
