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

__init__.py  Telemetry: the wrapper around both entry points
logs.py      JSON log lines (Powertools Logger), correlation and upload ids
metrics.py   EMF metrics of one invocation (Powertools' EMF provider)
sink.py      where every JSON line goes
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from ..config import Config
from . import logs, metrics
from .logs import SERVICE, bind, configure_logging, unbind, unconfigure_logging
from .metrics import accepted, decision_latency, event_not_delivered, rejected, validator_failure
from .sink import set_sink

__all__ = [
    "SERVICE",
    "Telemetry",
    "accepted",
    "bind",
    "configure_logging",
    "decision_latency",
    "event_not_delivered",
    "rejected",
    "set_sink",
    "unbind",
    "unconfigure_logging",
    "validator_failure",
]

Handler = Callable[[Any, Any], Any]


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

    def wrap(self, handler: Handler, name: str) -> Handler:
        traced = self._traced(handler) if self.tracing else handler

        def entry(event: Any, context: Any) -> Any:
            invocation = metrics.begin(self.namespace)
            logs.start(name, getattr(context, "aws_request_id", None), _request_id(event))
            try:
                return traced(event, context)
            finally:
                metrics.end(invocation)

        entry.__name__ = entry.__qualname__ = name
        entry.__wrapped__ = handler  # type: ignore[attr-defined]
        return entry

    @staticmethod
    def _traced(handler: Handler) -> Handler:
        from aws_lambda_powertools.tracing import Tracer

        return Tracer(service=SERVICE).capture_lambda_handler(handler)
