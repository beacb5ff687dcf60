""".doc (Word 97-2003; .xls and .ppt too) accepted only as a sound compound file.

A `.doc` is a compound file (cfb.py reads it, every sector accounted for) or it is refused:
Word 2.0 and Word 6 files, and anything else libmagic calls application/msword (an HTML
page or a JAR behind a six-byte Word 2.0 signature), are `malformed`. In the compound file:

- macro: a `Macros` (Word), `_VBA_PROJECT_CUR` (Excel) or `VBA` storage, a `_VBA_PROJECT`,
  `PROJECT` or `PROJECTwm` stream, or any stream carrying VBA source (the `\\x00Attribut`
  marker of compressed source, olevba's, or `Attribute VB_` in clear);
- ole_object: an `ObjectPool` storage (Word's embedded objects) or an `\\x01Ole10Native` stream;
- dde, external_field: the document's text, rebuilt from the piece table as Word reads it
  (cp1252 or UTF-16 pieces in any order), walked field by field (0x13 begin, 0x14
  separate, 0x15 end; fields.py), and, as a second view, the raw WordDocument stream
  searched for a field mark followed by DDE, DDEAUTO or a fetching keyword in either encoding;
- external_relationship: an attached template (SttbfAssoc) named by a URL or a UNC path,
  which Word fetches on open;
- polyglot: a zip end record whose comment runs to the file's end (what `java -jar` and
  unzip look for) or `%PDF-` in the first 1,024 bytes (what PDF readers accept);
- malformed: a structure cfb.py refuses, a WordDocument stream without a Word 97 FIB (Word
  6/95 documents are not read), an encrypted document (it cannot be inspected), a piece
  table pointing outside the text; content_mismatch (415): a compound file without the
  type's main stream (an .msi installer named .doc).

The file is read into memory in bounded reads, so a .doc is limited to
`Limits.max_ole_bytes` (32 MiB: Word documents over that are almost always images, which a
.docx carries better); a larger .doc is refused as `ole_limits` before it is read.
"""

from __future__ import annotations

import re
import struct

from ..errors import Unsupported
from .base import READ_BYTES, Inspected, Limits, Source, unsafe
from .cfb import STORAGE, STREAM, CompoundFile
from .fields import FETCHING, RUNNING, FieldReader

_MACRO_STORAGES = frozenset({"macros", "_vba_project_cur", "vba"})
_MACRO_STREAMS = frozenset({"_vba_project", "project", "projectwm"})
_VBA_MARKERS = (b"\x00Attribut", b"Attribute VB_")
_WORD_97 = 0xA5EC
_WORD_6 = 0xA5DC
_KEYWORDS = "|".join(sorted(RUNNING | FETCHING, key=len, reverse=True))
_RAW_8BIT = re.compile(rb"\x13[ \t\"]*(" + _KEYWORDS.encode() + rb")\b", re.I)
_RAW_UTF16 = re.compile(
    b'\x13\x00(?:[ \t"]\x00)*('
    + b"|".join(re.escape(k.encode("utf-16-le")) for k in _KEYWORDS.split("|"))
    + b")(?![A-Za-z]\x00)",
    re.I,
)
_REMOTE = re.compile(r"\s*(?:\\\\|//|[A-Za-z][A-Za-z0-9+.-]+:)")
_MAIN_STREAMS = {"doc": "WordDocument", "xls": "Workbook", "ppt": "PowerPoint Document"}
_MIMES = {"doc": "application/msword", "xls": "application/vnd.ms-excel", "ppt": "application/vnd.ms-powerpoint"}
_FC_STTBF_ASSOC, _FC_CLX = 32, 33  # indexes in FibRgFcLcb97


def inspect_doc(source: Source, size: int, limits: Limits) -> Inspected:
    return inspect_ole(source, size, limits, "doc")


def inspect_xls(source: Source, size: int, limits: Limits) -> Inspected:
    return inspect_ole(source, size, limits, "xls")


def inspect_ppt(source: Source, size: int, limits: Limits) -> Inspected:
    return inspect_ole(source, size, limits, "ppt")


