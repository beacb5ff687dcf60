"""The inspection sandbox (inspect/sandbox.py): a child process per inspection, its ceilings,
and what comes back. Real inspections of real files where a verdict is expected; children
that misbehave on purpose (allocate, spin, sleep, die) for the ceilings themselves."""

from __future__ import annotations

import errno
import os
import signal
import tempfile
import threading
import time

import pytest

from tests.support import documents, hostile_media, samples
from upload_core.config import Config
from upload_core.errors import QuotaExceeded, StorageUnavailable, TooLarge, Unsafe, UploadError
from upload_core.inspect import sandbox
from upload_core.inspect.base import Inspected
from upload_core.inspect.rules import Sample, inspect_content

MB = 1_000_000
CONFIG = Config(bucket="b")
ROOMY = sandbox.Ceiling(memory_bytes=256 * MB, cpu_seconds=20, wall_seconds=60)


def refusal(target, ceiling=ROOMY) -> UploadError:
    with pytest.raises(UploadError) as info:
        sandbox.run(target, ceiling)
    return info.value


@pytest.mark.parametrize(
    "name, make",
    [
        ("photo.png", samples.png),
        ("photo.jpg", samples.jpeg),
        ("anim.gif", samples.gif),
        ("paper.pdf", samples.pdf),
        ("report.docx", samples.docx),
        ("letter.doc", lambda: documents.letter_doc()[1]),
    ],
)
def test_a_childs_verdict_is_the_in_process_verdict_and_a_warm_child_imports_nothing(name, make):
    """The parent loads what each type's inspection loads, so no child imports it again."""
    data = make()
    expected = inspect_content(name, Sample.of_bytes(data), CONFIG)
    sandbox.warm(name.rsplit(".", 1)[1])
    run = sandbox.execute(lambda: inspect_content(name, Sample.of_bytes(data), CONFIG), ROOMY)
    assert run.ended == "verdict"
    assert run.result() == expected
    assert run.verdict["imported"] == []


def _raise(err: Exception):
    def target() -> Inspected:
        raise err

    return target


@pytest.mark.parametrize(
    "err",
    [
        Unsafe("unsafe_content", "The document carries macros", found="macro"),
        TooLarge("too_large", "too big for a PDF", max_upload_bytes=10, extension="pdf"),
        QuotaExceeded("bytes", 100, 90, "over the quota"),
        StorageUnavailable(),
        UploadError("size_mismatch", "3 bytes arrived but 4 were declared"),
    ],
)
def test_an_upload_error_in_the_child_comes_back_as_the_same_error(err):
    back = refusal(_raise(err))
    assert type(back) is type(err)
    assert (back.code, back.status, back.message, back.extra) == (err.code, err.status, err.message, err.extra)
    assert back.body() == err.body()


