"""Small files that exhaust an inspector's memory or CPU, built the way the issues describe
attackers building them (issue 17, "Resource exhaustion on small files"; issue 18, "PNG text
chunks are unbounded"). Today's inspectors take each of them far past the functions'
memory or time; the sandbox (inspect/sandbox.py) must turn each into `too_complex`.

Peak memory and CPU of today's in-process inspection, measured on the development machine:
- `pdf_nested_arrays()`: 9 KB; an object stream inflating to 48 arrays of 90,000 empty arrays
  each (pypdf bounds elements per array, not in total): 420 MB, 18 s of CPU, accepted.
- `pdf_huge_string()`: 59 KB; an object stream holding one 60 MB string: 1,335 MB, 18 s.
  (Both PDFs are now refused by the PDF reader's own limits, `pdf_limits`, in well under a
  second: tests/unit/test_inspect_pdf.py holds that.)
- `pdf_destination_flood()`: 3.8 MB; within every limit of the PDF reader (2 million tree
  elements), an /OpenAction destination of 1.9 million empty arrays, which the reader builds
  as a tree to judge what runs on open: ~140 MB and ~8 s of CPU in-process, accepted (an
  honest file as slow per byte would be decided in time; this one needs the ceilings).
- `docx_field_text()`: 1.75 MB; one field's instrText of 250 MB (the cap counts field pieces,
  not characters), beside a 1.5 MB photo that keeps the whole file under the 200:1 zip ratio:
  768 MB, 24 s of CPU, accepted.
- `png_text_flood(chunks)`: ~4 KB per chunk; zTXt chunks that each inflate to 4 MiB of
  zeros (just under the per-chunk cap) and are each scanned for markup: ~0.1 s of CPU each.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from functools import cache

from . import documents, samples


def pdf_with_object_stream(payload: bytes) -> bytes:
    """A PDF 1.5 whose object 4 sits in a compressed object stream (5), found through an xref
    stream (6): the catalog does not even refer to it; the inspector parses every object."""
    packed = zlib.compress(b"4 0 " + payload, 9)
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number, body in (
        (1, b"<< /Type /Catalog /Pages 2 0 R >>"),
        (2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
        (3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"),
        (
            5,
            b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n" % len(packed)
            + packed
            + b"\nendstream",
        ),
    ):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    offsets[6] = len(out)
    rows = [struct.pack(">BIH", 0, 0, 65535)]
    rows += [struct.pack(">BIH", 1, offsets[n], 0) for n in (1, 2, 3)]
    rows += [struct.pack(">BIH", 2, 5, 0), struct.pack(">BIH", 1, offsets[5], 0), struct.pack(">BIH", 1, offsets[6], 0)]
    table = b"".join(rows)
    out += b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % len(table)
    out += table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[6]
    return bytes(out)


@cache
def pdf_nested_arrays(outer: int = 48, inner: int = 90_000) -> bytes:
    return pdf_with_object_stream(b"[" + (b"[" + b"[]" * inner + b"]") * outer + b"]")


@cache
def pdf_destination_flood(elements: int = 1_900_000) -> bytes:
    """A classic-xref PDF whose /OpenAction is an explicit destination padded with `elements`
    empty arrays: every count stays inside the reader's limits, the tree does not."""
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        4: b"[3 0 R /Fit " + b"[]" * elements + b"]",
    }
    out = bytearray(b"%PDF-1.4\n")
    offsets = {}
    for number, body in objects.items():
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 5\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % offsets[n] for n in sorted(offsets))
    out += b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


@cache
def pdf_huge_string(length: int = 60_000_000) -> bytes:
    return pdf_with_object_stream(b"(" + b"A" * length + b")")


@cache
def png_text_flood(chunks: int = 1000) -> bytes:
    """A real PNG with `chunks` zTXt chunks before IEND, each inflating to 4 MiB of zeros."""
    png = samples.png()
    text = b"Comment\0\0" + zlib.compress(b"\0" * (4 * 1024 * 1024 - 1024), 9)
    chunk = struct.pack(">I", len(text)) + b"zTXt" + text + struct.pack(">I", zlib.crc32(b"zTXt" + text))
    return png[:-12] + chunk * chunks + png[-12:]


@cache
def docx_field_text(characters: int = 250_000_000) -> bytes:
    """A python-docx report with a photo, and one field whose instruction text is `characters` long."""
    import docx

    document = docx.Document()
    document.add_paragraph("Quarterly report")
    document.add_picture(io.BytesIO(documents.noise_png(700)))
    out = io.BytesIO()
    document.save(out)
    field = (
        b'<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> PAGE '
        + b"x" * characters
        + b'</w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
    )
    packed = io.BytesIO()
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"</w:body>", field + b"</w:body>")
            stored = item.filename.endswith(".png")
            dst.writestr(item, data, compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    return packed.getvalue()
