"""OOXML (docx, xlsx, pptx) decided by what the package declares, not by part names.

Office finds parts through `[Content_Types].xml` and the `_rels/*.rels` relationships,
so a macro project renamed `word/editdata.bin` still runs if a vbaProject relationship
or the macroEnabled content type points at it. The rules, all from those two sources:

- macro: a vbaProject / wordVbaData / keyMapCustomizations relationship, or a content
  type that is macroEnabled, a VBA project or an XLM macro sheet;
- external_relationship: any TargetMode="External" relationship (remote template via
  attachedTemplate, Follina's `mhtml:` oleObject, frames, external workbooks), except
  ordinary hyperlinks: type .../hyperlink with an http, https or mailto target;
- ole_object: an oleObject relationship or content type, any part holding an OLE2
  compound file, or a `package` relationship (an embedded document) whose target is not
  itself an OOXML document passing these same rules: a chart's workbook
  (word/embeddings/*.xlsx, at most Limits.max_embedded_package_bytes, held in memory)
  is inspected one level deep and is fine; anything nested deeper is refused;
- activex: control / activeX relationships or content types;
  alt_chunk: an aFChunk relationship or a w:altChunk element;
- dde: DDE/DDEAUTO in a field instruction (w:instrText, joined across runs, or
  w:fldSimple's w:instr), a spreadsheet ddeLink, or a `cmd|'...'` DDE formula.

Every part is inflated through zipscan (bounded, every byte, CRC checked) and every
.xml/.rels part is parsed as a stream by defusedxml with DTDs and entities forbidden,
so no part is ever held whole and an XML bomb or XXE is `malformed`.
"""

from __future__ import annotations

import io
import posixpath
import re
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from ..errors import Unsafe, Unsupported, UploadError
from .base import Inspected, Limits, Source, unsafe
from .filetypes import OLE2_MAGIC
from .zipscan import Entry, InflateCounter, scan_zip

_OOXML = "application/vnd.openxmlformats-officedocument."
MAIN_TYPES = {
    "docx": _OOXML + "wordprocessingml.document.main+xml",
    "xlsx": _OOXML + "spreadsheetml.sheet.main+xml",
    "pptx": _OOXML + "presentationml.presentation.main+xml",
}
_REL_FOUND = {
    "vbaproject": "macro",
    "wordvbadata": "macro",
    "vbaprojectsignature": "macro",
    "vbaprojectsignatureagile": "macro",
    "vbaprojectsignaturev3": "macro",
    "keymapcustomizations": "macro",
    "xlmacrosheet": "macro",
    "xlintlmacrosheet": "macro",
    "oleobject": "ole_object",
    "control": "activex",
    "activexcontrol": "activex",
    "activexcontrolbinary": "activex",
    "afchunk": "alt_chunk",
}
_TYPE_FOUND = (
    (re.compile(r"macroenabled|vbaproject|vbadata|macrosheet|\.vba", re.I), "macro"),
    (re.compile(r"activex", re.I), "activex"),
    (re.compile(r"oleobject", re.I), "ole_object"),
)
_PHRASE = {
    "macro": "contains macros",
    "activex": "contains ActiveX controls",
    "ole_object": "embeds an OLE object",
    "alt_chunk": "imports another document (altChunk)",
}
_HYPERLINK_SCHEMES = frozenset({"http", "https", "mailto"})
_DDE_FIELD = re.compile(r'(?:^|[\s{"])DDE(?:AUTO)?(?:[\s"}]|$)', re.I)
_DDE_FORMULA = re.compile(r"^\s*[=@+-]*\s*[\w.]+\s*\|\s*'", re.I)
_MAX_INSTRUCTION = 64 * 1024


def inspect_ooxml(
    source: Source,
    size: int,
    limits: Limits,
    main_part: str,
    extension: str,
    counter: InflateCounter | None = None,
    depth: int = 0,
) -> Inspected:
    """Raise unless `source` is an OOXML package with `main_part` and nothing unsafe."""
    counter = counter or InflateCounter()
    package = _Package(extension, limits, counter, depth)
    entries = scan_zip(source, size, limits, package.sink_for, counter)
    names = {e.name for e in entries}
    if "[Content_Types].xml" not in names or main_part not in names:
        raise Unsupported(
            "content_mismatch",
            f"The file is a zip archive but not a .{extension} document (no {main_part})",
            detected_type="application/zip",
        )
    package.finish(main_part)
    return Inspected(mime=_OOXML + _MIME_SUFFIX[extension], end=size)


_MIME_SUFFIX = {
    "docx": "wordprocessingml.document",
    "xlsx": "spreadsheetml.sheet",
    "pptx": "presentationml.presentation",
}
_MAIN_PARTS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml", "pptx": "ppt/presentation.xml"}


