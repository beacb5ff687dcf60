"""--data-dir: what was uploaded is still there after Ctrl-C and a new start."""

from __future__ import annotations

import requests

from tests.support import samples

from .conftest import start_stack


def test_uploads_survive_a_restart_with_a_data_directory(tmp_path):
    data = tmp_path / "data"
    first = start_stack(tmp_path, "--data-dir", str(data))
    try:
        png = samples.png(24)
        inline = requests.post(f"{first.api}/uploads", files={"file": ("kept.png", png)}, timeout=10).json()
        pending = requests.post(f"{first.api}/uploads", json={"filename": "later.pdf", "size": 10}, timeout=10).json()
        summary = first.output()
        assert first.api in summary and first.s3 in summary and str(data) in summary
    finally:
        assert first.stop() == 0, first.output()
    assert "saved 3 object(s)" in first.output()

    second = start_stack(tmp_path, "--data-dir", str(data))
    try:
        assert requests.get(f"{second.api}/uploads/{pending['id']}", timeout=5).json()["status"] == "pending"
        kept = requests.get(f"{second.api}/uploads/{inline['id']}", timeout=5).json()
        assert kept["status"] == "accepted" and kept["filename"] == "kept.png"
        location = requests.get(
            f"{second.api}/uploads/{inline['id']}/content", allow_redirects=False, timeout=5
        ).headers["Location"]
        got = requests.get(location, timeout=5)
        assert got.content == png
        assert got.headers["Content-Type"] == "image/png"
    finally:
        assert second.stop() == 0, second.output()
