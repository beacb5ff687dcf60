"""The upload page at GET /, used as a person uses it: files dropped on it or chosen with
the keyboard, progress bars, outcomes in words, a download link."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.conftest import MiB
from tests.support import corpus, samples

# Records every value each file's progress bar takes, so a test can tell a bar that moved
# with the bytes from one that jumped from 0 to 100.
RECORD_PROGRESS = """() => {
  window.progressSeen = {};
  new MutationObserver(() => {
    for (const li of document.querySelectorAll("li.file")) {
      const name = li.querySelector(".name").textContent;
      const seen = (window.progressSeen[name] = window.progressSeen[name] || []);
      const value = li.querySelector("progress").value;
      if (seen[seen.length - 1] !== value) seen.push(value);
    }
  }).observe(document.getElementById("files"), {subtree: true, childList: true, attributes: true});
}"""


def drop_files(page, paths: list[Path]) -> None:
    """Drop files on the drop zone: real File objects in a DataTransfer, delivered with
    the dragenter, dragover and drop events a browser sends."""
    page.evaluate("""() => {
      const input = document.createElement("input");
      input.type = "file"; input.multiple = true; input.id = "test-files"; input.hidden = true;
      document.body.appendChild(input);
    }""")
    page.set_input_files("#test-files", [str(p) for p in paths])
    transfer = page.evaluate_handle("""() => {
      const transfer = new DataTransfer();
      for (const file of document.getElementById("test-files").files) transfer.items.add(file);
      document.getElementById("test-files").remove();
      return transfer;
    }""")
    for event in ("dragenter", "dragover", "drop"):
        page.dispatch_event("#drop", event, {"dataTransfer": transfer})


def file_row(page, name: str):
    return page.locator("li.file").filter(has=page.locator(".name", has_text=re.compile(f"^{re.escape(name)}$")))


def throttle_uploads(page, bytes_per_second: int) -> None:
    """Slow the browser's uploads (Chromium's own network emulation), so that a person, and
    a screenshot, can see the upload in progress even over loopback."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": bytes_per_second,
        },
    )


