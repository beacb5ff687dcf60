"""`make dev` as a user meets it: uploads over HTTP, validation through the local S3's own
event notifications, downloads, rejections, the payload limit, the bucket's CORS."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from tests.support import corpus, samples

from .conftest import ALLOWED_ORIGIN

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BUCKET_FILE = Path(__file__).resolve().parents[2] / "infra" / "bucket.json"


def download(stack, upload_id: str) -> requests.Response:
    answer = requests.get(f"{stack.api}/uploads/{upload_id}/content", allow_redirects=False, timeout=5)
    assert answer.status_code == 303, answer.text
    assert answer.headers["Location"].startswith(stack.s3 + "/")
    return requests.get(answer.headers["Location"], timeout=5)


def presign(stack, filename: str, data: bytes, **extra) -> dict:
    answer = requests.post(f"{stack.api}/uploads", json={"filename": filename, "size": len(data), **extra}, timeout=5)
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "pending"
    return answer.json()


def test_inline_upload_is_stored_and_downloadable(stack):
    png = samples.png()
    answer = requests.post(f"{stack.api}/uploads", files={"file": ("photo.png", png, "image/png")}, timeout=10)
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "accepted"
    got = download(stack, answer.json()["id"])
    assert got.status_code == 200
    assert got.content == png
    assert "attachment" in got.headers["Content-Disposition"]


def test_presigned_put_is_validated_through_the_bucket_notification(stack):
    docx = samples.docx()
    issued = presign(stack, "report.docx", docx)
    sent = requests.put(issued["upload"]["url"], data=docx, headers=issued["upload"]["headers"], timeout=10)
    assert sent.status_code == 200
    decided = stack.wait_for_status(issued["id"], timeout=5)
    assert decided["status"] == "accepted"
    assert decided["content_type"] == DOCX
    assert download(stack, issued["id"]).content == docx


def test_presigned_form_post_from_a_browser_origin_gets_cors_and_is_validated(stack):
    png = samples.png(32)
    issued = presign(stack, "photo.png", png, method="POST")
    form = issued["upload"]
    sent = requests.post(
        form["url"],
        data=form["fields"],
        files={"file": ("photo.png", png, "image/png")},
        headers={"Origin": ALLOWED_ORIGIN},
        timeout=10,
    )
    assert sent.status_code in (200, 204), sent.text
    assert sent.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "ETag" in sent.headers["Access-Control-Expose-Headers"]
    assert stack.wait_for_status(issued["id"], timeout=5)["status"] == "accepted"


def test_a_file_that_is_not_what_its_name_says_is_rejected_and_never_served(stack):
    issued = presign(stack, "photo.png", samples.pdf(), content_type="image/png")
    requests.put(issued["upload"]["url"], data=samples.pdf(), headers=issued["upload"]["headers"], timeout=10)
    decided = stack.wait_for_status(issued["id"], timeout=5)
    assert decided["status"] == "rejected"
    assert decided["reason"]["code"] == "content_mismatch"
    content = requests.get(f"{stack.api}/uploads/{issued['id']}/content", allow_redirects=False, timeout=5)
    assert content.status_code == 409
    assert content.json()["error"]["code"] == "rejected"
    left = stack.s3_client().list_objects_v2(Bucket=stack.bucket).get("Contents", [])
    assert not [o["Key"] for o in left if issued["id"] in o["Key"] and not o["Key"].startswith("records/")]


@pytest.mark.parametrize("make, size", [(corpus.jpeg, 800 * corpus.KB), (corpus.png, 4 * corpus.MiB - 1024)])
def test_a_photo_sent_with_curl_is_accepted(stack, tmp_path, make, size):
    """The issue's reproduction: `curl -F file=@photo.jpg` answered a false 413."""
    import shutil
    import subprocess

    path = tmp_path / f"IMG_2041.{make.__name__}"
    path.write_bytes(make(size))
    curl = shutil.which("curl")
    if curl:
        out = subprocess.run(
            [curl, "-sS", "-F", f"file=@{path}", f"{stack.api}/uploads"], capture_output=True, timeout=60
        )
        answer = json.loads(out.stdout)
    else:  # the same multipart/form-data body, from requests
        answer = requests.post(
            f"{stack.api}/uploads", files={"file": (path.name, path.read_bytes())}, timeout=60
        ).json()
    assert answer.get("status") == "accepted", answer
    assert download(stack, answer["id"]).content == path.read_bytes()


@pytest.mark.parametrize("size", [int(4.2 * 2**20), 7 * 2**20, 12 * 2**20])
def test_a_body_past_the_limits_gets_the_contract_413_not_a_dropped_connection(stack, size):
    # 4.2 MiB: over INLINE_MAX_BYTES (Flask says so); 7 MiB: a Lambda event over 6 MB once
    # base64-encoded; 12 MiB: over API Gateway's 10 MB.
    answer = requests.post(f"{stack.api}/uploads", files={"file": ("big.png", b"\0" * size)}, timeout=30)
    assert answer.status_code == 413
    assert answer.headers["Content-Type"].startswith("application/json")
    error = answer.json()["error"]
    assert error["code"] == "too_large_for_inline"
    assert error["max_inline_bytes"] == 4 * 2**20


