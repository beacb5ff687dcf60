"""The file types the service knows: extension -> what libmagic may call it.

An allow-list (ALLOWED_EXTENSIONS) picks from this table; a type not in it cannot be
allowed, so a typo in the configuration fails at start-up instead of allowing nothing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FileType:
    extension: str
    mime_types: tuple[str, ...]
    # OOXML documents are zips; libmagic versions disagree on what to call them
    # (5.41 says application/octet-stream for a python-docx file), so they are
    # confirmed by the zip's own structure: this part must exist.
    ooxml_main_part: str | None = None
    text: bool = False

    @property
    def canonical(self) -> str:
        return self.mime_types[0]


_OOXML = "application/vnd.openxmlformats-officedocument."

KNOWN_TYPES: dict[str, FileType] = {
    t.extension: t
    for t in (
        FileType("png", ("image/png",)),
        FileType("jpg", ("image/jpeg",)),
        FileType("jpeg", ("image/jpeg",)),
        FileType("gif", ("image/gif",)),
        FileType("webp", ("image/webp",)),
        FileType("pdf", ("application/pdf",)),
        FileType("doc", ("application/msword",)),
        FileType("xls", ("application/vnd.ms-excel",)),
        FileType("ppt", ("application/vnd.ms-powerpoint",)),
        FileType("docx", (_OOXML + "wordprocessingml.document",), ooxml_main_part="word/document.xml"),
        FileType("xlsx", (_OOXML + "spreadsheetml.sheet",), ooxml_main_part="xl/workbook.xml"),
        FileType("pptx", (_OOXML + "presentationml.presentation",), ooxml_main_part="ppt/presentation.xml"),
        FileType("txt", ("text/plain",), text=True),
        FileType("csv", ("text/csv", "text/plain"), text=True),
    )
}

# What libmagic may answer for a real OOXML file instead of its own type.
OOXML_GENERIC_MIMES = frozenset({"application/zip", "application/octet-stream"})

# The first bytes of an OLE2 compound file (.doc, .xls, .ppt; also .msi and others).
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
