"""The Uppy Companion S3 routes, driven as @uppy/aws-s3 drives them: the same calls, query
strings and bodies, real uploads to moto's S3 server, then validation and download."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, urlencode

import pytest
import requests

from tests.support import samples
from tests.support.helpers import keys
from tests.support.largefiles import MiB, download, open_multipart_uploads, png_of, validate

pytestmark = pytest.mark.server


def enc(value: str) -> str:
    """JavaScript's encodeURIComponent."""
    return quote(value, safe="-_.!~*'()")


def test_single_file_presigned_form_post(live_client, live_app, live, live_bucket):
    data = samples.png()
    # getUploadParameters: new URLSearchParams({filename, type, ...querified metadata})
    query = urlencode(
        {"filename": "holiday.png", "type": "image/png", "metadata[name]": "holiday.png", "metadata[type]": "image/png"}
    )
    response = live_client.get(f"/s3/params?{query}")
    assert response.status_code == 200, response.get_json()
    params = response.get_json()
    assert params["method"] == "POST"
    assert params["expires"] == 900
    policy = json.loads(base64.b64decode(params["fields"]["policy"]))
    key = params["fields"]["key"]
    assert key.startswith("incoming/") and "holiday" not in key
    assert ["eq", "$key", key] in policy["conditions"]
    assert ["eq", "$Content-Type", "image/png"] in policy["conditions"]
    max_bytes = live_app.extensions["upload_config"].max_bytes_for("png")  # MAX_UPLOAD_BYTES, or less (budget.py)
    assert ["content-length-range", 1, max_bytes] in policy["conditions"]

    upload_id = key.removeprefix("incoming/")
    record = live_client.get(f"/uploads/{upload_id}").get_json()
    assert (record["status"], record["size"], record["filename"]) == ("pending", None, "holiday.png")

    # The plugin sends a multipart form: fields first, the file last.
    posted = requests.post(
        params["url"], data=params["fields"], files={"file": ("holiday.png", data, "image/png")}, timeout=30
    )
    assert posted.status_code in (200, 201, 204), posted.text
    assert validate(live_app, upload_id)["accepted"] == 1
    assert live_client.get(f"/uploads/{upload_id}").get_json()["status"] == "accepted"
    assert download(live_client, upload_id) == data


