"""The local S3 refuses what S3 refuses on presigned requests (devstack/s3_auth.py), with
S3's status and error code, so a client bug shows up here rather than on AWS; the honest
requests are in test_local_stack.py, test_cli_on_stack.py and the browser tests."""

from __future__ import annotations

import base64
import time
import xml.etree.ElementTree as ET
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support import samples
from tests.support.largefiles import sha256_b64


def s3_error(answer: requests.Response) -> tuple[int, str, str]:
    """(status, S3 error code, message) of an XML error answer."""
    assert answer.headers["Content-Type"] == "application/xml", answer.text
    root = ET.fromstring(answer.content)
    return answer.status_code, root.findtext("Code"), root.findtext("Message")


def issue(stack, filename: str, data: bytes, **extra) -> dict:
    answer = requests.post(f"{stack.api}/uploads", json={"filename": filename, "size": len(data), **extra}, timeout=5)
    assert answer.status_code == 201, answer.text
    return answer.json()


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_a_tampered_signature_is_refused(stack):
    png = samples.png(20)
    upload = issue(stack, "photo.png", png)["upload"]
    signature = dict(parse_qsl(urlsplit(upload["url"]).query))["X-Amz-Signature"]
    tampered = with_query(upload["url"], **{"X-Amz-Signature": signature[:-1] + ("0" if signature[-1] != "0" else "1")})
    status, code, _ = s3_error(requests.put(tampered, data=png, headers=upload["headers"], timeout=5))
    assert (status, code) == (403, "SignatureDoesNotMatch")
    # The untouched URL still works: the refusal stored nothing and broke nothing.
    assert requests.put(upload["url"], data=png, headers=upload["headers"], timeout=5).status_code == 200


def test_a_url_for_another_key_is_refused(stack):
    png = samples.png(20)
    upload = issue(stack, "photo.png", png)["upload"]
    other = upload["url"].replace("/incoming/", "/files/", 1)
    status, code, _ = s3_error(requests.put(other, data=png, headers=upload["headers"], timeout=5))
    assert (status, code) == (403, "SignatureDoesNotMatch")


@pytest.mark.parametrize("signature_version", ["s3v4", "s3"])
def test_expired_upload_and_download_urls_are_refused(stack, signature_version):
    """SigV4 (what the service signs) and SigV2 (what a boto3 client presigns by default)."""
    s3 = boto3.client(
        "s3",
        endpoint_url=stack.s3,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(signature_version=signature_version),
    )
    key = f"files/odd name+{signature_version}.txt"
    s3.put_object(Bucket=stack.bucket, Key=key, Body=b"kept")
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": stack.bucket, "Key": key}, ExpiresIn=1)
    put_url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": stack.bucket, "Key": "incoming/expired"}, ExpiresIn=1
    )
    fresh = s3.generate_presigned_url("get_object", Params={"Bucket": stack.bucket, "Key": key}, ExpiresIn=60)
    assert requests.get(fresh, timeout=5).content == b"kept"
    time.sleep(2.1)
    for answer in (requests.get(get_url, timeout=5), requests.put(put_url, data=b"late", timeout=5)):
        status, code, message = s3_error(answer)
        assert (status, code) == (403, "AccessDenied")
        assert message.startswith("Request has expired")


def test_the_wrong_content_length_is_refused(stack):
    png = samples.png(20)
    upload = issue(stack, "photo.png", png)["upload"]
    status, code, _ = s3_error(requests.put(upload["url"], data=png + b"\0" * 10, headers=upload["headers"], timeout=5))
    assert (status, code) == (403, "SignatureDoesNotMatch")


def test_a_missing_or_different_content_type_is_refused(stack):
    png = samples.png(20)
    upload = issue(stack, "photo.png", png)["upload"]
    without = requests.put(upload["url"], data=png, timeout=5)
    assert s3_error(without)[:2] == (403, "SignatureDoesNotMatch")
    jpeg = requests.put(upload["url"], data=png, headers={"Content-Type": "image/jpeg"}, timeout=5)
    status, code, message = s3_error(jpeg)
    assert (status, code) == (403, "SignatureDoesNotMatch")
    assert "content-type: image/jpeg" in message


def test_x_amz_headers_the_url_did_not_sign_are_refused(stack):
    png = samples.png(20)
    upload = issue(stack, "photo.png", png)["upload"]
    headers = {**upload["headers"], "x-amz-meta-owner": "someone"}
    status, code, message = s3_error(requests.put(upload["url"], data=png, headers=headers, timeout=5))
    assert (status, code) == (403, "AccessDenied")
    assert "not signed" in message


