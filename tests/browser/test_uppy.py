"""Real Uppy (@uppy/core and @uppy/aws-s3 from npm) in Chromium, on its own origin, with
this service as its Companion endpoint: single files go as a presigned form POST,
large ones as multipart, and both are validated like any upload."""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

import pytest
import requests

from tests.browser.conftest import MULTIPART_THRESHOLD, MiB
from tests.support import samples


@pytest.fixture
def uppy(stack, uppy_site, page):
    """The harness page, pointed at the API, multipart from the stack's threshold."""
    page.goto(f"{uppy_site}/index.html?endpoint={stack.api}&multipart_threshold={MULTIPART_THRESHOLD}")
    page.wait_for_function("() => typeof window.uploadPicked === 'function'")
    return page


def upload_with_uppy(page, paths: list[Path]) -> dict:
    """Pick files and upload them; the summary of Uppy's `complete` event."""
    page.set_input_files("#files", [str(p) for p in paths])
    return page.evaluate("() => window.uploadPicked()")


def upload_id(key: str) -> str:
    assert key.startswith("incoming/"), key
    return key.removeprefix("incoming/")


def test_uppy_uploads_a_small_file_single_and_a_large_one_multipart(stack, uppy, tmp_path):
    small = tmp_path / "scan.pdf"
    small.write_bytes(samples.pdf())
    large = tmp_path / "panorama.png"
    large.write_bytes(samples.big_png(11 * MiB))

    result = upload_with_uppy(uppy, [small, large])

    assert result["failed"] == []
    done = {f["name"]: f for f in result["successful"]}
    assert set(done) == {"scan.pdf", "panorama.png"}
    assert done["scan.pdf"]["parts"] == 0  # one form POST
    assert done["panorama.png"]["parts"] == 3  # 5 MiB chunks, each with its ETag read
    events = uppy.evaluate("() => window.uppyEvents")
    last = [e for e in events if e["type"] == "progress" and e["name"] == "panorama.png"][-1]
    assert last["uploaded"] == last["total"] == large.stat().st_size

    for path in (small, large):
        upload = stack.wait_decided(upload_id(done[path.name]["key"]))
        assert upload["status"] == "accepted", upload
        assert upload["filename"] == path.name
        content = requests.get(f"{stack.api}/uploads/{upload['id']}/content", timeout=30)
        assert content.content == path.read_bytes()


def test_a_script_sent_through_uppy_lands_but_is_rejected(stack, uppy, tmp_path):
    script = tmp_path / "cat.png"
    script.write_bytes(samples.SCRIPT)

    result = upload_with_uppy(uppy, [script])

    [sent] = result["successful"]  # S3 took the bytes; the validator decides afterwards
    upload = stack.wait_decided(upload_id(sent["key"]))
    assert upload["status"] == "rejected"
    assert upload["reason"]["code"] == "content_type_not_allowed"
    assert requests.get(f"{stack.api}/uploads/{upload['id']}/content", timeout=10).status_code == 409


CORS_FAILURES = [
    pytest.param({"ExposeHeaders": None}, 6 * MiB, "Missing ETag", id="etag-not-exposed"),
    pytest.param({"AllowedOrigins": ["https://elsewhere.example"]}, 100_000, "network error", id="origin-not-allowed"),
]


@pytest.mark.parametrize("cors, size, message", CORS_FAILURES)
def test_uppy_fails_when_the_bucket_cors_does_not_allow_it(stack, uppy, tmp_path, bucket_cors, cors, size, message):
    """What would fail on AWS fails here: the local S3 applies the bucket's own CORS rule."""
    bucket_cors(**cors)
    path = tmp_path / "blocked.png"
    path.write_bytes(samples.big_png(size))

    result = upload_with_uppy(uppy, [path])

    assert result["successful"] == []
    [failed] = result["failed"]
    assert message in failed["error"]


def test_in_jwt_mode_uppy_sends_the_token_on_every_companion_call(jwt_stack, uppy_site, page, tmp_path):
    """Authorization on /s3/params and every /s3/multipart call (@uppy/aws-s3 6.3.1 has no
    companionHeaders: the harness wraps fetch for the API's origin, see entry.js); the
    uploads belong to the token's sub and are listed as theirs; S3 never sees the token."""
    sub = f"uppy-{uuid.uuid4().hex[:8]}"  # a user of its own: the page's tests share the stack
    minted = requests.get(f"{jwt_stack.api}/_local/token?sub={sub}", timeout=10).json()["token"]
    jwt_stack = dataclasses.replace(jwt_stack, token=minted)
    all_calls: list[tuple[str, str | None]] = []
    page.on("request", lambda r: all_calls.append((r.url, r.headers.get("authorization"))))
    query = f"endpoint={jwt_stack.api}&multipart_threshold={MULTIPART_THRESHOLD}"
    page.goto(f"{uppy_site}/index.html?{query}#token={jwt_stack.token}")
    page.wait_for_function("() => typeof window.uploadPicked === 'function'")
    small = tmp_path / "scan.pdf"
    small.write_bytes(samples.pdf())
    large = tmp_path / "panorama.png"
    large.write_bytes(samples.big_png(11 * MiB))

    result = upload_with_uppy(page, [small, large])

    assert result["failed"] == []
    companion = [(url, auth) for url, auth in all_calls if url.startswith(jwt_stack.api + "/s3/")]
    assert len(companion) >= 1 + 1 + 3 + 1  # params; multipart create, 3 part URLs, complete
    assert {auth for _, auth in companion} == {f"Bearer {jwt_stack.token}"}
    to_s3 = [auth for url, auth in all_calls if url.startswith(jwt_stack.s3)]
    assert to_s3 and set(to_s3) == {None}
    done = {f["name"]: f for f in result["successful"]}
    for path in (small, large):
        upload = jwt_stack.wait_decided(upload_id(done[path.name]["key"]))
        assert upload["status"] == "accepted", upload
    mine = requests.get(
        f"{jwt_stack.api}/uploads", headers={"Authorization": f"Bearer {jwt_stack.token}"}, timeout=10
    ).json()
    assert {u["filename"] for u in mine["uploads"]} == {"scan.pdf", "panorama.png"}


def test_in_jwt_mode_uppy_without_a_token_is_refused(jwt_stack, uppy_site, page, tmp_path):
    page.goto(f"{uppy_site}/index.html?endpoint={jwt_stack.api}&multipart_threshold={MULTIPART_THRESHOLD}")
    page.wait_for_function("() => typeof window.uploadPicked === 'function'")
    small = tmp_path / "scan.pdf"
    small.write_bytes(samples.pdf())
    result = upload_with_uppy(page, [small])
    assert result["successful"] == [] and len(result["failed"]) == 1
