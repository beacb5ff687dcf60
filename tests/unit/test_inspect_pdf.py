"""PDF inspection: every object any reader finds, every reader's view held against the
others, actions by allow-list, and limits that refuse small hostile files cheaply.

Where a real reader can show it, a test first proves that the hostile file's danger is what
a viewer sees (PDFium as Chrome loads it, MuPDF, qpdf), while a strict single parse (pypdf,
what the inspector used to check) sees a clean file; then that the inspector refuses it."""

from __future__ import annotations

import ctypes
import io

import pytest

from tests.support import corpus, hostile_pdf
from tests.unit.test_inspect_media import CONFIG, bounded_sample
from upload_core.errors import UploadError
from upload_core.inspect import pdf
from upload_core.inspect.base import FOUND, READ_BYTES
from upload_core.inspect.pdf.limits import PdfLimits
from upload_core.inspect.pdf.rules import RULES
from upload_core.inspect.rules import Sample, check_content, inspect_content


def refusal(data: bytes, name: str = "r.pdf") -> UploadError:
    """The refusal, the same on both readings (in memory, and in bounded pieces as the
    validator reads an S3 object)."""
    errors = []
    for sample in (Sample.of_bytes(data), bounded_sample(data)[0]):
        with pytest.raises(UploadError) as info:
            check_content(name, sample, CONFIG)
        assert info.value.status == 422
        errors.append(info.value)
    assert errors[0].extra == errors[1].extra and errors[0].message == errors[1].message
    return errors[0]


HOSTILE = hostile_pdf.hostile()


@pytest.mark.parametrize("name, make, expected", HOSTILE, ids=[case[0] for case in HOSTILE])
def test_hostile_pdfs_are_refused(name, make, expected):
    assert refusal(make(), name).extra["found"] == expected


# --- what real readers see --------------------------------------------------------------------