def test_a_body_that_does_not_match_the_pinned_checksum_is_refused(stack):
    png = samples.png(20)
    upload = issue(stack, "photo.png", png, checksum_sha256=sha256_b64(png))["upload"]
    corrupted = bytearray(png)
    corrupted[-20] ^= 0xFF
    status, code, _ = s3_error(requests.put(upload["url"], data=bytes(corrupted), headers=upload["headers"], timeout=5))
    assert (status, code) == (400, "BadDigest")
    assert requests.put(upload["url"], data=png, headers=upload["headers"], timeout=5).status_code == 200


def post_form(upload: dict, fields: dict, data: bytes) -> requests.Response:
    return requests.post(upload["url"], data=fields, files={"file": ("photo.png", data, "image/png")}, timeout=5)


def test_a_form_post_outside_its_content_length_range_is_refused(stack):
    png = samples.png(20)
    upload = issue(stack, "photo.png", png, method="POST")["upload"]
    assert s3_error(post_form(upload, upload["fields"], png + b"\0"))[:2] == (400, "EntityTooLarge")
    assert s3_error(post_form(upload, upload["fields"], png[:-1]))[:2] == (400, "EntityTooSmall")


def test_a_form_post_for_another_key_or_type_or_with_extra_fields_is_refused(stack):
    png = samples.png(20)
    upload = issue(stack, "photo.png", png, method="POST")["upload"]
    fields = upload["fields"]
    other_key = {**fields, "key": fields["key"].replace("incoming/", "files/")}
    status, code, message = s3_error(post_form(upload, other_key, png))
    assert (status, code) == (403, "AccessDenied")
    assert message.startswith('Invalid according to Policy: Policy Condition failed: ["eq", "$key"')
    other_type = {**fields, "Content-Type": "image/jpeg"}
    assert "$Content-Type" in s3_error(post_form(upload, other_type, png))[2]
    extra = {**fields, "acl": "public-read"}
    status, code, message = s3_error(post_form(upload, extra, png))
    assert (status, code) == (403, "AccessDenied")
    assert "Extra input fields: acl" in message
    forged = {
        **fields,
        "policy": base64.b64encode(b'{"expiration": "2999-01-01T00:00:00Z", "conditions": []}').decode(),
    }
    assert s3_error(post_form(upload, forged, png))[:2] == (403, "SignatureDoesNotMatch")
    # The honest form still works after all that.
    assert post_form(upload, fields, png).status_code in (200, 204)


def test_a_post_with_a_body_to_an_object_url_gets_a_prompt_xml_error(stack):
    png = samples.png(20)
    upload = issue(stack, "photo.png", png)["upload"]
    # curl -d @file "$URL" and curl --data-binary @file "$URL"
    for content_type in ("application/x-www-form-urlencoded", "application/octet-stream"):
        answer = requests.post(upload["url"], data=png, headers={"Content-Type": content_type}, timeout=5)
        assert s3_error(answer)[:2] == (403, "SignatureDoesNotMatch")
    unsigned = requests.post(upload["url"].split("?")[0], data=png, timeout=5)
    assert s3_error(unsigned)[:2] == (405, "MethodNotAllowed")


def test_an_unsigned_request_to_the_private_bucket_is_refused(stack):
    stack.s3_client().put_object(Bucket=stack.bucket, Key="files/private", Body=b"secret")
    assert s3_error(requests.get(f"{stack.s3}/{stack.bucket}/files/private", timeout=5))[:2] == (403, "AccessDenied")


def test_a_boto3_client_with_other_credentials_is_refused(stack):
    """Requests signed in the Authorization header are checked too: the stack's own
    credentials work, a wrong secret or an unknown key does not (as on AWS)."""

    def client(key: str, secret: str):
        return boto3.client(
            "s3",
            endpoint_url=stack.s3,
            region_name="us-east-1",
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            config=Config(signature_version="s3v4"),
        )

    good = client("local", "local")
    good.put_object(Bucket=stack.bucket, Key="files/signed-by-boto3 x+y.txt", Body=b"mine", ContentType="text/plain")
    assert good.get_object(Bucket=stack.bucket, Key="files/signed-by-boto3 x+y.txt")["Body"].read() == b"mine"
    listed = good.list_objects_v2(Bucket=stack.bucket, Prefix="files/signed-by-boto3")["Contents"]
    assert [o["Key"] for o in listed] == ["files/signed-by-boto3 x+y.txt"]
    for key, secret, code in (("local", "wrong", "SignatureDoesNotMatch"), ("someone", "local", "InvalidAccessKeyId")):
        with pytest.raises(ClientError) as refused:
            client(key, secret).get_object(Bucket=stack.bucket, Key="files/signed-by-boto3 x+y.txt")
        assert refused.value.response["Error"]["Code"] == code
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
