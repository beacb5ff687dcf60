"""The CLI end to end: the live_app served over HTTP on 127.0.0.1 (werkzeug), S3 on moto's
server, and a small loop feeding the validator each object that lands (what the
bucket notification does on AWS). The CLI gets no AWS credentials, only the API's URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.support import corpus, samples
from tests.support.helpers import serving
from tests.support.largefiles import MiB, download, open_multipart_uploads, png_of

pytestmark = pytest.mark.server


@pytest.fixture
def api_url(live_app):
    """The app over real HTTP, with the validator run on every object that lands."""
    with serving(live_app, live_app.extensions["upload_store"], live_app.extensions["upload_config"]) as url:
        yield url


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}  # no credentials at all
    return subprocess.run(
        [sys.executable, "-m", "upload_cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=os.getcwd(),
    )


def test_uploads_inline_put_and_multipart_then_reports_accepted(api_url, live_app, tmp_path):
    files = {
        "tiny.png": samples.png(),
        "IMG_2041.jpg": corpus.jpeg(800 * corpus.KB),  # inline: the photo issue 10 saw refused
        "medium.png": png_of(2),
        "big.png": png_of(12),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    result = run_cli(api_url, *(str(tmp_path / n) for n in files), "--json", "--state-dir", str(tmp_path / "state"))
    assert result.returncode == 0, result.stdout + result.stderr
    outcomes = {os.path.basename(o["file"]): o for o in json.loads(result.stdout)}
    assert {n: o["status"] for n, o in outcomes.items()} == dict.fromkeys(files, "accepted")
    live_client = live_app.test_client()
    for name, data in files.items():
        assert download(live_client, outcomes[name]["id"]) == data
    # The presigned ones pinned SHA-256 checksums, and S3's are on the status.
    assert outcomes["medium.png"]["detail"]["checksum"]["algorithm"] == "SHA256"
    assert outcomes["big.png"]["detail"]["checksum"]["algorithm"] == "SHA256"
    assert "big.png" in result.stderr  # a progress bar per file
    assert list((tmp_path / "state").glob("*.json")) == []


def test_exit_status_is_1_when_a_file_is_rejected(api_url, tmp_path):
    (tmp_path / "ok.pdf").write_bytes(samples.pdf())
    (tmp_path / "script.png").write_bytes(samples.SCRIPT)  # inline: refused at once
    (tmp_path / "fake.png").write_bytes(b"%PDF-1.4\n" + b"\0" * (2 * MiB))  # presigned: the validator refuses
    result = run_cli(
        api_url,
        str(tmp_path / "ok.pdf"),
        str(tmp_path / "script.png"),
        str(tmp_path / "fake.png"),
        "-q",
        "--state-dir",
        str(tmp_path / "state"),
    )
    assert result.returncode == 1, result.stdout + result.stderr
    lines = {line.split()[1].rsplit("/", 1)[-1]: line for line in result.stdout.splitlines()}
    assert lines["ok.pdf"].startswith("accepted")
    assert lines["script.png"].startswith("rejected") and "content_type_not_allowed" in lines["script.png"]
    assert lines["fake.png"].startswith("rejected") and "content_mismatch" in lines["fake.png"]


def test_an_interrupted_upload_resumes_with_the_missing_parts_only(
    api_url, live_app, live, tmp_path, monkeypatch, capsys
):
    from upload_cli import main as cli
    from upload_cli import transfer

    data = png_of(12)
    path = tmp_path / "big.png"
    path.write_bytes(data)
    args = [api_url, str(path), "-q", "--jobs", "1", "--state-dir", str(tmp_path / "state"), "--json"]
    real_send = transfer._send
    sent: list[int] = []

    def broken_link(method, url, file, offset, length, headers, progress):
        if offset >= 10 * MiB:
            raise transfer.TransferError("connection reset")
        sent.append(offset)
        return real_send(method, url, file, offset, length, headers, progress)

    monkeypatch.setattr(transfer, "_send", broken_link)
    assert cli.main(args) == 1
    first = json.loads(capsys.readouterr().out)[0]
    assert first["status"] == "failed" and "run again to resume" in first["detail"]["message"]
    assert len(list((tmp_path / "state").glob("*.json"))) == 1
    bucket = live_app.extensions["upload_config"].bucket
    assert len(open_multipart_uploads(live, bucket)) == 1

    sent.clear()
    monkeypatch.setattr(transfer, "_send", lambda *a: (sent.append(a[3]), real_send(*a))[1])
    assert cli.main(args) == 0
    second = json.loads(capsys.readouterr().out)[0]
    assert second["status"] == "accepted"
    assert sent == [10 * MiB]  # only part 3 went again
    assert download(live_app.test_client(), second["id"]) == data
    assert list((tmp_path / "state").glob("*.json")) == []


def test_an_unreachable_api_fails_cleanly(tmp_path):
    (tmp_path / "a.pdf").write_bytes(samples.pdf())
    result = run_cli("http://127.0.0.1:9", str(tmp_path / "a.pdf"), "-q", "--state-dir", str(tmp_path))
    assert result.returncode == 1
    assert result.stdout.startswith("failed") and "unreachable" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.fixture
def jwt_api(live, env):
    """The live_app in AUTH_MODE=jwt behind the local gateway (the JWT authorizer), over HTTP,
    with the validator fed as above; yields (url, issuer)."""
    from devstack.gateway_server import Gateway
    from devstack.issuer import LocalIssuer
    from upload_core.http import create_app
    from upload_core.http.gateway import make_api_handler

    env.setenv("AUTH_MODE", "jwt")
    app = create_app()
    issuer = LocalIssuer()
    store, config = app.extensions["upload_store"], app.extensions["upload_config"]
    with serving(Gateway(make_api_handler(app), config.inline_max_bytes, 0, issuer), store, config) as url:
        yield url, issuer


def test_with_a_token_from_upload_token_the_cli_uploads_as_its_owner(jwt_api, tmp_path, monkeypatch):
    url, issuer = jwt_api
    (tmp_path / "tiny.png").write_bytes(samples.png())
    (tmp_path / "medium.png").write_bytes(png_of(6))
    files = [str(tmp_path / "tiny.png"), str(tmp_path / "medium.png")]
    state = ["--json", "--state-dir", str(tmp_path / "state")]
    refused = run_cli(url, *files, *state)
    assert refused.returncode != 0
    assert "unauthorized" in refused.stdout + refused.stderr
    monkeypatch.setenv("UPLOAD_TOKEN", issuer.mint("alice"))
    result = run_cli(url, *files, *state)
    assert result.returncode == 0, result.stdout + result.stderr
    assert {o["status"] for o in json.loads(result.stdout)} == {"accepted"}
    import requests

    listed = requests.get(f"{url}/uploads", headers={"Authorization": f"Bearer {issuer.mint('alice')}"}, timeout=10)
    assert sorted(u["filename"] for u in listed.json()["uploads"]) == ["medium.png", "tiny.png"]
    assert issuer.mint("alice") not in result.stdout + result.stderr  # the token is never printed
