"""python -m devstack: the whole service on this machine (see __init__.py).

python -m devstack [--port 8000] [--s3-port 4569] [--data-dir DIR] [--webhook URL] [--json-logs]
python -m devstack --api none --run sls offline   # what `make offline` runs
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

log = logging.getLogger("devstack")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m devstack", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="the API's port (0: any free port)")
    parser.add_argument("--s3-port", type=int, default=4569, help="the local S3's port (0: any free port)")
    parser.add_argument("--bucket", default=os.environ.get("UPLOAD_BUCKET") or "uploads-local")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=os.environ.get("DEVSTACK_DATA_DIR") or None,
        help="keep the bucket's objects here across restarts (default: not kept)",
    )
    parser.add_argument("--save-every", type=float, default=10.0, help="seconds between saves to --data-dir")
    parser.add_argument(
        "--api",
        choices=("gateway", "none"),
        default="gateway",
        help="gateway: serve handler.api at --port; none: S3 and the validator only",
    )
    parser.add_argument(
        "--webhook",
        default=os.environ.get("WEBHOOK_URL") or None,
        help="post each decision event to this URL, as the deployed EventBridge rule does",
    )
    parser.add_argument(
        "--webhook-secret",
        default=os.environ.get("WEBHOOK_SECRET") or "local-webhook-secret",
        help="the value sent in the X-Upload-Webhook-Secret header",
    )
    parser.add_argument(
        "--json-logs",
        action="store_true",
        help="print the functions' raw JSON log lines instead of one readable line each",
    )
    parser.add_argument(
        "--run",
        nargs=argparse.REMAINDER,
        default=None,
        help="run this command with the stack's environment; stop when it exits",
    )
    return parser.parse_args(argv)


def local_environment(endpoint: str, bucket: str) -> dict[str, str]:
    """What handler.py (and any boto3 client) needs to talk to the local stack only."""
    return {
        "UPLOAD_BUCKET": bucket,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ENDPOINT_URL_S3": endpoint,
        "AWS_ENDPOINT_URL_SQS": endpoint,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    for noisy in ("werkzeug", "botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from upload_core.config import Config, ConfigError

    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    os.environ["UPLOAD_BUCKET"] = args.bucket
    try:
        config = Config.from_env()
    except ConfigError as exc:
        print(f"devstack: bad configuration: {exc}", file=sys.stderr)
        return 2

    from . import s3
    from .bucket_config import BucketSettings
    from .persist import PeriodicSaver, Snapshots
    from .pump import EventPump

    settings = BucketSettings.load(config.cors_allowed_origins)
    server = s3.start_server(args.host, args.s3_port)
    env = local_environment(server.endpoint, args.bucket)
    os.environ.update(env)
    queue_url = s3.setup_bucket(server.endpoint, args.bucket, settings, f"{args.bucket}-events")

    from upload_core import telemetry

    from .decisions import DecisionWatcher, setup_bus
    from .logview import LogView

    bus = f"{args.bucket}-decisions"
    env["EVENT_BUS_NAME"] = os.environ["EVENT_BUS_NAME"] = bus
    decisions_url = setup_bus(s3.client("events", server.endpoint), s3.client("sqs", server.endpoint), bus)
    watcher = DecisionWatcher(s3.client("sqs", server.endpoint), decisions_url, args.webhook, args.webhook_secret)
    watcher.start()
    json_log = (args.data_dir.resolve() if args.data_dir else Path(tempfile.mkdtemp(prefix="devstack-"))) / "logs.jsonl"
    logview = LogView(json_log, raw_to_console=args.json_logs)
    telemetry.configure_logging()
    telemetry.set_sink(logview)

    snapshots = saver = None
    if args.data_dir:
        args.data_dir = args.data_dir.resolve()
        snapshots = Snapshots(s3.client("s3", server.endpoint), args.bucket, args.data_dir)
        restored = snapshots.restore()
        log.info("restored %d object(s) from %s", restored, args.data_dir)
        saver = PeriodicSaver(snapshots, args.save_every)
        saver.start()

    import handler  # after the environment points at the local stack

    pump = EventPump(s3.client("sqs", server.endpoint), queue_url, handler.validate)
    pump.start()
    api = None
    if args.api == "gateway":
        from .gateway_server import Gateway, serve

        api = serve(args.host, args.port, lambda port: Gateway(handler.api, config.inline_max_bytes, port))

    # Set by the signal handler, polled here: Event.set() inside a handler can deadlock
    # a main thread that is in Event.wait().
    import faulthandler

    faulthandler.register(signal.SIGUSR1)  # kill -USR1 PID: every thread's stack on stderr
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    child = None
    if args.run:
        child = subprocess.Popen(args.run, env={**os.environ, **env})
        threading.Thread(target=lambda: (child.wait(), stop.set()), daemon=True).start()
    print_summary(args, server.endpoint, queue_url, api, child, bus, json_log)

    while not stop.is_set():
        time.sleep(0.2)
    log.info("stopping")
    if api is not None:
        api.shutdown()
    if child is not None and child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
    pump.stop()
    watcher.stop()
    if saver is not None:
        saver.stop()
        log.info("saved %d object(s) to %s", snapshots.save(), args.data_dir)
    server.stop()
    return child.returncode if child is not None and child.returncode else 0


def print_summary(args, s3_endpoint: str, queue_url: str, api, child, bus: str, json_log: Path) -> None:
    api_url = f"http://{args.host}:{api.server_port}" if api is not None else None
    data = (
        f"{args.data_dir} (saved every {args.save_every:g} s and on exit)"
        if args.data_dir
        else "not kept across restarts (use --data-dir DIR)"
    )
    lines = ["", "Local upload stack is running. Ctrl-C stops it.", ""]
    if api_url:
        lines.append(f"  API          {api_url}   handler.api, as API Gateway HTTP API (payload 2.0) events")
    if child is not None:
        shown = [a for a in args.run if "=" not in a or a.startswith("-")]
        lines.append(f"  command      {' '.join(shown)} (pid {child.pid}), with the environment below")
    lines += [
        f"  S3 endpoint  {s3_endpoint}   moto; CORS, lifecycle, notification from infra/bucket.json",
        f"  bucket       {args.bucket}",
        f"  events       {queue_url} -> handler.validate",
        f"  data         {data}",
        f"  decisions    EventBridge bus {bus} -> "
        + (f"POST {args.webhook} (header X-Upload-Webhook-Secret)" if args.webhook else "this console"),
        f"  JSON logs    {json_log}" + (" (and this console)" if args.json_logs else " (readable lines here)"),
        "",
        f"  export AWS_ENDPOINT_URL={s3_endpoint} AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local"
        " AWS_REGION=us-east-1",
    ]
    if api_url:
        lines += [
            f"  curl -F file=@photo.png {api_url}/uploads",
            f'  curl -H \'Content-Type: application/json\' -d \'{{"filename": "photo.png", "size": 1234}}\''
            f" {api_url}/uploads",
            "  curl -T photo.png -H 'Content-Type: image/png' \"$UPLOAD_URL\"   # upload.url from that answer",
            f"  curl {api_url}/uploads/ID        # pending -> accepted | rejected",
        ]
    print("\n".join(lines) + "\n", flush=True)


if __name__ == "__main__":
    sys.exit(main())
