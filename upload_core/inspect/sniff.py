"""libmagic, loaded once and lazily.

The service always uses pylibmagic's bundled libmagic (5.41), locally, in CI and in
the Lambda package, so the type a test sees is the type production sees. pylibmagic
must be imported before `magic`: it points python-magic's loader at its library.
Loading is deferred to the first sniff to keep a Lambda cold start short.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_magic: Any = None


def _load() -> Any:
    global _magic
    with _lock:
        if _magic is None:
            # isort: off
            import pylibmagic  # noqa: F401  (must precede `import magic`: it points the loader at its libmagic)
            import magic
            # isort: on

            _magic = magic.Magic(mime=True)
            _hold_across_fork(_magic.lock)
    return _magic


def _hold_across_fork(lock: Any) -> None:
    """python-magic holds `lock` while libmagic reads a buffer. A fork while another thread
    held it (the dev server's threads, each inspecting an upload in a child) gave a child
    whose first sniff waited forever on a lock no thread of its own would release: a tiny PNG
    refused as too_complex after the whole wall-clock ceiling. Every fork now takes the lock
    first (no sniff in flight, so libmagic's state is whole too) and both sides release it."""
    import os

    os.register_at_fork(before=lock.acquire, after_in_parent=lock.release, after_in_child=lock.release)


def detect_mime(head: bytes) -> str:
    """The MIME type libmagic reports for the first bytes of a file."""
    return (_magic or _load()).from_buffer(head)


def libmagic_version() -> int:
    _load()
    import magic

    return magic.version()
