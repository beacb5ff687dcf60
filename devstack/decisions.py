"""Decision events, locally: the bus in moto, a rule to a queue, and a loop that shows each
event in the console and posts it to the developer's webhook URL, as the deployed rule's
API destination does (the whole event as JSON, the secret in a header; failed posts are
tried again a few times, then dropped with a line saying so, where AWS dead-letters).
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request

log = logging.getLogger("devstack.events")

SECRET_HEADER = "X-Upload-Webhook-Secret"
ATTEMPTS = 3


def setup_bus(events_client, sqs_client, bus: str) -> str:
    """The bus, a queue and a rule sending the service's events to it; the queue URL."""
    try:
        events_client.create_event_bus(Name=bus)
    except events_client.exceptions.ResourceAlreadyExistsException:
        pass
    queue_url = sqs_client.create_queue(QueueName=f"{bus}-watch", Attributes={"VisibilityTimeout": "2"})["QueueUrl"]
    arn = sqs_client.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = json.dumps({"source": ["upload-service"]})
    events_client.put_rule(Name="devstack-watch", EventBusName=bus, EventPattern=pattern)
    events_client.put_targets(Rule="devstack-watch", EventBusName=bus, Targets=[{"Id": "watch", "Arn": arn}])
    return queue_url


class DecisionWatcher(threading.Thread):
    def __init__(self, sqs_client, queue_url: str, webhook: str | None, secret: str, wait_seconds: int = 1):
        super().__init__(name="decision-watcher", daemon=True)
        self.sqs = sqs_client
        self.queue_url = queue_url
        self.webhook = webhook
        self.secret = secret
        self.wait_seconds = wait_seconds
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                messages = self.sqs.receive_message(
                    QueueUrl=self.queue_url,
                    MaxNumberOfMessages=10,
                    WaitTimeSeconds=self.wait_seconds,
                    AttributeNames=["ApproximateReceiveCount"],
                ).get("Messages", [])
            except Exception:  # noqa: BLE001 - the server is going away, or hiccuped
                if self.stopping.wait(0.5):
                    return
                continue
            for message in messages:
                if self.handle(message):
                    self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def handle(self, message: dict) -> bool:
        """Show (and post) one event; False leaves it for another try."""
        event = json.loads(message["Body"])
        detail = event.get("detail") or {}
        attempt = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        reason = (detail.get("reason") or {}).get("code")
        shown = f"{event.get('detail-type')} {detail.get('id')} {detail.get('filename')!r}" + (
            f" ({reason})" if reason else ""
        )
        if not self.webhook:
            log.info("event %s", shown)
            return True
        status = self.post(event)
        if status is not None and 200 <= status < 300:
            log.info("event %s -> webhook %s", shown, status)
            return True
        if attempt >= ATTEMPTS:
            log.warning("event %s -> webhook %s; dropped after %d attempts", shown, status, attempt)
            return True
        log.warning("event %s -> webhook %s; trying again", shown, status)
        return False

    def post(self, event: dict) -> int | None:
        request = urllib.request.Request(
            self.webhook,
            data=json.dumps(event).encode(),
            headers={"Content-Type": "application/json", SECRET_HEADER: self.secret},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                return answer.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except (urllib.error.URLError, OSError):
            return None

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=self.wait_seconds + 5)
