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


# --- S3's limits, 409s and default checksum (devstack/strict_s3.py) ---------------------------
# On the local stack over HTTP, and in-process (the `strict_s3` fixture) where the stack
# cannot go: a 5 GiB copy source.

MiB = 1024 * 1024


def crc64nvme_b64(data: bytes) -> str:
    """CRC-64/NVME bit by bit, the oracle for the stack's table-driven one (reflected
    polynomial of 0xAD93D23594C93659, init and final XOR all ones)."""
    crc = 0xFFFFFFFFFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x9A6C9329AC4BC9B5 if crc & 1 else 0)
    return base64.b64encode((crc ^ 0xFFFFFFFFFFFFFFFF).to_bytes(8, "big")).decode()


def test_the_crc64nvme_oracle_is_the_catalogued_crc():
    # The check value of CRC-64/NVME in the CRC catalogue: CRC of b"123456789".
    assert base64.b64decode(crc64nvme_b64(b"123456789")) == bytes.fromhex("ae8b14860a799888")


def ranged_part_copy(s3, bucket: str, source: str, last_byte: int):
    target = f"files/ranged-from-{source.rsplit('/', 1)[-1]}"
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=target)["UploadId"]
    try:
        return s3.upload_part_copy(
            Bucket=bucket,
            Key=target,
            UploadId=upload_id,
            PartNumber=1,
            CopySource={"Bucket": bucket, "Key": source},
            CopySourceRange=f"bytes=0-{last_byte}",
        )
    finally:
        s3.abort_multipart_upload(Bucket=bucket, Key=target, UploadId=upload_id)


