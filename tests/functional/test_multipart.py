"""Multipart presigned uploads against moto's S3 server over HTTP: real part PUTs,
completion checks, validation of the completion event (sent twice), download, abort,
resume and checksums."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support import corpus
from tests.support.helpers import keys, served_key
from tests.support.largefiles import MiB, download, open_multipart_uploads, png_of, put, sha256_b64, validate

pytestmark = pytest.mark.server


def start(live_client, data: bytes, name: str = "scan.png", **extra) -> dict:
    response = live_client.post("/uploads", json={"filename": name, "size": len(data), **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def send_parts(body: dict, data: bytes, numbers=None) -> dict[int, str]:
    part_size = body["upload"]["part_size"]
    etags = {}
    for part in body["upload"]["parts"]:
        n = part["part_number"]
        if numbers is None or n in numbers:
            etags[n] = put(part["url"], data[(n - 1) * part_size : n * part_size], part.get("headers"))
    return etags


def complete(live_client, upload_id: str, etags: dict[int, str]):
    parts = [{"part_number": n, "etag": e} for n, e in sorted(etags.items())]
    return live_client.post(f"/uploads/{upload_id}/complete", json={"parts": parts})


def test_round_trip_parts_complete_validate_download(live_client, live_app, live, live_bucket):
    data = png_of(12)
    body = start(live_client, data)
    upload = body["upload"]
    assert body["status"] == "pending"
    assert upload["method"] == "multipart"
    assert upload["part_size"] == 5 * MiB
    assert upload["part_count"] == 3
    assert [p["part_number"] for p in upload["parts"]] == [1, 2, 3]
    assert all(f"/incoming/{body['id']}" in p["url"] for p in upload["parts"])

    etags = send_parts(body, data)
    done = complete(live_client, body["id"], etags)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "pending"
    assert open_multipart_uploads(live, live_bucket) == []

    # S3 (and moto) may deliver the completion event twice: validated once.
    assert validate(live_app, body["id"], event="s3_multipart_twice.json") == {
        "processed": 2,
        "accepted": 1,
        "rejected": 0,
        "skipped": 1,
    }
    resource = live_client.get(f"/uploads/{body['id']}").get_json()
    assert (resource["status"], resource["size"], resource["content_type"]) == ("accepted", len(data), "image/png")
    assert download(live_client, body["id"]) == data
    assert keys(live, live_bucket) == [served_key(body["id"], data), f"records/{body['id']}.json"]
    # Completing again after success is harmless.
    assert complete(live_client, body["id"], etags).status_code == 200


def test_part_urls_are_signed_for_their_part_and_its_length(live_client):
    body = start(live_client, png_of(12))
    for part in body["upload"]["parts"]:
        url = urlsplit(part["url"])
        query = parse_qs(url.query)
        assert url.path.endswith(f"/incoming/{body['id']}")
        assert query["X-Amz-SignedHeaders"] == ["content-length;host"]  # moto does not check it; S3 does
        assert query["partNumber"] == [str(part["part_number"])]
        assert part["headers"] == {}


def test_a_wrong_total_size_is_refused_and_the_upload_stays_completable(live_client, live_app, live, live_bucket):
    data = png_of(12)
    body = start(live_client, data)
    short = data[:-100]  # the last part sent 100 bytes short of the declared size
    etags = send_parts(body, short)
    response = complete(live_client, body["id"], etags)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "size_mismatch"
    assert (error["received_size"], error["declared_size"]) == (len(short), len(data))
    # Nothing changed: the upload is still pending, its multipart upload still open.
    assert live_client.get(f"/uploads/{body['id']}").get_json()["status"] == "pending"
    assert open_multipart_uploads(live, live_bucket) == [f"incoming/{body['id']}"]
    # The client sends the right last part and completes: accepted.
    last = body["upload"]["parts"][-1]
    etags[3] = put(last["url"], data[10 * MiB :])
    assert complete(live_client, body["id"], etags).status_code == 200
    validate(live_app, body["id"])
    assert live_client.get(f"/uploads/{body['id']}").get_json()["status"] == "accepted"


@pytest.mark.parametrize(
    "tamper, detail",
    [
        (lambda etags: {**etags, 2: '"0123456789abcdef0123456789abcdef"'}, "ETag"),
        (lambda etags: {n: e for n, e in etags.items() if n != 2}, "leaves out"),
        (lambda etags: {**etags, 4: etags[3]}, "no part 4"),
    ],
    ids=["wrong-etag", "part-left-out", "part-never-sent"],
)
def test_a_wrong_part_list_cannot_kill_an_upload_in_flight(live_client, live_app, live, live_bucket, tamper, detail):
    data = png_of(12)
    body = start(live_client, data)
    etags = send_parts(body, data)
    # Anyone who knows the id can post a wrong list: refused, and nothing changes.
    response = complete(live_client, body["id"], tamper(etags))
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "parts_mismatch"
    assert detail in error["message"]
    assert "upload_status" not in error
    assert open_multipart_uploads(live, live_bucket) == [f"incoming/{body['id']}"]
    assert live_client.get(f"/uploads/{body['id']}").get_json()["status"] == "pending"
    # The owner's right list still completes it.
    assert complete(live_client, body["id"], etags).status_code == 200
    validate(live_app, body["id"])
    assert download(live_client, body["id"]) == data


def test_delete_aborts_an_unfinished_upload(live_client, live, live_bucket):
    data = png_of(12)
    body = start(live_client, data)
    send_parts(body, data, numbers={1})
    assert open_multipart_uploads(live, live_bucket) == [f"incoming/{body['id']}"]
    assert live_client.delete(f"/uploads/{body['id']}").status_code == 204
    assert open_multipart_uploads(live, live_bucket) == []
    assert keys(live, live_bucket) == []
    assert live_client.get(f"/uploads/{body['id']}").status_code == 404
    assert complete(live_client, body["id"], {1: "x"}).get_json()["error"]["code"] == "not_found"


def test_resume_after_an_interruption_sends_only_missing_parts(live_client, live_app):
    data = png_of(12)
    body = start(live_client, data)
    first = send_parts(body, data, numbers={1})  # then the live_client lost its place

    held = live_client.get(f"/uploads/{body['id']}/parts").get_json()
    assert held["part_size"] == 5 * MiB and held["part_count"] == 3
    assert [(p["part_number"], p["etag"], p["size"]) for p in held["parts"]] == [(1, first[1], 5 * MiB)]

    fresh = live_client.post(f"/uploads/{body['id']}/parts", json={"part_numbers": [2, 3]}).get_json()["parts"]
    etags = {1: held["parts"][0]["etag"]}
    for part in fresh:
        n = part["part_number"]
        etags[n] = put(part["url"], data[(n - 1) * 5 * MiB : n * 5 * MiB])
    assert complete(live_client, body["id"], etags).status_code == 200
    validate(live_app, body["id"], event="s3_multipart_twice.json")
    assert download(live_client, body["id"]) == data


def test_checksums_are_pinned_on_every_part_and_recorded(live_client, live_app):
    data = png_of(12)
    body = start(live_client, data, checksum_algorithm="SHA256")
    assert body["upload"]["parts"] == []  # each URL pins a digest only the live_client knows
    assert body["upload"]["checksum_algorithm"] == "SHA256"

    refused = live_client.post(f"/uploads/{body['id']}/parts", json={"part_numbers": [1]})
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "invalid_request"

    chunks = {n: data[(n - 1) * 5 * MiB : n * 5 * MiB] for n in (1, 2, 3)}
    sums = {str(n): sha256_b64(c) for n, c in chunks.items()}
    parts = live_client.post(
        f"/uploads/{body['id']}/parts", json={"part_numbers": [1, 2, 3], "checksums_sha256": sums}
    ).get_json()["parts"]
    etags = {}
    for part in parts:
        n = part["part_number"]
        signed = parse_qs(urlsplit(part["url"]).query)["X-Amz-SignedHeaders"][0].split(";")
        assert "x-amz-checksum-sha256" in signed and "content-length" in signed
        assert part["headers"]["x-amz-checksum-sha256"] == sums[str(n)]
        etags[n] = put(part["url"], chunks[n], part["headers"])
    assert complete(live_client, body["id"], etags).status_code == 200
    validate(live_app, body["id"], event="s3_multipart_twice.json")
    resource = live_client.get(f"/uploads/{body['id']}").get_json()
    assert resource["status"] == "accepted"
    assert resource["checksum"]["algorithm"] == "SHA256"
    assert resource["checksum"]["value"]


def test_a_single_put_can_pin_its_checksum(live_client, live_app):
    from tests.support import samples

    data = samples.pdf()
    body = start(live_client, data, name="paper.pdf", checksum_sha256=sha256_b64(data))
    upload = body["upload"]
    assert upload["method"] == "PUT"
    signed = parse_qs(urlsplit(upload["url"]).query)["X-Amz-SignedHeaders"][0].split(";")
    assert "x-amz-checksum-sha256" in signed
    put(upload["url"], data, upload["headers"])
    validate(live_app, body["id"])
    resource = live_client.get(f"/uploads/{body['id']}").get_json()
    assert resource["status"] == "accepted"
    assert (resource["checksum"]["algorithm"], resource["checksum"]["value"]) == ("SHA256", sha256_b64(data))


@pytest.mark.parametrize(
    "body",
    [
        {"checksum_sha256": "not base64!"},
        {"checksum_sha256": "AAAA"},
        {"checksum_algorithm": "MD5"},
        {"checksum_sha256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", "method": "POST"},
    ],
)
def test_bad_checksum_fields_are_invalid_request(live_client, body):
    response = live_client.post("/uploads", json={"filename": "a.pdf", "size": 1000, **body})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_request"


def test_parts_and_complete_on_a_single_upload_are_409(live_client):
    body = start(live_client, b"x" * 1000, name="small.pdf")
    for path, payload in (("parts", {"part_numbers": [1]}), ("complete", {"parts": [{"part_number": 1, "etag": "x"}]})):
        response = live_client.post(f"/uploads/{body['id']}/{path}", json=payload)
        assert response.status_code == 409
        assert response.get_json()["error"]["code"] == "not_multipart"


@pytest.mark.parametrize(
    "payload",
    [
        {"part_numbers": [0]},
        {"part_numbers": [4]},
        {"part_numbers": ["1"]},
        {"part_numbers": []},
        {},
        {"part_numbers": list(range(1, 600))},
    ],
)
def test_signing_parts_outside_the_plan_is_invalid_request(live_client, payload):
    body = start(live_client, png_of(12))
    response = live_client.post(f"/uploads/{body['id']}/parts", json=payload)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize("key", ["²", "①", "٣", "１", "1.0", " 1", "-1", "0", "10001", "99999999999999999999999"])
def test_a_checksum_keyed_by_anything_but_a_part_number_is_invalid_request(live_client, key):
    """JSON object keys are strings: only ASCII digits name a part (int() takes '٣' as 3
    and '²' passes str.isdigit() and then fails int(): a 500 before)."""
    body = start(live_client, png_of(12), checksum_algorithm="SHA256")
    digest = sha256_b64(b"x")
    response = live_client.post(
        f"/uploads/{body['id']}/parts", json={"part_numbers": [1], "checksums_sha256": {"1": digest, key: digest}}
    )
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize("payload", [{}, {"parts": "x"}, {"parts": [{"part_number": 1}]}, {"parts": [{"etag": "x"}]}])
def test_a_malformed_completion_is_invalid_request(live_client, payload):
    body = start(live_client, png_of(12))
    response = live_client.post(f"/uploads/{body['id']}/complete", json=payload)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_request"


def test_a_multipart_upload_that_fails_validation_is_rejected(live_client, live_app, live, live_bucket):
    data = b"%PDF-1.4\n" + b"\0" * (6 * MiB)  # a PDF's bytes under a .png name
    body = start(live_client, data)
    assert complete(live_client, body["id"], send_parts(body, data)).status_code == 200
    validate(live_app, body["id"], event="s3_multipart_twice.json")
    resource = live_client.get(f"/uploads/{body['id']}").get_json()
    assert resource["status"] == "rejected"
    assert resource["reason"]["code"] in ("content_mismatch", "content_type_not_allowed")
    assert keys(live, live_bucket) == [f"records/{body['id']}.json"]


def test_a_noise_jpeg_photo_round_trips_through_multipart(live_client, live_app):
    data = corpus.jpeg(11 * MiB)
    body = start(live_client, data, name="DSC_0042.jpg")
    assert body["upload"]["part_count"] == 3
    assert complete(live_client, body["id"], send_parts(body, data)).status_code == 200
    validate(live_app, body["id"])
    assert live_client.get(f"/uploads/{body['id']}").get_json()["content_type"] == "image/jpeg"
    assert download(live_client, body["id"]) == data
