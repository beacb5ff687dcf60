"""Honest office documents, made at test time by the libraries people make them with.

Each builder returns (filename, bytes, expected MIME type): every one must be accepted.
The .doc is written by tests/support/cfb.py (no library here writes .doc; LibreOffice
would, at ~300 MB of CI install): a compound file with a Word 97 FIB, a piece table and
cp1252 text, which antiword renders as the text it holds.
"""

from __future__ import annotations

import io
import os
import struct
from functools import cache

from . import cfb

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOC = "application/msword"


def noise_png(side: int = 96) -> bytes:
    """A photo-like PNG: random pixels do not compress."""
    from PIL import Image

    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG")
    return out.getvalue()


def add_hyperlink(paragraph, url: str, text: str) -> None:
    """What Word writes for a link: an External relationship of type hyperlink."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    rel_id = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel_id)
    run = OxmlElement("w:r")
    text_element = OxmlElement("w:t")
    text_element.text = text
    run.append(text_element)
    link.append(run)
    paragraph._p.append(link)


@cache
def _report_docx() -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.author = "Finance team"
    document.add_heading("Quarterly report", level=1)
    document.add_paragraph("Revenue grew in every region; details below. " * 20)
    table = document.add_table(rows=4, cols=3)
    for row, values in enumerate(
        [("Region", "Q1", "Q2"), ("North", "10", "12"), ("South", "7", "9"), ("West", "3", "5")]
    ):
        for col, value in enumerate(values):
            table.cell(row, col).text = value
    document.add_picture(io.BytesIO(noise_png()))
    links = document.add_paragraph("Sources: ")
    add_hyperlink(links, "https://example.com/figures", "figures")
    add_hyperlink(links, "mailto:finance@example.com", "finance")
    document.sections[0].footer.paragraphs[0].text = "Confidential"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def report_docx() -> tuple[str, bytes, str]:
    """Headings, a table, a noise photo, http and mailto hyperlinks, a footer."""
    return "Quarterly report.docx", _report_docx(), DOCX


def long_docx() -> tuple[str, bytes, str]:
    """Many pages and several photos: a few MB, well inside the inline limit."""
    import docx

    document = docx.Document()
    for chapter in range(8):
        document.add_heading(f"Chapter {chapter + 1}", level=1)
        for _ in range(30):
            document.add_paragraph("The committee reviewed the figures and agreed on the plan. " * 6)
        document.add_picture(io.BytesIO(noise_png(200)))
    out = io.BytesIO()
    document.save(out)
    return "minutes.docx", out.getvalue(), DOCX


class _Unseekable(io.RawIOBase):
    """A write-only pipe: zipfile then streams, with data descriptors after each entry."""

    def __init__(self) -> None:
        self.out = io.BytesIO()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        return self.out.write(data)


def streamed_docx() -> tuple[str, bytes, str]:
    """The report re-zipped to a stream (as a server generating documents on the fly does):
    every entry has a data descriptor, the big one with zip64 sizes (force_zip64)."""
    import zipfile

    sink = _Unseekable()
    with zipfile.ZipFile(io.BytesIO(_report_docx())) as src, zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, item.date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            with dst.open(info, "w", force_zip64=item.filename.startswith("word/media/")) as out:
                out.write(src.read(item.filename))
    return "generated.docx", sink.out.getvalue(), DOCX


def budget_xlsx() -> tuple[str, bytes, str]:
    """A workbook from openpyxl with numbers, formulas and a hyperlink."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Item", "Cost"])
    for i in range(50):
        sheet.append([f"Item {i}", i * 3.5])
    sheet["D1"] = "=SUM(B2:B51)"
    sheet["E1"].hyperlink = "https://example.com/budget"
    out = io.BytesIO()
    book.save(out)
    return "budget.xlsx", out.getvalue(), XLSX


