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
    return _magic


def detect_mime(head: bytes) -> str:
    """The MIME type libmagic reports for the first bytes of a file."""
    return (_magic or _load()).from_buffer(head)


def libmagic_version() -> int:
    _load()
    import magic

    return magic.version()
