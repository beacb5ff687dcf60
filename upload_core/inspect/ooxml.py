"""OOXML (docx, xlsx, pptx) decided by what Office resolves, not by part names.

Office finds parts through `[Content_Types].xml` and the `_rels/*.rels` relationships and
reads each one by what it is; LibreOffice follows relationship types and parses whatever
bytes a header relationship points at. So every part is judged by its bytes
(ooxml_markup.py parses each one that starts as XML; a zip inside is an embedded package,
inspected; an OLE2 file is an embedded object), and the package's declarations must agree
with them. The rules, each a `found` code:

- macro: a vbaProject / wordVbaData / keyMapCustomizations / XLM macro sheet relationship,
  or a content type that is macroEnabled, a VBA project or an XLM macro sheet;
- external_relationship: a relationship whose target is outside the package (TargetMode
  External, or a target with a scheme or a UNC host whatever the mode), except a
  hyperlink used as a hyperlink: type .../hyperlink, an http, https or mailto target or
  a relative path (a link to a file beside the document, issue 18), and used only by
  w:hyperlink, a:hlinkClick/hlinkHover or a sheet's hyperlink. The same relationship used
  by an image's r:embed/r:link, a template, an OLE link, a sub-document or a frame is
  fetched when the document opens: refused, whatever its type;
- ole_object: an oleObject relationship or content type, any part that is an OLE2 compound
  file, or a zip part that is not itself an Office document passing these same rules (a
  chart's workbook is inspected one level deep, at most Limits.max_embedded_package_bytes,
  held in memory); anything nested deeper is refused;
- activex: control / activeX relationships or content types; alt_chunk: an aFChunk
  relationship or a w:altChunk element;
- dde, external_field: Word fields (fields.py), ddeLink/oleLink, DDE formulas;
- malformed: a part that a content type or a relationship declares as XML but that is not
  well-formed XML (Excel's VML drawings, tag soup, are declared as neither; a header is),
  a DTD or entities anywhere;
- polyglot: a META-INF/MANIFEST.MF, which makes the document a JAR that `java -jar` runs
  (Office ignores parts nothing relates, and LibreOffice leaves such orphans itself, so
  orphans are inspected by their bytes, not refused);
- zip_limits: an XML part over Limits.max_xml_part_bytes, one XML token over
  max_xml_token_bytes, more than max_relationships relationships or references, field
  instructions over max_field_chars characters.

Every part is inflated through zipscan (bounded, every byte, CRC checked, local headers
agreeing with the directory) and nothing is held whole but an embedded package.
"""

from __future__ import annotations

import io
import posixpath
import re
import unicodedata
from typing import Any
from urllib.parse import unquote, urlsplit

from ..errors import Unsafe, Unsupported, UploadError
from .base import Inspected, Limits, Source, unsafe
from .filetypes import OLE2_MAGIC
from .ooxml_markup import XmlPart
from .zipscan import Entry, InflateCounter, scan_zip

