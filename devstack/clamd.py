"""A real clamd (Debian's clamav-daemon) for the dev stack (--clamd) and the tests, with our own database.

freshclam cannot reach ClamAV's mirrors here, so the database is one .ndb body signature
for the EICAR test string, matched anywhere in a file: clamd unpacks archives (a DOCX
part) before matching, so the signature fires on EICAR inside an otherwise valid document
that has passed every structure check, which is the path a real infected upload takes.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

CLAMD = shutil.which("clamd") or "/usr/sbin/clamd"
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
SIGNATURE = "Test.EICAR-Anywhere"
# clamd reports signatures from a database that is not ClamAV's own with this suffix.
REPORTED = SIGNATURE + ".UNOFFICIAL"
STREAM_MAX_BYTES = 20 * 1024 * 1024


def write_database(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "test.ndb").write_text(f"{SIGNATURE}:0:*:{EICAR.hex()}\n")


def write_config(workdir: Path, port: int) -> Path:
    config = workdir / "clamd.conf"
    config.write_text(
        "\n".join(
            [
                f"DatabaseDirectory {workdir / 'db'}",
                f"TemporaryDirectory {workdir}",
                f"PidFile {workdir / 'clamd.pid'}",
                f"LogFile {workdir / 'clamd.log'}",
                "TCPSocket " + str(port),
                "TCPAddr 127.0.0.1",
                "Foreground yes",
                f"StreamMaxLength {STREAM_MAX_BYTES}",
                # A file over a scan limit is reported (Heuristics.Limits.Exceeded), never passed.
                "AlertExceedsMax yes",
                "",
            ]
        )
    )
    return config


def ping(port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(b"nPING\n")
            return sock.recv(16).startswith(b"PONG")
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Clamd:
    """clamd in the foreground on a free port of 127.0.0.1; `address` is CLAMD_ADDRESS."""

    def __init__(self) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="clamd-"))
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> "Clamd":
        write_database(self.workdir / "db")
        config = write_config(self.workdir, self.port)
        self.process = subprocess.Popen(
            [CLAMD, f"--config-file={config}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while not ping(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = (self.workdir / "clamd.log").read_text() if (self.workdir / "clamd.log").exists() else ""
                self.stop()
                raise RuntimeError(f"clamd did not start on {self.address}:\n{log[-2000:]}")
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)
