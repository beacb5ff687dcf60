"""OOXML (docx, xlsx, pptx) confirmed by structure, and checked for what makes one unsafe.

Only the zip's central directory is read (zipfile seeks to the end of the source), so
a remote object costs a couple of small ranged reads however large it is.
"""

from __future__ import annotations

import zipfile
from typing import Any

from ..errors import Unsafe, Unsupported

MAX_ENTRIES = 10_000
MAX_TOTAL_UNCOMPRESSED = 2 * 1024**3
MAX_RATIO = 100
RATIO_FLOOR_BYTES = 50 * 1024 * 1024
_MACRO_PARTS = ("vbaproject.bin", "vbadata.xml")


def check_ooxml(source: Any, main_part: str, extension: str) -> None:
    """Raise unless `source` is an OOXML package with `main_part` and nothing unsafe."""
    try:
        with zipfile.ZipFile(source) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise Unsupported("content_mismatch", f"The file is not a valid .{extension} document ({exc})") from None
    names = {e.filename.lower() for e in entries}
    if "[content_types].xml" not in names or main_part not in names:
        raise Unsupported(
            "content_mismatch",
            f"The file is a zip archive but not a .{extension} document (no {main_part})",
            detected_type="application/zip",
        )
    if any(n.rsplit("/", 1)[-1] in _MACRO_PARTS for n in names):
        raise Unsafe("unsafe_content", f"The .{extension} document contains macros (vbaProject.bin)")
    if any(n.split("/")[1:2] == ["activex"] for n in names):
        raise Unsafe("unsafe_content", f"The .{extension} document contains ActiveX controls")
    if len(entries) > MAX_ENTRIES:
        raise Unsafe("unsafe_content", f"The document has {len(entries)} parts, more than {MAX_ENTRIES}")
    packed = sum(e.compress_size for e in entries)
    unpacked = sum(e.file_size for e in entries)
    if unpacked > MAX_TOTAL_UNCOMPRESSED or (unpacked > RATIO_FLOOR_BYTES and unpacked > MAX_RATIO * max(packed, 1)):
        raise Unsafe(
            "unsafe_content",
            f"The document looks like a zip bomb: {packed} bytes expand to {unpacked}",
        )
