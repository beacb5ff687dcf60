""".doc (Word 97-2003, an OLE2 compound file) confirmed by structure, refused with macros.

olefile (pure Python, 0.4 MiB unpacked, ~30 ms to import) parses the compound file.
oletools 0.60.2 (olevba, mraptor) would bring 18.4 MiB unpacked into the Lambda artifact
(6.2 MB of wheels: cryptography 14.2 MiB via msoffcrypto-tool, cffi, pyparsing, pcodedmp,
colorclass, easygui; against a 30 MiB artifact goal) and its imports into the cold start,
to decompile VBA we only need to find. mraptor's question is "is there VBA at all?",
and that is answered by the storages that hold it, which is what we check:

- macro: a `Macros` (Word), `_VBA_PROJECT_CUR` (Excel) or `VBA` storage, a `_VBA_PROJECT`,
  `PROJECT` or `PROJECTwm` stream, or any stream carrying compressed VBA source (the
  `\\x00Attribut` marker olevba looks for, or `Attribute VB_` in clear);
- dde: a DDE or DDEAUTO field instruction in the document text (after a field-begin
  mark, 8-bit or UTF-16);
- ole_object: an `ObjectPool` storage (Word's embedded objects) or an `\\x01Ole10Native`
  stream anywhere;
- malformed: not a compound file olefile can walk (an OLE2 header in front of an HTML
  page), a size that is not whole sectors, a WordDocument stream without a Word FIB, or
  an encrypted document (it cannot be inspected); a compound file without WordDocument
  (an .msi installer named .doc) is content_mismatch (415).

olefile reads through small seeks and keeps its FAT and each opened stream in memory,
so the file is first copied in bounded reads into memory, and a .doc is limited to
`Limits.max_ole_bytes` (32 MiB: Word documents over that are almost always images,
which a .docx carries better); a larger .doc is refused as `ole_limits`.
"""

from __future__ import annotations

import io
import re
import struct
from typing import Any

from ..errors import Unsupported, UploadError
from .base import READ_BYTES, Inspected, Limits, Source, unsafe
from .filetypes import OLE2_MAGIC

_MACRO_STORAGES = frozenset({"macros", "_vba_project_cur", "vba"})
_MACRO_STREAMS = frozenset({"_vba_project", "project", "projectwm"})
_VBA_MARKERS = (b"\x00Attribut", b"Attribute VB_")
_WORD_IDENT = 0xA5EC
# A field's instruction follows its begin mark (0x13) in the document text, stored as
# 8-bit (cp1252) or UTF-16LE characters: DDE / DDEAUTO there runs a program on open.
_DDE_8BIT = re.compile(rb"\x13[ \t]*DDE(?:AUTO)?\b", re.I)
_DDE_UTF16 = re.compile(rb"\x13\x00(?:[ \t]\x00)*D\x00D\x00E\x00(?:A\x00U\x00T\x00O\x00)?[^A-Za-z]", re.I)


_MAIN_STREAMS = {"doc": "WordDocument", "xls": "Workbook", "ppt": "PowerPoint Document"}
_MIMES = {"doc": "application/msword", "xls": "application/vnd.ms-excel", "ppt": "application/vnd.ms-powerpoint"}


def inspect_ole(source: Source, size: int, limits: Limits, extension: str = "doc") -> Inspected:
    """Raise unless `source` is an Office 97-2003 compound file (.doc; .xls and .ppt get the
    same macro and object checks) without macros or embedded objects."""
    if size > limits.max_ole_bytes:
        raise unsafe(
            "ole_limits",
            f"A .doc of {size} bytes cannot be inspected; at most {limits.max_ole_bytes} are accepted",
        )
    data = _read_all(source, size)
    if not data.startswith(OLE2_MAGIC):
        raise Unsupported("content_mismatch", "The file is not a .doc (no compound file header)")
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - olefile raises OSError, struct.error, IndexError...
        raise unsafe("malformed", f"The .doc is not a valid compound file ({exc})") from None
    try:
        _check_tiling(ole, size)
        paths = ole.listdir(streams=True, storages=True)
        for path in paths:
            lowered = [part.lower() for part in path]
            if _MACRO_STORAGES.intersection(lowered) or lowered[-1] in _MACRO_STREAMS:
                raise unsafe("macro", f"The .doc holds a VBA project ({'/'.join(path)})")
            if "objectpool" in lowered or lowered[-1] == "\x01ole10native":
                raise unsafe("ole_object", f"The .doc embeds an OLE object ({'/'.join(path)!r})")
        for path in paths:
            if ole.get_type(path) == olefile.STGTY_STREAM:
                _check_stream(ole, path)
        main = _MAIN_STREAMS[extension]
        if not ole.exists(main):
            raise Unsupported("content_mismatch", f"The compound file is not a .{extension} (no {main} stream)")
        if extension == "doc":
            _check_word(ole)
    except UploadError:
        raise
    except Exception as exc:  # noqa: BLE001 - olefile meets a damaged sector chain only when it reads it
        raise unsafe("malformed", f"The .{extension} is not a valid compound file ({exc})") from None
    finally:
        ole.close()
    return Inspected(mime=_MIMES[extension], end=size)


def _read_all(source: Source, size: int) -> bytes:
    source.seek(0)
    chunks = []
    remaining = size
    while remaining:
        chunk = source.read(min(READ_BYTES, remaining))
        if not chunk:
            raise unsafe("malformed", "The .doc is shorter than its size")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _check_tiling(ole: Any, size: int) -> None:
    """A compound file is whole sectors (the header fills the first one); anything else
    carries a second payload, which olefile only warns about."""
    sector = ole.sectorsize
    if size < sector * 2 or size % sector:
        raise unsafe("malformed", f"The .doc is {size} bytes, not a whole number of {sector}-byte sectors")
    used = max((i for i, nxt in enumerate(ole.fat) if nxt != 0xFFFFFFFF), default=-1)
    if used >= size // sector - 1:
        raise unsafe("malformed", "The .doc's allocation table points past its end")


def _check_stream(ole: Any, path: list[str]) -> None:
    """Look for VBA source in every stream, in bounded steps (mraptor's 'any stream')."""
    stream = ole.openstream(path)
    tail = b""
    while True:
        chunk = stream.read(READ_BYTES)
        if not chunk:
            return
        window = tail + chunk
        if any(marker in window for marker in _VBA_MARKERS):
            raise unsafe("macro", f"The .doc carries VBA source in the stream {'/'.join(path)!r}")
        tail = window[-16:]


def _check_word(ole: Any) -> None:
    document = ole.openstream("WordDocument").read()  # within max_ole_bytes
    if _DDE_8BIT.search(document) or _DDE_UTF16.search(document):
        raise unsafe("dde", "A field in the .doc runs DDE (DDE or DDEAUTO)")
    fib = document[:32]
    if len(fib) < 32 or struct.unpack_from("<H", fib)[0] != _WORD_IDENT:
        raise unsafe("malformed", "The .doc's WordDocument stream has no Word header (FIB)")
    flags = struct.unpack_from("<H", fib, 0x0A)[0]
    if flags & 0x0100:  # fEncrypted
        raise unsafe("malformed", "The .doc is encrypted and cannot be inspected")
    table = "1Table" if flags & 0x0200 else "0Table"
    if not ole.exists(table):
        raise unsafe("malformed", f"The .doc has no {table} stream, which its header names")
