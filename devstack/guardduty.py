"""GuardDuty Malware Protection for S3, played locally (`make dev SCANNER=guardduty`), so the
service's own code path runs as on AWS: results of GuardDuty's shape, on the default bus,
routed to handler.scan_result by a rule with the deployed rule's pattern.

- The bucket is set up as the deployed one in this mode: versioned, the lifecycle rule of
  infra/guardduty.json added, S3's events sent to EventBridge (moto puts them on its buses).
- A rule on the default bus takes S3's "Object Created" events under incoming/ (GuardDuty's own
  managed rule does the same on AWS) to a queue. The stand-in reads each object *version*,
  streams it to clamd (Debian's, with the EICAR-only database of devstack/clamd.py) and puts
  GuardDuty's "Object Scan Result" for that version on the default bus: NO_THREATS_FOUND,
  THREATS_FOUND with the signature as the threat's name, UNSUPPORTED when the object is over
  clamd's scan limits, FAILED when clamd gives no verdict. A version deleted before it was
  scanned gets no result, as a lost one (the deadline sweep rejects it).
- A rule on the default bus with the template's pattern takes results to a queue that a pump
  drains into handler.scan_result (a failure is retried, then parked, as on AWS). The deadline
  of a result that never comes is kept by the stack's sweep (devstack/sweeper.py), as deployed.
- Holds, for trying (and testing) either arrival order by hand: `POST /_local/hold?guardduty=1`
  keeps results back, `?validator=1` keeps the validator's S3 events back, `=0` releases. (The
  sweep still runs the validator on objects older than its delay, as it would on AWS.)
"""

from __future__ import annotations

import json
import logging
import tempfile
from typing import Any
from urllib.parse import parse_qs

from . import REPO
from .pump import EventPump, QueuePoller

log = logging.getLogger("devstack.guardduty")

SETTINGS = json.loads((REPO / "infra" / "guardduty.json").read_text("utf-8"))
PLAN_ARN = "arn:aws:guardduty:us-east-1:123456789012:malware-protection-plan/devstack"


def lifecycle_rules(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """infra/guardduty.json's lifecycle rules (CloudFormation's shape) in the S3 API's shape."""
    rules = []
    for cfn in settings["lifecycle"]:
        rule: dict[str, Any] = {"ID": cfn["Id"], "Status": cfn["Status"], "Filter": {"Prefix": cfn.get("Prefix", "")}}
        if "NoncurrentVersionExpiration" in cfn:
            rule["NoncurrentVersionExpiration"] = cfn["NoncurrentVersionExpiration"]
        if cfn.get("ExpiredObjectDeleteMarker"):
            rule["Expiration"] = {"ExpiredObjectDeleteMarker": True}
        rules.append(rule)
    return rules


def _queue(sqs, name: str, failed: bool = False) -> tuple[str, str]:
    attributes = {"VisibilityTimeout": "5"}
    if failed:
        dead = sqs.create_queue(QueueName=f"{name}-failed")["QueueUrl"]
        dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": dead_arn, "maxReceiveCount": "3"})
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def setup(s3, sqs, events, bucket: str) -> tuple[str, str]:
    """The bucket as GuardDuty's mode wants it, and the two rules; (objects queue, results queue)."""
    from upload_core.scan.guardduty import DETAIL_TYPE, SOURCE

    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    known = {r["ID"] for r in rules}
    rules += [r for r in lifecycle_rules(SETTINGS) if r["ID"] not in known]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    notification = s3.get_bucket_notification_configuration(Bucket=bucket)
    notification.pop("ResponseMetadata", None)
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={**notification, "EventBridgeConfiguration": {}}
    )
    objects_url, objects_arn = _queue(sqs, f"{bucket}-guardduty-objects")
    results_url, results_arn = _queue(sqs, f"{bucket}-scan-results", failed=True)
    landed = {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": [bucket]}, "object": {"key": [{"prefix": SETTINGS["prefix"]}]}},
    }
    # The deployed rule's pattern (infra/scanner.js, scanResultFunction; the bucket there is a Ref).
    results = {
        "source": [SOURCE],
        "detail-type": [DETAIL_TYPE],
        "detail": {"s3ObjectDetails": {"bucketName": [bucket], "objectKey": [{"prefix": SETTINGS["prefix"]}]}},
    }
    for name, pattern, arn in (
        ("devstack-guardduty-objects", landed, objects_arn),
        ("scan-results", results, results_arn),
    ):
        events.put_rule(Name=name, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=name, Targets=[{"Id": "queue", "Arn": arn}])
    return objects_url, results_url