def pdfium_scripts(data: bytes) -> int:
    """Document JavaScript as PDFium finds it, loading the file as a whole (FPDF_LoadMemDocument)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    document = pdfium.PdfDocument(data)  # held: the count is read while it is open
    try:
        return raw.FPDFDoc_GetJavaScriptActionCount(document.raw)
    finally:
        document.close()


def pdfium_progressive_scripts(data: bytes) -> int:
    """Document JavaScript as PDFium finds it loading progressively (FPDFAvail), as Chrome's
    viewer loads a linearized file: from its first-page xref."""
    import pypdfium2.raw as raw

    buffer = ctypes.create_string_buffer(data, len(data))

    def get_block(param, pos, out, size):  # noqa: ARG001 - PDFium's callback signature
        ctypes.memmove(out, ctypes.addressof(buffer) + pos, size)
        return 1

    access = raw.FPDF_FILEACCESS()
    access.m_FileLen = len(data)
    access.m_GetBlock = type(access.m_GetBlock)(get_block)
    available = raw.FX_FILEAVAIL()
    available.version = 1
    available.IsDataAvail = type(available.IsDataAvail)(lambda avail, offset, size: 1)
    avail = raw.FPDFAvail_Create(ctypes.byref(available), ctypes.byref(access))
    try:
        assert raw.FPDFAvail_IsLinearized(avail) == 1
        document = raw.FPDFAvail_GetDocument(avail, None)
        try:
            return raw.FPDFDoc_GetJavaScriptActionCount(document)
        finally:
            raw.FPDF_CloseDocument(document)
    finally:
        raw.FPDFAvail_Destroy(avail)


def mupdf_view(data: bytes) -> tuple[bool, bool]:
    """Whether MuPDF rebuilt the file by scanning, and whether its catalog carries JavaScript."""
    import pymupdf

    pymupdf.TOOLS.mupdf_display_errors(False)
    document = pymupdf.open(stream=data, filetype="pdf")
    return document.is_repaired, "JavaScript" in document.xref_object(document.pdf_catalog())


def qpdf_scripts(data: bytes) -> bool:
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as document:
        return "JavaScript" in repr(document.Root.get("/Names")) + repr(document.Root.get("/OpenAction"))


def pypdf_scripts(data: bytes) -> bool:
    """The single strict parse the inspector used to trust."""
    import pypdf

    catalog = pypdf.PdfReader(io.BytesIO(data)).trailer["/Root"].get_object()
    return "JavaScript" in repr(catalog)


GAPS = [
    # (builder, what a viewer sees, what the strict parse sees)
    ("odd-xref-type", lambda d: pdfium_scripts(d) == 1 and mupdf_view(d) == (True, True), pypdf_scripts),
    ("window", lambda d: mupdf_view(d) == (True, True), lambda d: pdfium_scripts(d) > 0),
    ("unlisted", qpdf_scripts, lambda d: pdfium_scripts(d) > 0),
    ("first-page", lambda d: pdfium_progressive_scripts(d) == 1, qpdf_scripts),
]
BUILDERS = {
    "odd-xref-type": hostile_pdf.odd_xref_type,
    "window": hostile_pdf.past_the_window,
    "unlisted": hostile_pdf.unlisted_object,
    "first-page": hostile_pdf.first_page_disagrees,
}


@pytest.mark.parametrize("name, viewer, strict", GAPS, ids=[gap[0] for gap in GAPS])
def test_readers_run_what_one_parse_misses_and_it_is_refused(name, viewer, strict):
    data = BUILDERS[name]("js")
    assert viewer(data), "a real reader finds the script"
    assert not strict(data), "one strict parse sees a clean document"
    assert refusal(data).extra["found"] in ("pdf_javascript", "pdf_ambiguous")
    # The same structure with a harmless change is refused for the structure alone.
    assert refusal(BUILDERS[name]("plain")).extra["found"] == "pdf_ambiguous"


@pytest.mark.parametrize("form", ["dict", "indirect", "array", "indirect-array", "array-of-indirect"])
def test_next_is_followed_in_every_form_qpdf_resolves(form):
    import pikepdf

    data = hostile_pdf.next_chain(form)
    with pikepdf.open(io.BytesIO(data)) as document:
        following = document.Root.OpenAction.Next
        actions = list(following) if isinstance(following, pikepdf.Array) else [following]
        assert "/URI" in [str(action.S) for action in actions], "qpdf resolves /Next to a URI action"
    error = refusal(data)
    assert error.extra["found"] == "pdf_action" and "URI" in error.message


@pytest.mark.parametrize("kind", list(hostile_pdf.LINKS))
def test_a_link_is_judged_by_the_address_qpdf_reads(kind):
    """Escapes, UTF-16 and leading blanks are read as qpdf reads them, so what is judged is
    what a viewer would hand on."""
    import pikepdf

    from upload_core.inspect.pdf.lexer import Budget, parse_value
    from upload_core.inspect.pdf.rules import link_text

    data = hostile_pdf.clicked_link(kind)
    with pikepdf.open(io.BytesIO(data)) as document:
        seen = str(document.pages[0].Annots[0].A.URI).lstrip("".join(map(chr, range(0x21))))
    written = hostile_pdf.LINKS[kind]
    value, _ = parse_value(written, 0, len(written), Budget(10, 1000, 100, 4))
    assert link_text(value) == seen.encode("latin-1")
    assert refusal(data).extra["found"] == "pdf_action"


def test_a_script_inside_stream_data_is_refused_as_an_object_only_a_rebuild_finds():
    """pdf.js's rebuild (XRef.indexObjects) indexes every `N G obj` line, stream data included;
    the census does not read stream data, so the header itself is what is refused."""
    data = hostile_pdf.hidden_in_stream("js")
    error = refusal(data)
    assert error.extra["found"] == "pdf_ambiguous"
    assert f"offset {data.index(b'2 0 obj', len(hostile_pdf.base()))}" in error.message


def test_a_hidden_header_is_found_next_to_a_header_cut_by_a_block_boundary():
    """`obj` words are counted per block read (1 MiB) against the headers starting there; a
    real header whose `obj` falls in the next block must not let a hidden one in its block
    pass as the count it lacks."""
    hidden = b"q Q\n7 0 obj\n<< >>\nendobj\n"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        None,
        b"<< /Producer (hand) >>",
    ]

    def stream(length: int) -> bytes:
        return b"<< /Length %07d >>\nstream\n" % length + hidden.ljust(length, b" ") + b"\nendstream"

    objects[3] = stream(1000)
    shift = READ_BYTES - 4 - hostile_pdf.written_by_hand(objects).index(b"5 0 obj")
    objects[3] = stream(1000 + shift)
    data = hostile_pdf.written_by_hand(objects)
    assert data.index(b"5 0 obj") == READ_BYTES - 4, "object 5's `obj` is in the second block"
    error = refusal(data)
    assert error.extra["found"] == "pdf_ambiguous" and f"offset {data.index(b'7 0 obj')}" in error.message


# --- limits -----------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [hostile_pdf.free_entries, hostile_pdf.huge_string, hostile_pdf.nested_arrays])
def test_resource_exhaustion_is_refused_cheaply(make):
    """Refused from what the file declares or while inflating under a cap: a 40 MB table of
    two million free entries is not read past its subsection header."""
    data = make()
    sample, source = bounded_sample(data)
    with pytest.raises(UploadError) as info:
        check_content("r.pdf", sample, CONFIG)
    assert info.value.extra["found"] == "pdf_limits"
    assert source.reads < 8, "the tail, then the first blocks"


def test_a_pdf_with_more_objects_than_the_limit_is_refused(monkeypatch):
    document = corpus.fpdf_document(3)
    assert check_content("r.pdf", Sample.of_bytes(document), CONFIG) == "application/pdf"
    monkeypatch.setattr(pdf, "LIMITS", PdfLimits(max_objects=10))
    error = refusal(document)
    assert error.extra["found"] == "pdf_limits" and "objects" in error.message


@pytest.mark.parametrize(
    "limits, words",
    [
        (PdfLimits(max_free_entries=0), "free entries"),
        (PdfLimits(max_xref_entries=5), "entries"),
        (PdfLimits(max_stream_inflated=1000), "inflates past"),
        (PdfLimits(max_inflated_total=1000), "inflates past"),
        (PdfLimits(max_objstm_objects=3), "declares"),
        (PdfLimits(max_nesting=2), "nests"),
        (PdfLimits(max_brackets=20), "brackets"),
        (PdfLimits(max_revisions=1), "revisions"),
    ],
)
def test_each_limit_refuses_an_honest_file_made_to_exceed_it(monkeypatch, limits, words):
    data = corpus.appended_revision_pdf()
    monkeypatch.setattr(pdf, "LIMITS", limits)
    error = refusal(data)
    assert error.extra["found"] == "pdf_limits" and words in error.message


# --- honest files -----------------------------------------------------------------------------


def qpdf_saved(decoded: bool = False, **options) -> bytes:
    """The report saved again by qpdf; `decoded`: its Flate streams written uncompressed."""
    import pikepdf

    if decoded:
        options.update(compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.generalized)
    out = io.BytesIO()
    pikepdf.open(io.BytesIO(corpus.fpdf_document(2, seed=5))).save(out, **options)
    return out.getvalue()


HONEST = [case for case in corpus.honest() if case[0].endswith(".pdf")] + [
    ("ghostscript-like.pdf", hostile_pdf.indirect_length),  # a /Length given as a later object
    ("word-like.pdf", hostile_pdf.hybrid),  # a hybrid-reference file: a table and an /XRefStm
    # qpdf's QDF form (comments between objects, streams uncompressed) and plain uncompressed streams
    ("qdf.pdf", lambda: qpdf_saved(qdf=True)),
    ("uncompressed.pdf", lambda: qpdf_saved(decoded=True)),
]


@pytest.mark.parametrize("name, make", HONEST, ids=[case[0] for case in HONEST])
def test_honest_pdfs_are_accepted_whole_and_are_what_readers_open_cleanly(name, make):
    import pymupdf

    data = make()
    assert not pymupdf.open(stream=data, filetype="pdf").is_repaired, "a well-formed file, as MuPDF reads it"
    for sample in (Sample.of_bytes(data), bounded_sample(data)[0]):
        verdict = inspect_content(name, sample, CONFIG)
        assert (verdict.mime, verdict.end) == ("application/pdf", len(data))


def test_the_honest_pdfs_cover_every_shape_a_writer_makes():
    data = {name: make() for name, make in HONEST}
    assert b"/Linearized" in data["web.pdf"][:200] and b"/ObjStm" in data["web.pdf"]
    assert b"/Outlines" in data["manual.pdf"] and b"/URI" in data["manual.pdf"]
    assert b"/AcroForm" in data["form.pdf"] and b"/Next" in data["form.pdf"]
    assert data["edited.pdf"].count(b"%%EOF") == 2 and data["revised.pdf"].count(b"%%EOF") == 2
    assert b"%QDF-1.0" in data["qdf.pdf"] and b"FlateDecode" not in data["uncompressed.pdf"]


def test_the_pdf_inspector_is_loaded_only_when_a_pdf_arrives():
    """A cold start that serves a photo never pays for the PDF inspector's import."""
    import subprocess
    import sys

    code = (
        "import sys; from tests.support import samples; from upload_core.config import Config\n"
        "from upload_core.inspect.rules import Sample, check_content\n"
        "check_content('a.png', Sample.of_bytes(samples.png()), Config(bucket='b'))\n"
        "print('upload_core.inspect.pdf' in sys.modules)\n"
        "check_content('a.pdf', Sample.of_bytes(samples.pdf()), Config(bucket='b'))\n"
        "print('upload_core.inspect.pdf' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True"]