def inspect_ole(source: Source, size: int, limits: Limits, extension: str = "doc") -> Inspected:
    """Raise unless `source` is an Office 97-2003 compound file without macros, embedded
    objects, fields that run or fetch, or bytes another reader would take for another format."""
    if size > limits.max_ole_bytes:
        raise unsafe(
            "ole_limits",
            f"A .{extension} of {size} bytes cannot be inspected; at most {limits.max_ole_bytes} are accepted",
        )
    data = _read_all(source, size)
    if not data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise unsafe(
            "malformed",
            f"The .{extension} is not a compound file (Word 2.0 and Word 6 files, or another format behind their "
            "signature, are not accepted)",
        )
    _check_anchors(data, extension)
    try:
        return _inspect_compound(CompoundFile(data), size, limits, extension)
    except (struct.error, IndexError, ValueError) as exc:  # a table cut short that a check did not foresee
        raise unsafe("malformed", f"The .{extension} is not a valid compound file ({exc})") from None


def _inspect_compound(ole: CompoundFile, size: int, limits: Limits, extension: str) -> Inspected:
    for entry in ole.entries[1:]:
        lowered = [part.lower() for part in entry.path]
        shown = "/".join(entry.path)
        if entry.kind == STORAGE and lowered[-1] in _MACRO_STORAGES or lowered[-1] in _MACRO_STREAMS:
            raise unsafe("macro", f"The .{extension} holds a VBA project ({shown})")
        if "objectpool" in lowered or lowered[-1] == "\x01ole10native":
            raise unsafe("ole_object", f"The .{extension} embeds an OLE object ({shown!r})")
    for entry in ole.entries[1:]:
        if entry.kind == STREAM and any(marker in ole.read(entry.path) for marker in _VBA_MARKERS):
            raise unsafe("macro", f"The .{extension} carries VBA source in the stream {'/'.join(entry.path)!r}")
    main = ole.find(_MAIN_STREAMS[extension])
    if main is None:
        raise Unsupported(
            "content_mismatch", f"The compound file is not a .{extension} (no {_MAIN_STREAMS[extension]} stream)"
        )
    if extension == "doc":
        _check_word(ole, ole.read(main), limits)
    return Inspected(mime=_MIMES[extension], end=size)


def _read_all(source: Source, size: int) -> bytes:
    source.seek(0)
    chunks = []
    remaining = size
    while remaining:
        chunk = source.read(min(READ_BYTES, remaining))
        if not chunk:
            raise unsafe("malformed", "The file is shorter than its size")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _check_anchors(data: bytes, extension: str) -> None:
    """Where other readers look: a zip's end record (its comment reaching the end of the
    file, as Java's reader requires) in the last 64 KiB, a PDF header in the first 1,024 bytes."""
    tail_start = max(0, len(data) - 0xFFFF - 22)
    at = data.rfind(b"PK\x05\x06", tail_start)
    while at >= 0:
        if at + 22 <= len(data) and at + 22 + struct.unpack_from("<H", data, at + 20)[0] == len(data):
            raise unsafe("polyglot", f"The .{extension} is also a zip (a JAR that java -jar runs)")
        at = data.rfind(b"PK\x05\x06", tail_start, at)
    if b"%PDF-" in data[:1024]:
        raise unsafe("polyglot", f"The .{extension} is also a PDF (a header where PDF readers look for one)")


def _fib_pairs(document: bytes) -> tuple[int, int, bytes]:
    """(nFib, flags, FibRgFcLcb blob) of a Word FIB, its variable parts measured, not assumed."""
    if len(document) < 34:
        raise unsafe("malformed", "The .doc's WordDocument stream has no Word header (FIB)")
    ident, nfib, _, _, _, flags = struct.unpack_from("<6H", document)
    if ident == _WORD_6:
        raise unsafe("malformed", "The .doc is a Word 6/95 document, which is not accepted (save it as .docx)")
    if ident != _WORD_97:
        raise unsafe("malformed", "The .doc's WordDocument stream has no Word header (FIB)")
    at = 32
    csw = struct.unpack_from("<H", document, at)[0]
    at += 2 + 2 * csw
    cslw = struct.unpack_from("<H", document, at)[0] if at + 2 <= len(document) else 0
    at += 2 + 4 * cslw
    count = struct.unpack_from("<H", document, at)[0] if at + 2 <= len(document) else 0
    blob = document[at + 2 : at + 2 + 8 * count]
    if count <= _FC_CLX or len(blob) != 8 * count:
        raise unsafe("malformed", "The .doc's header (FIB) is cut short")
    return nfib, flags, blob


