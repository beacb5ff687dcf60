"""A function run in a forked child under resource limits, and what comes back from it.

The mechanics of inspect/sandbox.py (which says why and with which ceilings):
- fork, then a pipe for the verdict. Lambda has no /dev/shm, so multiprocessing's Queue,
  Pool and their semaphores do not work there; fork needs nothing but a pipe, and the
  child starts with every module the parent loaded (no re-import).
- The child sets RLIMIT_AS to what it inherited (its address space at fork) plus the
  ceiling, RLIMIT_CPU to the ceiling's CPU seconds, RLIMIT_CORE to 0; the parent enforces
  the wall-clock deadline and kills the child past it. A child that runs out of memory
  (MemoryError, or a C parser that aborts), uses its CPU (SIGXCPU, SIGKILL), is killed, dies,
  or answers nonsense is `too_complex`: never an accept.
- The verdict is JSON (not pickle: the parent runs nothing the child sends): the Inspected
  fields, or the UploadError's class, code, message and fields, which the parent raises
  again as the same error. Any other exception is a bug: InspectionCrashed, with the
  child's traceback, as it would have raised in-process.
- Forking from a threaded process (the dev server) or from the Lambda runtime: the child
  resets SIGINT/SIGTERM, disables logging, warnings and faulthandler (a lock may be held by
  a thread that does not exist in the child), never returns into the caller's stack
  (os._exit in a finally), and dies with its parent (PR_SET_PDEATHSIG). The parent freezes
  the garbage collector's objects while a child runs (gc.freeze), so neither process's
  collections copy the pages they share, and reaps the child with wait4 (its CPU and peak RSS,
  also when it was killed) through a pidfd, not a sleep loop.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import logging
import math
import os
import resource
import select
import signal
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

from .. import budget
from ..errors import UploadError
from .base import Inspected, unsafe

MB = 1_000_000
# A verdict is a few hundred bytes; a child that writes more is not answering.
_MAX_VERDICT_BYTES = 1 << 20
# Exit status of a child that could not even report (it never returns to the caller).
_CHILD_FAILED = 70
PR_SET_PDEATHSIG = 1
_libc: Any = None  # libc through ctypes, opened by the parent once: the child's prctl
_frozen_lock = threading.Lock()
_children = 0  # children running (threads of a dev server may each have one)


def prepare() -> None:
    """Once per process, in the parent: open libc for the child's prctl, and silence Python
    3.12's warning about fork in a threaded process (the child is built for it, above)."""
    global _libc
    if _libc is not None:
        return
    import ctypes

    warnings.filterwarnings("ignore", message=".*use of fork\\(\\) may lead to deadlocks", category=DeprecationWarning)
    _libc = ctypes.CDLL(None, use_errno=True)


class SandboxUnavailable(RuntimeError):
    """The child process could not be started: nothing was inspected, so nothing is decided."""


class InspectionCrashed(RuntimeError):
    """An inspector raised something other than an UploadError (a bug), in the child."""


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


def execute(target: Callable[[], Inspected], ceiling: Ceiling) -> Run:
    """Fork, run `target` in the child under `ceiling`, collect its verdict and its usage."""
    prepare()  # libc for the free-heap reading and the child's prctl, whoever calls first
    outcome = Run(ceiling)
    parent = os.getpid()
    try:
        read_end, write_end = os.pipe()
    except OSError as exc:
        raise SandboxUnavailable(f"no pipe for the inspection's verdict: {exc}") from exc
    outcome.inherited_rss_bytes = _rss_bytes()
    free_heap = _free_heap_bytes()
    started = time.monotonic()
    _freeze()
    try:
        pid = os.fork()
    except OSError as exc:
        _unfreeze()
        os.close(read_end)
        os.close(write_end)
        raise SandboxUnavailable(f"the inspection's process could not be started: {exc}") from exc
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(write_end, target, ceiling, parent, free_heap)
    try:
        os.close(write_end)
        deadline = started + ceiling.wall_seconds
        try:
            data = _read_verdict(read_end, deadline)
        finally:
            os.close(read_end)
        if isinstance(data, str):
            _kill(pid)
        status, usage = _reap(pid, deadline)
    finally:
        _unfreeze()
    outcome.wall_seconds = time.monotonic() - started
    outcome.cpu_seconds = usage.ru_utime + usage.ru_stime
    outcome.peak_rss_bytes = usage.ru_maxrss * 1024
    outcome.ended = _ending(data, status, outcome)
    return outcome


def _freeze() -> None:
    """Move every object the parent has into the collector's permanent generation while a
    child runs: neither the child's collections nor the parent's (which would write every
    object's header, making each page a copy charged to the child) touch inherited pages."""
    global _children
    with _frozen_lock:
        gc.freeze()
        _children += 1


def _unfreeze() -> None:
    """Back to normal collection once the last running child has been reaped."""
    global _children
    with _frozen_lock:
        _children -= 1
        if _children == 0:
            gc.unfreeze()


def _ending(data: bytes | str, status: int | None, outcome: Run) -> str:
    if isinstance(data, str):
        return data  # the parent stopped it: "time" or "memory"
    if status is None:
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


def _read_verdict(fd: int, deadline: float) -> bytes | str:
    """Everything the child writes until it closes the pipe (exits); "time" past the deadline."""
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    chunks: list[bytes] = []
    total = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return "time"
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


def _child(fd: int, target: Callable[[], Inspected], ceiling: Ceiling, parent: int, free_heap: int) -> None:
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
        # Memory the child can use without growing its address space (glibc's free heap,
        # measured in the parent before the fork) comes off what RLIMIT_AS lets it add, down
        # to half the ceiling: exact in a lean function process (a few MB free), and a child
        # of a fat one (a long test run, the dev stack) is not starved of new memory.
        address_space = _vm_bytes() + max(ceiling.memory_bytes // 2, ceiling.memory_bytes - free_heap)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
        cpu = _cpu_limit(ceiling)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        before = set(sys.modules)
        verdict = _verdict(target, address_space, _vm_bytes())
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


def _verdict(target: Callable[[], Inspected], address_space: int, started: int) -> dict[str, Any]:
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
        # A C library's own error for a failed allocation: the child grew to near its limit.
        # Near is a share of what it could add, not of its whole address space: a child of a
        # fat process (2 GB mapped) would otherwise be "near" 100 MB before its limit, and a
        # bug there would be a refusal instead of a failure Lambda retries.
        if _vm_peak_bytes() - started >= (address_space - started) * 0.9:
            return {"too_complex": "memory"}
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


def _free_heap_bytes() -> int:
    """Free bytes inside glibc's heap (mallinfo2's fordblks, glibc 2.33): the child can fill
    them without growing its address space, so RLIMIT_AS must leave them out."""
    if _libc is None or not hasattr(_libc, "mallinfo2"):
        return 0
    import ctypes

    class Mallinfo2(ctypes.Structure):
        _fields_ = [
            (name, ctypes.c_size_t)
            for name in (
                "arena",
                "ordblks",
                "smblks",
                "hblks",
                "hblkhd",
                "usmblks",
                "fsmblks",
                "uordblks",
                "fordblks",
                "keepcost",
            )
        ]

    _libc.mallinfo2.restype = Mallinfo2
    return int(_libc.mallinfo2().fordblks)


def _vm_peak_bytes() -> int:
    with open("/proc/self/status", "rb") as status:
        for line in status:
            if line.startswith(b"VmPeak:"):
                return int(line.split()[1]) * 1024
    return 0
