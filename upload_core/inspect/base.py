"""What every per-format inspector shares: the source it reads, its limits, its verdict.

An inspector is a pure function `inspect_X(source, size, limits) -> Inspected`. It reads
the whole file by its structure (chunks, segments, objects, zip entries) through `source`
in bounded reads, checks every limit *before* the work the limit bounds, and raises an
UploadError (`unsafe(found, ...)` for dangerous content) instead of returning when the
file must be refused. It never reads the whole file into memory at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import Unsafe

MiB = 1024 * 1024
# The largest single read an inspector makes; memory stays flat with the object's size.
READ_BYTES = 1 * MiB


class Source(Protocol):
    """A seekable, read-only binary file of known size: io.BytesIO over an inline body, or
    a ranged reader over one S3 object version. Sequential reads are cheap; a seek far
    away costs one more ranged GET on S3, so structure is read front to back where it can be."""

    def read(self, n: int = -1, /) -> bytes: ...

    def seek(self, offset: int, whence: int = 0, /) -> int: ...

    def tell(self) -> int: ...


@dataclass(frozen=True)
class Limits:
    """Every bound an inspection enforces; built from Config by the caller."""

    # 50 megapixels: more than any phone camera's default (12-48 MP) and 8K video
    # frames (33 MP); a 50 MP RGBA bitmap decodes to 200 MB, the most a 256 MB Lambda
    # or a browser tab should be asked to hold.
    max_image_pixels: int = 50_000_000
    # Zip containers (OOXML).
    max_zip_entries: int = 10_000
    max_zip_directory_bytes: int = 4 * MiB
    max_zip_name_bytes: int = 1024
    max_inflated_bytes: int = 1024 * MiB
    # Honest OOXML inflates 3-20x (XML); 200x over the whole file only once past the floor,
    # so a small file of repetitive XML (a 40 KB part inflating to 2 MB) is not a "bomb".
    max_inflate_ratio: int = 200
    inflate_ratio_floor_bytes: int = 10 * MiB
    # One XML part (document.xml of a 1,000-page report is ~30 MB); parsed as a stream.
    max_xml_part_bytes: int = 256 * MiB
    # An embedded workbook (a chart's data) is inspected in memory, so it is bounded.
    max_embedded_package_bytes: int = 16 * MiB
    # expat holds a whole start tag or comment before reporting it, and (expat 2.5) scans it
    # again on every feed until it ends, so a tag costs its size squared: a VML path or a
    # namespace-heavy root is kilobytes to a few hundred KB, no honest one nears this.
    max_xml_token_bytes: int = 2 * MiB
    # Relationships plus distinct non-hyperlink references, each remembered until the end
    # (a workbook with 50,000 hyperlinks has 50,000 relationships).
    max_relationships: int = 200_000
    # Characters of field instructions in a document, all fields together (a thesis with
    # 1,000 Zotero or EndNote citations carries a few MB of them).
    max_field_chars: int = 16 * MiB
    # .doc (OLE2): the compound file is read whole into memory (inspect/cfb.py), so .doc is bounded.
    max_ole_bytes: int = 32 * MiB


@dataclass(frozen=True)
class Inspected:
    """The verdict on an acceptable file: its MIME type, and `end`: the file is bytes
    [0, end) of what arrived. end < size means trailing bytes past the format's end
    marker that are cut off before the file is served (never served, never kept)."""

    mime: str
    end: int


# `found` codes of unsafe_content (422): short, stable names of what was found.
FOUND: dict[str, str] = {
    "malformed": "the structure is broken, truncated, or not the format its type claims",
    "leading_data": "bytes before the format's header (another format in front)",
    "trailing_data": "bytes after the format's end marker",
    "image_dimensions": "width x height over MAX_IMAGE_PIXELS",
    "markup": "HTML, SVG, script or PHP where an image keeps text (comments, text chunks, metadata)",
    "polyglot": "the file is also another format where that format's reader looks (a zip end record, %PDF-, "
    "a whole-file script, an archive or PDF in an image's metadata, a runnable JAR in a document)",
    "image_limits": "an image over the inspection limits (chunks, segments or blocks for its size, frames, "
    "scans, text chunks, inflated or scanned text)",
    "pdf_javascript": "JavaScript in a PDF (/JS, /JavaScript), wherever it hides",
    "pdf_action": "a PDF action that launches, submits, imports, runs unasked (not navigation) or links off the web",
    "pdf_embedded_file": "files embedded in a PDF (/EmbeddedFile, /EmbeddedFiles)",
    "pdf_rich_media": "RichMedia (Flash, 3D, video) in a PDF",
    "pdf_xfa": "an XFA form in a PDF",
    "pdf_encrypted": "an encrypted PDF, which cannot be inspected",
    "pdf_limits": "a PDF over the inspection limits (objects, xref entries, nesting, bytes inflated)",
    "pdf_ambiguous": "PDF structure readers resolve differently (xrefs that disagree, objects only a repair finds)",
    "macro": "VBA or other macros (vbaProject, macro-enabled content types, OLE2 macro storages)",
    "external_relationship": "a relationship to an external target (remote template, OLE link, frame), or a hyperlink "
    "used as anything but a hyperlink",
    "ole_object": "an embedded OLE object",
    "activex": "ActiveX controls",
    "alt_chunk": "an altChunk part (imported HTML, RTF or another document)",
    "dde": "a DDE or DDEAUTO field",
    "zip_bomb": "a zip that inflates past the limits (bytes really inflated, ratio, overlapping entries)",
    "zip_limits": "a zip over the entry count, directory size or name length limits, or its XML over the part, tag, "
    "relationship or field-text limits",
    "scan_limit": "over what the malware scanner scans whole (clamd's StreamMaxLength or scan limits)",
    "scan_unsupported": "GuardDuty skipped the file (UNSUPPORTED: password-protected, or over its quotas)",
    "scan_access_denied": "GuardDuty could not read the file (ACCESS_DENIED: its role lacks a permission)",
    "scan_failed": "GuardDuty failed to scan the file (FAILED), or answered a status that is not a clean scan",
    "scan_timeout": "no malware scan result came within SCAN_RESULT_TIMEOUT_SECONDS of the structure verdict",
    "ole_limits": "a .doc (OLE2) over MAX_OLE_BYTES, which is not inspected in memory",
    "too_complex": "inspecting it needs more memory, CPU or time than the function gives one inspection "
    "(a file built to exhaust the inspector)",
    "external_field": "a Word field that fetches a file or a URL (INCLUDEPICTURE, INCLUDETEXT, LINK...) or whose name "
    "is computed by another field",
}


def unsafe(found: str, message: str, **extra: Any) -> Unsafe:
    """The 422 unsafe_content error for `found` (one of FOUND)."""
    if found not in FOUND:
        raise ValueError(f"unknown found code {found!r}")
    return Unsafe("unsafe_content", message, found=found, **extra)
