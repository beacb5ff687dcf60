"""EMF metrics with Powertools' CloudWatch EMF provider.

Namespace from METRICS_NAMESPACE, dimension `service`; rejections also by `reason`.
Flows record through the functions below, which do nothing outside an invocation
(`begin`/`end`, called by Telemetry.wrap), so code run without a handler (tests, the
CLI) accumulates nothing. The provider is built at the first metric of an invocation.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime
from typing import Any, Callable

from . import sink
from .logs import SERVICE

METRIC_ACCEPTED = "UploadsAccepted"
METRIC_REJECTED = "UploadsRejected"
METRIC_BYTES = "BytesAccepted"
METRIC_LATENCY = "DecisionLatency"
METRIC_VALIDATOR_FAILURES = "ValidatorFailures"
METRIC_EVENT_FAILURES = "EventsNotDelivered"

log = logging.getLogger(__name__)
# The invocation being handled, per thread (the local stack runs api and validate at once).
_local = threading.local()


class _Invocation:
    """The metrics of one invocation: one EMF set, plus one per rejection reason; the
    Powertools provider is built at the first metric (a health check records none)."""

    def __init__(self, namespace: str):
        self.namespace = namespace
        self._main: Any = None
        self.by_reason: dict[str, Any] = {}

    def _provider(self) -> Any:
        from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

        return AmazonCloudWatchEMFProvider(namespace=self.namespace, service=SERVICE)

    @property
    def main(self) -> Any:
        if self._main is None:
            self._main = self._provider()
        return self._main

    def add(self, name: str, unit: str, value: float) -> None:
        self.main.add_metric(name=name, unit=unit, value=value)

    def rejected(self, code: str) -> None:
        self.add(METRIC_REJECTED, "Count", 1)
        if code not in self.by_reason:
            provider = self._provider()
            provider.add_dimension(name="reason", value=code)
            self.by_reason[code] = provider
        self.by_reason[code].add_metric(name=METRIC_REJECTED, unit="Count", value=1)

    def flush(self) -> None:
        for provider in (self._main, *self.by_reason.values()):
            if provider is not None and provider.metric_set:
                sink.emit(json.dumps(provider.serialize_metric_set(), separators=(",", ":")))
                provider.clear_metrics()


def _record(action: Callable[[_Invocation], None]) -> None:
    current = getattr(_local, "invocation", None)
    if current is not None:
        try:
            action(current)
        except Exception:  # noqa: BLE001 - a metric must never fail a decision
            log.warning("metric not recorded", exc_info=True)


def accepted(size: int | None) -> None:
    def add(m: _Invocation) -> None:
        m.add(METRIC_ACCEPTED, "Count", 1)
        m.add(METRIC_BYTES, "Bytes", size or 0)

    _record(add)


def rejected(code: str) -> None:
    _record(lambda m: m.rejected(code))


def decision_latency(landed_at: str | None) -> None:
    """Milliseconds from the object landing in S3 (the event's eventTime) to its decision."""
    if not landed_at:
        return
    try:
        landed = datetime.fromisoformat(landed_at.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return
    _record(lambda m: m.add(METRIC_LATENCY, "Milliseconds", max(0.0, (time.time() - landed) * 1000)))


def validator_failure() -> None:
    _record(lambda m: m.add(METRIC_VALIDATOR_FAILURES, "Count", 1))


def event_not_delivered() -> None:
    _record(lambda m: m.add(METRIC_EVENT_FAILURES, "Count", 1))


def begin(namespace: str) -> _Invocation:
    invocation = _local.invocation = _Invocation(namespace)
    return invocation


def end(invocation: _Invocation) -> None:
    _local.invocation = None
    invocation.flush()
