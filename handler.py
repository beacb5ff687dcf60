"""Lambda entry points: `api`, `validate`, `sweep`, and `scan_result` (MALWARE_SCANNER=guardduty:
GuardDuty's scan results). Config and store are built once per container, at import, without
network calls; the Flask app only when `api` is first looked up, so the other functions
never load Flask (Lambda resolves `handler.api` by getattr at init).

The entry points are wrapped by telemetry (serverless-wsgi has no Powertools hook):
metrics flushed as EMF per invocation, the API Gateway request id as correlation id,
and on Lambda JSON log lines."""

from __future__ import annotations

import os
from typing import Any

from upload_core import telemetry
from upload_core.config import Config
from upload_core.notify import DecisionEvents
from upload_core.s3.store import S3Store
from upload_core.sweep import make_sweep_handler
from upload_core.validator import make_validate_handler

config = Config.from_env()
store = S3Store(config)
events = DecisionEvents(config.event_bus_name)
observe = telemetry.Telemetry(config)
if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
    telemetry.configure_logging()
validate = observe.wrap(make_validate_handler(store, config, events), "validate")
# On a schedule: uploads whose object landed but whose S3 event never came (sweep.py).
sweep = observe.wrap(make_sweep_handler(store, config, events), "sweep")


def __getattr__(name: str) -> Any:
    """`api` and `app`, and `scan_result` (MALWARE_SCANNER=guardduty: GuardDuty's result for
    one object version, upload_core/scan/entry.py), built on first use (PEP 562), so the
    other functions never load them."""
    if name == "scan_result":
        from upload_core.scan.entry import make_scan_result_handler

        globals()["scan_result"] = observe.wrap(make_scan_result_handler(store, config, events), "scan_result")
        return globals()["scan_result"]
    if name not in ("api", "app"):
        raise AttributeError(f"module 'handler' has no attribute {name!r}")
    from upload_core.http import create_app
    from upload_core.http.gateway import make_api_handler

    app = create_app(config, store, events)
    globals().update(app=app, api=observe.wrap(make_api_handler(app), "api"))
    return globals()[name]
