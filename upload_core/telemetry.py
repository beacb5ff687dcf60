"""Operations: structured logs, EMF metrics and an optional tracer, with Powertools.

serverless-wsgi has no Powertools hook, so `Telemetry.wrap` is the one place around each
Lambda entry point: it starts a clean metric set, sets the correlation id (API Gateway's
request id) and flushes the metrics when the invocation ends, failed or not.

- Logs: with `configure_logging()` (handler.py calls it on Lambda) every `upload_core`
  logger writes Powertools' JSON lines, carrying `correlation_id` and, once a flow knows
  it, `upload_id` (`bind`). Without it, logging stays plain stdlib logging (tests, CLI).
- Metrics: CloudWatch embedded metric format (EMF) lines, namespace from
  METRICS_NAMESPACE, dimension `service`; rejections also by `reason`. Flows record
  through the module functions (`accepted`, `rejected`, ...), which do nothing outside
  a wrapped invocation, so code that runs without a handler accumulates nothing.
- Every JSON line goes through one sink (stdout by default; the local stack replaces
  it to show readable lines and keep the JSON in a file).

Only Powertools' logging and metrics modules are imported, when first needed; the
tracer (X-Ray) only when TRACING_ENABLED is set.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from datetime import datetime
from typing import Any, Callable, Mapping

from .config import Config, ConfigError

SERVICE = "upload-service"
METRIC_ACCEPTED = "UploadsAccepted"
METRIC_REJECTED = "UploadsRejected"
METRIC_BYTES = "BytesAccepted"
METRIC_LATENCY = "DecisionLatency"
METRIC_VALIDATOR_FAILURES = "ValidatorFailures"
METRIC_EVENT_FAILURES = "EventsNotDelivered"

Handler = Callable[[Any, Any], Any]
log = logging.getLogger(__name__)


def _stdout_sink(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# Where every JSON line (log or metrics) goes; the local stack swaps it (set_sink).
_sink: Callable[[str], None] = _stdout_sink
_logger: Any = None  # the Powertools Logger, built by the first log record after configure_logging()
# Keys for the log lines (correlation_id, function, upload_id), kept until the Logger exists.
_keys: dict[str, Any] = {}
# The invocation being handled, per thread (the local stack runs api and validate at once).
_local = threading.local()


def set_sink(sink: Callable[[str], None] | None) -> None:
    """Send every JSON line to `sink` instead of stdout (None: back to stdout)."""
    global _sink
    _sink = sink or _stdout_sink


class _SinkHandler(logging.Handler):
    """Hands each formatted record to the current sink, looked up at emit time."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            _sink(self.format(record))
        except Exception:  # noqa: BLE001 - logging must never break a request
            self.handleError(record)


class _PowertoolsHandler(logging.Handler):
    """On `upload_core`: builds the Powertools Logger at its first record, so that an
    invocation that logs nothing (a health check) never imports Powertools."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            _powertools_logger().logger_handler.handle(record)
        except Exception:  # noqa: BLE001 - logging must never break a request
            self.handleError(record)


def _powertools_logger() -> Any:
    global _logger
    if _logger is None:
        from aws_lambda_powertools.logging import Logger

        _logger = Logger(service=SERVICE, level="INFO", logger_handler=_SinkHandler(), utc=True)
        _logger.append_keys(name="%(name)s", **{k: v for k, v in _keys.items() if k != "correlation_id"})
        _logger.set_correlation_id(_keys.get("correlation_id"))
    return _logger


def configure_logging() -> None:
    """JSON lines (Powertools Logger) for every `upload_core` logger; once per process."""
    target = logging.getLogger("upload_core")
    if not any(isinstance(h, _PowertoolsHandler) for h in target.handlers):
        target.addHandler(_PowertoolsHandler())
        target.setLevel(logging.INFO)
        target.propagate = False  # the Lambda runtime's root handler would print it again


def unconfigure_logging() -> None:
    """Undo configure_logging (tests): `upload_core` logs go back to the root logger."""
    global _logger
    target = logging.getLogger("upload_core")
    for h in list(target.handlers):
        if isinstance(h, _PowertoolsHandler):
            target.removeHandler(h)
    target.propagate = True
    _keys.clear()
    if _logger is not None:
        _logger.clear_state()
    _logger = None


def bind(**keys: Any) -> None:
    """Add keys (upload_id) to every following log line of this invocation."""
    present = {k: v for k, v in keys.items() if v is not None}
    _keys.update(present)
    if _logger is not None and present:
        _logger.append_keys(**present)


def unbind(*keys: str) -> None:
    """Drop keys from the following log lines (the validator, between two records)."""
    for key in keys:
        _keys.pop(key, None)
    if _logger is not None:
        _logger.remove_keys(keys)


def _start(function: str, request_id: str | None, correlation_id: str | None) -> None:
    """A new invocation: only its own keys on the log lines."""
    _keys.clear()
    _keys.update({"function": function, "function_request_id": request_id, "correlation_id": correlation_id})
    if _logger is not None:
        _logger.clear_state()
        _logger.append_keys(name="%(name)s", function=function, function_request_id=request_id)
        _logger.set_correlation_id(correlation_id)


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
                _sink(json.dumps(provider.serialize_metric_set(), separators=(",", ":")))
                provider.clear_metrics()


def _record(action: Callable[[_Invocation], None]) -> None:
    current = getattr(_local, "invocation", None)
    if current is not None:
        try:
            action(current)
        except Exception:  # noqa: BLE001 - a metric must never fail a decision
            log.warning("metric not recorded", exc_info=True)


def accepted(size: int | None) -> None:
    _record(lambda m: (m.add(METRIC_ACCEPTED, "Count", 1), m.add(METRIC_BYTES, "Bytes", size or 0)))


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


def _request_id(event: Any) -> str | None:
    if isinstance(event, Mapping):
        context = event.get("requestContext")
        if isinstance(context, Mapping) and context.get("requestId"):
            return str(context["requestId"])
    return None


class Telemetry:
    """Wraps Lambda entry points; built once per container by handler.py."""

    def __init__(self, config: Config):
        self.namespace = config.metrics_namespace
        self.tracing = config.tracing_enabled
        if self.tracing:
            from importlib.util import find_spec

            if find_spec("aws_xray_sdk") is None:
                raise ConfigError("TRACING_ENABLED", "needs aws-xray-sdk, which requirements.txt does not ship")

    def wrap(self, handler: Handler, name: str) -> Handler:
        traced = self._traced(handler) if self.tracing else handler

        def entry(event: Any, context: Any) -> Any:
            invocation = _local.invocation = _Invocation(self.namespace)
            _start(name, getattr(context, "aws_request_id", None), _request_id(event))
            try:
                return traced(event, context)
            finally:
                _local.invocation = None
                invocation.flush()

        entry.__name__ = entry.__qualname__ = name
        entry.__wrapped__ = handler  # type: ignore[attr-defined]
        return entry

    @staticmethod
    def _traced(handler: Handler) -> Handler:
        from aws_lambda_powertools.tracing import Tracer

        return Tracer(service=SERVICE).capture_lambda_handler(handler)
