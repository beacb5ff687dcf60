"""The scheduled sweep (`handler.sweep`, an EventBridge schedule): validate uploads whose
object landed but whose S3 event never reached the validator.

S3 delivers ObjectCreated notifications at least once, but the Lambda service's queue for
asynchronous invocations may drop events under overload (the function's
`maximumEventAge` passes while it is throttled), and after a deploy a new notification
configuration takes a while to apply (S3: "it might take a few minutes for the changes to
take effect"); objects written in that window raise no event at all. Without this sweep
such an upload stays `pending` until its record expires (14 days) and its bytes after 4.

The sweep lists incoming/ and hands every object older than SWEEP_AFTER_SECONDS to the
validator's own entry (`validate_event`) as the ObjectCreated record S3 would have sent,
so the decision is made by exactly the same code, with the same idempotence: an object
whose event is merely late is decided once (the second run finds a final record), and a
decided upload's leftover bytes are deleted. Objects are taken while the invocation has
time for them (budget.py's rates, its safety share); the rest wait for the next run.

With MALWARE_SCANNER=guardduty it is also what keeps GuardDuty's deadline, on the same
schedule: an upload whose structure verdict waits for GuardDuty's is still under incoming/,
and the validator's run over it (which reads the verdict kept in the record instead of the
bytes) rejects it, `scan_timeout`, once SCAN_RESULT_TIMEOUT_SECONDS have passed since that
verdict (decision.py, step 6). Objects are then looked at from the shorter of the two
delays, so a timeout shorter than SWEEP_AFTER_SECONDS is kept to within one schedule.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping
from urllib.parse import quote_plus

from . import budget
from .config import Config
from .notify import DecisionEvents
from .s3.landed import Landed, landed_before
from .validator import ValidationIncomplete, validate_event

log = logging.getLogger(__name__)

NO_CONTEXT_SECONDS = 900  # when run without a Lambda context (tests, the local stack): the function's timeout


def object_created(bucket: str, landed: Landed) -> dict[str, Any]:
    """The S3 event S3 would have sent for `landed` (its key URL-encoded as S3 encodes it;
    eventTime the moment it landed, so DecisionLatency counts the time it waited)."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "eventTime": landed.last_modified.astimezone(timezone.utc).isoformat(timespec="milliseconds")[:-6]
                + "Z",
                "s3": {
                    "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                    "object": {"key": quote_plus(landed.key, safe="/"), "size": landed.size, "eTag": landed.etag},
                },
            }
        ]
    }


def sweep(
    store: Any,
    config: Config,
    events: DecisionEvents | None = None,
    remaining_seconds: Callable[[], float] | None = None,
    now: datetime | None = None,
) -> dict[str, int]:
    """Validate what waited too long under incoming/; a summary of what happened."""
    now = now or datetime.now(timezone.utc)
    after = config.sweep_after_seconds
    if config.guardduty:
        after = min(after, config.scan_result_timeout_seconds)
    cutoff = now - timedelta(seconds=after)
    clamd = config.malware_scanner == "clamd"
    summary = {"found": 0, "accepted": 0, "rejected": 0, "skipped": 0, "failed": 0, "deferred": 0}
    if config.guardduty:
        summary["waiting"] = 0  # still waiting for GuardDuty's result, within its deadline
    for landed in landed_before(store, cutoff):
        summary["found"] += 1
        if remaining_seconds is not None and _seconds_for(landed.size, config, clamd) > remaining_seconds():
            summary["deferred"] += 1  # the next run takes it
            continue
        log.info("sweep: %s landed %s and is still there; validating it", landed.key, landed.last_modified)
        try:
            result = validate_event(object_created(store.bucket, landed), store, config, events, now=now.timestamp())
        except ValidationIncomplete as exc:
            log.warning("sweep: %s failed (%s); the next run tries again", landed.key, exc)
            summary["failed"] += 1
            continue
        for outcome, count in result.items():
            if outcome != "processed":
                summary[outcome] += count
    log.info("sweep: %s", summary)
    return summary


def _seconds_for(size: int, config: Config, clamd: bool) -> float:
    """What deciding an object of `size` may take: its type is in its record, which the sweep
    does not read, so the slowest allowed type's time (budget.py)."""
    validator = config.validate_function
    return max(validator.decide_seconds(ext, size, clamd) for ext in config.allowed_extensions)


def make_sweep_handler(
    store: Any, config: Config, events: DecisionEvents | None = None
) -> Callable[[Mapping[str, Any], Any], dict[str, int]]:
    """handler.sweep: the EventBridge schedule's event carries nothing the sweep needs."""
    events = events or DecisionEvents(config.event_bus_name)

    def handle(event: Mapping[str, Any], context: Any) -> dict[str, int]:
        def remaining() -> float:
            if context is None or not hasattr(context, "get_remaining_time_in_millis"):
                return NO_CONTEXT_SECONDS * budget.SAFETY
            return context.get_remaining_time_in_millis() / 1000 * budget.SAFETY

        return sweep(store, config, events, remaining)

    return handle
