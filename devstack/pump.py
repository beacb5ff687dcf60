"""S3 -> SQS -> handler.validate: the local stand-in for S3 invoking the validate function.

The local S3 sends its ObjectCreated notifications (the real S3 event JSON) to a queue;
this loop long-polls it and calls the validate handler with each message body, as the
Lambda service would call it with the event. A message is deleted only when the handler
returns; if it raises, the message comes back after its visibility timeout and, after a
few tries, goes to the failure queue (on AWS: retries, then the on-failure destination).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from typing import Any, Callable

log = logging.getLogger("devstack.pump")


class LambdaContext:
    """What a handler may ask of its Lambda context."""

    def __init__(self, function_name: str, timeout_seconds: int = 30, memory_mb: int = 512):
        import time

        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        import time

        return max(0, int((self._deadline - time.monotonic()) * 1000))


def release(sqs, queue_url: str, messages: list[dict]) -> None:
    """Make received messages visible again at once (held: devstack/guardduty.py's holds)."""
    if messages:
        sqs.change_message_visibility_batch(
            QueueUrl=queue_url,
            Entries=[
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                for n, m in enumerate(messages)
            ],
        )


class QueuePoller(threading.Thread):
    """Long-polls an SQS queue and hands each message to `deliver`, which deletes it once
    handled. `paused` set: messages stay in the queue (those a waiting receive got are made
    visible again) until it is cleared."""

    def __init__(self, name: str, sqs_client, queue_url: str, wait_seconds: int = 1):
        super().__init__(name=name, daemon=True)
        self.sqs = sqs_client
        self.queue_url = queue_url
        self.wait_seconds = wait_seconds
        self.stopping = threading.Event()
        self.paused = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            if self.paused.is_set():
                self.stopping.wait(0.1)
                continue
            try:
                messages = self.sqs.receive_message(
                    QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=self.wait_seconds
                ).get("Messages", [])
            except Exception:  # noqa: BLE001 - the server is going away, or hiccuped
                if self.stopping.wait(0.5):
                    return
                log.warning("receiving from %s failed", self.name, exc_info=True)
                continue
            if self.paused.is_set():  # held while this receive waited: give them back
                release(self.sqs, self.queue_url, messages)
                continue
            for message in messages:
                self.deliver(message)

    def deliver(self, message: dict) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=self.wait_seconds + 5)


class EventPump(QueuePoller):
    def __init__(
        self,
        sqs_client,
        queue_url: str,
        handler: Callable[[dict, Any], Any],
        wait_seconds: int = 1,
        function: str = "validate",
    ):
        super().__init__(f"event-pump-{function}", sqs_client, queue_url, wait_seconds)
        self.handler = handler
        self.function = function  # the Lambda function it stands for (logs, the context's name)
        self.handled = 0

    def deliver(self, message: dict) -> None:
        event = json.loads(message["Body"])
        if event.get("Event") == "s3:TestEvent":
            log.info("S3 test event (sent when notifications are configured): not delivered")
        else:
            try:
                result = self.handler(event, LambdaContext(self.function, timeout_seconds=300, memory_mb=256))
            except Exception:  # noqa: BLE001 - a failed invocation: leave the message for a retry
                log.exception("%s failed; the event will be delivered again", self.function)
                return
            self.handled += 1
            log.info("%s: %s", self.function, result)
        self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
