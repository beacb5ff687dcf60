"""upload-files API_URL FILE...: upload files, wait for validation, print each status.

Exit status: 0 when every file was accepted, 1 when any was rejected, failed or is still
pending at --timeout, 130 when interrupted (run the same command again to resume).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from dataclasses import asdict, dataclass, field

from .api import Api, ApiError
from .state import ResumeState, default_dir
from .transfer import MultipartSender, TransferError, put_single, sha256_of

HASH_UPFRONT_BYTES = 64 * 1024 * 1024  # whole-file SHA-256 to pin a single PUT, up to this size


@dataclass
class Outcome:
    file: str
    status: str  # accepted | rejected | failed | pending
    id: str | None = None
    detail: dict = field(default_factory=dict)


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="upload-files", description=__doc__.split("\n\n")[0])
    p.add_argument("url", help="the API's base URL, e.g. http://127.0.0.1:8000")
    p.add_argument("files", nargs="+", help="files to upload")
    p.add_argument("-j", "--jobs", type=int, default=4, help="parts sent at once per file (default 4)")
    p.add_argument(
        "--inline-below",
        type=int,
        default=1024 * 1024,
        help="send files up to this many bytes inline, validated at once (default 1 MiB; 0: never)",
    )
    p.add_argument(
        "--no-checksum",
        dest="checksum",
        action="store_false",
        help="do not pin SHA-256 checksums on the presigned requests",
    )
    p.add_argument(
        "--token",
        default=os.environ.get("UPLOAD_TOKEN") or None,
        help="bearer token for an API in AUTH_MODE=jwt (default: $UPLOAD_TOKEN; prefer the variable: "
        "a command line shows up in process lists)",
    )
    p.add_argument("--no-wait", dest="wait", action="store_false", help="do not wait for validation")
    p.add_argument("--timeout", type=float, default=600, help="seconds to wait for validation (default 600)")
    p.add_argument("--state-dir", default=None, help=f"resume state (default {default_dir()})")
    p.add_argument("--json", action="store_true", help="print the outcomes as JSON")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    args = p.parse_args(argv)
    if args.jobs < 1:
        p.error("--jobs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    api = Api(args.url, args.token)
    outcomes: list[Outcome] = []
    try:
        for position, path in enumerate(args.files):
            outcomes.append(upload_file(api, path, position, args))
    except KeyboardInterrupt:
        print("interrupted: run the same command again to resume", file=sys.stderr)
        return 130
    if args.wait:
        wait_for_validation(api, outcomes, args.timeout)
    report(outcomes, args.json)
    return (
        0
        if all(o.status == "accepted" for o in outcomes)
        or (not args.wait and all(o.status in ("accepted", "pending") for o in outcomes))
        else 1
    )


def upload_file(api: Api, path: str, position: int, args) -> Outcome:
    name = os.path.basename(path)
    if not os.path.isfile(path):
        return Outcome(path, "failed", detail={"code": "not_a_file", "message": f"{path} is not a readable file"})
    size = os.path.getsize(path)
    bar = _bar(name, size, position, args.quiet)
    try:
        state = ResumeState(args.state_dir or default_dir(), args.url, path)
        resumed = _resume(api, path, size, state, bar, args)
        if resumed:
            return resumed
        if 0 < size <= args.inline_below:
            try:
                with open(path, "rb") as f:
                    body = api.inline(name, f.read())
                bar.update(size)
                return Outcome(path, body["status"], body["id"], body)
            except ApiError as err:
                if err.code != "too_large_for_inline":
                    raise
        extra = {}
        if args.checksum:
            extra["checksum_algorithm"] = "SHA256"
            if size <= HASH_UPFRONT_BYTES:
                extra["checksum_sha256"] = sha256_of(path, 0, size)
        body = api.create(name, size, None, **extra)
        signed = body["upload"]
        if signed["method"] == "multipart":
            checksums = bool(signed.get("checksum_algorithm"))
            state.save(body["id"], signed["part_size"], checksums)
            sender = MultipartSender(
                api, body["id"], path, size, signed["part_size"], checksums, signed["parts"], args.jobs, bar.update
            )
            api.complete(body["id"], sender.send({}))
            state.clear()
        else:
            put_single(signed, path, size, bar.update)
        return Outcome(path, "pending", body["id"], body)
    except ApiError as err:
        status = "failed" if err.status in (0, 500, 502, 503, 504) else "rejected"
        return Outcome(path, status, detail={"code": err.code, "message": err.message})
    except (TransferError, OSError) as err:
        return Outcome(path, "failed", detail={"code": "transfer_failed", "message": f"{err} (run again to resume)"})
    finally:
        bar.close()


def _resume(api: Api, path: str, size: int, state: ResumeState, bar, args) -> Outcome | None:
    """Finish the multipart upload a previous run left, sending only the parts S3 lacks."""
    saved = state.load()
    if not saved:
        return None
    try:
        if api.get(saved["upload_id"])["status"] != "pending":
            raise ApiError(409, "not_pending", "")
        held = api.held_parts(saved["upload_id"])
    except ApiError as err:
        if err.status in (404, 409):  # gone or decided: start again
            state.clear()
            return None
        raise
    sender = MultipartSender(
        api, saved["upload_id"], path, size, saved["part_size"], saved["checksums"], [], args.jobs, bar.update
    )
    done = {}
    for part in held["parts"]:
        n = part["part_number"]
        if n <= sender.count and part["size"] == sender.span(n)[1]:
            done[n] = part["etag"]
            bar.update(part["size"])
    api.complete(saved["upload_id"], sender.send(done))
    state.clear()
    return Outcome(path, "pending", saved["upload_id"], {"resumed_parts": len(done)})


def _bar(name: str, size: int, position: int, quiet: bool):
    from tqdm import tqdm

    bar = tqdm(
        total=size,
        desc=name[:32],
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        position=position,
        leave=True,
        disable=quiet,
        file=sys.stderr,
        mininterval=0.2,
    )
    lock = threading.Lock()
    update = bar.update

    def safe_update(n: int) -> None:
        with lock:
            update(n)

    bar.update = safe_update
    return bar


def wait_for_validation(api: Api, outcomes: list[Outcome], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    delay = 0.25
    while any(o.status == "pending" for o in outcomes) and time.monotonic() < deadline:
        time.sleep(delay)
        delay = min(delay * 1.5, 2.0)
        for outcome in outcomes:
            if outcome.status == "pending":
                try:
                    body = api.get(outcome.id)
                except ApiError as err:
                    if err.status in (0, 503):
                        continue
                    outcome.status, outcome.detail = "failed", {"code": err.code, "message": err.message}
                    continue
                outcome.status, outcome.detail = body["status"], body


def report(outcomes: list[Outcome], as_json: bool) -> None:
    if as_json:
        print(json.dumps([asdict(o) for o in outcomes], ensure_ascii=False, indent=2))
        return
    for o in outcomes:
        d = o.detail
        if o.status == "accepted":
            print(f"accepted  {o.file}  {o.id}  {d.get('size')} bytes  {d.get('content_type')}")
        elif o.status == "rejected" and o.id:
            reason = d.get("reason") or {}
            print(f"rejected  {o.file}  {o.id}  {reason.get('code')}: {reason.get('message')}")
        else:
            where = f"  {o.id}" if o.id else ""
            print(f"{o.status:<9} {o.file}{where}  {d.get('code', '')}: {d.get('message', 'not validated in time')}")
