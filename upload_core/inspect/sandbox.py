"""Every inspection in a child process, inside a memory and a CPU ceiling.

Why: a parser reading a hostile file can be made to allocate or compute without bound (an
8.5 KB PDF whose object stream inflates to millions of nested arrays takes pypdf to 400 MB
and 18 s). In the function's own process that is an out-of-memory kill or a Lambda timeout:
the event is retried, then parked, and the upload stays pending; an inline request fails
with a 500. In a child with limits it is a refusal, `unsafe_content` / `too_complex`.

How, and why this way:
- fork, then a pipe for the verdict. Lambda has no /dev/shm, so multiprocessing's Queue,
  Pool and their semaphores do not work there; fork needs nothing but a pipe, and the
  child starts with every module the parent loaded (no re-import, ~ms per inspection).
- The child sets RLIMIT_AS to what it inherited (its address space at fork) plus the
  ceiling, RLIMIT_CPU to the CPU seconds the function can give the inspection, RLIMIT_CORE
  to 0; the parent enforces a wall-clock deadline and kills the child past it. A child that
  runs out of memory (MemoryError, or a C parser that aborts), uses its CPU (SIGXCPU,
  SIGKILL), is killed, dies, or answers nonsense is `too_complex`: never an accept.
- The verdict is JSON: the Inspected fields, or the UploadError's class, code, message and
  fields, which the parent raises again as the same error. A bug in an inspector (any other
  exception) comes back as InspectionCrashed with the child's traceback, as it would have
  raised in-process (a 500 inline, a retried event in the validator), not as a refusal.
- Forking from a threaded process (the dev server) or from the Lambda runtime: the child
  resets SIGINT/SIGTERM to their defaults, disables logging and warnings (a handler's lock
  may be held by a thread that does not exist in the child), never returns into the
  caller's stack (os._exit in a finally), and dies with its parent (PR_SET_PDEATHSIG).
  The parent freezes the garbage collector's objects across the fork (gc.freeze), so the
  child's collections do not copy every page it inherited.
- The parent loads, before its first child of a type, what that type's inspection loads on
  first use (libmagic, the inspector module and its library): each child starts warm.
- A sandbox that cannot start (fork or pipe fails: out of processes or memory) is
  SandboxUnavailable: the validator's event fails and is retried, the inline path answers
  503 `inspection_unavailable`. Never an accept, never a rejection of a file not inspected.

The ceilings come from the function that runs the inspection (budget.Function: its memory,
timeout and CPU share) and the object's size; see README "Time budget".
"""

from __future__ import annotations

import dataclasses
import gc
import importlib
import json
import logging
import math
import os
import resource
import select
import signal
import sys
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

from .. import budget
from ..config import Config
from ..errors import TooLarge, UploadError
from .base import Inspected, unsafe
from .naming import extension_of
from .rules import Sample, inspect_content

log = logging.getLogger(__name__)

MB = 1_000_000
# A verdict is a few hundred bytes; a child that writes more is not answering.
_MAX_VERDICT_BYTES = 1 << 20
# Exit status of a child that could not even report (it never returns to the caller).
_CHILD_FAILED = 70
PR_SET_PDEATHSIG = 1

# What an inspection of each extension loads on first use, loaded by the parent before its
# first child of that type, so that every child inherits it instead of importing it again
# (pypdf alone is ~0.1 s). tests/unit/test_sandbox.py checks that a warm child imports nothing.
_WARM: dict[str, tuple[str, ...]] = {
    "png": ("upload_core.inspect.images", "upload_core.inspect.markup"),
    "jpg": ("upload_core.inspect.images", "upload_core.inspect.markup"),
    "jpeg": ("upload_core.inspect.images", "upload_core.inspect.markup"),
    "gif": ("upload_core.inspect.images", "upload_core.inspect.markup"),
    "pdf": ("upload_core.inspect.pdf", "pypdf", "pypdf.generic", "pypdf._configuration"),
    "docx": ("upload_core.inspect.ooxml", "upload_core.inspect.zipscan", "defusedxml.ElementTree"),
    "xlsx": ("upload_core.inspect.ooxml", "upload_core.inspect.zipscan", "defusedxml.ElementTree"),
    "pptx": ("upload_core.inspect.ooxml", "upload_core.inspect.zipscan", "defusedxml.ElementTree"),
    "doc": ("upload_core.inspect.ole2", "olefile"),
    "xls": ("upload_core.inspect.ole2", "olefile"),
    "ppt": ("upload_core.inspect.ole2", "olefile"),
}
_warmed: set[str] = set()
_libc: Any = None  # libc through ctypes, opened by the parent once: the child's prctl