# --- the rules table and what broken files say ------------------------------------------------


def test_every_rule_names_a_found_code_and_a_test_here():
    names = {rule.found for rule in RULES}
    assert names <= set(FOUND)
    assert {code for code in FOUND if code.startswith("pdf_")} <= names
    for rule in RULES:
        assert rule.test.split("[")[0] in globals(), rule


def test_every_pdf_found_code_is_in_the_readme_and_the_api_reference():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text("utf-8")
    validated = readme[readme.index("## What validated means") : readme.index("### Malware scanning")]
    api = (root / "docs" / "api.md").read_text("utf-8")
    for code in (rule.found for rule in RULES):
        assert f"`{code}`" in validated and f"| `{code}` |" in api, code


def test_ambiguous_structure_is_refused():
    for name, make, expected in HOSTILE:
        if expected == "pdf_ambiguous":
            error = refusal(make())
            assert error.extra["found"] == "pdf_ambiguous"
            assert any(word in error.message for word in ("reader", "readers", "rebuild", "MuPDF", "pdf.js")), name


@pytest.mark.parametrize(
    "data, found, words",
    [
        (hostile_pdf.base()[: hostile_pdf.base().rindex(b"%%EOF")], "malformed", "no %%EOF"),
        (hostile_pdf.base()[:-9000] + b"\n%%EOF\n", "malformed", ""),
        (
            hostile_pdf.base() + b"<html><script>alert(1)</script></html>",
            "trailing_data",
            "follow the PDF's last %%EOF",
        ),
        (hostile_pdf.base().replace(b"endobj\n3 0 obj", b"endobj\njunk\n3 0 obj", 1), "malformed", "no object"),
    ],
    ids=["no-eof", "cut", "html-after-eof", "junk-between-objects"],
)
def test_broken_pdfs_say_what_is_wrong(data, found, words):
    error = refusal(data)
    assert error.extra["found"] == found and words in error.message