def test_a_ranged_part_copy_from_a_source_of_5_mib_or_less_is_refused_as_s3_does(stack):
    """What the validator's cut-off copy of a small JPEG met on AWS (issue 19.1)."""
    s3 = stack.s3_client()
    for size in (1 * MiB, 5 * MiB):
        s3.put_object(Bucket=stack.bucket, Key=f"incoming/small-{size}", Body=b"\xff" * size)
        with pytest.raises(ClientError) as refused:
            ranged_part_copy(s3, stack.bucket, f"incoming/small-{size}", size // 2)
        error = refused.value.response
        assert (error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"]) == (400, "InvalidRequest")
        assert "byte-range copy source" in error["Error"]["Message"]
    # One byte more than 5 MiB may be copied by range, as on S3.
    s3.put_object(Bucket=stack.bucket, Key="incoming/big-enough", Body=b"\xff" * (5 * MiB + 1))
    copied = ranged_part_copy(s3, stack.bucket, "incoming/big-enough", 5 * MiB - 1)
    assert copied["CopyPartResult"]["ETag"]


def conflict_on_next_write(stack, key: str) -> None:
    armed = requests.post(f"{stack.s3}/_local/conflict", params={"bucket": stack.bucket, "key": key}, timeout=5)
    assert armed.status_code == 204


def test_the_next_conditional_write_on_a_key_can_be_made_to_conflict(stack):
    s3 = stack.s3_client()
    key = "records/conflicted.json"
    etag = s3.put_object(Bucket=stack.bucket, Key=key, Body=b"{}")["ETag"]
    conflict_on_next_write(stack, key)
    s3.put_object(Bucket=stack.bucket, Key=key, Body=b"{}")  # not conditional: unaffected, and does not use it up
    etag = s3.head_object(Bucket=stack.bucket, Key=key)["ETag"]
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=stack.bucket, Key=key, Body=b'{"v": 2}', IfMatch=etag)
    error = refused.value.response
    assert (error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"]) == (409, "ConditionalRequestConflict")
    assert s3.get_object(Bucket=stack.bucket, Key=key)["Body"].read() == b"{}"  # nothing written
    # Once: the retry S3 asks for ("fetch the object's ETag and retry") succeeds.
    s3.put_object(Bucket=stack.bucket, Key=key, Body=b'{"v": 2}', IfMatch=etag)
    assert s3.get_object(Bucket=stack.bucket, Key=key)["Body"].read() == b'{"v": 2}'
    # If-None-Match (create only) conflicts the same way.
    conflict_on_next_write(stack, "owners/new-index-entry")
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=stack.bucket, Key="owners/new-index-entry", Body=b"", IfNoneMatch="*")
    assert refused.value.response["Error"]["Code"] == "ConditionalRequestConflict"
    assert "Contents" not in s3.list_objects_v2(Bucket=stack.bucket, Prefix="owners/new-index-entry")


def test_objects_sent_without_a_checksum_get_s3s_default_crc64nvme(stack):
    s3 = stack.s3_client()
    png = samples.png(40)
    upload = issue(stack, "photo.png", png)["upload"]
    assert requests.put(upload["url"], data=png, headers=upload["headers"], timeout=5).status_code == 200
    key = "incoming/" + urlsplit(upload["url"]).path.rsplit("/", 1)[-1]
    head = s3.head_object(Bucket=stack.bucket, Key=key, ChecksumMode="ENABLED")
    assert (head["ChecksumCRC64NVME"], head["ChecksumType"]) == (crc64nvme_b64(png), "FULL_OBJECT")
    got = s3.get_object(Bucket=stack.bucket, Key=key, ChecksumMode="ENABLED")
    assert (got["Body"].read(), got["ChecksumCRC64NVME"]) == (png, crc64nvme_b64(png))
    # A multipart upload completed without an algorithm: one full-object CRC64NVME too.
    parts = [b"\x01" * (5 * MiB), b"\x02" * 1000]
    multipart = s3.create_multipart_upload(Bucket=stack.bucket, Key="incoming/multipart-default")["UploadId"]
    etags = [
        s3.upload_part(
            Bucket=stack.bucket, Key="incoming/multipart-default", UploadId=multipart, PartNumber=n, Body=body
        )["ETag"]
        for n, body in enumerate(parts, 1)
    ]
    s3.complete_multipart_upload(
        Bucket=stack.bucket,
        Key="incoming/multipart-default",
        UploadId=multipart,
        MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]},
    )
    head = s3.head_object(Bucket=stack.bucket, Key="incoming/multipart-default", ChecksumMode="ENABLED")
    assert head["ChecksumCRC64NVME"] == crc64nvme_b64(b"".join(parts))
    # A checksum the client chose is kept, and no other is added.
    upload = issue(stack, "photo.png", png, checksum_sha256=sha256_b64(png))["upload"]
    assert requests.put(upload["url"], data=png, headers=upload["headers"], timeout=5).status_code == 200
    key = "incoming/" + urlsplit(upload["url"]).path.rsplit("/", 1)[-1]
    head = s3.head_object(Bucket=stack.bucket, Key=key, ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == sha256_b64(png) and "ChecksumCRC64NVME" not in head


def test_a_copy_of_more_than_5_gib_is_refused_in_process(strict_s3, s3, bucket):
    """5 GiB and one byte cannot be uploaded to a test cheaply; moto's key is given that
    size (its contentsize, which is all the rule reads), on both sides of the limit."""
    from moto.s3.models import s3_backends

    s3.put_object(Bucket=bucket, Key="incoming/huge", Body=b"%PDF-1.4\n")
    key = s3_backends["123456789012"]["global"].get_object(bucket, "incoming/huge")
    key.contentsize = 5 * 1024 * MiB + 1
    with pytest.raises(ClientError) as refused:
        s3.copy_object(Bucket=bucket, Key="files/huge", CopySource={"Bucket": bucket, "Key": "incoming/huge"})
    error = refused.value.response
    assert (error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"]) == (400, "InvalidRequest")
    assert "5368709120" in error["Error"]["Message"]
    key.contentsize = 5 * 1024 * MiB
    s3.copy_object(Bucket=bucket, Key="files/huge", CopySource={"Bucket": bucket, "Key": "incoming/huge"})


def test_in_process_tests_get_the_same_rules(strict_s3, s3, bucket):
    s3.put_object(Bucket=bucket, Key="incoming/small", Body=b"\xff" * MiB)
    with pytest.raises(ClientError) as refused:
        ranged_part_copy(s3, bucket, "incoming/small", 1000)
    assert refused.value.response["Error"]["Code"] == "InvalidRequest"
    etag = s3.put_object(Bucket=bucket, Key="records/x.json", Body=b"{}")["ETag"]
    strict_s3.arm_conflict(bucket, "records/x.json")
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=bucket, Key="records/x.json", Body=b"{}", IfMatch=etag)
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    # boto3 sends a CRC32 of its own by default (when_supported), which S3 keeps; a client
    # that sends none (when_required, like a browser's presigned PUT) gets CRC64NVME.
    assert "ChecksumCRC32" in s3.head_object(Bucket=bucket, Key="incoming/small", ChecksumMode="ENABLED")
    plain = boto3.client("s3", region_name="us-east-1", config=Config(request_checksum_calculation="when_required"))
    plain.put_object(Bucket=bucket, Key="incoming/plain", Body=b"\xff" * MiB)
    head = s3.head_object(Bucket=bucket, Key="incoming/plain", ChecksumMode="ENABLED")
    assert (head["ChecksumCRC64NVME"], head["ChecksumType"]) == (crc64nvme_b64(b"\xff" * MiB), "FULL_OBJECT")
