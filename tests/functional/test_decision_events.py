"""Decision events on EventBridge (API.md "Events"), as a subscribed application sees them:
moto's EventBridge with a rule that sends every upload-service event to an SQS queue."""

import json

import pytest

from tests.support import samples
from tests.support.helpers import BUCKET, form_body, import_handler, keys, load_event, served_bytes, served_key, v2_post

BUS = "uploads-events"


@pytest.fixture
def subscriber(aws, env):
    """A bus, a rule matching the service's events and a queue the rule sends them to;
    returns a function that drains the queue (the events received so far)."""
    import boto3

    events = boto3.client("events", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    events.create_event_bus(Name=BUS)
    queue_url = sqs.create_queue(QueueName="decisions")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="decisions", EventBusName=BUS, EventPattern=json.dumps({"source": ["upload-service"]}))
    events.put_targets(Rule="decisions", EventBusName=BUS, Targets=[{"Id": "queue", "Arn": arn}])
    env.setenv("EVENT_BUS_NAME", BUS)

    def received() -> list[dict]:
        out = []
        while True:
            messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return out
            for m in messages:
                out.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])

    return received


@pytest.fixture
def handler(subscriber, bucket):
    return import_handler()


@pytest.fixture
def client(handler):
    return handler.app.test_client()


def land(client, s3, name: str, data: bytes) -> str:
    answer = client.post("/uploads", json={"filename": name, "size": len(data)})
    assert answer.status_code == 201, answer.get_json()
    upload_id = answer.get_json()["id"]
    s3.put_object(Bucket=BUCKET, Key=f"incoming/{upload_id}", Body=data)
    return upload_id


def created(upload_id: str) -> dict:
    return load_event("s3_object_created.json", bucket=BUCKET, key=f"incoming/{upload_id}")


def inline_event(name: str, data: bytes) -> dict:
    return v2_post(*form_body(name, data))


def test_each_decision_puts_one_event_shaped_as_the_contract_says(handler, client, subscriber, s3):
    good = land(client, s3, "photo.png", samples.png())
    bad = land(client, s3, "paper.pdf", samples.pdf_with_javascript())
    pending = land(client, s3, "later.png", samples.png())  # landed, not validated yet
    handler.validate({"Records": created(good)["Records"] + created(bad)["Records"]}, None)
    inline = handler.api(inline_event("inline.png", samples.png()), None)
    assert inline["statusCode"] == 201
    inline_id = json.loads(inline["body"])["id"]

    received = subscriber()
    by_id = {e["detail"]["id"]: e for e in received}
    assert len(received) == 3 and set(by_id) == {good, bad, inline_id}
    assert pending not in by_id
    for event in received:
        assert event["source"] == "upload-service"
        resource = client.get(f"/uploads/{event['detail']['id']}").get_json()
        # The detail is the upload resource (what GET /uploads/ID answers), plus the key.
        assert {k: v for k, v in event["detail"].items() if k != "key"} == resource
    assert by_id[good]["detail-type"] == "Upload Accepted"
    assert by_id[good]["detail"]["key"] == served_key(good, samples.png())
    assert by_id[inline_id]["detail-type"] == "Upload Accepted"
    assert by_id[inline_id]["detail"]["key"] == served_key(inline_id, samples.png())
    assert by_id[bad]["detail-type"] == "Upload Rejected"
    assert by_id[bad]["detail"]["status"] == "rejected"
    assert by_id[bad]["detail"]["reason"]["code"] == "unsafe_content"
    assert "key" not in by_id[bad]["detail"]  # nothing is served


def test_an_inline_refusal_puts_no_event(handler, subscriber):
    answer = handler.api(inline_event("photo.png", samples.SCRIPT), None)
    assert answer["statusCode"] == 415
    assert subscriber() == []


def test_when_eventbridge_refuses_the_validator_fails_and_its_retry_delivers(handler, client, subscriber, s3):
    from upload_core.validator import ValidationIncomplete

    upload_id = land(client, s3, "photo.png", samples.png())
    real_client = handler.events.client
    refusing = RefusingEvents(real_client)
    handler.events._client = refusing
    with pytest.raises(ValidationIncomplete):
        handler.validate(created(upload_id), None)
    assert refusing.calls == 1
    # The decision is recorded (and served) before its event: only the event is missing.
    assert client.get(f"/uploads/{upload_id}").get_json()["status"] == "accepted"
    assert subscriber() == []

    handler.events._client = real_client  # EventBridge is back; Lambda retries the S3 event
    summary = handler.validate(created(upload_id), None)
    assert summary["skipped"] == 1  # decided already: nothing validated twice
    received = subscriber()
    assert [(e["detail-type"], e["detail"]["id"]) for e in received] == [("Upload Accepted", upload_id)]
    assert keys(s3) == [served_key(upload_id, samples.png()), f"records/{upload_id}.json"]


def test_a_missing_bus_fails_the_validator_but_not_an_inline_upload(env, subscriber, bucket, s3, capsys):
    env.setenv("EVENT_BUS_NAME", "no-such-bus")
    handler = import_handler()
    client = handler.app.test_client()
    upload_id = land(client, s3, "photo.png", samples.png())
    from upload_core.validator import ValidationIncomplete

    with pytest.raises(ValidationIncomplete):
        handler.validate(created(upload_id), None)

    # Inline: the file is stored and accepted, so the answer is 201; the lost event is
    # counted (EventsNotDelivered, alarmed) and the app can still read GET /uploads/ID.
    capsys.readouterr()
    answer = handler.api(inline_event("inline.png", samples.png()), None)
    assert answer["statusCode"] == 201
    stored = json.loads(answer["body"])["id"]
    assert served_bytes(s3, stored) == samples.png()
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [m["EventsNotDelivered"] for m in emf if "EventsNotDelivered" in m] == [[1.0]]


class RefusingEvents:
    """EventBridge answering a put with a failed entry (throttled), as it does under load."""

    def __init__(self, real):
        self.real = real
        self.calls = 0

    def put_events(self, Entries):
        self.calls += 1
        return {
            "FailedEntryCount": len(Entries),
            "Entries": [{"ErrorCode": "ThrottlingException", "ErrorMessage": "Rate exceeded"} for _ in Entries],
        }
