"""python -m devstack: the whole service on this machine (see __init__.py).

python -m devstack [--port 8000] [--s3-port 4569] [--data-dir DIR] [--webhook URL] [--json-logs]
python -m devstack --api none --run sls offline   # what `make offline` runs
python -m devstack --auth jwt     # AUTH_MODE=jwt with a local token issuer (make dev AUTH=jwt)
python -m devstack --scanner guardduty   # GuardDuty played by clamd (make dev SCANNER=guardduty)
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
        "--scanner",
        choices=("none", "clamd", "guardduty"),
        default=(os.environ.get("MALWARE_SCANNER") or "").strip().lower() or None,
        help="MALWARE_SCANNER: clamd starts Debian's clamd with the test signature database (EICAR) and "
        "scans with it; guardduty plays GuardDuty Malware Protection with that clamd (devstack/guardduty.py)",
    )
    parser.add_argument("--clamd", action="store_true", help="the same as --scanner clamd")
    parser.add_argument(
        "--auth",
        choices=("none", "jwt"),
        default=(os.environ.get("AUTH_MODE") or "none").strip().lower(),
        help="jwt: the gateway verifies bearer tokens from a local issuer (default: AUTH_MODE or none)",
    )
    parser.add_argument(
        "--stop-with-parent",
        action="store_true",
        help="stop cleanly when the parent process (make) is told to stop: what `make dev` passes, "
        "so SIGINT or SIGTERM to make's PID stops the stack, data saved",
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
        "--sweep-every",
        type=float,
        default=60.0,
        help="seconds between runs of handler.sweep, as the deployed schedule runs it (0: never; "
        "POST /_local/sweep runs it at once)",
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
    clamd = None
    scanner = "clamd" if args.clamd else args.scanner
    if scanner is None:
        scanner = "clamd" if os.environ.get("CLAMD_ADDRESS") else "none"
    os.environ["MALWARE_SCANNER"] = scanner
    if scanner != "clamd":
        os.environ.pop("CLAMD_ADDRESS", None)  # GuardDuty's stand-in uses clamd; the service does not
    # Our own clamd for guardduty's stand-in, and for clamd unless CLAMD_ADDRESS names one.
    if scanner == "guardduty" or (scanner == "clamd" and (args.clamd or not os.environ.get("CLAMD_ADDRESS"))):
        from .clamd import Clamd

        clamd = Clamd().start()
        if scanner == "clamd":
            os.environ["CLAMD_ADDRESS"] = clamd.address
        log.info("clamd on %s (signature database: EICAR only)", clamd.address)
    os.environ["AUTH_MODE"] = args.auth
    # Locally a lost event is made good after a minute, not the deployed 15 (SWEEP_AFTER_SECONDS).
    os.environ.setdefault("SWEEP_AFTER_SECONDS", "60")
    try:
        config = Config.from_env()
    except ConfigError as exc:
        print(f"devstack: bad configuration: {exc}", file=sys.stderr)
        if clamd is not None:
            clamd.stop()
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
    guardduty: list = []  # MALWARE_SCANNER=guardduty: the stand-in and its results' pump
    local_routes = {}
    if scanner == "guardduty":
        from . import guardduty as gd

        clients = [s3.client(name, server.endpoint) for name in ("s3", "sqs", "events")]
        objects_url, results_url = gd.setup(*clients, args.bucket)
        stand_in = gd.StandIn(*clients, objects_url, clamd.address)
        guardduty = [stand_in, EventPump(clients[1], results_url, handler.scan_result, function="scanResult")]
        for thread in guardduty:
            thread.start()
        local_routes["/_local/hold"] = gd.Holds(stand_in, pump)
    from .sweeper import Sweeper

    sweeper = Sweeper(handler, args.sweep_every)
    if args.sweep_every > 0:
        sweeper.start()
    api = issuer = None
    if args.api == "gateway":
        from .gateway_server import Gateway, serve

        if args.auth == "jwt":
            from .issuer import LocalIssuer

            issuer = LocalIssuer()
        api = serve(
            args.host,
            args.port,
            lambda port: Gateway(
                handler.api, config.inline_max_bytes, port, issuer, sweeper, config.cors_allowed_origins, local_routes
            ),
        )

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
    print_summary(args, server.endpoint, queue_url, api, child, bus, json_log, issuer, own_clamd=clamd is not None)

    parent = ParentWatch() if args.stop_with_parent else None
    while not stop.is_set():
        time.sleep(0.2)
        if parent is not None and parent.stopping():
            log.info("the parent process (pid %d) is stopping", parent.pid)
            break
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
    for thread in guardduty:
        thread.stop()
    sweeper.stop()
    status = 0
    watcher.stop()
    if saver is not None:
        saver.stop()
        try:
            log.info("saved %d object(s) to %s", snapshots.save(), args.data_dir)
            for key in snapshots.last.kept_from_before:
                log.warning("not saved now, its previous copy kept: %s", key)
            for key in snapshots.last.failed:
                log.error("not saved: %s", key)
        except Exception:  # noqa: BLE001 - the previous snapshot is still there; say so and stop
            log.exception("saving to %s failed; the previous snapshot is kept", args.data_dir)
            status = 1
    server.stop()
    if clamd is not None:
        clamd.stop()
    return child.returncode if child is not None and child.returncode else status


class ParentWatch:
    """Notices that the parent process is stopping, for `make dev`.

    A signal sent to make's PID alone never reaches the stack: on SIGINT GNU make resets
    its handler to the default and waits for its children (only SIGTERM is passed on). That
    reset shows in /proc/PPID/status (SigCgt loses the signal), so the stack polls it and
    stops as if it had the signal itself; a parent that is gone (re-parented) stops it too.
    """

    WATCHED = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.pid = os.getppid()
        self.caught = self._caught()
        if self._ignored() & (1 << (signal.SIGINT - 1)):
            # POSIX: a non-interactive shell starts background jobs (`make dev &` in a script)
            # with SIGINT ignored, and make keeps it so: SIGINT to its PID then never arrives.
            log.warning(
                "make (pid %d) ignores SIGINT, as a script's background job does: stop the stack with "
                "kill -TERM %d (or start make in the foreground, or with setsid)",
                self.pid,
                self.pid,
            )

    def _ignored(self) -> int:
        try:
            with open(f"/proc/{self.pid}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("SigIgn:"):
                        return int(line.split()[1], 16)
        except OSError:
            pass
        return 0

    def _caught(self) -> int:
        try:
            with open(f"/proc/{self.pid}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("SigCgt:"):
                        mask = int(line.split()[1], 16)
                        return sum(1 << (s - 1) for s in self.WATCHED if mask & (1 << (s - 1)))
        except OSError:
            pass
        return 0

    def stopping(self) -> bool:
        if os.getppid() != self.pid:
            return True
        return self.caught != 0 and self._caught() != self.caught


# Shell lines that run as pasted (README.md, "Try it", has the same): an inline upload, then
# a presigned one with the size read from the file and the URL and id from the answer.
TRY_IT = r"""API=%(api)s
FILE=photo.png
curl -sS -F "file=@$FILE" "$API/uploads"
ANSWER=$(curl -sS -H 'Content-Type: application/json' \
  -d "{\"filename\": \"$(basename "$FILE")\", \"size\": $(wc -c < "$FILE")}" "$API/uploads")