def _check_word(ole: CompoundFile, document: bytes, limits: Limits) -> None:
    _, flags, blob = _fib_pairs(document)
    if flags & 0x0100:  # fEncrypted
        raise unsafe("malformed", "The .doc is encrypted and cannot be inspected")
    table_path = ole.find("1Table" if flags & 0x0200 else "0Table")
    if table_path is None:
        raise unsafe("malformed", "The .doc has no table stream, which its header names")
    table = ole.read(table_path)
    for pattern in (_RAW_8BIT, _RAW_UTF16):
        match = pattern.search(document)
        if match:
            keyword = match.group(1).replace(b"\x00", b"").decode("latin-1").upper()
            found = "dde" if keyword in RUNNING else "external_field"
            raise unsafe(found, f"A field in the .doc's text is {keyword}")
    _check_fields(_text(document, table, blob), limits)
    _check_template(table, blob)


def _pair(blob: bytes, index: int) -> tuple[int, int]:
    fc, lcb = struct.unpack_from("<2L", blob, index * 8)
    return fc, lcb


def _text(document: bytes, table: bytes, blob: bytes) -> str:
    """Every story's text as Word assembles it from the piece table (Clx)."""
    fc, lcb = _pair(blob, _FC_CLX)
    clx = table[fc : fc + lcb]
    if len(clx) != lcb or not lcb:
        raise unsafe("malformed", "The .doc's piece table is outside its table stream")
    at = 0
    while at < len(clx) and clx[at] == 0x01:  # Prc: formatting, skipped
        at += 3 + struct.unpack_from("<H", clx, at + 1)[0] if at + 3 <= len(clx) else len(clx)
    if at + 5 > len(clx) or clx[at] != 0x02:
        raise unsafe("malformed", "The .doc's piece table is damaged")
    size = struct.unpack_from("<L", clx, at + 1)[0]
    plc = clx[at + 5 : at + 5 + size]
    pieces = (size - 4) // 12
    if len(plc) != size or size < 16 or (size - 4) % 12:
        raise unsafe("malformed", "The .doc's piece table is damaged")
    cps = struct.unpack_from(f"<{pieces + 1}L", plc)
    out = []
    for index, (_, fc_raw, _) in enumerate(struct.iter_unpack("<HLH", plc[4 * (pieces + 1) :])):
        count = cps[index + 1] - cps[index]
        compressed = bool(fc_raw & 0x40000000)
        start = (fc_raw & 0x3FFFFFFF) // 2 if compressed else fc_raw & 0x3FFFFFFF
        length = count if compressed else 2 * count
        chunk = document[start : start + length]
        if count < 0 or len(chunk) != length:
            raise unsafe("malformed", "The .doc's piece table points outside its text")
        out.append(chunk.decode("cp1252", "replace") if compressed else chunk.decode("utf-16-le", "replace"))
    return "".join(out)


def _check_fields(text: str, limits: Limits) -> None:
    """Walk the field marks; instruction text goes to the innermost field still reading one."""
    reader = FieldReader("the .doc", limits, [limits.max_field_chars], "ole_limits")
    last = 0
    for mark in re.finditer("[\x13\x14\x15]", text):
        if reader.in_instruction and mark.start() > last:
            reader.text(text[last : mark.start()])
        {"\x13": reader.begin, "\x14": reader.separate, "\x15": reader.end}[mark.group()]()
        last = mark.end()
    reader.close()


def _check_template(table: bytes, blob: bytes) -> None:
    """The attached template (SttbfAssoc, string 1): a URL or a UNC path is fetched on open."""
    fc, lcb = _pair(blob, _FC_STTBF_ASSOC)
    sttb = table[fc : fc + lcb]
    if lcb < 6 or len(sttb) != lcb or sttb[:2] != b"\xff\xff":
        return  # no associated strings (Word omits them for Normal)
    count = struct.unpack_from("<H", sttb, 2)[0]
    at = 6
    for index in range(min(count, 2)):
        if at + 2 > len(sttb):
            return
        length = struct.unpack_from("<H", sttb, at)[0]
        value = sttb[at + 2 : at + 2 + 2 * length].decode("utf-16-le", "replace")
        at += 2 + 2 * length
        if index == 1 and _REMOTE.match(value):
            raise unsafe(
                "external_relationship",
                f"The .doc's attached template is fetched from {value[:100]!r}",
                target=value[:200],
            )
