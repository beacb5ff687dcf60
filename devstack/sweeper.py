"""The scheduled sweep, locally: handler.sweep on a timer (what the deployed EventBridge
schedule does), and on demand from the local gateway (`POST /_local/sweep`).

On demand, `?later=SECONDS` sweeps as if that much more time had passed, so a test (or a
developer) need not wait SWEEP_AFTER_SECONDS for an object whose event was lost.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

from .pump import LambdaContext

log = logging.getLogger("devstack.sweep")


class Sweeper(threading.Thread):
    def __init__(self, handler: Any, every_seconds: float):
        super().__init__(name="sweeper", daemon=True)
        self.handler = handler  # the handler module: its sweep, store, config and events
        self.every = every_seconds
        self.stopping = threading.Event()
        self._lock = threading.Lock()  # one sweep at a time, as the schedule's one invocation

    def run(self) -> None:
        while not self.stopping.wait(self.every):
            try:
                self.sweep_now()
            except Exception:  # noqa: BLE001 - the deployed schedule retries; here the next tick does
                log.exception("the sweep failed; the next one tries again")

    def sweep_now(self, later_seconds: float = 0) -> dict[str, int]:
        with self._lock:
            if not later_seconds:
                return self.handler.sweep({"source": "aws.events"}, LambdaContext("sweep", timeout_seconds=900))
            from upload_core.sweep import sweep

            now = datetime.now(timezone.utc) + timedelta(seconds=later_seconds)
            return sweep(self.handler.store, self.handler.config, self.handler.events, now=now)

    def stop(self) -> None:
        self.stopping.set()
