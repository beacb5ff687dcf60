"""S3's CORS matching as the local S3 applies it: origin wildcards, methods, request headers."""

from __future__ import annotations

import pytest

from devstack.bucket_config import BucketSettings
from devstack.cors import CorsRule

RULE = CorsRule(
    allowed_origins=("https://*.example.com", "http://localhost:5173"),
    allowed_methods=("GET", "PUT", "POST"),
    allowed_headers=("content-type", "x-amz-*"),
    expose_headers=("ETag",),
    max_age_seconds=3000,
)


@pytest.mark.parametrize(
    "origin, method, headers, allowed",
    [
        ("https://app.example.com", "PUT", ["Content-Type"], True),
        ("https://a.b.example.com", "POST", ["x-amz-meta-name"], True),
        ("http://localhost:5173", "GET", [], True),
        ("https://example.com", "PUT", [], False),  # the wildcard needs a subdomain
        ("https://app.example.com.evil.net", "PUT", [], False),
        ("http://localhost:5174", "GET", [], False),
        ("https://app.example.com", "DELETE", [], False),  # method not in the rule
        ("https://app.example.com", "PUT", ["authorization"], False),  # header not in the rule
    ],
)
def test_a_rule_matches_as_s3_matches_it(origin, method, headers, allowed):
    assert RULE.matches(origin, method, headers) is allowed


def test_the_answer_names_the_origin_unless_the_rule_allows_any():
    assert RULE.allow_origin("https://app.example.com") == "https://app.example.com"
    assert CorsRule(("*",), ("GET",)).allow_origin("https://app.example.com") == "*"


def test_the_local_bucket_rule_is_the_deployed_rule_with_the_configured_origins():
    settings = BucketSettings.load(("https://app.example.com", "https://admin.example.com"))
    (rule,) = settings.cors()["CORSRules"]
    assert rule["AllowedOrigins"] == ["https://app.example.com", "https://admin.example.com"]
    assert rule["ExposeHeaders"] == ["ETag"]
    assert settings.notification("arn:aws:sqs:us-east-1:123456789012:q")["QueueConfigurations"][0]["Filter"] == {
        "Key": {"FilterRules": [{"Name": "prefix", "Value": "incoming/"}]}
    }
