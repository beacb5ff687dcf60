"""The bucket's settings, from the one file that serverless.yml reads too.

infra/bucket.json holds them in CloudFormation's shape (AWS::S3::Bucket properties);
this module turns them into the S3 API's shape for the local bucket. The CORS origins
come from CORS_ALLOWED_ORIGINS, as in serverless.yml.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import REPO

BUCKET_FILE = REPO / "infra" / "bucket.json"


@dataclass(frozen=True)
class BucketSettings:
    raw: dict[str, Any]
    origins: tuple[str, ...]

    @classmethod
    def load(cls, origins: tuple[str, ...], path: Path = BUCKET_FILE) -> "BucketSettings":
        return cls(json.loads(path.read_text("utf-8")), origins)

    @property
    def incoming_prefix(self) -> str:
        return self.raw["prefixes"]["incoming"]

    def cors(self) -> dict[str, Any]:
        """PutBucketCors's CORSConfiguration."""
        rule = self.raw["cors"]
        return {
            "CORSRules": [
                {
                    "AllowedOrigins": list(self.origins),
                    "AllowedMethods": rule["AllowedMethods"],
                    "AllowedHeaders": rule.get("AllowedHeaders", []),
                    "ExposeHeaders": rule.get("ExposedHeaders", []),
                    "MaxAgeSeconds": rule.get("MaxAge", 0),
                }
            ]
        }

    def lifecycle(self) -> dict[str, Any]:
        """PutBucketLifecycleConfiguration's LifecycleConfiguration."""
        rules = []
        for cfn in self.raw["lifecycle"]:
            rule: dict[str, Any] = {
                "ID": cfn["Id"],
                "Status": cfn["Status"],
                "Filter": {"Prefix": cfn.get("Prefix", "")},
            }
            if cfn.get("TagFilters"):
                rule["Filter"] = {"And": {"Prefix": cfn.get("Prefix", ""), "Tags": cfn["TagFilters"]}}
            if "AbortIncompleteMultipartUpload" in cfn:
                rule["AbortIncompleteMultipartUpload"] = cfn["AbortIncompleteMultipartUpload"]
            if "ExpirationInDays" in cfn:
                rule["Expiration"] = {"Days": cfn["ExpirationInDays"]}
            rules.append(rule)
        return {"Rules": rules}

    def notification(self, queue_arn: str) -> dict[str, Any]:
        """The S3 -> SQS notification that stands in for serverless.yml's S3 -> Lambda one:
        the same event and the same key filter."""
        spec = self.raw["notification"]
        return {
            "QueueConfigurations": [
                {
                    "Id": "validate",
                    "QueueArn": queue_arn,
                    "Events": [spec["event"]],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": spec["prefix"]}]}},
                }
            ]
        }