class SandboxUnavailable(RuntimeError):
    """The child process could not be started: nothing was inspected, so nothing is decided."""


class InspectionCrashed(RuntimeError):
    """An inspector raised something other than an UploadError (a bug), in the child."""


class InspectionUnavailable(UploadError):
    """Inline: the sandbox could not start; 503, nothing stored, the client tries again."""

    def __init__(self) -> None:
        super().__init__(
            "inspection_unavailable", "The file could not be inspected right now; nothing was stored, try again"
        )


@dataclass(frozen=True)
class Ceiling:
    """What one inspection may use: memory beyond what the child inherits, CPU time, wall time."""

    memory_bytes: int
    cpu_seconds: float
    wall_seconds: float

    @classmethod
    def for_function(cls, function: budget.Function, size: int, clamd: bool = False) -> "Ceiling":
        """The function's memory less its own footprint; the time left in its budget for this
        object after the transfers, and the CPU that time buys at the function's CPU share.
        On Lambda the function's real memory (AWS_LAMBDA_FUNCTION_MEMORY_SIZE) bounds it too,
        and so does what the function's process really holds now."""
        memory = function.inspection_memory_bytes()
        real_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "").strip()
        if real_mb.isdigit():
            memory = min(memory, (int(real_mb) - budget.RESERVE_MB) * MB - _rss_bytes())
        wall = function.inspection_seconds(size, clamd)
        return cls(memory_bytes=max(memory, 0), cpu_seconds=wall * function.cpu_share, wall_seconds=wall)


@dataclass
class Run:
    """How one sandboxed inspection went: its verdict (as the child reported it) and what the
    child used (from wait4, so also for a child that was killed)."""

    ceiling: Ceiling
    verdict: dict[str, Any] = field(default_factory=dict)
    ended: str = "verdict"  # verdict | memory | cpu | time | signal N | exit N | no verdict
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0
    peak_rss_bytes: int = 0
    inherited_rss_bytes: int = 0

    def result(self) -> Inspected:
        """The child's Inspected, or the error it raised (raised again here), or too_complex."""
        if self.ended == "verdict" and "inspected" in self.verdict:
            return Inspected(**self.verdict["inspected"])
        if self.ended == "verdict" and "error" in self.verdict:
            raise _rebuilt(self.verdict["error"])
        if self.ended == "verdict" and "crash" in self.verdict:
            crash = self.verdict["crash"]
            raise InspectionCrashed(f"{crash['type']}: {crash['message']}\n{crash['traceback']}")
        ceiling = self.ended if self.ended in ("memory", "cpu", "time", "nesting") else "died"
        raise unsafe("too_complex", self._too_complex_message(), ceiling=ceiling)

    def _too_complex_message(self) -> str:
        what = {
            "memory": f"more than the {self.ceiling.memory_bytes // MB} MB of memory",
            "cpu": f"more than the {self.ceiling.cpu_seconds:.1f} s of CPU time",
            "time": f"more than the {self.ceiling.wall_seconds:.1f} s",
            "nesting": "deeper nesting than the inspection follows",
        }.get(self.ended, "more than the ceilings (the inspection did not finish)")
        return f"Inspecting this file needs {what} that the function gives one inspection"


def inspect_inline(name: str, sample: Sample, config: Config) -> Inspected:
    """inspect_content for the API function (the inline path): a file larger than the API
    decides in time for its type is 413 too_large_for_inline (the client then uses a
    presigned upload); its ceilings; a sandbox that cannot start is a 503, nothing stored."""
    function = config.api_function
    extension = extension_of(name)
    if extension in config.allowed_extensions and sample.size > (limit := config.inline_max_for(extension)):
        raise TooLarge(
            "too_large_for_inline",
            f"A .{extension} over {limit} bytes is not decided within the API's time: "
            "POST JSON for a presigned upload instead",
            max_inline_bytes=limit,
        )
    ceiling = Ceiling.for_function(function, sample.size, config.clamd_address is not None)
    try:
        return run(lambda: inspect_content(name, sample, config), ceiling, extension, sample)
    except SandboxUnavailable as exc:
        log.error("inline inspection of %r could not start: %s", name, exc)
        raise InspectionUnavailable() from None


def inspect_landed(name: str, sample: Sample, config: Config, declared_size: int | None) -> Inspected:
    """inspect_content for the validator: its ceilings; a sandbox that cannot start raises
    SandboxUnavailable (not an UploadError), so the event fails and Lambda retries it."""
    function = config.validate_function
    ceiling = Ceiling.for_function(function, sample.size, config.clamd_address is not None)
    return run(
        lambda: inspect_content(name, sample, config, declared_size=declared_size),
        ceiling,
        extension_of(name),
        sample,
    )