def _workbook(formula: str = "=SUM(B2:B5)") -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in [("Region", "Sales"), ("North", 12), ("South", 9), ("West", 5), ("East", 7)]:
        sheet.append(row)
    sheet["C1"] = formula
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_chart(docx_bytes: bytes, workbook: bytes, name: str = "Microsoft_Excel_Worksheet.xlsx") -> bytes:
    """The parts Word writes for a chart: word/charts/chart1.xml, related from the
    document, whose own relationship of type `package` points at the chart's workbook."""
    import zipfile

    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    chart = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
        f'xmlns:r="{office}"><c:chart><c:plotArea><c:layout/></c:plotArea></c:chart>'
        '<c:externalData r:id="rId1"><c:autoUpdate val="0"/></c:externalData></c:chartSpace>'
    ).encode()
    chart_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{office}/package" Target="../embeddings/{name}"/></Relationships>'
    ).encode()
    edits = {
        "word/_rels/document.xml.rels": lambda d: d.replace(
            b"</Relationships>",
            f'<Relationship Id="rIdChart1" Type="{office}/chart" Target="charts/chart1.xml"/></Relationships>'.encode(),
        ),
        "[Content_Types].xml": lambda d: d.replace(
            b"</Types>",
            b'<Default Extension="xlsx" '
            b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"/>'
            b'<Override PartName="/word/charts/chart1.xml" '
            b'ContentType="application/vnd.openxmlformats-officedocument.drawingml.chart+xml"/></Types>',
        ),
    }
    added = {"word/charts/chart1.xml": chart, "word/charts/_rels/chart1.xml.rels": chart_rels}
    added[f"word/embeddings/{name}"] = workbook
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx_bytes)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            dst.writestr(item.filename, edits.get(item.filename, lambda d: d)(data))
        for part, data in added.items():
            dst.writestr(part, data)
    return out.getvalue()


def chart_docx() -> tuple[str, bytes, str]:
    """A report with a chart whose data is an embedded workbook (inspected too)."""
    return "sales chart.docx", with_chart(_report_docx(), _workbook()), DOCX


def excel_vml(label: str = "Total") -> bytes:
    """A legacy VML drawing as Excel writes one for a form button whose text has a line
    break: `<br>` unclosed, so not well-formed XML."""
    return (
        '<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'
        ' xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit">'
        '<o:idmap v:ext="edit" data="1"/></o:shapelayout><v:shape id="_x0000_s1025" type="#_x0000_t201"'
        " style='position:absolute;width:96pt;height:30pt' o:button=\"t\"><v:textbox>"
        f'<div style=\'text-align:center\'><font face="Calibri" size="220">{label}<br>sheet</font></div>'
        '</v:textbox><x:ClientData ObjectType="Button"><x:Anchor>1, 0, 1, 0, 3, 0, 3, 0</x:Anchor>'
        "</x:ClientData></v:shape></xml>"
    ).encode()


def _commented_workbook() -> bytes:
    import openpyxl
    from openpyxl.comments import Comment

    book = openpyxl.Workbook()
    sheet = book.active
    for i in range(20):
        sheet.append([f"Item {i}", i * 2.5])
    sheet["A1"].comment = Comment("Checked by finance\nsecond line", "Auditor")
    sheet["D1"] = "=SUM(B1:B20)"
    sheet["E1"].hyperlink = "https://example.com/budget"
    sheet["E2"].hyperlink = "budget-2025.xlsx"  # a workbook beside this one
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def commented_xlsx() -> tuple[str, bytes, str]:
    """openpyxl: a comment (a VML legacy drawing), http and relative hyperlinks, a formula."""
    return "reviewed.xlsx", _commented_workbook(), XLSX


def excel_button_xlsx() -> tuple[str, bytes, str]:
    """The commented workbook with the legacy drawing Excel writes for a form button whose
    caption has a line break: tag soup (`<br>` unclosed), reached only as a VML drawing."""
    import zipfile

    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(_commented_workbook())) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for item in src.infolist():
            data = src.read(item.filename)
            dst.writestr(item.filename, excel_vml() if item.filename.endswith(".vml") else data)
    return "buttons.xlsx", out.getvalue(), XLSX


def word_streams(text: str) -> dict[str, bytes]:
    """The WordDocument and 1Table streams of a Word 97 document holding `text`:
    a FIB (wIdent 0xA5EC, nFib 0xC1, fWhichTblStm) and a piece table (Clx) pointing at
    the text, stored as compressed (cp1252) characters at 0x800."""
    body = text.encode("cp1252")
    ccp, fc_text = len(body), 0x800
    base = struct.pack("<HHHHHHHLBBHH2L", 0xA5EC, 0x00C1, 0, 0x0409, 0, 0x0200, 0x00BF, 0, 0, 0, 0, 0, 0, 0)
    rgw = struct.pack("<H", 14) + b"\0" * 28
    longs = [0] * 22
    longs[0], longs[3] = fc_text + ccp, ccp  # cbMac, ccpText
    rglw = struct.pack("<H", 22) + struct.pack("<22L", *longs)
    piece = struct.pack("<HLH", 0, (fc_text * 2) | 0x40000000, 0)  # fc of compressed text
    clx = b"\x02" + struct.pack("<L", 8 + len(piece)) + struct.pack("<2L", 0, ccp) + piece
    pairs = [0] * (0x5D * 2)
    pairs[67] = len(clx)  # fcClx = 0, lcbClx
    rgfc = struct.pack("<H", 0x5D) + struct.pack(f"<{len(pairs)}L", *pairs)
    fib = base + rgw + rglw + rgfc + struct.pack("<H", 0)
    return {"WordDocument": (fib.ljust(fc_text, b"\0") + body).ljust(4608, b"\0"), "1Table": clx.ljust(4096, b"\0")}


