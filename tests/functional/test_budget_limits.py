"""Each type's largest upload is what the validator decides within its timeout (budget.py):
refused at presign with 413 too_large_for_type, saying the limit, before anything is sent."""

from __future__ import annotations


def test_a_pdf_past_what_the_validator_decides_in_time_is_refused_at_presign(client, config):
    limit = config.max_bytes_for("pdf")
    assert limit < config.max_upload_bytes  # a PDF is inspected far slower than a photo
    response = client.post("/uploads", json={"filename": "manual.pdf", "size": limit + 1})
    assert response.status_code == 413
    error = response.get_json()["error"]
    assert (error["code"], error["max_upload_bytes"], error["extension"]) == ("too_large_for_type", limit, "pdf")
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
