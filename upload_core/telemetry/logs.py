"""JSON log lines with Powertools' Logger, for every `upload_core` logger.

`configure_logging()` (handler.py calls it on Lambda) puts one small handler on the
`upload_core` logger; the Powertools Logger behind it is built by the first record, so an
invocation that logs nothing (a health check) never imports Powertools. Lines carry
`correlation_id` (API Gateway's request id), `function` and, once a flow knows it,
`upload_id` (`bind`). Without configure_logging, logging stays plain stdlib logging.
"""

from __future__ import annotations

import logging
from typing import Any

from . import sink

SERVICE = "upload-service"

_logger: Any = None  # the Powertools Logger, built by the first log record after configure_logging()
# Keys for the log lines (correlation_id, function, upload_id), kept until the Logger exists.
_keys: dict[str, Any] = {}


class _SinkHandler(logging.Handler):
    """Hands each formatted record to the current sink, looked up at emit time."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sink.emit(self.format(record))
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


def start(function: str, request_id: str | None, correlation_id: str | None) -> None:
    """A new invocation: only its own keys on the log lines."""
    _keys.clear()
    _keys.update({"function": function, "function_request_id": request_id, "correlation_id": correlation_id})
    if _logger is not None:
        _logger.clear_state()
        _logger.append_keys(name="%(name)s", function=function, function_request_id=request_id)
        _logger.set_correlation_id(correlation_id)
