"""Every inspection in a child process, inside a memory and a CPU ceiling.

Why: a parser reading a hostile file can be made to allocate or compute without bound (an
8.5 KB PDF whose object stream inflates to millions of nested arrays takes pypdf to 400 MB
and 18 s). In the function's own process that is an out-of-memory kill or a Lambda timeout:
the event is retried, then parked, and the upload stays pending; an inline request fails
with a 500. In a child with limits it is a refusal, `unsafe_content` / `too_complex`.

What this module decides (childproc.py has the mechanics: fork, limits, pipe, wait4):
- the ceilings, from the function that runs the inspection (budget.Function: its memory,
  timeout and CPU share) and the object's size; see README "Time budget";
- the two entry points: the API's (a file its type's inline limit does not allow is 413
  too_large_for_inline; a child that cannot be started is a 503 `inspection_unavailable`)
  and the validator's (a child that cannot be started raises SandboxUnavailable, not an
  UploadError, so the event fails and Lambda retries it: never an accept, never a
  rejection of a file not inspected);
- what the parent loads before its first child of a type (libmagic, the inspector module
  and its library), so that every child starts warm;
- one log line per inspection (WARNING when a ceiling ended it), carrying the Run.
"""

from __future__ import annotations

import importlib
import logging
import os
from typing import Any, Callable

from ..config import Config
from ..errors import TooLarge, UploadError
from .base import Inspected
from .childproc import MB, Ceiling, InspectionCrashed, Run, SandboxUnavailable, execute, prepare
from .naming import extension_of
from .rules import Sample, inspect_content

__all__ = ["Ceiling", "InspectionCrashed", "Run", "SandboxUnavailable", "execute", "inspect_inline", "inspect_landed"]

log = logging.getLogger(__name__)

# What an inspection of each extension loads on first use, loaded by the parent before its
# first child of that type, so that every child inherits it instead of importing it again
# (pypdf alone is ~0.1 s). tests/unit/test_sandbox.py checks that a warm child imports nothing.
_WARM: dict[str, tuple[str, ...]] = {
    "png": ("upload_core.inspect.png", "upload_core.inspect.polyglot"),
    "jpg": ("upload_core.inspect.jpeg", "upload_core.inspect.polyglot"),
    "jpeg": ("upload_core.inspect.jpeg", "upload_core.inspect.polyglot"),
    "gif": ("upload_core.inspect.gif", "upload_core.inspect.polyglot"),
    "pdf": ("upload_core.inspect.pdf", "upload_core.inspect.polyglot"),
    "docx": ("upload_core.inspect.ooxml",),
    "xlsx": ("upload_core.inspect.ooxml",),
    "pptx": ("upload_core.inspect.ooxml",),
    "doc": ("upload_core.inspect.ole2", "upload_core.inspect.polyglot"),
    "xls": ("upload_core.inspect.ole2", "upload_core.inspect.polyglot"),
    "ppt": ("upload_core.inspect.ole2", "upload_core.inspect.polyglot"),
}
_warmed: set[str] = set()


class InspectionUnavailable(UploadError):
    """Inline: the sandbox could not start; 503, nothing stored, the client tries again."""

    def __init__(self) -> None:
        super().__init__(
            "inspection_unavailable", "The file could not be inspected right now; nothing was stored, try again"
        )


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
    if extension in _warmed:
        return
    prepare()
    from .sniff import detect_mime

    detect_mime(b"%PDF-1.7\n")  # loads libmagic and its database once, here
    for module in _WARM.get(extension, ()):
        try:
            importlib.import_module(module)
        except ImportError:  # an inspector that no longer uses it; the child loads its own
            log.debug("sandbox warm-up: %s is not importable", module)
    _warmed.add(extension)


def _resync(source: Any) -> None:
    """The child moved the shared file offset of a file-backed source; the parent's buffered
    reader still believes its own. A seek to the end goes to the OS and drops the buffer."""
    try:
        source.seek(0, os.SEEK_END)
        source.seek(0)
    except (OSError, ValueError):
        pass
