"""A typed view of what reaches handler.scan_result: GuardDuty's scan result for one S3 object
version.

GuardDuty Malware Protection for S3 puts one event per scanned object version on the account's
default EventBridge bus (GuardDuty user guide, "Monitoring S3 object scans with Amazon
EventBridge"):

    {"source": "aws.guardduty", "detail-type": "GuardDuty Malware Protection Object Scan Result",
     "resources": ["arn:aws:guardduty:REGION:ACCOUNT:malware-protection-plan/ID"],
     "detail": {"schemaVersion": "1.0", "scanStatus": "COMPLETED" | "SKIPPED" | "FAILED",
                "resourceType": "S3_OBJECT",
                "s3ObjectDetails": {"bucketName", "objectKey", "eTag", "versionId", "s3Throttled"},
                "scanResultDetails": {"scanResultStatus": "NO_THREATS_FOUND" | "THREATS_FOUND" |
                                      "UNSUPPORTED" | "ACCESS_DENIED" | "FAILED",
                                      "threats": [{"name": "..."}] | null}}}

Only AWS can put an event whose source starts with `aws.` (PutEvents refuses it), so a result
on the bus is GuardDuty's. The object is named by its versionId: the bucket is versioned in
this mode, because an ETag is the MD5 of a single upload and MD5 twins are cheap to make, so
only the version says which bytes were scanned. The key is used as given: this service's
incoming keys (`incoming/ID`, ids URL-safe) read the same encoded or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .combine import CLEAN, Malware

SOURCE = "aws.guardduty"
DETAIL_TYPE = "GuardDuty Malware Protection Object Scan Result"


@dataclass(frozen=True)
class ScanResult:
    """GuardDuty's verdict on one object version."""

    bucket: str
    key: str
    version_id: str | None
    etag: str | None
    scan_status: str
    result_status: str
    threats: tuple[str, ...]

    @property
    def verdict(self) -> Malware:
        """The malware verdict it gives. Clean only when the scan completed: a clean status on
        a scan that was skipped or failed is not clean; no status at all is a failure."""
        status = self.result_status or "FAILED"
        if status == CLEAN and self.scan_status != "COMPLETED":
            status = "FAILED"
        return Malware(version=self.version_id or "", status=status, threats=self.threats)

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> "ScanResult":
        """Raises ValueError for an event that is not a well-formed scan result."""
        if not is_scan_result(event):
            raise ValueError(f"not a GuardDuty scan result: {event.get('source')!r} {event.get('detail-type')!r}")
        try:
            detail = event["detail"]
            obj = detail["s3ObjectDetails"]
            result = detail.get("scanResultDetails") or {}
            threats = tuple(str(t.get("name") or "unnamed") for t in result.get("threats") or [])
            etag = obj.get("eTag") or obj.get("etag")  # the user guide writes eTag; some typings etag
            return cls(
                bucket=str(obj["bucketName"]),
                key=str(obj["objectKey"]),
                version_id=str(obj["versionId"]) if obj.get("versionId") else None,
                etag=str(etag) if etag else None,
                scan_status=str(detail.get("scanStatus") or ""),
                result_status=str(result.get("scanResultStatus") or ""),
                threats=threats,
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"malformed GuardDuty scan result: {exc!r}") from None


def is_scan_result(event: Mapping[str, Any]) -> bool:
    return event.get("source") == SOURCE and event.get("detail-type") == DETAIL_TYPE
