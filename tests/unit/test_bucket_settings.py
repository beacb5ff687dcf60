"""infra/bucket.json is the one file for the bucket's lifecycle: the replay window of a
failed validation (the failure queue's retention) and the life of unvalidated objects
must be the same, or a replay finds its object gone and the upload stays pending."""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = json.loads((ROOT / "infra" / "bucket.json").read_text())


def rule(rule_id: str) -> dict:
    [found] = [r for r in SETTINGS["lifecycle"] if r["Id"] == rule_id]
    return found


def test_unvalidated_objects_live_exactly_as_long_as_their_failed_events():
    replay = SETTINGS["replay"]
    assert replay["seconds"] == replay["days"] * 86400
    assert 60 <= replay["seconds"] <= 1209600  # what SQS can keep
    assert rule("expire-unvalidated-incoming-objects")["ExpirationInDays"] == replay["days"]
    serverless = (ROOT / "serverless.yml").read_text()
    assert "MessageRetentionPeriod: ${self:custom.bucket.replay.seconds}" in serverless


def test_a_charged_quota_entry_holds_as_long_as_its_validation_can_be_replayed():
    from upload_core.flows.quota import MULTIPART_HOLD_SECONDS, REPLAY_SECONDS

    assert REPLAY_SECONDS == SETTINGS["replay"]["seconds"]
    assert (
        MULTIPART_HOLD_SECONDS
        == rule("abort-incomplete-multipart-uploads")["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] * 86400
    )


def test_incomplete_multipart_uploads_are_aborted_anywhere_in_the_bucket():
    """A served object's multipart upload cut by the function's timeout leaves parts in files/ too."""
    abort = rule("abort-incomplete-multipart-uploads")
    assert "Prefix" not in abort and "Filter" not in abort