class _Package:
    """What the parts declared, gathered as they stream past."""

    def __init__(self, extension: str, limits: Limits, counter: InflateCounter, depth: int):
        self.extension = extension
        self.limits = limits
        self.counter = counter
        self.depth = depth
        self.defaults: dict[str, str] = {}
        self.overrides: dict[str, str] = {}
        self.office_document: str | None = None
        self.ole_parts: list[str] = []
        self.package_targets: set[str] = set()  # embedded packages relationships point at
        self.clean_packages: set[str] = set()  # embedded packages inspected and accepted

    def sink_for(self, entry: Entry) -> Any:
        lower = entry.name.lower()
        embedded = lower.rsplit(".", 1)[-1]
        if self.depth == 0 and embedded in _MAIN_PARTS and entry.size <= self.limits.max_embedded_package_bytes:
            return _EmbeddedPackage(self, entry.name, embedded)
        if lower.endswith((".xml", ".rels")):
            if entry.size > self.limits.max_xml_part_bytes:
                raise unsafe(
                    "zip_limits",
                    f"The part {entry.name} is {entry.size} bytes of XML; at most {self.limits.max_xml_part_bytes}",
                )
            return _XmlPart(self, entry.name)
        return _BinaryPart(self, entry.name)

    def content_type(self, part: str, content_type: str) -> None:
        for pattern, found in _TYPE_FOUND:
            if pattern.search(content_type):
                raise unsafe(found, f"The document {_PHRASE[found]} ({part} is {content_type})")

    def relationship(self, rels_part: str, attrib: dict[str, str]) -> None:
        kind = attrib.get("Type", "").rstrip("/").rsplit("/", 1)[-1].lower()
        target = attrib.get("Target", "").strip()
        if attrib.get("TargetMode", "Internal").lower() == "external":
            scheme = urlsplit(target).scheme.lower() if ":" in target else ""
            if kind != "hyperlink" or scheme not in _HYPERLINK_SCHEMES:
                raise unsafe(
                    "external_relationship",
                    f"The document has an external {kind} relationship to {target[:100]!r}",
                    target=target[:200],
                )
        found = _REL_FOUND.get(kind)
        if found:
            raise unsafe(found, f"The document {_PHRASE[found]} (a {kind} relationship to {target[:100]})")
        if kind == "package":
            # A chart's workbook (word/embeddings/*.xlsx): allowed once it is inspected itself.
            if self.depth:
                raise unsafe("ole_object", f"An embedded document embeds another ({target[:100]})")
            self.package_targets.add(_resolve(rels_part, target))
        if rels_part == "_rels/.rels" and kind == "officedocument":
            self.office_document = posixpath.normpath(target.lstrip("/"))

    def finish(self, main_part: str) -> None:
        if self.office_document != main_part:
            raise Unsupported(
                "content_mismatch",
                f"The package's main document is {self.office_document!r}, not {main_part} as a .{self.extension} has",
            )
        declared = self.overrides.get("/" + main_part.lower()) or self.defaults.get("xml")
        if declared != MAIN_TYPES[self.extension]:
            raise Unsupported(
                "content_mismatch",
                f"The main part is declared {declared!r}, not a .{self.extension} document",
                detected_type=declared,
            )
        if self.ole_parts:
            raise unsafe("ole_object", f"The document holds an OLE2 compound file ({self.ole_parts[0]})")
        for target in sorted(self.package_targets - self.clean_packages):
            raise unsafe("ole_object", f"The document embeds {target}, which is not an inspectable Office document")