@pytest.fixture
def files(tmp_path):
    def make(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return make


def test_dropped_files_upload_with_progress_and_are_accepted_and_downloadable(stack, page, files, artifacts):
    small = files("small.png", samples.png(64))  # inline
    photo = files("IMG_2041.jpg", corpus.jpeg(850 * corpus.KB))  # inline: a real-sized photo (issue 10)
    medium = files("medium.png", samples.big_png(4 * MiB + 300_000))  # over the inline limit: one PUT
    large = files("large photo.png", samples.big_png(11 * MiB))  # over the lowered threshold: 3 parts
    script = files("invoice.png", samples.SCRIPT)  # a script dressed as an image
    page.goto(stack.api + "/")
    page.evaluate(RECORD_PROGRESS)
    throttle_uploads(page, 6 * MiB)

    drop_files(page, [small, photo, script, medium, large])

    page.wait_for_function(
        """() => [...document.querySelectorAll("li.file")].some((li) =>
             li.querySelector(".name").textContent === "large photo.png" &&
             li.querySelector("progress").value >= 15 && li.querySelector("progress").value <= 80)"""
    )
    page.screenshot(path=str(artifacts / "page-mid-upload.png"), full_page=True)
    for path in (small, photo, medium, large):
        row = file_row(page, path.name)
        row.locator(".status", has_text="Accepted").wait_for(timeout=60_000)
        assert row.get_attribute("data-state") == "accepted"
        assert row.locator("progress").evaluate("bar => bar.value") == 100
        assert row.locator(".pct").inner_text() == "100%"
    rejected = file_row(page, "invoice.png")
    assert rejected.get_attribute("data-state") == "rejected"
    assert "Rejected: The content is text/x-shellscript, which is not allowed" in rejected.inner_text()
    page.screenshot(path=str(artifacts / "page-validated.png"), full_page=True)

    seen = page.evaluate("() => window.progressSeen")
    assert any(0 < value < 100 for value in seen["large photo.png"]), seen["large photo.png"]
    assert seen["large photo.png"] == sorted(seen["large photo.png"])  # only ever forward
    assert page.js_errors == []
    assert page.evaluate("() => window.cspViolations") == []

    link = file_row(page, "large photo.png").get_by_role("link", name="Download large photo.png")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "large photo.png"
    assert Path(download.value.path()).read_bytes() == large.read_bytes()


def test_the_page_fits_a_phone_and_keeps_long_names_inside(stack, page, files, artifacts):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(stack.api + "/")
    long_name = "quarterly-results-" + "very-long-name-" * 6 + ".png"
    drop_files(page, [files(long_name, samples.png(32))])
    file_row(page, long_name).locator(".status", has_text="Accepted").wait_for()
    page.screenshot(path=str(artifacts / "page-phone.png"), full_page=True)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    drop = page.locator("#drop").bounding_box()
    assert drop["x"] >= 0 and drop["x"] + drop["width"] <= 360


def test_a_disguised_script_chosen_with_the_keyboard_is_rejected_with_its_reason(stack, page, files):
    inline = files("invoice.png", samples.SCRIPT)  # inline: refused on the spot
    padded = files("holiday.png", samples.SCRIPT + b"# padding\n" * 460_000)  # presigned: refused by the validator
    # Playwright intercepts the native picker only once a listener exists before it opens.
    page.on("filechooser", lambda chooser: None)
    page.goto(stack.api + "/")

    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "drop"
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    assert chooser.value.is_multiple()
    chooser.value.set_files([str(inline), str(padded)])

    for path in (inline, padded):
        row = file_row(page, path.name)
        row.locator(".status", has_text="Rejected").wait_for(timeout=30_000)
        assert row.get_attribute("data-state") == "rejected"
        assert "Rejected: The content is text/x-shellscript, which is not allowed" in row.inner_text()
        assert row.get_by_role("link").count() == 0  # nothing to download

    with page.expect_file_chooser():
        page.keyboard.press(" ")  # Space opens the picker too


CORS_FAILURES = [
    pytest.param({"ExposeHeaders": None}, 6 * MiB, "must expose the ETag header", id="etag-not-exposed"),
    pytest.param(
        {"AllowedOrigins": ["https://elsewhere.example"]},
        4 * MiB + 300_000,
        "refused this page's origin",
        id="origin-not-allowed",
    ),
]


@pytest.mark.parametrize("cors, size, message", CORS_FAILURES)
def test_the_page_fails_readably_when_the_bucket_cors_does_not_allow_it(
    stack, page, files, bucket_cors, cors, size, message
):
    """The local S3 enforces the bucket's own CORS rule as S3 does: without ETag exposed a
    multipart upload cannot complete; from an origin not listed nothing reaches the bucket."""
    bucket_cors(**cors)
    path = files("blocked.png", samples.big_png(size))
    page.goto(stack.api + "/")

    drop_files(page, [path])

    row = file_row(page, "blocked.png")
    row.locator(".status", has_text="Upload failed").wait_for(timeout=30_000)
    assert row.get_attribute("data-state") == "failed"
    assert message in row.locator(".status").inner_text()


def test_in_jwt_mode_the_page_sends_the_token_from_its_address(jwt_stack, page, files):
    """The token comes in the fragment (#token=...: never sent to a server), leaves the
    address bar at once, goes with every API call, and the download works with it."""
    small = files("small.png", samples.png(64))  # inline
    medium = files("medium.png", samples.big_png(4 * MiB + 300_000))  # one PUT to S3
    page.goto(f"{jwt_stack.api}/#token={jwt_stack.token}")
    assert "token" not in page.evaluate("() => location.href")
    assert page.input_value("#token") == jwt_stack.token

    drop_files(page, [small, medium])

    for path in (small, medium):
        file_row(page, path.name).locator(".status", has_text="Accepted").wait_for(timeout=60_000)
    assert page.js_errors == []
    assert page.evaluate("() => window.cspViolations") == []
    link = file_row(page, "medium.png").get_by_role("link", name="Download medium.png")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "medium.png"
    assert Path(download.value.path()).read_bytes() == medium.read_bytes()


def test_in_jwt_mode_without_a_token_the_page_says_what_is_missing(jwt_stack, page, files):
    page.goto(f"{jwt_stack.api}/")
    drop_files(page, [files("small.png", samples.png(64))])
    row = file_row(page, "small.png")
    row.locator(".status", has_text="access token").wait_for(timeout=30_000)
