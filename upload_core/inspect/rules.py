"""Is this file acceptable? Pure checks on a name, a declared size and the bytes.

The inline route and the S3 validator call the same functions; neither Flask nor S3
is known here. libmagic, on the first bytes, decides the type against the extension;
then the type's inspector reads the whole content through `source` (any seekable binary
file) by its structure: png.py, jpeg.py, gif.py, pdf.py, ooxml.py for zips, ole2.py; and
polyglot.py looks for other formats' anchors in what will be served.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import BinaryIO, Callable

from ..config import Config
from ..errors import BadRequest, TooLarge, Unsupported, UploadError
from .base import Inspected, Source, unsafe
from .filetypes import KNOWN_TYPES, OLE2_MAGIC, OOXML_GENERIC_MIMES, FileType
from .naming import extension_of, sanitize_filename
from .sniff import detect_mime

# What libmagic is shown of a file (it needs well under this); the inspectors read the
# rest through Sample.source.
SNIFF_BYTES = 64 * 1024

# WebP has no structural inspector yet (it is off the default allow-list): its first
# bytes are still scanned for markup.
_WEBP_ACTIVE = re.compile(rb"<\s*(script|html|svg|iframe|object|embed)\b|<\?php|javascript:", re.I)

# Per-format inspectors by detected type, imported when first used: a cold start that
# serves a health check or signs a URL never pays for them.
_INSPECTORS: dict[str, tuple[str, str]] = {
    "image/png": ("png", "inspect_png"),
    "image/jpeg": ("jpeg", "inspect_jpeg"),
    "image/gif": ("gif", "inspect_gif"),
    "application/pdf": ("pdf", "inspect_pdf"),
}


def _inspector(module: str, name: str) -> Callable[..., Inspected]:
    from importlib import import_module

    return getattr(import_module(f".{module}", __package__), name)


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


def check_size(size: int, config: Config, extension: str | None = None) -> None:
    """Refuse an empty file, one over MAX_UPLOAD_BYTES, and one over the largest file of its
    type that the validator can decide in time (budget.py), at presign and on arrival."""
    if size == 0:
        raise BadRequest("empty_file", "The file is empty")
    if size > config.max_upload_bytes:
        raise TooLarge(
            "too_large",
            f"The file is {size} bytes; the largest accepted is {config.max_upload_bytes}",
            max_upload_bytes=config.max_upload_bytes,
        )
    if extension is not None and size > (limit := config.max_bytes_for(extension)):
        # The contract's too_large: for this type the largest accepted file is lower than
        # MAX_UPLOAD_BYTES (the most the validator inspects in time), and says which it is.
        raise TooLarge(
            "too_large",
            f"The file is {size} bytes; a .{extension} is accepted up to {limit} bytes, the most the validator "
            "inspects in time",
            max_upload_bytes=limit,
            extension=extension,
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
    return inspect_content(name, sample, config, declared_size).mime


def inspect_content(name: str, sample: Sample, config: Config, declared_size: int | None = None) -> Inspected:
    """Check the bytes against the name's type, reading all of them by structure.

    The verdict's `end` says which bytes to keep: [0, end). It is below `sample.size`
    only when trailing bytes a phone appends (a motion photo's video) are cut off.
    A type that is not a zip container is then checked for other formats' anchors where
    their readers look (polyglot.py) in the bytes that will be served."""
    verdict = _inspect_type(name, sample, config, declared_size)
    if KNOWN_TYPES[extension_of(name)].ooxml_main_part is None:
        _inspector("polyglot", "refuse_polyglot")(_source_of(sample), verdict, sample.head)
    return verdict


def _inspect_type(name: str, sample: Sample, config: Config, declared_size: int | None) -> Inspected:
    if declared_size is not None and sample.size != declared_size:
        raise UploadError("size_mismatch", f"{sample.size} bytes arrived but {declared_size} were declared")
    ext = extension_of(name)
    check_size(sample.size, config, ext)
    ftype = KNOWN_TYPES[ext]
    detected = detect_mime(sample.head)

    if (
        ftype.ooxml_main_part
        and sample.head.startswith(b"PK\x03\x04")
        and (detected in ftype.mime_types or detected in OOXML_GENERIC_MIMES)
    ):
        inspect_ooxml = _inspector("ooxml", "inspect_ooxml")
        return inspect_ooxml(_source_of(sample), sample.size, config.limits, ftype.ooxml_main_part, ext)

    if ext in ("doc", "xls", "ppt") and (sample.head.startswith(OLE2_MAGIC) or detected in ftype.mime_types):
        # A compound file is decided by its structure (libmagic calls a broken one
        # application/octet-stream or CDFV2, which would hide why it was refused); what
        # libmagic calls application/msword without being one (a Word 2.0 signature in
        # front of an HTML page or a JAR) is refused there too, never passed uninspected.
        return _inspector("ole2", "inspect_ole")(_source_of(sample), sample.size, config.limits, ext)

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
    if detected in _INSPECTORS:
        return _inspector(*_INSPECTORS[detected])(_source_of(sample), sample.size, config.limits)
    if detected == "image/webp":
        found = _WEBP_ACTIVE.search(sample.head)
        if found:
            raise unsafe("markup", f"The image carries markup or script ({found.group(0)[:20].decode('latin-1')!r})")
    return Inspected(detected, sample.size)


def _source_of(sample: Sample) -> Source:
    if sample.source is not None:
        return sample.source
    if len(sample.head) == sample.size:
        return io.BytesIO(sample.head)
    raise ValueError("inspecting this type needs Sample.source: the head is not the whole file")