_OOXML = "application/vnd.openxmlformats-officedocument."
MAIN_TYPES = {
    "docx": _OOXML + "wordprocessingml.document.main+xml",
    "xlsx": _OOXML + "spreadsheetml.sheet.main+xml",
    "pptx": _OOXML + "presentationml.presentation.main+xml",
}
_MIME_SUFFIX = {
    "docx": "wordprocessingml.document",
    "xlsx": "spreadsheetml.sheet",
    "pptx": "presentationml.presentation",
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
# Relationship types whose target every reader parses as XML: a part reached by one must be XML.
_XML_RELATIONSHIPS = frozenset(
    """officedocument header footer footnotes endnotes comments glossarydocument settings styles
    numbering fonttable websettings theme worksheet sharedstrings chart drawing diagramdata slide
    slidelayout slidemaster notesslide notesmaster handoutmaster core-properties
    extended-properties custom-properties customxml""".split()
)
_HYPERLINK_SCHEMES = frozenset({"http", "https", "mailto"})
_SNIFF = 64  # bytes looked at to tell XML, a zip, an OLE2 file or anything else


def inspect_ooxml(
    source: Source,
    size: int,
    limits: Limits,
    main_part: str,
    extension: str,
    counter: InflateCounter | None = None,
) -> Inspected:
    """Raise unless `source` is an OOXML package with `main_part` and nothing unsafe."""
    package = _inspect_package(source, size, limits, extension, counter or InflateCounter(), 0)
    if main_part.casefold() not in package.names:
        raise Unsupported(
            "content_mismatch",
            f"The file is a zip archive but not a .{extension} document (no {main_part})",
            detected_type="application/zip",
        )
    return Inspected(mime=_OOXML + _MIME_SUFFIX[extension], end=size)


def _inspect_package(
    source: Source, size: int, limits: Limits, extension: str | None, counter: InflateCounter, depth: int
) -> Package:
    package = Package(extension, limits, counter, depth)
    scan_zip(source, size, limits, package.sink_for, counter, package.directory)
    package.finish()
    return package


def part_key(name: str) -> str:
    """A part name as OPC compares them: no leading `/`, percent-decoded, NFC, case-folded."""
    return unicodedata.normalize("NFC", unquote(name).replace("\\", "/").lstrip("/")).casefold()


def _source_of(rels_part: str) -> str | None:
    """The part a relationship part belongs to (`word/_rels/document.xml.rels` ->
    `word/document.xml`; `_rels/.rels` -> the package, ""), or None for another name."""
    folder, _, file = rels_part.rpartition("/")
    parent, _, rels = folder.rpartition("/") if "/" in folder else ("", "", folder)
    if rels != "_rels" or not file.endswith(".rels"):
        return None
    return posixpath.join(parent, file[: -len(".rels")]) if file != ".rels" else ""


def _resolve(source: str, target: str) -> str:
    """The part a relationship's target names: relative to the source part's folder, or
    absolute from the package root."""
    target = target.split("#", 1)[0]
    if target.startswith("/"):
        return part_key(posixpath.normpath(target))
    return part_key(posixpath.normpath(posixpath.join(posixpath.dirname(source), target)))


def _outside(target: str) -> bool:
    """A target that leaves the package whatever TargetMode says: a scheme or a UNC host."""
    plain = unquote(target).strip().replace("\\", "/")
    return plain.startswith("//") or bool(re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", plain))


def _harmless_link(target: str) -> bool:
    """A hyperlink target a reader may follow on a click: http(s), mailto, or a relative
    path (a file beside the document, a #bookmark), never a host by UNC or file:."""
    plain = unquote(target).strip().replace("\\", "/")
    if plain.startswith("//"):
        return False
    try:
        scheme = urlsplit(plain).scheme.lower() if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", plain) else ""
    except ValueError:
        return False
    return scheme in _HYPERLINK_SCHEMES or not scheme


class Package:
    """What the parts declared and used, gathered as they stream past, judged at the end."""

    def __init__(self, extension: str | None, limits: Limits, counter: InflateCounter, depth: int):
        self.extension = extension
        self.limits = limits
        self.counter = counter
        self.depth = depth
        self.names: dict[str, str] = {}  # part key -> the entry's name
        self.defaults: dict[str, str] = {}
        self.overrides: dict[str, str] = {}
        self.office_document: str | None = None
        self.ole_parts: list[str] = []
        self.xml_parts: dict[str, str | None] = {}  # part key -> None (well-formed) or the parse error
        self.reached: dict[str, set[str]] = {}  # part key -> relationship types that reach it
        self.package_targets: set[str] = set()
        self.clean_packages: set[str] = set()
        self.hyperlinks: list[tuple[str, str, str]] = []  # (source, id, target) of external hyperlinks
        self.other_uses: dict[tuple[str, str], str] = {}  # (source, id) -> element, for non-hyperlink uses
        self.counted = 0  # relationships and references, against max_relationships
        self.field_budget = [limits.max_field_chars]

    # ---- streaming ----------------------------------------------------------------

    def directory(self, entries: list[Entry]) -> None:
        self.names = {part_key(e.name): e.name for e in entries}
        if "meta-inf/manifest.mf" in self.names:
            # `java -jar` reads a zip's manifest (found case-insensitively) and runs its Main-Class.
            raise unsafe("polyglot", "The document is also a Java archive (META-INF/MANIFEST.MF)")

    def sink_for(self, entry: Entry) -> Any:
        return _Sniffer(self, entry)

    def _count(self) -> None:
        self.counted += 1
        if self.counted > self.limits.max_relationships:
            raise unsafe(
                "zip_limits",
                f"The package has more than {self.limits.max_relationships} relationships and references",
            )

    def content_type(self, part: str, attrib: dict[str, str]) -> None:
        content_type = attrib.get("ContentType", "")
        for pattern, found in _TYPE_FOUND:
            if pattern.search(content_type):
                named = attrib.get("PartName") or attrib.get("Extension", "")
                raise unsafe(found, f"The document {_PHRASE[found]} ({named} is {content_type})")
        if part_key(part) != "[content_types].xml":
            return
        if "Extension" in attrib:
            self.defaults[attrib["Extension"].casefold()] = content_type
        elif "PartName" in attrib:
            self.overrides[part_key(attrib["PartName"])] = content_type

    def relationship(self, rels_part: str, attrib: dict[str, str]) -> None:
        self._count()
        kind = attrib.get("Type", "").rstrip("/").rsplit("/", 1)[-1].lower()
        target = attrib.get("Target", "").strip()
        source = _source_of(rels_part)
        if attrib.get("TargetMode", "Internal").strip().lower() != "internal" or _outside(target):
            if kind != "hyperlink" or not _harmless_link(target):
                raise unsafe(
                    "external_relationship",
                    f"The document has an external {kind} relationship to {target[:100]!r}",
                    target=target[:200],
                )
            if source is not None:
                self.hyperlinks.append((part_key(source), attrib.get("Id", ""), target))
            return
        found = _REL_FOUND.get(kind)
        if found:
            raise unsafe(found, f"The document {_PHRASE[found]} (a {kind} relationship to {target[:100]})")
        if source is None:
            return
        resolved = _resolve(source, target)
        if resolved in self.names:
            self.reached.setdefault(resolved, set()).add(kind)
        if kind == "package":
            if self.depth:
                raise unsafe("ole_object", f"An embedded document embeds another ({target[:100]})")
            self.package_targets.add(resolved)
        if source == "" and kind == "officedocument":
            self.office_document = resolved

    def use(self, part: str, rel_id: str, element: str, hyperlink: bool) -> None:
        """`element` in `part` names the relationship `rel_id` (as a clickable link or not)."""
        if hyperlink:
            return
        key = (part_key(part), rel_id)
        if key not in self.other_uses:
            self._count()
            self.other_uses[key] = element

    def parsed(self, part: str, error: str | None) -> None:
        self.xml_parts[part_key(part)] = error

    # ---- the verdict ----------------------------------------------------------------

    def finish(self) -> None:
        self._main_document()
        if self.ole_parts:
            raise unsafe("ole_object", f"The document holds an OLE2 compound file ({self.ole_parts[0]})")
        for target in sorted(self.package_targets - self.clean_packages):
            raise unsafe("ole_object", f"The document embeds {target}, which is not an inspectable Office document")
        for source, rel_id, target in self.hyperlinks:
            element = self.other_uses.get((source, rel_id))
            if element is None and self.xml_parts.get(source, "") is not None and source in self.names:
                element = "a part that is not well-formed XML"  # its uses cannot be read
            if element is not None:
                raise unsafe(
                    "external_relationship",
                    f"The hyperlink {target[:100]!r} is used by {element} in {source} (fetched, not clicked)",
                    target=target[:200],
                )
        for key, name in self.names.items():
            self._check_declared(key, name)

    def _main_document(self) -> None:
        main = self.office_document
        if main is None or main not in self.names:
            raise Unsupported("content_mismatch", "The package names no main document (_rels/.rels officeDocument)")
        declared = self._content_type_of(main)
        expected = [MAIN_TYPES[self.extension]] if self.extension else list(MAIN_TYPES.values())
        if declared not in expected:
            raise Unsupported(
                "content_mismatch",
                f"The main part {self.names[main]} is declared {declared!r}, not a "
                f"{'.' + self.extension if self.extension else 'Office'} document",
                detected_type=declared,
            )
        if self.extension and main != part_key(_MAIN_PARTS[self.extension]):
            raise Unsupported(
                "content_mismatch",
                f"The package's main document is {self.names[main]}, not {_MAIN_PARTS[self.extension]}"
                f" as a .{self.extension} has",
            )

    def _content_type_of(self, key: str) -> str:
        if key in self.overrides:
            return self.overrides[key]
        return self.defaults.get(key.rpartition(".")[2] if "." in key.rsplit("/", 1)[-1] else "", "")

    def _check_declared(self, key: str, name: str) -> None:
        """A part is what its declarations say: XML, and well-formed, where a content type or
        a relationship says XML. Bytes that merely start like XML are parsed (their rules
        apply) but may be something else: an obfuscated font's first bytes are random, and
        Excel's VML drawings are tag soup (`<br>` unclosed), declared as neither."""
        content_type = self._content_type_of(key)
        declared = content_type.endswith("xml") or bool(self.reached.get(key, set()) & _XML_RELATIONSHIPS)
        if key in self.xml_parts:
            error = self.xml_parts[key]
            if error is not None and declared:
                raise unsafe("malformed", f"The part {name} is not well-formed XML ({error})")
            return
        if declared:
            declared_as = content_type or "by a relationship"
            raise unsafe("malformed", f"The part {name} is declared as XML ({declared_as}) but is not")


_MAIN_PARTS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml", "pptx": "ppt/presentation.xml"}


def _looks_like_xml(head: bytes) -> bool:
    """What an XML reader would take as XML: `<` after a byte-order mark and whitespace,
    or UTF-16 without a mark."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")):
        return True
    return head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n").startswith(b"<")


class _Sniffer:
    """The first bytes of a part decide what reads it: an XML parser, an embedded package's
    inspection, the OLE2 refusal, or nothing (media)."""

    def __init__(self, package: Package, entry: Entry):
        self.package, self.entry = package, entry
        self.head = b""
        self.decided = False
        self.sink: Any = None

    def feed(self, data: bytes) -> None:
        if not self.decided:
            self.head += data
            if len(self.head) < _SNIFF:
                return
            data, self.head = self.head, b""
            self._choose(data)
        if self.sink is not None:
            self.sink.feed(data)

    def close(self) -> None:
        if not self.decided:
            data, self.head = self.head, b""
            self._choose(data)
            if self.sink is not None and data:
                self.sink.feed(data)
        if self.sink is not None:
            self.sink.close()

    def _choose(self, head: bytes) -> None:
        self.decided = True
        package, entry = self.package, self.entry
        if head.startswith(OLE2_MAGIC):
            package.ole_parts.append(entry.name)
        elif head.startswith(b"PK\x03\x04"):
            if package.depth or entry.size > package.limits.max_embedded_package_bytes:
                raise unsafe("ole_object", f"The document embeds a zip it cannot inspect ({entry.name})")
            self.sink = _EmbeddedPackage(package, entry.name)
        elif _looks_like_xml(head):
            if entry.size > package.limits.max_xml_part_bytes:
                raise unsafe(
                    "zip_limits",
                    f"The part {entry.name} is {entry.size} bytes of XML; at most {package.limits.max_xml_part_bytes}",
                )
            self.sink = XmlPart(package, entry.name)


class _EmbeddedPackage:
    """An embedded .xlsx/.docx/.pptx (a chart's data): held (at most
    Limits.max_embedded_package_bytes) and inspected by the same rules, one level deep."""

    def __init__(self, package: Package, name: str):
        self.package, self.name = package, name
        self.buffer = bytearray()

    def feed(self, data: bytes) -> None:
        self.buffer += data

    def close(self) -> None:
        data, self.buffer = bytes(self.buffer), bytearray()
        inner = InflateCounter()
        limits = self.package.limits
        try:
            _inspect_package(io.BytesIO(data), len(data), limits, None, inner, 1)
        except Unsafe as exc:
            if exc.extra.get("found") not in ("malformed", "leading_data", "trailing_data"):
                raise
            raise unsafe("ole_object", f"The embedded {self.name} is not a valid document ({exc.message})") from None
        except UploadError as exc:
            raise unsafe("ole_object", f"The embedded {self.name} is not a valid document ({exc.message})") from None
        finally:
            self.package.counter.inflated += inner.inflated
        if self.package.counter.inflated > limits.max_inflated_bytes:
            raise unsafe("zip_bomb", f"The zip inflates past {limits.max_inflated_bytes} bytes")
        self.package.clean_packages.add(part_key(self.name))