def test_a_real_refusal_comes_back_with_its_found_code():
    pdf = hostile_media.pdf_with_catalog(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>")
    back = refusal(lambda: inspect_content("r.pdf", Sample.of_bytes(pdf), CONFIG))
    assert (back.code, back.status, back.extra["found"]) == ("unsafe_content", 422, "pdf_javascript")


def _hog() -> Inspected:
    blocks = []
    while True:
        blocks.append(bytearray(8 * MB))


def _spin() -> Inspected:
    while True:
        pass


def _sleep() -> Inspected:
    time.sleep(60)
    raise AssertionError("woke up")


def _deep(n: int = 0) -> Inspected:
    return _deep(n + 1)


@pytest.mark.parametrize(
    "target, ceiling, expected",
    [
        (_hog, sandbox.Ceiling(64 * MB, 20, 60), "memory"),
        (_spin, sandbox.Ceiling(64 * MB, 1, 60), "cpu"),
        (_sleep, sandbox.Ceiling(64 * MB, 20, 0.5), "time"),
        (lambda: os.kill(os.getpid(), signal.SIGKILL), ROOMY, "died"),
        (lambda: os.kill(os.getpid(), signal.SIGSEGV), ROOMY, "died"),
        (os.abort, ROOMY, "died"),  # what a C++ parser's std::bad_alloc ends in
        (lambda: os._exit(3), ROOMY, "died"),
        (_raise(SystemExit(0)), ROOMY, "died"),  # never returns into the caller's stack
        (_raise(KeyboardInterrupt()), ROOMY, "died"),
        (_deep, ROOMY, "nesting"),
    ],
)
def test_a_child_past_a_ceiling_or_dead_is_too_complex(target, ceiling, expected):
    started = time.monotonic()
    err = refusal(target, ceiling)
    assert (err.code, err.status, err.extra["found"], err.extra["ceiling"]) == (
        "unsafe_content",
        422,
        "too_complex",
        expected,
    )
    assert time.monotonic() - started < 30


def test_a_fork_while_another_thread_is_in_libmagic_gives_a_child_that_can_sniff():
    """The dev server's threads inspect concurrent uploads: a fork while another thread was
    inside libmagic (python-magic's lock held) left a child waiting forever on that lock, and
    a tiny PNG was refused as too_complex after the whole wall-clock ceiling. The fork now
    waits for the sniff in flight, and the child inspects as usual."""
    from upload_core.inspect import sniff

    photo = samples.png()
    sniff.detect_mime(photo)  # libmagic loaded, as in a process that has served a request
    sniffing, done = threading.Event(), threading.Event()

    def another_request() -> None:
        with sniff._magic.lock:  # where from_buffer holds it while libmagic reads
            sniffing.set()
            done.wait(5)

    other = threading.Thread(target=another_request)
    other.start()
    sniffing.wait(5)
    threading.Timer(0.3, done.set).start()
    try:
        run = sandbox.execute(
            lambda: inspect_content("photo.png", Sample.of_bytes(photo), CONFIG), sandbox.Ceiling(64 * MB, 5, 8)
        )
    finally:
        done.set()
        other.join()
    assert (run.ended, run.result().mime) == ("verdict", "image/png")


def test_the_memory_ceiling_bounds_the_childs_own_growth_not_the_parents():
    run = sandbox.execute(_hog, sandbox.Ceiling(96 * MB, 20, 60))
    assert run.ended == "memory"
    # The child inherits the parent's pages; what it adds stays under the ceiling.
    assert run.peak_rss_bytes - run.inherited_rss_bytes < 96 * MB + 16 * MB


def test_a_bug_in_an_inspector_is_not_a_refusal_but_the_bug():
    with pytest.raises(sandbox.InspectionCrashed) as info:
        sandbox.run(_raise(KeyError("missing /Root")), ROOMY)
    assert "KeyError" in str(info.value) and "missing /Root" in str(info.value)


def test_a_sandbox_that_cannot_start_decides_nothing(monkeypatch):
    def no_fork():
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    with pytest.raises(sandbox.SandboxUnavailable):
        sandbox.inspect_landed("photo.png", Sample.of_bytes(samples.png()), CONFIG, None)
    with pytest.raises(UploadError) as info:
        sandbox.inspect_inline("photo.png", Sample.of_bytes(samples.png()), CONFIG)
    assert (info.value.code, info.value.status) == ("inspection_unavailable", 503)


def test_the_parent_reads_a_spooled_file_from_the_start_after_the_child_moved_its_offset():
    """The validator's spool past 8 MiB is a real file whose offset parent and child share."""
    data = samples.big_png(300_000)
    with tempfile.TemporaryFile() as spool:
        spool.write(data)
        spool.seek(0)
        head = spool.read(64 * 1024)  # the parent's buffered reader now holds the first bytes
        spool.seek(0)
        sample = Sample(head=head, size=len(data), source=spool)
        assert sandbox.inspect_landed("p.png", sample, CONFIG, None).end == len(data)
        spool.seek(0)
        assert spool.read() == data


@pytest.mark.parametrize("memory_mb", [256, 512, 1024])
def test_the_ceilings_come_from_the_functions_memory_setting(memory_mb, monkeypatch):
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", raising=False)
    config = Config.from_env({"UPLOAD_BUCKET": "b", "VALIDATE_MEMORY_MB": str(memory_mb)})
    function = config.validate_function
    ceiling = sandbox.Ceiling.for_function(function, 1 * MB)
    assert ceiling.memory_bytes == (memory_mb - function.footprint_mb) * MB
    assert ceiling.cpu_seconds == pytest.approx(ceiling.wall_seconds * memory_mb / 1769)
    # 200 MB fits beside the function at 512 MB and more, not at 256 MB.
    allocate = lambda: Inspected("x", len(bytearray(200 * MB)))  # noqa: E731
    if ceiling.memory_bytes > 220 * MB:
        assert sandbox.run(allocate, ceiling) == Inspected("x", 200 * MB)
    else:
        assert refusal(allocate, ceiling).extra["ceiling"] == "memory"


def test_on_lambda_the_functions_real_memory_bounds_the_ceiling(monkeypatch):
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
    config = Config.from_env({"UPLOAD_BUCKET": "b", "API_MEMORY_MB": "1024"})  # the setting says more
    ceiling = sandbox.Ceiling.for_function(config.api_function, 1 * MB)
    assert ceiling.memory_bytes <= (256 - 32) * MB


def _small_hog(counter) -> Inspected:
    """What a parser building millions of small objects does: many malloc-sized blocks, which
    glibc serves from the heap the child inherited before it asks the OS for more. It counts
    what it got in `counter`, memory shared with the parent (MAP_SHARED survives the fork)."""
    blocks = []
    while True:
        blocks.append(bytes(1500))
        if len(blocks) % 1000 == 0:
            counter[:8] = (len(blocks) * 1500).to_bytes(8, "little")


def test_a_child_filling_the_heap_its_parent_freed_is_still_held_to_its_ceiling():
    """RLIMIT_AS only sees new address space; a parent with a large freed heap (a warm
    process after big requests, the dev stack holding moto's objects) would let the child
    fill it unseen (~150 MB here). The parent trims its heap before the fork and watches the
    child's anonymous memory while it waits. Run in a fresh interpreter as lean as a Lambda
    container's: a pytest process that has run a thousand tests holds far more freed heap
    than a function's (the README's "what is left uncounted")."""
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import mmap\n"
        "from upload_core.inspect import sandbox\n"
        "MB = 1_000_000\n"
        "def _small_hog(counter):\n"
        "    blocks = []\n"
        "    while True:\n"
        "        blocks.append(bytes(1500))\n"
        "        if len(blocks) % 1000 == 0:\n"
        "            counter[:8] = (len(blocks) * 1500).to_bytes(8, 'little')\n"
        "keep, drop = [], []\n"
        "for i in range(40_000):\n"
        "    (keep if i % 2 else drop).append(bytes(1500))\n"
        "del drop  # ~30 MB free inside the heap, fragmented: the heap cannot shrink\n"
        "counter = mmap.mmap(-1, 8)\n"
        "run = sandbox.execute(lambda: _small_hog(counter), sandbox.Ceiling(96 * MB, 20, 60))\n"
        "print(run.ended, int.from_bytes(counter[:8], 'little'))\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    ended, got = done.stdout.split()
    assert ended == "memory"
    # Without that the child got the ceiling plus the ~30 MB its parent had freed.
    assert int(got) < 96 * MB + 12 * MB


def test_a_bug_in_a_child_of_a_fat_process_is_still_the_bug_not_memory():
    """A parent with 2 GB mapped (a long test run, the dev stack) whose child raises a plain
    bug after using 150 MB of its 250 MB: the bug is raised (Lambda retries it), not read as
    the child running out of memory, which would refuse a file that may be good. Fresh
    interpreter, so the parent's size is the one set here."""
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import mmap\n"
        "from upload_core.inspect import sandbox\n"
        "MB = 1_000_000\n"
        "mapped = mmap.mmap(-1, 2000 * MB)  # address space, never touched\n"
        "def bug():\n"
        "    held = bytearray(150 * MB)\n"
        "    raise KeyError('missing /Root')\n"
        "try:\n"
        "    sandbox.run(bug, sandbox.Ceiling(256 * MB, 20, 60))\n"
        "except sandbox.InspectionCrashed as err:\n"
        "    print('crashed', 'KeyError' in str(err))\n"
        "except Exception as err:\n"
        "    print('refused', getattr(err, 'extra', err))\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["crashed", "True"], done.stdout
