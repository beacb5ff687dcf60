"""Typed views of S3 event records, with the object key decoded once, here.

S3 URL-encodes keys in events (`%2F`, `+` for a space); every consumer wants the real key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Mapping
from urllib.parse import unquote_plus


@dataclass(frozen=True)
class S3ObjectRecord:
    event_name: str
    bucket: str
    key: str
    size: int | None
    etag: str | None
    sequencer: str | None
    # When S3 recorded the event (ISO 8601): the start of the decision-latency metric.
    event_time: str | None = None

    @property
    def created(self) -> bool:
        return self.event_name.startswith("ObjectCreated:")

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> "S3ObjectRecord":
        s3 = record["s3"]
        obj = s3["object"]
        return cls(
            event_name=str(record.get("eventName", "")),
            bucket=str(s3["bucket"]["name"]),
            key=unquote_plus(str(obj["key"])),
            size=obj.get("size"),
            etag=obj.get("eTag"),
            sequencer=obj.get("sequencer"),
            event_time=record.get("eventTime"),
        )


def s3_records(event: Mapping[str, Any]) -> Iterator[S3ObjectRecord | Exception]:
    """Each S3 record of an event; a malformed record yields its error instead, so one
    bad record cannot hide the others. S3's own s3:TestEvent has no records."""
    for raw in event.get("Records") or []:
        try:
            yield S3ObjectRecord.from_record(raw)
        except (KeyError, TypeError, AttributeError) as exc:
            yield ValueError(f"malformed S3 record: {exc!r}")