def _resolve(rels_part: str, target: str) -> str:
    """The part a relationship's target names: relative to the source part's folder
    (word/_rels/document.xml.rels -> word/), or absolute from the package root."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    folder = posixpath.dirname(posixpath.dirname(rels_part))
    return posixpath.normpath(posixpath.join(folder, target))


class _EmbeddedPackage:
    """An embedded .xlsx/.docx/.pptx (a chart's data): held (at most
    Limits.max_embedded_package_bytes) and inspected by the same rules, one level deep."""

    def __init__(self, package: _Package, name: str, extension: str):
        self.package, self.name, self.extension = package, name, extension
        self.buffer = bytearray()

    def feed(self, data: bytes) -> None:
        self.buffer += data

    def close(self) -> None:
        data, self.buffer = bytes(self.buffer), bytearray()
        inner = InflateCounter()
        try:
            inspect_ooxml(
                io.BytesIO(data), len(data), self.package.limits, _MAIN_PARTS[self.extension], self.extension, inner, 1
            )
        except Unsafe as exc:
            if exc.extra.get("found") not in ("malformed", "leading_data", "trailing_data"):
                raise
            raise unsafe("ole_object", f"The embedded {self.name} is not a valid document ({exc.message})") from None
        except UploadError as exc:
            raise unsafe("ole_object", f"The embedded {self.name} is not a valid document ({exc.message})") from None
        finally:
            self.package.counter.inflated += inner.inflated
        if self.package.counter.inflated > self.package.limits.max_inflated_bytes:
            raise unsafe("zip_bomb", f"The zip inflates past {self.package.limits.max_inflated_bytes} bytes")
        self.package.clean_packages.add(self.name)


class _BinaryPart:
    """Media and other binary parts: only their first bytes matter (an OLE2 file hidden
    under any name is an embedded object whatever points at it)."""

    def __init__(self, package: _Package, name: str):
        self.package, self.name, self.first = package, name, True

    def feed(self, data: bytes) -> None:
        if self.first:
            self.first = False
            if data.startswith(OLE2_MAGIC):
                self.package.ole_parts.append(self.name)

    def close(self) -> None:
        pass


class _XmlPart:
    """One XML part parsed as it inflates (no tree is built): expat through defusedxml,
    DTDs and entities forbidden; the target's callbacks apply the package rules."""

    def __init__(self, package: _Package, name: str):
        self.name = name
        self.parser = DefusedXMLParser(target=_Rules(package, name), forbid_dtd=True)

    def feed(self, data: bytes) -> None:
        try:
            self.parser.feed(data)
        except (ParseError, DefusedXmlException) as exc:
            raise unsafe("malformed", f"The part {self.name} is not well-formed XML or has a DTD ({exc})") from None

    def close(self) -> None:
        try:
            self.parser.close()
        except (ParseError, DefusedXmlException) as exc:
            raise unsafe("malformed", f"The part {self.name} is not well-formed XML ({exc})") from None


class _Rules:
    """The parser's target (xml.etree's protocol: start, data, end, close)."""

    def __init__(self, package: _Package, name: str):
        self.package = package
        self.name = name
        self.is_rels = name.lower().endswith(".rels")
        self.instruction = False  # inside w:instrText
        self.field: list[str] = []  # the instruction of the current field so far
        self.formula: list[str] | None = None

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        local = tag.rsplit("}", 1)[-1]
        if self.name == "[Content_Types].xml":
            if local == "Default":
                self.package.defaults[attrib.get("Extension", "").lower()] = attrib.get("ContentType", "")
            elif local == "Override":
                self.package.overrides[attrib.get("PartName", "").lower()] = attrib.get("ContentType", "")
            if local in ("Default", "Override"):
                self.package.content_type(
                    attrib.get("PartName") or attrib.get("Extension", ""), attrib.get("ContentType", "")
                )
            return
        if self.is_rels:
            if local == "Relationship":
                self.package.relationship(self.name, attrib)
            return
        namespace = tag[: len(tag) - len(local)]
        word = "wordprocessingml" in namespace  # transitional (2006/main) or Strict (purl.oclc.org)
        if word and local == "instrText":
            self.instruction = True
        elif word and local == "fldChar":
            kind = attrib.get(namespace + "fldCharType")
            if kind == "begin":
                self.field = []
            else:
                self._check_field("".join(self.field))
        elif word and local == "fldSimple":
            self._check_field(attrib.get(namespace + "instr", ""))
        elif word and local == "altChunk":
            raise unsafe("alt_chunk", f"The part {self.name} imports another document (altChunk)")
        elif local in ("ddeLink", "oleLink"):
            raise unsafe("dde", f"The part {self.name} has a {local} (a live link to another program)")
        elif local == "f" and "spreadsheetml" in tag:
            self.formula = []

    def data(self, text: str) -> None:
        if self.instruction and len(self.field) < _MAX_INSTRUCTION:
            self.field.append(text)
        if self.formula is not None and len(self.formula) < _MAX_INSTRUCTION:
            self.formula.append(text)

    def end(self, tag: str) -> None:
        if self.instruction and tag.endswith("}instrText"):
            self.instruction = False
            self._check_field("".join(self.field))
        elif self.formula is not None and tag.endswith("}f"):
            if _DDE_FORMULA.match("".join(self.formula)):
                raise unsafe("dde", f"A formula in {self.name} calls another program (DDE)")
            self.formula = None

    def close(self) -> None:
        return None

    def _check_field(self, instruction: str) -> None:
        if _DDE_FIELD.search(instruction):
            raise unsafe("dde", f"A field in {self.name} runs DDE ({instruction.strip()[:60]!r})")
