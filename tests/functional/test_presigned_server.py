"""Presigned uploads for real: URLs used over HTTP against moto's S3 server."""

import pytest
import requests

from tests.support import corpus, samples
from tests.support.helpers import load_event


def landed_event(handler, upload_id: str) -> dict:
    bucket = handler.app.extensions["upload_config"].bucket
    return load_event("s3_object_created.json", bucket=bucket, key=f"incoming%2F{upload_id}")


def test_a_presigned_put_round_trip(live_handler):
    handler = live_handler
    client = handler.app.test_client()
    data = samples.docx()
    body = client.post("/uploads", json={"filename": "Отчёт за год.docx", "size": len(data)}).get_json()
    upload = body["upload"]
    sent = requests.put(upload["url"], data=data, headers=upload["headers"], timeout=10)
    assert sent.status_code == 200

    assert handler.validate(landed_event(handler, body["id"]), None)["accepted"] == 1
    status = client.get(f"/uploads/{body['id']}").get_json()
    assert status["status"] == "accepted"

    redirect = client.get(f"/uploads/{body['id']}/content")
    assert redirect.status_code == 303
    download = requests.get(redirect.headers["Location"], timeout=10)
    assert download.status_code == 200
    assert download.content == data
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%D0%9E%D1%82%D1%87%D1%91%D1%82" in download.headers["Content-Disposition"]
    assert download.headers["Content-Type"].endswith("wordprocessingml.document")


def test_a_presigned_post_round_trip(live_handler):
    handler = live_handler
    client = handler.app.test_client()
    data = samples.png()
    body = client.post("/uploads", json={"filename": "p.png", "size": len(data), "method": "POST"}).get_json()
    upload = body["upload"]
    sent = requests.post(upload["url"], data=upload["fields"], files={"file": ("p.png", data)}, timeout=10)
    assert sent.status_code in (200, 204)
    handler.validate(landed_event(handler, body["id"]), None)
    assert client.get(f"/uploads/{body['id']}").get_json()["status"] == "accepted"


def test_what_s3_would_refuse_is_caught_after_landing(live_handler):
    """moto ignores the signed length and type; the validator does not."""
    handler = live_handler
    client = handler.app.test_client()
    bigger = client.post("/uploads", json={"filename": "a.png", "size": len(samples.png())}).get_json()
    requests.put(
        bigger["upload"]["url"], data=samples.png() + b"\0" * 500, headers=bigger["upload"]["headers"], timeout=10
    )
    different = client.post("/uploads", json={"filename": "b.png", "size": len(samples.SCRIPT)}).get_json()
    requests.put(different["upload"]["url"], data=samples.SCRIPT, headers={"Content-Type": "image/png"}, timeout=10)

    for upload in (bigger, different):
        handler.validate(landed_event(handler, upload["id"]), None)
    assert client.get(f"/uploads/{bigger['id']}").get_json()["reason"]["code"] == "size_mismatch"
    assert client.get(f"/uploads/{different['id']}").get_json()["reason"]["code"] == "content_type_not_allowed"
    for upload in (bigger, different):
        assert client.get(f"/uploads/{upload['id']}/content").status_code == 409


@pytest.mark.parametrize("make, size", [(corpus.jpeg, 1900 * corpus.KB), (corpus.gif, 800 * corpus.KB)])
def test_noise_photos_round_trip_through_a_presigned_put(live_handler, make, size):
    handler = live_handler
    client = handler.app.test_client()
    data = make(size)
    name = f"holiday.{make.__name__}"
    body = client.post("/uploads", json={"filename": name, "size": len(data)}).get_json()
    sent = requests.put(body["upload"]["url"], data=data, headers=body["upload"]["headers"], timeout=10)
    assert sent.status_code == 200
    assert handler.validate(landed_event(handler, body["id"]), None)["accepted"] == 1
    download = requests.get(client.get(f"/uploads/{body['id']}/content").headers["Location"], timeout=10)
    assert download.content == data
