"""What the operator gets from CloudWatch: the EMF metrics each invocation prints, parsed
as CloudWatch would (namespace, dimensions, values), and JSON log lines with the ids."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from tests.support import samples
from tests.support.helpers import BUCKET, load_event


@pytest.fixture
def client(handler):
    return handler.app.test_client()


def land(client, s3, name: str, data: bytes) -> str:
    answer = client.post("/uploads", json={"filename": name, "size": len(data)})
    upload_id = answer.get_json()["id"]
    s3.put_object(Bucket=BUCKET, Key=f"incoming/{upload_id}", Body=data)
    return upload_id


def landed_event(upload_id: str, seconds_ago: float) -> dict:
    event = load_event("s3_object_created.json", bucket=BUCKET, key=f"incoming/{upload_id}")
    landed = datetime.now(timezone.utc) - timedelta(seconds=seconds_ago)
    event["Records"][0]["eventTime"] = landed.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return event


def emf_metrics(output: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], list[float]]:
    """Every metric in the EMF lines of `output`, keyed by (name, dimensions), as
    CloudWatch extracts them."""
    found: dict = {}
    for line in output.splitlines():
        if '"_aws"' not in line:
            continue
        blob = json.loads(line)
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == "UploadService"
            for dimension_set in directive["Dimensions"]:
                dims = tuple(sorted((d, blob[d]) for d in dimension_set))
                for metric in directive["Metrics"]:
                    value = blob[metric["Name"]]
                    found.setdefault((metric["Name"], dims), []).extend(value if isinstance(value, list) else [value])
    return found


SERVICE = (("service", "upload-service"),)


def test_an_accept_reports_count_bytes_and_latency(handler, client, s3, capsys):
    data = samples.png(64)
    upload_id = land(client, s3, "photo.png", data)
    capsys.readouterr()
    handler.validate(landed_event(upload_id, seconds_ago=2.5), None)
    metrics = emf_metrics(capsys.readouterr().out)
    assert metrics[("UploadsAccepted", SERVICE)] == [1.0]
    assert metrics[("BytesAccepted", SERVICE)] == [float(len(data))]
    [latency] = metrics[("DecisionLatency", SERVICE)]
    assert 2500 <= latency < 60_000  # milliseconds since the object landed
    assert not any(name == "UploadsRejected" for name, _ in metrics)


def test_a_reject_reports_its_reason_as_a_dimension(handler, client, s3, capsys):
    upload_id = land(client, s3, "photo.png", samples.pdf())
    other = land(client, s3, "report.docx", samples.docx_with_macros())
    capsys.readouterr()
    event = landed_event(upload_id, 1)
    event["Records"] += landed_event(other, 1)["Records"]
    handler.validate(event, None)
    metrics = emf_metrics(capsys.readouterr().out)
    assert metrics[("UploadsRejected", SERVICE)] == [1.0, 1.0]
    assert metrics[("UploadsRejected", (("reason", "content_mismatch"), *SERVICE))] == [1.0]
    assert metrics[("UploadsRejected", (("reason", "unsafe_content"), *SERVICE))] == [1.0]
    assert len(metrics[("DecisionLatency", SERVICE)]) == 2
    assert ("UploadsAccepted", SERVICE) not in metrics


def test_a_failed_record_is_counted_and_still_flushed(handler, client, s3, capsys):
    from upload_core.validator import ValidationIncomplete

    upload_id = land(client, s3, "photo.png", samples.png())
    handler.store._client = Unreachable()
    capsys.readouterr()
    with pytest.raises(ValidationIncomplete):
        handler.validate(landed_event(upload_id, 1), None)
    assert emf_metrics(capsys.readouterr().out)[("ValidatorFailures", SERVICE)] == [1.0]


class Unreachable:
    def __getattr__(self, name):
        from botocore.exceptions import EndpointConnectionError

        def fail(*args, **kwargs):
            raise EndpointConnectionError(endpoint_url="https://s3.us-east-1.amazonaws.com")

        return fail


@pytest.fixture
def json_logs():
    """Powertools' JSON log lines, as on Lambda, collected instead of printed."""
    from upload_core import telemetry

    lines: list[str] = []
    telemetry.configure_logging()
    telemetry.set_sink(lines.append)
    yield lambda: [json.loads(line) for line in lines if '"_aws"' not in line]
    telemetry.set_sink(None)
    telemetry.unconfigure_logging()


def test_log_lines_carry_the_request_id_and_the_upload_id(handler, json_logs):
    body = b'--b\r\nContent-Disposition: form-data; name="file"; filename="photo.png"\r\n\r\n'
    body += samples.png() + b"\r\n--b--\r\n"
    import base64

    event = load_event(
        "api_v2_post_uploads.json",
        raw_path="/uploads",
        stage="$default",
        host="abcdef1234.execute-api.us-east-1.amazonaws.com",
        content_type="multipart/form-data; boundary=b",
        body=base64.b64encode(body).decode(),
    )
    answer = handler.api(event, None)
    upload_id = json.loads(answer["body"])["id"]
    [accepted] = [line for line in json_logs() if line["message"].startswith("accepted")]
    assert accepted["level"] == "INFO"
    assert accepted["service"] == "upload-service"
    assert accepted["correlation_id"] == event["requestContext"]["requestId"]
    assert accepted["upload_id"] == upload_id
    assert accepted["function"] == "api"


def test_tracing_wraps_both_functions_when_enabled(bucket, env, s3):
    """TRACING_ENABLED=true: Powertools' Tracer (aws-xray-sdk ships) wraps both entry
    points, which still answer (outside Lambda the tracer records nothing)."""
    from tests.support.helpers import import_handler

    env.setenv("TRACING_ENABLED", "true")
    handler = import_handler()
    assert handler.validate({"Records": []}, None) == {"processed": 0, "accepted": 0, "rejected": 0, "skipped": 0}
    response = handler.api(load_event("api_v2_healthz.json"), None)
    assert response["statusCode"] == 200
    import sys

    assert "aws_xray_sdk" in sys.modules
