"""PDF inspection: every object any reader finds, every reader's view held against the
others, actions by allow-list, and limits that refuse small hostile files cheaply."""

from __future__ import annotations

import pytest

from tests.support import corpus
from tests.unit.test_inspect_media import CONFIG, bounded_sample
from upload_core.errors import UploadError
from upload_core.inspect import pdf
from upload_core.inspect.pdf.limits import PdfLimits
from upload_core.inspect.rules import Sample, check_content


def found(data: bytes, name: str = "r.pdf") -> str:
    """The `found` code of the refusal, on both readings (in memory and in bounded pieces)."""
    codes = []
    for sample in (Sample.of_bytes(data), bounded_sample(data)[0]):
        with pytest.raises(UploadError) as info:
            check_content(name, sample, CONFIG)
        assert info.value.status == 422
        codes.append(info.value.extra["found"])
    assert codes[0] == codes[1]
    return codes[0]


def test_a_pdf_with_more_objects_than_the_limit_is_refused(monkeypatch):
    document = corpus.fpdf_document(3)
    assert check_content("r.pdf", Sample.of_bytes(document), CONFIG) == "application/pdf"
    monkeypatch.setattr(pdf, "LIMITS", PdfLimits(max_objects=10))
    with pytest.raises(UploadError) as info:
        check_content("r.pdf", Sample.of_bytes(document), CONFIG)
    assert info.value.extra["found"] == "pdf_limits"
    assert "objects" in info.value.message


def test_a_pdf_whose_offsets_are_wrong_is_refused_without_reading_it_whole():
    """Objects moved under the cross-reference table: pdf.js, PDFium and MuPDF would rebuild
    the table by scanning, each its own way; here it is refused, read in bounded pieces."""
    document = corpus.fpdf_document(1)
    at = document.index(b"2 0 obj")
    sample, source = bounded_sample(document[:at] + b"% moved\n" + document[at:])
    with pytest.raises(UploadError) as info:
        check_content("r.pdf", sample, CONFIG)
    assert info.value.extra["found"] == "pdf_ambiguous"
    assert "rebuild" in info.value.message