def test_the_bucket_answers_preflights_only_for_allowed_origins(stack):
    issued = presign(stack, "photo.png", samples.png())
    preflight = {"Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "content-type"}
    allowed = requests.options(issued["upload"]["url"], headers={"Origin": ALLOWED_ORIGIN, **preflight}, timeout=5)
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "PUT" in allowed.headers["Access-Control-Allow-Methods"]
    assert allowed.headers["Access-Control-Expose-Headers"] == "ETag"
    denied = requests.options(
        issued["upload"]["url"], headers={"Origin": "https://evil.example", **preflight}, timeout=5
    )
    assert denied.status_code == 403
    assert "Access-Control-Allow-Origin" not in denied.headers
    sent = requests.put(
        issued["upload"]["url"],
        data=samples.png(),
        timeout=10,
        headers={**issued["upload"]["headers"], "Origin": "https://evil.example"},
    )
    assert sent.status_code == 200  # S3 stores it; the browser would hide the answer
    assert "Access-Control-Allow-Origin" not in sent.headers


def test_the_local_bucket_has_the_settings_serverless_yml_deploys(stack):
    declared = json.loads(BUCKET_FILE.read_text("utf-8"))
    s3 = stack.s3_client()
    (cors,) = s3.get_bucket_cors(Bucket=stack.bucket)["CORSRules"]
    assert cors["AllowedOrigins"] == [ALLOWED_ORIGIN]
    assert cors["ExposeHeaders"] == declared["cors"]["ExposedHeaders"] == ["ETag"]
    assert sorted(cors["AllowedMethods"]) == sorted(declared["cors"]["AllowedMethods"])
    rules = s3.get_bucket_lifecycle_configuration(Bucket=stack.bucket)["Rules"]

    def local(rule):
        flt = rule["Filter"].get("And", rule["Filter"])
        return rule["ID"], flt.get("Prefix", ""), flt.get("Tags", [])

    # No prefix: the rule covers the whole bucket (the multipart abort rule).
    declared_rules = [(r["Id"], r.get("Prefix", ""), r.get("TagFilters", [])) for r in declared["lifecycle"]]
    assert [local(r) for r in rules] == declared_rules
    (queue,) = s3.get_bucket_notification_configuration(Bucket=stack.bucket)["QueueConfigurations"]
    assert queue["Events"] == [declared["notification"]["event"]]
    (rule,) = queue["Filter"]["Key"]["FilterRules"]
    assert (
        (rule["Name"].lower(), rule["Value"])
        == ("prefix", declared["notification"]["prefix"])
        == ("prefix", "incoming/")
    )


def test_writes_outside_the_incoming_prefix_do_not_reach_the_validator(stack):
    s3 = stack.s3_client()
    s3.put_object(Bucket=stack.bucket, Key="files/not-an-upload", Body=b"x")
    issued = presign(stack, "photo.png", samples.png())
    requests.put(issued["upload"]["url"], data=samples.png(), headers=issued["upload"]["headers"], timeout=10)
    assert stack.wait_for_status(issued["id"])["status"] == "accepted"
    assert "files/not-an-upload" not in stack.output()


def test_a_form_encoded_put_is_refused_as_s3_would_and_nothing_lands(stack):
    """`curl -d @file URL` sends application/x-www-form-urlencoded: S3 refuses the signature;
    moto alone would hang or store an empty object."""
    issued = presign(stack, "photo.png", samples.png())
    refused = requests.put(
        issued["upload"]["url"],
        data=samples.png(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert refused.status_code == 403
    assert b"SignatureDoesNotMatch" in refused.content and b"curl -T" in refused.content
    assert stack.s3_client().list_objects_v2(Bucket=stack.bucket, Prefix="incoming/").get("KeyCount", 0) == 0
    sent = requests.put(issued["upload"]["url"], data=samples.png(), headers=issued["upload"]["headers"], timeout=10)
    assert sent.status_code == 200
    assert stack.wait_for_status(issued["id"])["status"] == "accepted"


def test_a_presigned_jpeg_with_trailing_padding_is_served_without_it(stack):
    """What Uppy and the CLI send for many phone photos: a ~1 MB JPEG padded after its end."""
    photo = corpus.noise_jpeg(19, 1024 * 1024)
    padded = photo + b"\x00" * 4096
    issued = presign(stack, "IMG_0019.jpg", padded)
    sent = requests.put(issued["upload"]["url"], data=padded, headers=issued["upload"]["headers"], timeout=10)
    assert sent.status_code == 200
    decided = stack.wait_for_status(issued["id"], timeout=20)
    assert decided["status"] == "accepted", decided
    assert decided["size"] == len(photo)
    assert download(stack, issued["id"]).content == photo
