"""The local stack runs handler.sweep as the deployed schedule does: an upload whose S3
event never came (here: the bucket's notification removed, as when a fresh deploy's
notification has not applied yet) is decided anyway."""

from __future__ import annotations

import time

import requests

from tests.support import corpus


def test_an_upload_whose_event_never_came_is_decided_by_the_sweep(stack):
    s3 = stack.s3_client()
    notification = s3.get_bucket_notification_configuration(Bucket=stack.bucket)
    notification.pop("ResponseMetadata", None)
    s3.put_bucket_notification_configuration(Bucket=stack.bucket, NotificationConfiguration={})
    try:
        photo = corpus.jpeg(200_000)
        issued = requests.post(
            f"{stack.api}/uploads", json={"filename": "photo.jpg", "size": len(photo)}, timeout=5
        ).json()
        sent = requests.put(issued["upload"]["url"], data=photo, headers=issued["upload"]["headers"], timeout=10)
        assert sent.status_code == 200
        time.sleep(2)  # what the validator would have needed
        assert requests.get(f"{stack.api}/uploads/{issued['id']}", timeout=5).json()["status"] == "pending"

        # Too young for the sweep (SWEEP_AFTER_SECONDS is 60 on the local stack): left alone.
        assert requests.post(f"{stack.api}/_local/sweep", timeout=30).json()["found"] == 0
        # As the schedule would find it two minutes on.
        summary = requests.post(f"{stack.api}/_local/sweep", params={"later": 120}, timeout=30).json()
        assert (summary["found"], summary["accepted"]) == (1, 1), summary
        upload = requests.get(f"{stack.api}/uploads/{issued['id']}", timeout=5).json()
        assert upload["status"] == "accepted"
        content = requests.get(f"{stack.api}/uploads/{issued['id']}/content", timeout=5)
        assert content.content == photo
        assert f"sweep: incoming/{issued['id']} landed" in stack.output()
    finally:
        s3.put_bucket_notification_configuration(Bucket=stack.bucket, NotificationConfiguration=notification)
