"""handler.api on real-shaped API Gateway events: payload 2.0 and 1.0, base64 bodies, stages."""

import base64
import json

import pytest

from tests.support import samples
from tests.support.helpers import form_body as multipart
from tests.support.helpers import keys, load_event, served_bytes, v2_post


def v1_post(body: bytes, content_type: str):
    return load_event("api_v1_post_uploads.json", content_type=content_type, body=base64.b64encode(body).decode())


def decoded(response: dict) -> dict:
    body = response["body"]
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body)
    return json.loads(body)


@pytest.mark.parametrize("make_event", [v2_post, v1_post])
def test_binary_bodies_arrive_intact(handler, s3, make_event):
    body, content_type = multipart("photo.png", samples.png())
    response = handler.api(make_event(body, content_type), None)
    assert response["statusCode"] == 201
    upload = decoded(response)
    assert upload["status"] == "accepted"
    assert served_bytes(s3, upload["id"]) == samples.png()


def test_links_carry_the_rest_api_stage(handler):
    body, content_type = multipart("photo.png", samples.png())
    upload = decoded(handler.api(v1_post(body, content_type), None))
    assert upload["links"]["self"] == f"/dev/uploads/{upload['id']}"


@pytest.mark.parametrize(
    "stage, host, prefix",
    [
        ("$default", "abcdef1234.execute-api.us-east-1.amazonaws.com", ""),
        ("prod", "abcdef1234.execute-api.us-east-1.amazonaws.com", "/prod"),
        ("$default", "uploads.example.com", ""),
    ],
)
def test_links_behind_http_api_stages(handler, stage, host, prefix):
    body, content_type = multipart("photo.png", samples.png())
    response = handler.api(v2_post(body, content_type, stage=stage, host=host), None)
    assert response["statusCode"] == 201, response
    upload = decoded(response)
    assert upload["links"] == {
        "self": f"{prefix}/uploads/{upload['id']}",
        "content": f"{prefix}/uploads/{upload['id']}/content",
    }


def test_healthz_on_both_payload_versions(handler):
    for name in ("api_v2_healthz.json", "api_v1_healthz.json"):
        response = handler.api(load_event(name), None)
        assert response["statusCode"] == 200
        assert decoded(response) == {"status": "ok"}


def test_undecodable_base64_is_a_json_400(handler, s3):
    event = v2_post(b"", "multipart/form-data; boundary=x")
    event["body"] = "%%%not base64%%%"
    response = handler.api(event, None)
    assert response["statusCode"] == 400
    assert decoded(response)["error"]["code"] == "invalid_request"
    assert keys(s3) == []


def test_a_hostile_file_through_the_gateway_is_refused(handler, s3):
    body, content_type = multipart("cute.png", samples.SCRIPT)
    response = handler.api(v2_post(body, content_type), None)
    assert response["statusCode"] == 415
    assert response["headers"]["Content-Type"] == "application/json"
    assert decoded(response)["error"]["code"] == "content_type_not_allowed"
    assert keys(s3) == []


def test_unknown_routes_are_json_404(handler):
    event = load_event("api_v2_healthz.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/wp-admin"
    response = handler.api(event, None)
    assert response["statusCode"] == 404
    assert decoded(response)["error"]["code"] == "not_found"
