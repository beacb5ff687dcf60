"""The S3-event function: each record of an ObjectCreated event under the incoming prefix
is one upload to decide (decision.py holds the decision, step by step, and why no
interleaving breaks it). This module only reads the event: it skips what is not an issued
upload, keeps going when one record fails, and raises at the end so that Lambda retries
the event (finished records are skipped on the retry)."""

from __future__ import annotations

import logging
from typing import Any, Callable, Mapping

from . import telemetry
from .config import Config
from .decision import Outcome, decide
from .inspect.naming import is_valid_id
from .notify import DecisionEvents
from .s3.events import S3ObjectRecord, s3_records
from .s3.store import S3Store
from .steps import Pause, no_pause

log = logging.getLogger(__name__)

__all__ = ["Outcome", "ValidationIncomplete", "make_validate_handler", "validate_event", "validate_object"]


class ValidationIncomplete(RuntimeError):
    """Some records could not be processed (S3 failed); raised after all the others were,
    so that Lambda retries the event. Finished records are skipped on the retry."""


def validate_event(
    event: Mapping[str, Any],
    store: S3Store,
    config: Config,
    events: DecisionEvents | None = None,
    pause: Pause = no_pause,
    now: float | None = None,
) -> dict[str, int]:
    """Decide every record; the contract's counts, plus `waiting` when a record's verdict
    was kept to wait for GuardDuty's (MALWARE_SCANNER=guardduty). `now`: the sweep's clock."""
    events = events or DecisionEvents(None)
    summary = {"processed": 0, **{o.value: 0 for o in (Outcome.ACCEPTED, Outcome.REJECTED, Outcome.SKIPPED)}}
    failures: list[str] = []
    for record in s3_records(event):
        summary["processed"] += 1
        telemetry.unbind("upload_id")
        if isinstance(record, Exception):
            log.warning("skipped: %s", record)
            summary[Outcome.SKIPPED] += 1
            continue
        try:
            outcome = validate_object(record, store, config, events, pause, now)
        except Exception as exc:  # noqa: BLE001 - keep the others going; raised below
            log.exception("failed on %s: %s", record.key, exc)
            telemetry.validator_failure()
            failures.append(record.key)
            continue
        summary[outcome.value] = summary.get(outcome.value, 0) + 1
    if failures:
        raise ValidationIncomplete(f"{len(failures)} record(s) failed: {failures}; summary so far {summary}")
    return summary


def validate_object(
    record: S3ObjectRecord,
    store: S3Store,
    config: Config,
    events: DecisionEvents | None = None,
    pause: Pause = no_pause,
    now: float | None = None,
) -> Outcome:
    if not record.created or record.bucket != store.bucket:
        log.info("skipped %s %s: not an ObjectCreated event for this bucket", record.event_name, record.key)
        return Outcome.SKIPPED
    upload_id = store.id_from_incoming_key(record.key)
    if upload_id is None or not is_valid_id(upload_id):
        log.info("skipped %s: not an incoming upload key", record.key)
        return Outcome.SKIPPED
    telemetry.bind(upload_id=upload_id)
    return decide(upload_id, store, config, events or DecisionEvents(None), pause, record.event_time, now=now)


def make_validate_handler(
    store: S3Store, config: Config, events: DecisionEvents | None = None
) -> Callable[[Mapping[str, Any], Any], dict[str, int]]:
    events = events or DecisionEvents(config.event_bus_name)

    def validate(event: Mapping[str, Any], context: Any) -> dict[str, int]:
        return validate_event(event, store, config, events)

    return validate