def add_field(paragraph, instruction: str, result: str) -> None:
    """A complex field as Word writes one: begin, the instruction split across runs, separate,
    the last computed result, end."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def run_with(tag: str, **attrs: str):
        run = OxmlElement("w:r")
        child = OxmlElement(tag)
        for key, value in attrs.items():
            child.set(qn(key), value)
        run.append(child)
        paragraph._p.append(run)
        return child

    run_with("w:fldChar", **{"w:fldCharType": "begin"})
    middle = len(instruction) // 2
    for piece in (instruction[:middle], instruction[middle:]):
        text = run_with("w:instrText")
        text.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        text.text = piece
    run_with("w:fldChar", **{"w:fldCharType": "separate"})
    run_with("w:t").text = result
    run_with("w:fldChar", **{"w:fldCharType": "end"})


def add_simple_field(paragraph, instruction: str, result: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = result
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


@cache
def _handbook_docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Staff handbook", level=1)
    add_field(document.add_paragraph(), ' TOC \\o "1-3" \\h \\z \\u ', "Contents")
    intro = document.add_paragraph("Welcome. Read the policies below; ask your manager. " * 10)
    document.add_comment(intro.runs[0], text="Check with HR before sending", author="Reviewer", initials="RV")
    document.add_heading("Policies", level=2)
    document.add_picture(io.BytesIO(noise_png(120)))
    links = document.add_paragraph("See ")
    add_hyperlink(links, "https://intranet.example.com/policies", "the policies")
    add_hyperlink(links, "mailto:hr@example.com", "HR")
    add_hyperlink(links, "forms/leave-request.docx", "the leave form")  # relative: beside the document
    add_hyperlink(links, "../shared/Holidays%202026.pdf", "the holidays")
    nested = document.add_paragraph("Updated: ")
    add_field(nested, ' DATE \\@ "d MMMM yyyy" ', "1 March 2026")
    header = document.sections[0].header.paragraphs[0]
    header.text = "Staff handbook, page "
    add_simple_field(header, " PAGE ", "1")
    footer = document.sections[0].footer.paragraphs[0]
    footer.text = "Page "
    add_field(footer, " PAGE ", "1")
    footer.add_run(" of ")
    add_field(footer, " NUMPAGES ", "3")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def handbook_docx() -> tuple[str, bytes, str]:
    """Fields as Word writes them (TOC, PAGE, NUMPAGES, DATE; complex fields split across runs
    and a simple field in the header), a comment, a picture, http, mailto and relative links."""
    return "handbook.docx", _handbook_docx(), DOCX


def relative_link_docx() -> tuple[str, bytes, str]:
    """Issue 18's document: its only relationship of its own is a hyperlink to a relative path
    (TargetMode External, no scheme), which Word opens beside the document when clicked."""
    import docx

    document = docx.Document()
    add_hyperlink(document.add_paragraph("Minutes: "), "minutes/2026-03.docx", "March")
    out = io.BytesIO()
    document.save(out)
    return "index.docx", out.getvalue(), DOCX


def letter_doc() -> tuple[str, bytes, str]:
    """A Word 97-2003 letter (compound file, Word's CLSID, a FIB and its text)."""
    text = "Dear customer,\r\rThank you for your order. It ships on Monday.\r\rKind regards\r"
    text += "Page \x13 PAGE \x141\x15 of the DDE-free letter\r"  # a field, as Word stores one
    # A table of contents, a link and a nested field, as Word stores them (begin, separate, end).
    text += '\x13 TOC \\o "1-3" \\h \\z \x14Contents\x15\r'
    text += 'Order online: \x13 HYPERLINK "https://shop.example.com/orders" \x14our shop\x15\r'
    text += (
        'Dear \x13 IF \x13 MERGEFIELD Title \x14Ms\x15 = "" "customer" "\x13 MERGEFIELD Name \x14X\x15" \x14Ms X\x15,\r'
    )

    return "letter.doc", cfb.write(word_streams(text * 20)), DOC


HONEST = [
    report_docx,
    long_docx,
    chart_docx,
    streamed_docx,
    budget_xlsx,
    handbook_docx,
    relative_link_docx,
    commented_xlsx,
    excel_button_xlsx,
    letter_doc,
]
