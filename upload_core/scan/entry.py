"""handler.scan_result: GuardDuty's result for one object version, handed to the decision.

EventBridge delivers each result of this bucket's plan (the rule's pattern names the bucket
and incoming/) to this function. A result is GuardDuty's verdict on one object version: the
decision (decision.py, `decide` with `scan_result`) pairs it with the structure verdict of
that same version, or keeps it in the record until the validator gives that one. Anything
else (another bucket, a key that is not an issued upload, no version: the bucket is not
versioned, or MALWARE_SCANNER is not guardduty) is skipped with a log line. A failure (S3,
EventBridge) raises: EventBridge invokes asynchronously, so Lambda retries the event, then
sends it to the failure queue; until then the upload stays pending, and the sweep rejects
it (scan_timeout) once SCAN_RESULT_TIMEOUT_SECONDS have passed.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Mapping

from .. import telemetry
from ..config import Config
from ..decision import Outcome, decide
from ..inspect.naming import is_valid_id
from ..notify import DecisionEvents
from ..s3.store import S3Store
from .guardduty import ScanResult

log = logging.getLogger(__name__)


def handle(event: Mapping[str, Any], store: S3Store, config: Config, events: DecisionEvents) -> dict[str, int]:
    """{"processed": 1, "accepted", "rejected", "skipped", "waiting"}: what became of the result."""
    summary = {"processed": 1, **{outcome.value: 0 for outcome in Outcome}}
    telemetry.unbind("upload_id")
    summary[_outcome(event, store, config, events)] += 1
    return summary


def _outcome(event: Mapping[str, Any], store: S3Store, config: Config, events: DecisionEvents) -> Outcome:
    if not config.guardduty:
        log.warning(
            "skipped %s: MALWARE_SCANNER is %s, not guardduty", event.get("detail-type"), config.malware_scanner
        )
        return Outcome.SKIPPED
    try:
        result = ScanResult.from_event(event)
    except ValueError as exc:
        log.warning("skipped: %s", exc)
        return Outcome.SKIPPED
    upload_id = store.id_from_incoming_key(result.key) if result.bucket == store.bucket else None
    if upload_id is None or not is_valid_id(upload_id):
        log.info("skipped a scan result for %s/%s: not an incoming upload of this bucket", result.bucket, result.key)
        return Outcome.SKIPPED
    telemetry.bind(upload_id=upload_id)
    if not result.version_id:
        # GuardDuty names no version only when the bucket is not versioned: nothing pins the bytes.
        log.error("skipped the scan result for %s: it names no object version (is the bucket versioned?)", upload_id)
        return Outcome.SKIPPED
    verdict = result.verdict
    log.info("GuardDuty: %s for version %s of %s %s", verdict.status, verdict.version, upload_id, verdict.threats or "")
    return decide(upload_id, store, config, events, scan_result=verdict)


def make_scan_result_handler(
    store: S3Store, config: Config, events: DecisionEvents | None = None
) -> Callable[[Mapping[str, Any], Any], dict[str, int]]:
    events = events or DecisionEvents(config.event_bus_name)

    def scan_result(event: Mapping[str, Any], context: Any) -> dict[str, int]:
        return handle(event, store, config, events)

    return scan_result
