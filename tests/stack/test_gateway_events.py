"""The events the local gateway builds are shaped like API Gateway HTTP API (2.0) ones."""

from __future__ import annotations

import base64
import io

from devstack.gateway_server import Gateway


def build(body: bytes = b"", **environ) -> dict:
    base = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/uploads",
        "RAW_URI": "/uploads/a%20b?x=1&x=2&y=",
        "QUERY_STRING": "x=1&x=2&y=",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    return Gateway(lambda event, context: {}, 4 * 2**20, 8000).event({**base, **environ}, body)


def test_cookies_headers_and_query_are_split_as_api_gateway_does():
    event = build(HTTP_COOKIE="a=1; b=2", HTTP_X_TRACE="t1", HTTP_HOST="127.0.0.1:8000", CONTENT_TYPE="text/plain")
    assert event["version"] == "2.0" and event["routeKey"] == "$default"
    assert event["cookies"] == ["a=1", "b=2"]
    assert "cookie" not in event["headers"]
    assert event["headers"]["x-trace"] == "t1"
    assert event["headers"]["content-type"] == "text/plain"
    assert event["rawPath"] == "/uploads/a%20b"
    assert event["rawQueryString"] == "x=1&x=2&y="
    assert event["queryStringParameters"] == {"x": "1,2", "y": ""}
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["requestContext"]["stage"] == "$default"


def test_binary_bodies_are_base64_and_text_bodies_are_not():
    png = b"\x89PNG\r\n\x1a\n\0\0"
    binary = build(png, CONTENT_TYPE="multipart/form-data; boundary=x")
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == png
    text = build(b'{"filename": "a.png"}', CONTENT_TYPE="application/json")
    assert text["isBase64Encoded"] is False
    assert text["body"] == '{"filename": "a.png"}'
