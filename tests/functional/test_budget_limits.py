"""Each type's largest upload is what the validator decides within its timeout (budget.py):
refused at presign with 413 too_large, saying the type's limit, before anything is sent."""

from __future__ import annotations

import io

from tests.support import samples


def test_a_pdf_past_what_the_validator_decides_in_time_is_refused_at_presign(client, config):
    limit = config.max_bytes_for("pdf")
    assert limit < config.max_upload_bytes  # a PDF is inspected far slower than a photo
    response = client.post("/uploads", json={"filename": "manual.pdf", "size": limit + 1})
    assert response.status_code == 413
    error = response.get_json()["error"]
    assert (error["code"], error["max_upload_bytes"], error["extension"]) == ("too_large", limit, "pdf")
    assert str(limit) in error["message"]
    assert client.post("/uploads", json={"filename": "manual.pdf", "size": limit}).status_code == 201
    # A photo of the same size is decided in time.
    assert client.post("/uploads", json={"filename": "scan.png", "size": limit + 1}).status_code == 201


def test_more_memory_for_the_validator_buys_larger_pdfs(make_app, bucket):
    small = make_app(VALIDATE_MEMORY_MB="256").extensions["upload_config"]
    large = make_app(VALIDATE_MEMORY_MB="1024").extensions["upload_config"]
    assert large.max_bytes_for("pdf") > 3 * small.max_bytes_for("pdf")
    client = make_app(VALIDATE_MEMORY_MB="1024").test_client()
    response = client.post("/uploads", json={"filename": "manual.pdf", "size": small.max_bytes_for("pdf") + 1})
    assert response.status_code == 201


def test_inline_a_pdf_past_what_the_api_decides_in_time_is_sent_presigned_instead(make_app, bucket, s3):
    """An API of 256 MB (0.145 of a vCPU) with a 4 s timeout decides a PDF as dense as the densest
    real manual only up to ~2.5 MB: a larger one is 413 too_large_for_inline with the PDF's limit
    (the CLI then presigns), while a photo of the same size is taken inline."""
    from tests.support import hostile_media
    from tests.support.helpers import keys

    app = make_app(API_MEMORY_MB="256", API_TIMEOUT_SECONDS="4", ALLOWED_EXTENSIONS="png,jpg,pdf")
    config = app.extensions["upload_config"]
    limit = config.inline_max_for("pdf")
    assert config.inline_max_for("png") == config.inline_max_bytes > limit + 64 * 1024
    content = b"<< /Length %d >>\nstream\n" % limit + b"0 0 m 1 1 l S\n" * (limit // 14) + b"\nendstream"
    pdf = hostile_media.raw_pdf(
        [b"<< /Type /Catalog /Pages 2 0 R >>", hostile_media.PAGES, hostile_media.PAGE, content]
    )
    client = app.test_client()
    response = client.post("/uploads", data={"file": [(io.BytesIO(pdf), "manual.pdf")]})
    assert response.status_code == 413
    error = response.get_json()["error"]
    assert (error["code"], error["max_inline_bytes"]) == ("too_large_for_inline", limit)
    assert keys(s3) == []
    photo = samples.big_png(len(pdf))
    assert client.post("/uploads", data={"file": [(io.BytesIO(photo), "scan.png")]}).status_code == 201
