"""Presigned single uploads: what the URL and the policy pin (moto does not enforce them)."""

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.helpers import BUCKET, keys


def presign(client, **body):
    return client.post("/uploads", json=body)


def test_a_put_is_signed_for_key_type_and_length(client, s3):
    response = presign(client, filename="holiday photo.png", size=123456)
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "pending"
    assert body["filename"] == "holiday photo.png"
    assert body["size"] == 123456
    assert body["content_type"] == "image/png"
    upload = body["upload"]
    assert upload["method"] == "PUT"
    assert upload["headers"] == {"Content-Type": "image/png"}
    url = urlsplit(upload["url"])
    query = parse_qs(url.query)
    assert url.path.endswith(f"/incoming/{body['id']}")
    assert "holiday" not in upload["url"]
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-SignedHeaders"] == ["content-length;content-type;host"]
    assert query["X-Amz-Expires"] == ["900"]
    assert upload["expires_at"].endswith("Z")
    # Only the record exists until the client sends the bytes.
    assert keys(s3) == [f"records/{body['id']}.json"]


def test_a_post_policy_pins_key_type_and_exact_size(client):
    body = presign(client, filename="paper.pdf", size=5000, method="POST").get_json()
    upload = body["upload"]
    assert upload["method"] == "POST"
    fields = upload["fields"]
    assert fields["key"] == f"incoming/{body['id']}"
    assert fields["Content-Type"] == "application/pdf"
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    assert {"bucket": BUCKET} in conditions
    assert ["eq", "$key", f"incoming/{body['id']}"] in conditions
    assert ["eq", "$Content-Type", "application/pdf"] in conditions
    assert ["content-length-range", 5000, 5000] in conditions
    assert policy["expiration"].endswith("Z")


def test_the_declared_type_is_the_one_pinned(client):
    body = presign(client, filename="a.jpg", size=10, content_type="image/jpeg", method="POST").get_json()
    assert body["upload"]["fields"]["Content-Type"] == "image/jpeg"


def test_the_ttl_comes_from_configuration(make_app, bucket):
    body = (
        make_app(PRESIGN_TTL_SECONDS=60)
        .test_client()
        .post("/uploads", json={"filename": "a.png", "size": 1})
        .get_json()
    )
    assert parse_qs(urlsplit(body["upload"]["url"]).query)["X-Amz-Expires"] == ["60"]


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"filename": "a.exe", "size": 10}, 415, "extension_not_allowed"),
        ({"filename": "a.png", "size": 0}, 400, "empty_file"),
        ({"filename": "a.png", "size": 6 * 1024**3}, 413, "too_large"),
        ({"filename": "a.png", "size": -5}, 400, "invalid_request"),
        ({"filename": "a.png", "size": "10"}, 400, "invalid_request"),
        ({"filename": "a.png", "size": True}, 400, "invalid_request"),
        ({"filename": "a.png", "size": 1.5}, 400, "invalid_request"),
        ({"size": 10}, 400, "invalid_request"),
        ({"filename": 7, "size": 10}, 400, "invalid_request"),
        ({"filename": "", "size": 10}, 400, "empty_filename"),
        ({"filename": "CON.png", "size": 10}, 400, "invalid_filename"),
        ({"filename": "a.png", "size": 10, "content_type": "text/html"}, 415, "content_type_not_allowed"),
        ({"filename": "a.png", "size": 10, "content_type": "application/pdf"}, 415, "content_mismatch"),
        ({"filename": "a.png", "size": 10, "method": "DELETE"}, 400, "invalid_request"),
        ([1, 2], 400, "invalid_request"),
    ],
)
def test_what_can_be_checked_before_the_bytes_exist_is(client, s3, body, status, code):
    response = presign(client, **body) if isinstance(body, dict) else client.post("/uploads", json=body)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert keys(s3) == []


def test_malformed_json_is_invalid_request(client):
    response = client.post("/uploads", data=b"{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_request"


def test_pending_content_is_not_ready(client):
    body = presign(client, filename="a.png", size=10).get_json()
    response = client.get(f"/uploads/{body['id']}/content")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "not_ready"


def test_delete_removes_the_upload(client, s3):
    body = presign(client, filename="a.png", size=10).get_json()
    s3.put_object(Bucket=BUCKET, Key=f"incoming/{body['id']}", Body=b"x" * 10)
    assert client.delete(f"/uploads/{body['id']}").status_code == 204
    assert keys(s3) == []
    assert client.get(f"/uploads/{body['id']}").get_json()["error"]["code"] == "not_found"
    assert client.delete(f"/uploads/{body['id']}").status_code == 404


@pytest.mark.parametrize("upload_id", ["nope", "AAAAAAAAAAAAAAAAAAAAAA", "..%2F..%2Frecords%2Fx", "a" * 100])
def test_unknown_uploads_are_404(client, upload_id):
    for response in (client.get(f"/uploads/{upload_id}"), client.get(f"/uploads/{upload_id}/content")):
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"
