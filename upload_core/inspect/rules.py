"""Is this file acceptable? Pure checks on a name, a declared size and the bytes.

The inline route and the S3 validator call the same functions; neither Flask nor S3
is known here. `source` (when given) is any seekable binary file over the whole
content, used only for structure that lies past the first bytes (a zip's directory).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import BinaryIO

from ..config import Config
from ..errors import BadRequest, TooLarge, Unsafe, Unsupported, UploadError
from .filetypes import KNOWN_TYPES, OOXML_GENERIC_MIMES, FileType
from .naming import extension_of, sanitize_filename
from .ooxml import check_ooxml
from .sniff import detect_mime

# libmagic needs well under this; it also bounds the active-content scan of a
# presigned upload (the inline path scans the whole body).
SNIFF_BYTES = 64 * 1024

# Matched against the lowercased bytes (case-insensitive): re.I made this scan 35 ms a MiB
# of photo; lower() and a pattern that starts with a literal '<' take about 4.
_IMAGE_MARKUP = re.compile(rb"<(?:\s*(?:script|html|svg|iframe|object|embed)\b|\?php)")
_PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA)\b")


@dataclass(frozen=True)
class Sample:
    """What the rules see of a file: its first bytes, its real size, and optionally
    a seekable view of all of it."""

    head: bytes
    size: int
    source: BinaryIO | None = None

    @classmethod
    def of_bytes(cls, data: bytes) -> "Sample":
        return cls(head=data, size=len(data), source=io.BytesIO(data))


def check_name(raw_name: str | None, config: Config) -> tuple[str, FileType]:
    """Sanitize a client's name and check its extension against the allow-list."""
    name = sanitize_filename(raw_name)
    ext = extension_of(name)
    if ext not in config.allowed_extensions:
        shown = f".{ext}" if ext else "without an extension"
        raise Unsupported(
            "extension_not_allowed",
            f"File type {shown} is not allowed",
            allowed_extensions=list(config.allowed_extensions),
        )
    return name, KNOWN_TYPES[ext]


def check_size(size: int, config: Config) -> None:
    if size == 0:
        raise BadRequest("empty_file", "The file is empty")
    if size > config.max_upload_bytes:
        raise TooLarge(
            "too_large",
            f"The file is {size} bytes; the largest accepted is {config.max_upload_bytes}",
            max_upload_bytes=config.max_upload_bytes,
        )


def check_declared_type(content_type: str | None, ftype: FileType, config: Config) -> str:
    """The content type a presigned upload will be pinned to."""
    if not content_type:
        return ftype.canonical
    declared = content_type.split(";")[0].strip().lower()
    if declared not in config.allowed_mime_types:
        raise Unsupported("content_type_not_allowed", f"Content type {declared} is not allowed", declared_type=declared)
    if declared not in ftype.mime_types:
        raise Unsupported(
            "content_mismatch",
            f"Content type {declared} does not match the .{ftype.extension} extension",
            declared_type=declared,
        )
    return declared


def check_content(name: str, sample: Sample, config: Config, declared_size: int | None = None) -> str:
    """Check the bytes against the name's type; return the detected MIME type."""
    if declared_size is not None and sample.size != declared_size:
        raise UploadError("size_mismatch", f"{sample.size} bytes arrived but {declared_size} were declared")
    check_size(sample.size, config)
    ext = extension_of(name)
    ftype = KNOWN_TYPES[ext]
    detected = detect_mime(sample.head)

    if (
        ftype.ooxml_main_part
        and sample.head.startswith(b"PK\x03\x04")
        and (detected in ftype.mime_types or detected in OOXML_GENERIC_MIMES)
    ):
        if sample.source is None:
            raise ValueError("an OOXML check needs Sample.source to read the zip directory")
        check_ooxml(sample.source, ftype.ooxml_main_part, ext)
        return ftype.canonical

    if detected not in config.allowed_mime_types:
        raise Unsupported(
            "content_type_not_allowed",
            f"The content is {detected}, which is not allowed",
            detected_type=detected,
        )
    if detected not in ftype.mime_types:
        raise Unsupported(
            "content_mismatch",
            f"The content is {detected}, which does not match the .{ext} extension",
            detected_type=detected,
        )
    _check_active_content(detected, sample.head)
    return detected


def _image_active_at(data: bytes) -> int | None:
    """Where the first markup or script starts in an image's bytes, or None."""
    lowered = data.lower()
    markup = _IMAGE_MARKUP.search(lowered)
    script = lowered.find(b"javascript:")
    found = [at for at in (markup.start() if markup else -1, script) if at >= 0]
    return min(found) if found else None


def _check_active_content(detected: str, head: bytes) -> None:
    if detected.startswith("image/"):
        at = _image_active_at(head)
        if at is not None:
            raise Unsafe(
                "unsafe_content",
                f"The image carries markup or script ({head[at : at + 20].decode('latin-1')!r})",
            )
    elif detected == "application/pdf":
        found = _PDF_ACTIVE.search(head)
        if found:
            raise Unsafe(
                "unsafe_content",
                f"The PDF has active content ({found.group(0).decode('latin-1')})",
            )