field() { echo "$ANSWER" | python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
UPLOAD_ID=$(field '["id"]')
UPLOAD_URL=$(field '["upload"]["url"]')
CONTENT_TYPE=$(field '["upload"]["headers"]["Content-Type"]')
curl -sS -T "$FILE" -H "Content-Type: $CONTENT_TYPE" "$UPLOAD_URL"   # S3 answers 200, no body
for i in $(seq 120); do STATUS=$(curl -sS "$API/uploads/$UPLOAD_ID")   # until decided (2 minutes at most)
  case $STATUS in *'"pending"'*) sleep 1;; *) break;; esac; done
echo "$STATUS"   # accepted | rejected, once the validator has decided (a 6.5 MB PDF: under a second)
curl -sS -L -o "copy-$FILE" "$API/uploads/$UPLOAD_ID/content" && cmp "$FILE" "copy-$FILE" && echo same bytes"""


def try_it(api_url: str) -> list[str]:
    return (TRY_IT % {"api": api_url}).splitlines()


def scanner_line(args, scanner: str, own_clamd: bool) -> str:
    if scanner == "guardduty":
        return (
            "  scanner      guardduty, played by clamd (EICAR signature only): results go to handler.scan_result;\n"
            "               the sweep keeps their deadline (SCAN_RESULT_TIMEOUT_SECONDS);\n"
            "               POST API/_local/hold?guardduty=1 (or validator=1) holds one verdict back, =0 releases it"
        )
    if scanner == "clamd":
        return f"  scanner      clamd at {os.environ.get('CLAMD_ADDRESS')}" + (
            " (EICAR signature only)" if own_clamd else ""
        )
    return "  scanner      none (--scanner clamd | guardduty; make dev CLAMD=1 or SCANNER=guardduty)"


def print_summary(
    args, s3_endpoint: str, queue_url: str, api, child, bus: str, json_log: Path, issuer=None, own_clamd: bool = False
) -> None:
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
        f"  sweep        handler.sweep every {args.sweep_every:g} s (objects waiting over SWEEP_AFTER_SECONDS: "
        f"{os.environ['SWEEP_AFTER_SECONDS']} s here)"
        if args.sweep_every > 0
        else "  sweep        off (--sweep-every 0); POST /_local/sweep on the API runs it",
        f"  data         {data}",
        scanner_line(args, os.environ.get("MALWARE_SCANNER", "none"), own_clamd),
        f"  decisions    EventBridge bus {bus} -> "
        + (f"POST {args.webhook} (header X-Upload-Webhook-Secret)" if args.webhook else "this console"),
        f"  JSON logs    {json_log}" + (" (and this console)" if args.json_logs else " (readable lines here)"),
        "",
        f"  export AWS_ENDPOINT_URL={s3_endpoint} AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local"
        " AWS_REGION=us-east-1",
    ]
    if api_url:
        lines += ["", '  Try it (the same lines as README.md, "Try it"; any file of an allowed type):', ""]
        lines += ["  " + line for line in try_it(api_url)]
    if api_url and issuer is not None:
        # A token for a local user: it goes to the terminal that started the stack, never to a log.
        lines += [
            "",
            f"  auth         AUTH_MODE=jwt: bearer tokens from {issuer.issuer} (audience {issuer.audience})",
            f"  token        {api_url}/_local/token?sub=NAME   mints one for any sub; for sub local-user:",
            f"  export UPLOAD_TOKEN={issuer.mint('local-user')}",
            f'  curl -H "Authorization: Bearer $UPLOAD_TOKEN" {api_url}/uploads',
            f"  page         {api_url}/#token=$UPLOAD_TOKEN",
        ]
    print("\n".join(lines) + "\n", flush=True)


if __name__ == "__main__":
    sys.exit(main())
