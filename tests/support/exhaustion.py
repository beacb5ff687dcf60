"""Files that exhaust an inspector's memory or CPU while staying inside every limit the
inspector checks itself: what the sandbox (inspect/sandbox.py) is for.

The small files of issue 17 and 18 ("Resource exhaustion on small files", "PNG text chunks are
unbounded") are now refused by the inspectors' own limits before the work they bound, each
with its own `found` code and test: the nested-array and 60 MB-string PDFs (`pdf_limits`,
tests/support/hostile_pdf.py), the 250 MB `instrText` DOCX (`zip_limits`,
tests/unit/test_inspect_office.py), the zTXt flood (`image_limits`,
tests/unit/test_inspect_images.py). What is left for the ceilings:

- `pdf_destination_flood()`: 3.8 MB; within every limit of the PDF reader (2 million tree
  elements), an /OpenAction destination of 1.9 million empty arrays, which the reader builds
  as a tree to judge what runs on open: ~140 MB and ~8 s of CPU in-process, accepted (an
  honest file as slow per byte would be decided in time; this one needs the ceilings).
"""

from __future__ import annotations

from functools import cache


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
