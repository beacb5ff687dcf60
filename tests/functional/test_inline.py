"""Inline uploads through the Flask client, with S3 in-process (moto)."""

import io

import pytest

from tests.support import samples
from tests.support.helpers import BUCKET, keys, served_key


def form(*files):
    return {"file": [(io.BytesIO(data), name) for name, data in files]}


def test_an_inline_upload_is_validated_stored_and_downloadable(client, s3):
    response = client.post("/uploads", data=form(("отчёт.png", samples.png())))
    assert response.status_code == 201
    upload = response.get_json()
    assert upload["status"] == "accepted"
    assert upload["filename"] == "отчёт.png"
    assert upload["size"] == len(samples.png())
    assert upload["content_type"] == "image/png"
    assert upload["created_at"].endswith("Z")
    assert upload["links"] == {"self": f"/uploads/{upload['id']}", "content": f"/uploads/{upload['id']}/content"}
    # The object key is built from the id, never from the client's name.
    served = served_key(upload["id"], samples.png())
    assert keys(s3) == [served, f"records/{upload['id']}.json"]
    stored = s3.get_object(Bucket=BUCKET, Key=served)
    assert stored["Body"].read() == samples.png()
    assert stored["ContentType"] == "image/png"

    assert client.get(upload["links"]["self"]).get_json() == upload
    download = client.get(upload["links"]["content"])
    assert download.status_code == 303
    location = download.headers["Location"]
    assert f"/{served}?" in location
    assert "response-content-disposition=attachment" in location
    assert "filename%2A%3DUTF-8%27%27%25D0%25BE" in location  # filename*=UTF-8''%D0%BE...


def test_a_real_docx_is_accepted_inline(client):
    response = client.post("/uploads", data=form(("Quarterly report.docx", samples.docx())))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["content_type"].endswith("wordprocessingml.document")


@pytest.mark.parametrize(
    "name, make, status, code",
    [
        ("virus.exe", lambda: samples.PE, 415, "extension_not_allowed"),
        ("cute.png", lambda: samples.SCRIPT, 415, "content_type_not_allowed"),
        ("logo.png", lambda: samples.SVG, 415, "content_type_not_allowed"),
        ("index.pdf", lambda: samples.HTML, 415, "content_type_not_allowed"),
        ("setup.docx", lambda: samples.PE, 415, "content_type_not_allowed"),
        ("photo.png", samples.pdf, 415, "content_mismatch"),
        ("paper.pdf", samples.png, 415, "content_mismatch"),
        ("report.docx", samples.plain_zip, 415, "content_mismatch"),
        ("report.docx", samples.docx_with_macros, 422, "unsafe_content"),
        ("photo.png", samples.png_with_script, 422, "unsafe_content"),
        ("empty.png", lambda: b"", 400, "empty_file"),
        ("CON.png", samples.png, 400, "invalid_filename"),
        ("../../../", samples.png, 400, "invalid_filename"),
    ],
)
def test_refused_files_get_their_code_and_leave_nothing(client, s3, name, make, status, code):
    response = client.post("/uploads", data=form((name, make())))
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert keys(s3) == []


def test_unsafe_content_says_what_was_found(client):
    error = client.post("/uploads", data=form(("r.docx", samples.docx_with_macros()))).get_json()["error"]
    assert "macros" in error["message"]


def test_extension_errors_carry_the_allow_list(client):
    error = client.post("/uploads", data=form(("a.exe", b"MZ"))).get_json()["error"]
    assert error["allowed_extensions"] == ["png", "jpg", "jpeg", "gif", "pdf", "doc", "docx"]
    assert "exe" in error["message"]


def test_several_files_get_one_result_each_in_order(client, s3):
    response = client.post(
        "/uploads",
        data=form(("a.png", samples.png()), ("b.png", samples.SCRIPT), ("c.pdf", samples.pdf())),
    )
    assert response.status_code == 201
    results = response.get_json()["results"]
    assert [r.get("status") for r in results] == ["accepted", None, "accepted"]
    assert results[1] == {"filename": "b.png", "error": results[1]["error"]}
    assert results[1]["error"]["code"] == "content_type_not_allowed"
    assert len(keys(s3)) == 4  # two files, two records


def test_several_files_all_refused_answer_the_first_errors_status(client, s3):
    response = client.post("/uploads", data=form(("a.exe", b"MZ"), ("b.png", b"")))
    assert response.status_code == 415
    assert [r["error"]["code"] for r in response.get_json()["results"]] == ["extension_not_allowed", "empty_file"]
    assert keys(s3) == []


def test_a_part_with_an_empty_filename(client):
    response = client.post(
        "/uploads",
        data=b'--B\r\nContent-Disposition: form-data; name="file"; filename=""\r\n\r\nabc\r\n--B--\r\n',
        content_type="multipart/form-data; boundary=B",
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "empty_filename"


def test_no_part_named_file(client):
    response = client.post("/uploads", data={"upload": (io.BytesIO(samples.png()), "a.png")})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "no_file"


TRUNCATED = b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n\x89PNG'


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"garbage", "multipart/form-data"),
        (TRUNCATED, "multipart/form-data; boundary=B"),
        (b"hello", "text/plain"),
        (b"", ""),
    ],
)
def test_malformed_or_unknown_bodies_are_invalid_requests(client, body, content_type, s3):
    response = client.post("/uploads", data=body, content_type=content_type)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_request"
    assert keys(s3) == []


def test_a_body_over_the_inline_limit_is_413_with_the_limit(make_app, bucket):
    client = make_app(INLINE_MAX_BYTES=1000).test_client()
    response = client.post("/uploads", data=form(("big.png", samples.big_png(5000))))
    assert response.status_code == 413
    error = response.get_json()["error"]
    assert error["code"] == "too_large_for_inline"
    assert error["max_inline_bytes"] == 1000
    assert "presigned" in error["message"]


def test_a_storage_failure_answers_503_and_leaves_nothing(client, store, s3, monkeypatch):
    from botocore.exceptions import ClientError

    real_put = store.client.put_object

    def failing_put(**kwargs):
        if kwargs["Key"].startswith("records/"):  # the file is written, then the record fails
            raise ClientError({"Error": {"Code": "InternalError", "Message": "boom"}}, "PutObject")
        return real_put(**kwargs)

    monkeypatch.setattr(store.client, "put_object", failing_put)
    response = client.post("/uploads", data=form(("a.png", samples.png())))
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "storage_unavailable"
    assert keys(s3) == []