def run(
    target: Callable[[], Inspected], ceiling: Ceiling, extension: str = "", sample: Sample | None = None
) -> Inspected:
    """`target()` in a child under `ceiling`: its Inspected, or its UploadError raised again,
    or unsafe_content/too_complex."""
    warm(extension)
    try:
        outcome = execute(target, ceiling)
    finally:
        if sample is not None and sample.source is not None:
            _resync(sample.source)
    level = logging.DEBUG if outcome.ended == "verdict" else logging.WARNING
    log.log(
        level,
        "sandboxed inspection ended by %s: %.2f s CPU, %.2f s, peak %d MB (inherited %d MB); ceiling %d MB, %.1f s CPU",
        outcome.ended,
        outcome.cpu_seconds,
        outcome.wall_seconds,
        outcome.peak_rss_bytes // MB,
        outcome.inherited_rss_bytes // MB,
        outcome.ceiling.memory_bytes // MB,
        outcome.ceiling.cpu_seconds,
        extra={"sandbox": outcome},
    )
    return outcome.result()


def warm(extension: str) -> None:
    """Load in this (parent) process what an inspection of `extension` loads on first use."""
    global _libc
    if extension in _warmed:
        return
    if _libc is None:
        import ctypes

        _libc = ctypes.CDLL(None, use_errno=True)
    from .sniff import detect_mime

    detect_mime(b"%PDF-1.7\n")  # loads libmagic and its database once, here
    for module in _WARM.get(extension, ()):
        try:
            importlib.import_module(module)
        except ImportError:  # an inspector that no longer uses it; the child loads its own
            log.debug("sandbox warm-up: %s is not importable", module)
    _warmed.add(extension)


def execute(target: Callable[[], Inspected], ceiling: Ceiling) -> Run:
    """Fork, run `target` in the child under `ceiling`, collect its verdict and its usage."""
    outcome = Run(ceiling)
    parent = os.getpid()
    try:
        read_end, write_end = os.pipe()
    except OSError as exc:
        raise SandboxUnavailable(f"no pipe for the inspection's verdict: {exc}") from exc
    outcome.inherited_rss_bytes = _rss_bytes()
    started = time.monotonic()
    gc.freeze()  # the child's collections then leave inherited objects (and their pages) alone
    try:
        with warnings.catch_warnings():
            # Python 3.12 warns on fork in a threaded process; the child is built for it (above).
            warnings.filterwarnings(
                "ignore", message=".*use of fork\\(\\) may lead to deadlocks", category=DeprecationWarning
            )
            pid = os.fork()
    except OSError as exc:
        os.close(read_end)
        os.close(write_end)
        raise SandboxUnavailable(f"the inspection's process could not be started: {exc}") from exc
    finally:
        if os.getpid() == parent:
            gc.unfreeze()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(write_end, target, ceiling, parent)
    os.close(write_end)
    deadline = started + ceiling.wall_seconds
    try:
        data = _read_verdict(read_end, deadline)
    finally:
        os.close(read_end)
    if data is None:
        _kill(pid)
    status, usage = _reap(pid, deadline)
    outcome.wall_seconds = time.monotonic() - started
    outcome.cpu_seconds = usage.ru_utime + usage.ru_stime
    outcome.peak_rss_bytes = usage.ru_maxrss * 1024
    outcome.ended = _ending(data, status, outcome)
    return outcome


def _ending(data: bytes | None, status: int | None, outcome: Run) -> str:
    if data is None or status is None:
        return "time"
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        # RLIMIT_CPU: SIGXCPU at the soft limit, SIGKILL at the hard one a second later.
        if number == signal.SIGXCPU or (
            number == signal.SIGKILL and outcome.cpu_seconds >= _cpu_limit(outcome.ceiling)
        ):
            return "cpu"
        return f"signal {number}"
    if os.WEXITSTATUS(status) != 0:
        return f"exit {os.WEXITSTATUS(status)}"
    try:
        verdict = json.loads(data)
    except ValueError:
        return "no verdict"
    if not isinstance(verdict, dict):
        return "no verdict"
    outcome.verdict = verdict
    return str(verdict.get("too_complex", "verdict"))