def test_multipart_as_the_plugin_does_it(live_client, live_app, live, live_bucket):
    data = png_of(11)
    chunk = max(5 * MiB, -(-len(data) // 10000))  # the plugin's own chunk size
    created = live_client.post(
        "/s3/multipart",
        json={
            "filename": "scan.png",
            "type": "image/png",
            "metadata": {"name": "scan.png", "type": "image/png"},
        },
    )
    assert created.status_code == 200, created.get_json()
    key, upload_id = created.get_json()["key"], created.get_json()["uploadId"]
    assert key.startswith("incoming/")
    base = f"/s3/multipart/{enc(upload_id)}"

    parts = []
    for number, start in enumerate(range(0, len(data), chunk), start=1):
        signed = live_client.get(f"{base}/{number}?key={enc(key)}")
        assert signed.status_code == 200, signed.get_json()
        assert signed.get_json()["expires"] == 900
        put = requests.put(signed.get_json()["url"], data=data[start : start + chunk], timeout=30)
        assert put.status_code == 200
        parts.append({"PartNumber": number, "ETag": put.headers["ETag"]})  # read from the response header
        if number == 1:
            # A paused upload asks what S3 holds before going on.
            listed = live_client.get(f"{base}?key={enc(key)}").get_json()
            assert listed == [{"PartNumber": 1, "ETag": parts[0]["ETag"], "Size": chunk}]
    assert len(parts) == 3

    batch = live_client.get(f"{base}/batch?key={enc(key)}&partNumbers=1,2").get_json()
    assert sorted(batch["presignedUrls"]) == ["1", "2"]

    done = live_client.post(f"{base}/complete?key={enc(key)}", json={"parts": parts})
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    resource_id = key.removeprefix("incoming/")
    assert body["key"] == key and body["bucket"] == live_bucket
    assert body["location"].endswith(f"/uploads/{resource_id}")
    assert open_multipart_uploads(live, live_bucket) == []

    assert validate(live_app, resource_id, event="s3_multipart_twice.json")["accepted"] == 1
    resource = live_client.get(f"/uploads/{resource_id}").get_json()
    assert (resource["status"], resource["size"]) == ("accepted", len(data))
    assert download(live_client, resource_id) == data


def test_abort_removes_the_upload(live_client, live, live_bucket):
    created = live_client.post(
        "/s3/multipart", json={"filename": "scan.pdf", "type": "application/pdf", "metadata": {}}
    )
    key, upload_id = created.get_json()["key"], created.get_json()["uploadId"]
    response = live_client.delete(f"/s3/multipart/{enc(upload_id)}?key={enc(key)}")
    assert response.status_code == 200 and response.get_json() == {}
    assert open_multipart_uploads(live, live_bucket) == []
    assert keys(live, live_bucket) == []
    assert live_client.get(f"/uploads/{key.removeprefix('incoming/')}").status_code == 404


def test_over_max_size_is_refused_at_completion_and_the_upload_stays_completable(make_app, live):
    app = make_app(MAX_UPLOAD_BYTES=12 * MiB)  # at Uppy's 5 MiB chunks: 3 parts at most
    client = app.test_client()
    bucket = app.extensions["upload_config"].bucket
    data = png_of(11)
    created = client.post("/s3/multipart", json={"filename": "big.png", "type": "image/png", "metadata": {}}).get_json()
    base, key = f"/s3/multipart/{enc(created['uploadId'])}", created["key"]
    urls = {n: client.get(f"{base}/{n}?key={enc(key)}").get_json()["url"] for n in (1, 2, 3)}
    refused = client.get(f"{base}/4?key={enc(key)}")
    assert refused.status_code == 400 and refused.get_json()["error"]["part_count"] == 3
    etags = {
        n: requests.put(urls[n], data=data[(n - 1) * 5 * MiB : n * 5 * MiB], timeout=30).headers["ETag"] for n in (1, 2)
    }
    etags[3] = requests.put(urls[3], data=data[: 5 * MiB], timeout=30).headers["ETag"]  # 15 MiB in all

    def complete():
        parts = [{"PartNumber": n, "ETag": e} for n, e in sorted(etags.items())]
        return client.post(f"{base}/complete?key={enc(key)}", json={"parts": parts})

    response = complete()
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    assert open_multipart_uploads(live, bucket) == [key]
    assert client.get(f"/uploads/{key.removeprefix('incoming/')}").get_json()["status"] == "pending"
    # The right last part makes it 11 MiB: it completes and is accepted.
    etags[3] = requests.put(urls[3], data=data[10 * MiB :], timeout=30).headers["ETag"]
    assert complete().status_code == 200
    upload_id = key.removeprefix("incoming/")
    validate(app, upload_id)
    assert download(client, upload_id) == data


def test_part_urls_stop_at_what_max_upload_bytes_needs(live_client, live_app):
    created = live_client.post(
        "/s3/multipart", json={"filename": "a.png", "type": "image/png", "metadata": {}}
    ).get_json()
    base, key = f"/s3/multipart/{enc(created['uploadId'])}", enc(created["key"])
    # 5 GiB (the default MAX_UPLOAD_BYTES) at Uppy's smallest chunk, 5 MiB: 1,024 parts.
    assert live_client.get(f"{base}/1024?key={key}").status_code == 200
    for number in (1025, 10_000):
        response = live_client.get(f"{base}/{number}?key={key}")
        assert response.status_code == 400
        assert response.get_json()["error"]["part_count"] == 1024
    assert live_client.get(f"{base}/batch?key={key}&partNumbers={','.join(map(str, range(1, 101)))}").status_code == 200
    response = live_client.get(f"{base}/batch?key={key}&partNumbers={','.join(map(str, range(1, 501)))}")
    assert response.status_code == 400
    assert response.get_json()["error"]["limit"] == 100


@pytest.mark.parametrize(
    "request_",
    [
        lambda c: c.get("/s3/params?filename=setup.exe&type=application/octet-stream"),
        lambda c: c.post("/s3/multipart", json={"filename": "setup.exe", "type": "", "metadata": {}}),
        lambda c: c.get("/s3/params?filename=photo.png&type=application/pdf"),
    ],
    ids=["params-extension", "multipart-extension", "params-type-mismatch"],
)
def test_names_and_types_are_checked_as_everywhere(live_client, request_):
    response = request_(live_client)
    assert response.status_code == 415
    assert response.get_json()["error"]["code"] in ("extension_not_allowed", "content_mismatch")


def test_missing_filename_is_a_json_400(live_client):
    for response in (
        live_client.get("/s3/params"),
        live_client.post("/s3/multipart", json={"type": "image/png"}),
        live_client.post("/s3/multipart", data="nope"),
    ):
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] in ("empty_filename", "invalid_request")


ROUTES = [
    ("get", "{base}?key={key}", None),
    ("get", "{base}/1?key={key}", None),
    ("get", "{base}/batch?key={key}&partNumbers=1", None),
    ("post", "{base}/complete?key={key}", {"parts": [{"PartNumber": 1, "ETag": "x"}]}),
    ("delete", "{base}?key={key}", None),
]


@pytest.fixture
def issued(live_client):
    created = live_client.post("/s3/multipart", json={"filename": "a.pdf", "type": "application/pdf", "metadata": {}})
    return created.get_json()


@pytest.mark.parametrize("method, path, body", ROUTES)
@pytest.mark.parametrize(
    "key_of, status, code",
    [
        (lambda i: "files/" + i["key"].removeprefix("incoming/"), 403, "key_not_allowed"),
        (lambda i: "records/" + i["key"].removeprefix("incoming/") + ".json", 403, "key_not_allowed"),
        (lambda i: i["key"] + "/../../files/x", 403, "key_not_allowed"),
        (lambda i: "incoming/AAAAAAAAAAAAAAAAAAAAAA", 404, "not_found"),
        (lambda i: "", 400, "invalid_request"),
    ],
    ids=["served-prefix", "records-prefix", "dot-dot", "never-issued", "missing"],
)
def test_keys_not_issued_here_are_refused(
    live_client, live, live_bucket, issued, method, path, body, key_of, status, code
):
    url = path.format(base=f"/s3/multipart/{enc(issued['uploadId'])}", key=enc(key_of(issued)))
    response = getattr(live_client, method)(url, json=body)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    # Nothing was written or aborted outside the issued upload.
    assert open_multipart_uploads(live, live_bucket) == [issued["key"]]


def test_another_uploads_id_with_a_key_is_refused(live_client, issued):
    other = live_client.post("/s3/multipart", json={"filename": "b.pdf", "type": "application/pdf", "metadata": {}})
    url = f"/s3/multipart/{enc(other.get_json()['uploadId'])}/1?key={enc(issued['key'])}"
    response = live_client.get(url)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_a_single_upload_key_cannot_be_used_for_multipart(live_client):
    params = live_client.get("/s3/params?filename=a.pdf&type=application/pdf").get_json()
    response = live_client.get(f"/s3/multipart/whatever/1?key={enc(params['fields']['key'])}")
    assert response.status_code == 404


@pytest.mark.parametrize("number", ["²", "①", "٣", "１", "+1", "1e3", "99999999999999999999999"])
def test_odd_numerals_as_part_numbers_are_400(live_client, issued, number):
    """Werkzeug's int converter took any script's digits ('٣' signed part 3); '²' and '①'
    passed str.isdigit() and failed int() (a 500). Only ASCII digits are numbers here."""
    base, key = f"/s3/multipart/{enc(issued['uploadId'])}", enc(issued["key"])
    for path in (f"{base}/{enc(number)}?key={key}", f"{base}/batch?key={key}&partNumbers=1,{enc(number)}"):
        response = live_client.get(path)
        assert response.status_code == 400, (path, response.get_json())
        assert response.get_json()["error"]["code"] == "invalid_request"


def completed(client, **headers) -> dict:
    """A Companion multipart upload of one part, completed (with extra request headers)."""
    created = client.post("/s3/multipart", json={"filename": "p.png", "type": "image/png", "metadata": {}}).get_json()
    base, key = f"/s3/multipart/{enc(created['uploadId'])}", enc(created["key"])
    url = client.get(f"{base}/1?key={key}").get_json()["url"]
    etag = requests.put(url, data=samples.png(), timeout=30).headers["ETag"]
    done = client.post(f"{base}/complete?key={key}", json={"parts": [{"PartNumber": 1, "ETag": etag}]}, headers=headers)
    assert done.status_code == 200, done.get_json()
    return {**done.get_json(), "id": created["key"].removeprefix("incoming/")}


def test_location_never_comes_from_the_host_header(live_client):
    """Any client sets Host; the service must not hand out a URL it did not choose. Without
    API_BASE_URL, `location` is a path, as every link in this API."""
    body = completed(live_client, Host="evil.example")
    assert body["location"] == f"/uploads/{body['id']}"


def test_location_is_built_from_api_base_url(make_app, live):
    app = make_app(API_BASE_URL="https://abc123.execute-api.eu-west-1.amazonaws.com/prod")
    body = completed(app.test_client(), Host="evil.example")
    assert body["location"] == f"https://abc123.execute-api.eu-west-1.amazonaws.com/prod/uploads/{body['id']}"