def scan_result(bucket: str, key: str, version: str, etag: str, status: str, threats: list[str]) -> dict[str, Any]:
    """The Detail of GuardDuty's "Object Scan Result" event (its user guide's shape)."""
    scan_status = {"NO_THREATS_FOUND": "COMPLETED", "THREATS_FOUND": "COMPLETED", "UNSUPPORTED": "SKIPPED"}
    return {
        "schemaVersion": "1.0",
        "scanStatus": scan_status.get(status, "FAILED"),
        "resourceType": "S3_OBJECT",
        "s3ObjectDetails": {
            "bucketName": bucket,
            "objectKey": key,
            "eTag": etag,
            "versionId": version,
            "s3Throttled": False,
        },
        "scanResultDetails": {"scanResultStatus": status, "threats": [{"name": t} for t in threats] or None},
    }


class StandIn(QueuePoller):
    """Scans each new object version with clamd and puts GuardDuty's result on the default bus."""

    def __init__(self, s3, sqs, events, queue_url: str, clamd_address: str, wait_seconds: int = 1):
        super().__init__("guardduty-stand-in", sqs, queue_url, wait_seconds)
        self.s3, self.events = s3, events
        host, _, port = clamd_address.rpartition(":")
        self.clamd = (host, int(port))
        self.scanned = 0

    def deliver(self, message: dict) -> None:
        try:
            self.handle(json.loads(message["Body"]))
        except Exception:  # noqa: BLE001 - leave it for another try
            log.exception("scanning failed; the object will be scanned again")
            return
        self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def handle(self, landed: dict) -> None:
        bucket = landed["detail"]["bucket"]["name"]
        obj = landed["detail"]["object"]
        key, version, etag = obj["key"], obj.get("version-id"), obj.get("eTag", "")
        if not version:
            log.error("%s has no version id: the bucket is not versioned; no result", key)
            return
        status, threats = self.scan(bucket, key, version)
        if status is None:
            return
        detail = scan_result(bucket, key, version, etag, status, threats)
        self.events.put_events(
            Entries=[
                {
                    "Source": "aws.guardduty",
                    "DetailType": "GuardDuty Malware Protection Object Scan Result",
                    "Detail": json.dumps(detail),
                    "Resources": [PLAN_ARN],
                }
            ]
        )
        self.scanned += 1
        log.info("GuardDuty (clamd stand-in): %s %s for %s version %s", status, threats or "", key, version)

    def scan(self, bucket: str, key: str, version: str) -> tuple[str | None, list[str]]:
        from upload_core.scan.clamd import ClamdScanner, NoVerdict

        try:
            obj = self.s3.get_object(Bucket=bucket, Key=key, VersionId=version)
        except self.s3.exceptions.ClientError as exc:
            log.info("%s version %s is gone before its scan: no result (%s)", key, version, exc)
            return None, []
        with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as local:
            size = 0
            for chunk in obj["Body"].iter_chunks(1024 * 1024):
                local.write(chunk)
                size += len(chunk)
            try:
                verdict, detail = ClamdScanner(*self.clamd).scan_stream(local, size)
            except NoVerdict as exc:
                log.warning("clamd gave no verdict on %s: %s", key, exc)
                return "FAILED", []
        return {"clean": ("NO_THREATS_FOUND", []), "found": ("THREATS_FOUND", [detail])}.get(
            verdict, ("UNSUPPORTED", [])
        )


class Holds:
    """POST /_local/hold?guardduty=1&validator=0: keep results or S3 events back, or release them."""

    def __init__(self, stand_in: StandIn, validator: EventPump):
        self.switches = {"guardduty": stand_in.paused, "validator": validator.paused}

    def __call__(self, query: str) -> dict[str, bool]:
        for name, values in parse_qs(query).items():
            if name in self.switches:
                (self.switches[name].set if values[-1] in ("1", "true", "on") else self.switches[name].clear)()
                log.info("%s %s", name, "held" if self.switches[name].is_set() else "released")
        return {name: switch.is_set() for name, switch in self.switches.items()}
