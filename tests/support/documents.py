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


def letter_doc() -> tuple[str, bytes, str]:
    """A Word 97-2003 letter (compound file, Word's CLSID, a FIB and its text)."""
    text = "Dear customer,\r\rThank you for your order. It ships on Monday.\r\rKind regards\r"
    text += "Page \x13 PAGE \x141\x15 of the DDE-free letter\r"  # a field, as Word stores one
    return "letter.doc", cfb.write(word_streams(text * 20)), DOC


HONEST = [report_docx, long_docx, chart_docx, streamed_docx, budget_xlsx, letter_doc]