def test_an_xref_offset_at_the_end_of_line_before_its_object_is_where_every_reader_finds_it():
    """Old writers point an entry at the newline before `N G obj`; every reader's lexer skips it."""
    data = hostile_pdf.base()
    at = data.index(b"\n3 0 obj")
    data = data.replace(b"%010d 00000 n" % (at + 1), b"%010d 00000 n" % at, 1)
    assert check_content("r.pdf", Sample.of_bytes(data), CONFIG) == "application/pdf"


def test_a_startxref_at_the_end_of_line_before_its_table_and_a_lone_cr_after_stream_pass():
    data = hostile_pdf.base()
    table = data.rindex(b"\nxref\n") + 1
    data = data.replace(b"startxref\n%d\n" % table, b"startxref\n%d\n" % (table - 1))
    data = data.replace(b"stream\n", b"stream\r", 1)
    assert check_content("r.pdf", Sample.of_bytes(data), CONFIG) == "application/pdf"


def test_a_pdf_whose_offsets_are_wrong_is_refused_without_reading_it_whole():
    """Objects moved under the cross-reference table: pdf.js, PDFium and MuPDF would rebuild
    the table by scanning, each its own way; here it is refused, read in bounded pieces."""
    document = corpus.fpdf_document(1)
    at = document.index(b"2 0 obj")
    error = refusal(document[:at] + b"% moved\n" + document[at:])
    assert error.extra["found"] == "pdf_ambiguous" and "rebuild" in error.message