def _read_verdict(fd: int, deadline: float) -> bytes | None:
    """Everything the child writes until it closes the pipe (exits); None past the deadline."""
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    chunks: list[bytes] = []
    total = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        if not poller.poll(max(1, math.ceil(remaining * 1000))):
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > _MAX_VERDICT_BYTES:
            return b""
        chunks.append(chunk)


def _reap(pid: int, deadline: float) -> tuple[int | None, Any]:
    """The child's exit status and resource usage (wait4: also for a killed child); killed
    if it lingers past the deadline. Waits on a pidfd (Linux 5.3), not a sleep loop."""
    waited, status, usage = os.wait4(pid, os.WNOHANG)
    if waited == pid:
        return status, usage
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):  # no pidfd: a blocking wait, after the deadline's kill
        pidfd = None
    if pidfd is not None:
        try:
            poller = select.poll()
            poller.register(pidfd, select.POLLIN)
            poller.poll(max(0, math.ceil((deadline - time.monotonic()) * 1000)))
        finally:
            os.close(pidfd)
    waited, status, usage = os.wait4(pid, os.WNOHANG)
    if waited == pid:
        return status, usage
    _kill(pid)
    _, _, usage = os.wait4(pid, 0)
    return None, usage


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _child(fd: int, target: Callable[[], Inspected], ceiling: Ceiling, parent: int) -> None:
    """The child's whole life: limits, the inspection, one JSON verdict, os._exit."""
    code = _CHILD_FAILED
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        logging.disable(logging.CRITICAL)
        warnings.simplefilter("ignore")
        if "faulthandler" in sys.modules:  # a crash is the parent's to report, not a dump on stderr
            sys.modules["faulthandler"].disable()
        _die_with(parent)
        address_space = _vm_bytes() + ceiling.memory_bytes
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
        cpu = _cpu_limit(ceiling)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        before = set(sys.modules)
        verdict = _verdict(target, address_space)
        verdict["imported"] = sorted(set(sys.modules) - before)
        data = json.dumps(verdict, default=str).encode()
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        code = 0
    finally:
        os._exit(code)


def _cpu_limit(ceiling: Ceiling) -> int:
    """RLIMIT_CPU counts whole seconds: the ceiling rounded up, at least one."""
    return max(1, math.ceil(ceiling.cpu_seconds))


def _verdict(target: Callable[[], Inspected], address_space: int) -> dict[str, Any]:
    try:
        return {"inspected": dataclasses.asdict(target())}
    except UploadError as err:
        kind = type(err)
        return {
            "error": {
                "module": kind.__module__,
                "class": kind.__qualname__,
                "code": err.code,
                "message": err.message,
                "status": err.status,
                "extra": err.extra,
            }
        }
    except MemoryError:
        return {"too_complex": "memory"}
    except RecursionError:
        return {"too_complex": "nesting"}
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it there
        if _vm_peak_bytes() >= address_space * 0.95:
            return {"too_complex": "memory"}  # a C library's own error for a failed allocation
        import traceback  # only a bug pays for it

        return {"crash": {"type": type(exc).__name__, "message": str(exc), "traceback": traceback.format_exc()[-4000:]}}


def _rebuilt(fields: dict[str, Any]) -> UploadError:
    """The child's UploadError as the same class, code, status and fields."""
    kind: type[UploadError] = UploadError
    module = sys.modules.get(str(fields.get("module")))
    if module is not None:
        found = getattr(module, str(fields.get("class")), None)
        if isinstance(found, type) and issubclass(found, UploadError):
            kind = found
    err = kind.__new__(kind)
    UploadError.__init__(err, fields["code"], fields["message"], **fields.get("extra", {}))
    err.status = int(fields["status"])
    return err


def _resync(source: Any) -> None:
    """The child moved the shared file offset of a file-backed source; the parent's buffered
    reader still believes its own. A seek to the end goes to the OS and drops the buffer."""
    try:
        source.seek(0, os.SEEK_END)
        source.seek(0)
    except (OSError, ValueError):
        pass


def _die_with(parent: int) -> None:
    """A child whose parent died (a Lambda timeout, a killed dev server) is killed too."""
    if _libc is not None:
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(_CHILD_FAILED)


def _statm() -> list[int]:
    with open("/proc/self/statm", "rb") as statm:
        return [int(n) * resource.getpagesize() for n in statm.read().split()[:2]]


def _vm_bytes() -> int:
    return _statm()[0]


def _rss_bytes() -> int:
    return _statm()[1]


def _vm_peak_bytes() -> int:
    with open("/proc/self/status", "rb") as status:
        for line in status:
            if line.startswith(b"VmPeak:"):
                return int(line.split()[1]) * 1024
    return 0
