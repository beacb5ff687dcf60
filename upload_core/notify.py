"""Decision events: tell the application that an upload was accepted or rejected.

One EventBridge event per decision (API.md "Events"), put after the record is written, so
that a consumer that reads `GET /uploads/ID` on receipt finds the same decision. Delivery
is at least once: a failed put raises, the validator fails, Lambda retries the S3 event and
the retry re-sends the event of an upload it finds decided. Consumers de-duplicate by
`detail.id`. Webhooks are EventBridge rules on the bus (serverless.yml), not a loop here.

The boto3 client is made on first use, so importing this module costs nothing and a
deployment without a bus never builds one.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict
from typing import Any, Callable

from .upload import Status, Upload

log = logging.getLogger(__name__)

SOURCE = "upload-service"
DETAIL_TYPES = {Status.ACCEPTED: "Upload Accepted", Status.REJECTED: "Upload Rejected"}


class EventNotDelivered(RuntimeError):
    """EventBridge refused or could not take the event; the caller decides what fails."""


def event_detail(upload: Upload, served_key: str | None) -> dict[str, Any]:
    """The upload resource, its owner when the record knows one ({"iss", "sub"}: a `sub` is
    someone only within its issuer), and the key of the object the service serves
    (accepted uploads only: a rejected one has none)."""
    detail = upload.resource("")
    if upload.owner is not None:
        detail["owner"] = asdict(upload.owner)
    if served_key is not None:
        detail["key"] = served_key
    return detail


def default_client() -> Any:
    import boto3
    from botocore.config import Config as BotoConfig

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return boto3.client(
        "events",
        region_name=region,
        config=BotoConfig(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=10),
    )


class DecisionEvents:
    """Puts decision events on one bus; does nothing when no bus is configured."""

    def __init__(self, bus_name: str | None, client_factory: Callable[[], Any] | None = None):
        self.bus_name = bus_name
        self._client_factory = client_factory or default_client
        self._client: Any = None

    @property
    def enabled(self) -> bool:
        return bool(self.bus_name)

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def publish(self, upload: Upload, served_key: str | None = None) -> bool:
        """Put the event of a decided upload. Returns False when events are off; raises
        EventNotDelivered when EventBridge did not take it."""
        if not self.enabled:
            return False
        if upload.status not in DETAIL_TYPES:
            raise ValueError(f"upload {upload.id} is {upload.status}, not decided")
        entry: dict[str, Any] = {
            "Source": SOURCE,
            "DetailType": DETAIL_TYPES[upload.status],
            "Detail": json.dumps(event_detail(upload, served_key), ensure_ascii=False),
            "EventBusName": self.bus_name,
            "Resources": [],
        }
        try:
            answer = self.client.put_events(Entries=[entry])
        except Exception as exc:  # noqa: BLE001 - any failure means "not delivered"
            raise EventNotDelivered(f"event for {upload.id} not delivered: {exc}") from exc
        if answer.get("FailedEntryCount"):
            failed = (answer.get("Entries") or [{}])[0]
            raise EventNotDelivered(
                f"event for {upload.id} refused: {failed.get('ErrorCode')} {failed.get('ErrorMessage')}"
            )
        log.info("event %s sent for %s", entry["DetailType"], upload.id)
        return True
