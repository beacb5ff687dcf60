"""Issue 10, items 1-3: real photos pass inline whatever their bytes; each limit on a
request answers with its own code; no malformed body or event is ever a 500."""

from __future__ import annotations

import base64
import io
import json
import random

import pytest

from tests.support import corpus
from tests.support.helpers import keys, load_event, served_bytes, v2_post


def form(*files):
    return {"file": [(io.BytesIO(data), name) for name, data in files]}


PHOTOS = [
    pytest.param(make, size, id=f"{make.__name__}-{size}")
    for make in (corpus.jpeg, corpus.png, corpus.gif)
    for size in corpus.SIZES
]


@pytest.mark.parametrize("make, size", PHOTOS)
def test_noise_photos_up_to_the_inline_limit_are_accepted_intact(client, s3, make, size):
    data = make(size)
    response = client.post("/uploads", data=form((f"holiday.{make.__name__}", data)))
    assert response.status_code == 201, response.get_json()
    upload = response.get_json()
    assert upload["size"] == len(data)
    assert served_bytes(s3, upload["id"]) == data


def test_a_photo_just_under_the_limit_passes_through_the_lambda_handler(handler, s3):
    data = corpus.jpeg(4 * corpus.MiB - 1024)
    boundary = "----WebKitFormBoundaryq8Zp0uYbE2tP"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nmy trip\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="IMG_2041.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = handler.api(v2_post(body, f"multipart/form-data; boundary={boundary}"), None)
    assert response["statusCode"] == 201, response["body"][:300]
    upload = json.loads(response["body"])
    assert served_bytes(s3, upload["id"]) == data


def _refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data()[:300]
    error = response.get_json()["error"]
    assert error["code"] == code
    return error


def test_a_70_kb_text_field_is_refused_naming_the_field_limit(client, s3):
    data = {"note": "x" * 70_000, "file": (io.BytesIO(corpus.jpeg(50 * corpus.KB)), "a.jpg")}
    error = _refused(client.post("/uploads", data=data), 413, "request_too_large")
    assert error["limit"] == 64 * 1024
    assert "note" in error["message"] and "65536" in error["message"]
    assert keys(s3) == []


def test_101_file_parts_are_refused_naming_the_part_limit(client, s3):
    files = [(f"p{n}.jpg", corpus.jpeg(50 * corpus.KB)[:2000]) for n in range(101)]
    error = _refused(client.post("/uploads", data=form(*files)), 413, "request_too_large")
    assert error["limit"] == 100 and "100 parts" in error["message"]
    assert keys(s3) == []


def test_a_5_mb_json_body_is_not_an_inline_error(client, s3):
    body = json.dumps({"filename": "a.png", "size": 10, "pad": "x" * 5_000_000})
    error = _refused(client.post("/uploads", data=body, content_type="application/json"), 413, "request_too_large")
    assert error["limit"] == 1024 * 1024
    assert keys(s3) == []


def test_a_2_mb_json_body_is_refused_before_it_is_parsed(client):
    body = json.dumps({"filename": "a.png", "size": 10, "pad": "x" * 2_000_000})
    _refused(client.post("/uploads", data=body, content_type="application/json"), 413, "request_too_large")


NESTED = [
    pytest.param("[" * 100_000, id="100k-brackets"),
    pytest.param('{"a":' * 50_000, id="50k-objects"),
    pytest.param('{"filename": ' + "[" * 3000 + "]" * 3000 + ', "size": 10}', id="3000-levels-in-filename"),
]


@pytest.mark.parametrize("body", NESTED)
@pytest.mark.parametrize("path", ["/uploads", "/s3/multipart"])
def test_deeply_nested_json_is_a_400(client, body, path):
    _refused(client.post(path, data=body, content_type="application/json"), 400, "invalid_request")


def v2_event(**changes) -> dict:
    event = load_event("api_v2_healthz.json")
    event.update(changes)
    return event


def _answer(handler, event) -> tuple[int, dict]:
    response = handler.api(event, None)
    body = response["body"]
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body)
    return response["statusCode"], json.loads(body)


def test_base64_flag_with_a_null_body_is_answered(handler):
    event = v2_event(isBase64Encoded=True, body=None)
    event["rawPath"] = "/uploads"
    event["requestContext"]["http"]["method"] = "POST"
    status, body = _answer(handler, event)
    assert status == 400 and body["error"]["code"] == "invalid_request"


def test_a_v2_event_without_headers_is_served(handler):
    event = v2_event()
    del event["headers"]
    assert _answer(handler, event) == (200, {"status": "ok"})


@pytest.mark.parametrize(
    "change",
    [
        {"headers": None},
        {"requestContext": None},
        {"rawPath": None},
        {"body": 42},
        {"isBase64Encoded": True, "body": "%%%"},
        {"version": "1.0", "path": None, "httpMethod": None},
    ],
    ids=str,
)
def test_malformed_events_get_the_contracts_json(handler, change):
    status, body = _answer(handler, v2_event(**change))
    assert status < 500
    assert "error" in body or body == {"status": "ok"}


def _mangle(value, rng: random.Random, depth: int = 0):
    """Replace, drop or retype parts of a real event, the way a broken integration might."""
    choices = [None, "", 0, True, [], {}, "x" * rng.randint(0, 40), rng.random()]
    if isinstance(value, dict) and depth < 3:
        out = {}
        for key, inner in value.items():
            roll = rng.random()
            if roll < 0.1:
                continue
            out[key] = rng.choice(choices) if roll < 0.25 else _mangle(inner, rng, depth + 1)
        return out
    return value


@pytest.mark.parametrize("seed", range(40))
def test_fuzzed_event_shapes_never_raise(handler, seed):
    rng = random.Random(seed)
    name = rng.choice(["api_v2_healthz.json", "api_v1_healthz.json"])
    event = _mangle(load_event(name), rng)
    status, body = _answer(handler, event)
    assert 200 <= status < 500
    assert isinstance(body, dict)
