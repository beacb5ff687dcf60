"""One OOXML part parsed as XML while it inflates: what it declares and what it uses.

Every part whose first bytes are XML is parsed here, whatever its name (LibreOffice loads
a header named `header1.bin` that holds WordprocessingML). expat is driven directly, as
defusedxml drives it (a DOCTYPE, an entity declaration or an external entity reference
raises, so an XML bomb or XXE is `malformed`), without ElementTree's Python layer between
(a third of the time on a text-heavy document), and its handlers see, by the root
element, three kinds of part:

- `[Content_Types].xml` (Types): Default and Override content types;
- relationship parts (Relationships): each Relationship, handed to the package;
- everything else (markup): every attribute in a relationships namespace (`r:id`,
  `r:embed`, `r:link`, VML's `o:relid`...), recorded as a use of that relationship by its
  element, so the package can tell a hyperlink used by `w:hyperlink` from one used by an
  image's `a:blip r:link` (fetched on open); Word fields (fields.py) from w:fldChar,
  w:instrText, w:delInstrText and w:fldSimple; w:altChunk; ddeLink and oleLink; and
  spreadsheet formulas that call another program (`=cmd|' /C calc'!A0`).

expat streams text, but holds a whole start tag (all its attributes) or comment before it
reports it: the bytes fed without any callback are counted, and a token over
`Limits.max_xml_token_bytes` is refused before it is held (`zip_limits`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from xml.parsers import expat

from .base import unsafe
from .fields import FieldReader

if TYPE_CHECKING:
    from .ooxml import Package

# Names as expat reports them with namespace_separator "}": "uri}local".
_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types}"
_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships}"
# Attributes that name a relationship of their part: the transitional and Strict
# relationships namespaces (and Microsoft's), and VML's o:relid.
_REFERENCE_PREFIXES = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships}",
    "http://purl.oclc.org/ooxml/officeDocument/relationships}",
    "http://schemas.microsoft.com/office/2006/relationships}",
    "urn:schemas-microsoft-com:office:office}relid",
)
# Elements that use a hyperlink relationship as a link a reader clicks (WordprocessingML,
# SpreadsheetML, DrawingML's click and hover).
HYPERLINK_ELEMENTS = frozenset({"hyperlink", "hlinkClick", "hlinkHover", "hlinkMouseOver"})
# Elements whose meaning is more than the relationships they name.
_WATCHED = frozenset({"instrText", "delInstrText", "fldChar", "fldSimple", "altChunk", "ddeLink", "oleLink", "f"})
_DDE_FORMULA = re.compile(r"^\s*[=@+-]*\s*[\w.]+\s*\|\s*'", re.I)
_MAX_FORMULA = 8192  # Excel's own limit on a formula's length
_FEED = 64 * 1024


class _Forbidden(Exception):
    """A DOCTYPE or entity: refused, whatever the rest of the part holds."""


def _forbid(*_: object) -> int:
    raise _Forbidden()


class XmlPart:
    """A sink (zipscan's protocol) that parses one part as it inflates."""

    def __init__(self, package: Package, name: str):
        self.name = name
        self.package = package
        self.rules = rules = _Rules(package, name)
        self.parser = parser = expat.ParserCreate(namespace_separator="}")
        parser.buffer_text = True  # one callback per run of text (up to buffer_size), not per line
        parser.buffer_size = _FEED
        parser.StartElementHandler = rules.start
        parser.EndElementHandler = rules.end
        parser.CharacterDataHandler = rules.data
        parser.StartDoctypeDeclHandler = _forbid
        parser.EntityDeclHandler = _forbid
        parser.UnparsedEntityDeclHandler = _forbid
        parser.ExternalEntityRefHandler = _forbid
        self.quiet = 0  # bytes fed since expat last reported anything
        self.seen = 0
        self.broken: str | None = None

    def feed(self, data: bytes) -> None:
        if self.broken is not None:
            return
        limit = self.package.limits.max_xml_token_bytes
        for at in range(0, len(data), _FEED):
            try:
                self.parser.Parse(data[at : at + _FEED], False)
            except (expat.ExpatError, _Forbidden) as exc:
                self._fail(exc)
                return
            if self.rules.events != self.seen:
                self.seen, self.quiet = self.rules.events, 0
            else:
                self.quiet += min(_FEED, len(data) - at)
                if self.quiet > limit:
                    raise unsafe("zip_limits", f"The part {self.name} has one XML tag or comment of over {limit} bytes")

    def close(self) -> None:
        if self.broken is None:
            try:
                self.parser.Parse(b"", True)
            except (expat.ExpatError, _Forbidden) as exc:
                self._fail(exc)
        self.rules.fields.close()
        self.package.parsed(self.name, self.broken)

    def _fail(self, exc: Exception) -> None:
        """Not well-formed: the package decides (only VML drawings are tag soup in honest files)."""
        if isinstance(exc, _Forbidden):
            raise unsafe("malformed", f"The part {self.name} has a DTD or entities, which are not accepted") from None
        self.broken = str(exc)


class _Rules:
    """expat's handlers: start, data, end."""

    def __init__(self, package: Package, name: str):
        self.package = package
        self.name = name
        self.kind = ""  # types, rels or markup, from the root element
        self.events = 0
        self.instruction = False  # inside w:instrText or w:delInstrText
        self.fields = FieldReader(name, package.limits, package.field_budget, "zip_limits")
        self.formula: list[str] | None = None
        self.formula_chars = 0

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.events += 1
        if self.kind != "markup":
            self._declarations(tag, attrib)
            return
        if attrib:
            for key, value in attrib.items():
                if key.startswith(_REFERENCE_PREFIXES) and value:
                    local = tag[tag.rfind("}") + 1 :]
                    self.package.use(self.name, value, local, local in HYPERLINK_ELEMENTS)
        local = tag[tag.rfind("}") + 1 :]
        if local not in _WATCHED:
            return
        namespace = tag[: len(tag) - len(local)]
        if "wordprocessingml" in namespace:  # transitional (2006/main) or Strict (purl.oclc.org)
            self._word(local, namespace, attrib)
        elif local in ("ddeLink", "oleLink"):
            raise unsafe("dde", f"The part {self.name} has a {local} (a live link to another program)")
        elif local == "f" and "spreadsheetml" in namespace:
            self.formula, self.formula_chars = [], 0

    def _declarations(self, tag: str, attrib: dict[str, str]) -> None:
        """The root element says what the part is; content types and relationships go to the package."""
        if not self.kind:
            self.kind = {_TYPES_NS + "Types": "types", _RELS_NS + "Relationships": "rels"}.get(tag, "markup")
            if self.kind == "markup":
                self.events -= 1
                self.start(tag, attrib)
                return
        if self.kind == "types":
            if tag in (_TYPES_NS + "Default", _TYPES_NS + "Override"):
                self.package.content_type(self.name, attrib)
        elif tag == _RELS_NS + "Relationship":
            self.package.relationship(self.name, attrib)

    def _word(self, local: str, namespace: str, attrib: dict[str, str]) -> None:
        if local in ("instrText", "delInstrText"):
            self.instruction = True
        elif local == "fldChar":
            kind = attrib.get(namespace + "fldCharType")
            if kind == "begin":
                self.fields.begin()
            elif kind == "separate":
                self.fields.separate()
            elif kind == "end":
                self.fields.end()
        elif local == "fldSimple":
            self.fields.simple(attrib.get(namespace + "instr", ""))
        elif local == "altChunk":
            raise unsafe("alt_chunk", f"The part {self.name} imports another document (altChunk)")

    def data(self, text: str) -> None:
        self.events += 1
        if self.instruction:
            self.fields.text(text)
        if self.formula is not None and self.formula_chars < _MAX_FORMULA:
            self.formula.append(text[: _MAX_FORMULA - self.formula_chars])
            self.formula_chars += len(text)

    def end(self, tag: str) -> None:
        self.events += 1
        if self.instruction and tag.endswith(("}instrText", "}delInstrText")):
            self.instruction = False
        elif self.formula is not None and tag.endswith("}f"):
            if _DDE_FORMULA.match("".join(self.formula)):
                raise unsafe("dde", f"A formula in {self.name} calls another program (DDE)")
            self.formula = None
