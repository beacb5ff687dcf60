"""OOXML, OLE2 and zip inspection: every hostile file refused with what was found, every
honest one accepted, all through a source that fails the test on any read over READ_BYTES."""

from __future__ import annotations

import io
import random

import pytest

from tests.support import documents, hostile_office
from upload_core.errors import UploadError
from upload_core.inspect.base import READ_BYTES, Limits
from upload_core.inspect.filetypes import KNOWN_TYPES
from upload_core.inspect.ole2 import inspect_ole
from upload_core.inspect.ooxml import inspect_ooxml
from upload_core.inspect.zipscan import InflateCounter


class BoundedSource(io.BytesIO):
    """A BytesIO that refuses the unbounded or oversized reads an inspector must not make."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.largest = 0

    def read(self, n: int = -1, /) -> bytes:
        assert 0 <= n <= READ_BYTES, f"a read of {n} bytes"
        self.largest = max(self.largest, n)
        return super().read(n)


def inspect(name: str, data: bytes, limits: Limits = Limits(), counter: InflateCounter | None = None):
    ext = name.rsplit(".", 1)[1]
    source = BoundedSource(data)
    if ext in ("doc", "xls", "ppt"):
        return inspect_ole(source, len(data), limits, ext)
    return inspect_ooxml(source, len(data), limits, KNOWN_TYPES[ext].ooxml_main_part, ext, counter)


@pytest.mark.parametrize("build", hostile_office.HOSTILE, ids=lambda b: b.__name__)
def test_hostile_documents_are_refused_with_what_was_found(build):
    name, data, found = build()
    with pytest.raises(UploadError) as info:
        inspect(name, data)
    assert (info.value.code, info.value.status) == ("unsafe_content", 422)
    assert info.value.extra["found"] == found, info.value.message


@pytest.mark.parametrize("build", documents.HONEST, ids=lambda b: b.__name__)
def test_honest_documents_are_accepted(build):
    name, data, mime = build()
    verdict = inspect(name, data)
    assert verdict.mime == mime
    assert verdict.end == len(data)


@pytest.mark.parametrize(
    "build, most_inflated",
    [
        # Decided from the directory alone, before one byte is inflated.
        (hostile_office.docx_overlapping_entries, 0),
        (hostile_office.docx_many_entries, 0),
        (hostile_office.docx_huge_directory, 0),
        # The lie is caught one byte past the declared 1,000 (plus the honest parts before it).
        (hostile_office.docx_lying_size, 2 * 1024 * 1024),
        # The ratio limit: at most 200 x the file's size, not 49 MiB.
        (hostile_office.docx_zeros_bomb, None),
    ],
    ids=lambda v: getattr(v, "__name__", str(v)),
)
def test_zip_bombs_are_refused_without_inflating_them(build, most_inflated):
    name, data, _ = build()
    counter = InflateCounter()
    with pytest.raises(UploadError) as info:
        inspect(name, data, counter=counter)
    assert info.value.extra["found"] in ("zip_bomb", "zip_limits")
    limit = most_inflated if most_inflated is not None else Limits().max_inflate_ratio * len(data) + 256 * 1024
    assert counter.inflated <= limit


def test_an_entry_lying_about_one_gibibyte_costs_about_its_declared_size():
    entries = hostile_office.docx_entries()
    honest = sum(e["size"] for e in entries)
    entries.append(
        dict(name="word/media/x.bin", data=hostile_office.zeros_deflated(1 << 30), method=8, crc=0, size=1000)
    )
    counter = InflateCounter()
    with pytest.raises(UploadError) as info:
        inspect("x.docx", hostile_office.raw_zip(entries), counter=counter)
    assert info.value.extra["found"] == "zip_bomb"
    assert counter.inflated <= honest + 1001


def test_the_total_inflated_limit_counts_real_bytes_not_headers():
    _, data, _ = documents.long_docx()
    with pytest.raises(UploadError) as info:
        inspect("m.docx", data, Limits(max_inflated_bytes=len(data) // 2))
    assert info.value.extra["found"] == "zip_bomb"


def test_a_part_over_the_xml_cap_is_refused_before_parsing():
    _, data, _ = documents.report_docx()
    with pytest.raises(UploadError) as info:
        inspect("r.docx", data, Limits(max_xml_part_bytes=1000))
    assert info.value.extra["found"] == "zip_limits"


def test_a_doc_over_the_ole_limit_is_refused_unread():
    name, data, _ = documents.letter_doc()
    with pytest.raises(UploadError) as info:
        inspect(name, data, Limits(max_ole_bytes=len(data) - 1))
    assert info.value.extra["found"] == "ole_limits"


def test_honest_hyperlinks_stay_but_other_schemes_do_not():
    for target, ok in [
        ("https://example.com/a", True),
        ("mailto:a@example.com", True),
        ("minutes/2026-03.docx", True),  # relative: a file beside the document (issue 18)
        ("../shared/Plan%202026.pdf", True),
        ("#Summary", True),
        ("javascript:alert(1)", False),
        ("file:///C:/Windows/System32/calc.exe", False),
        ("\\\\evil.example\\share\\x.docx", False),
        ("//evil.example/share/x.docx", False),
        ("C:\\Windows\\System32\\calc.exe", False),
    ]:
        data = hostile_office.repack(
            documents.report_docx()[1],
            edit={
                hostile_office.DOC_RELS: hostile_office.add_relationship(
                    f"{hostile_office.R_OFFICE}/hyperlink", target, True
                )
            },
        )
        if ok:
            inspect("links.docx", data)
        else:
            with pytest.raises(UploadError) as info:
                inspect("links.docx", data)
            assert info.value.extra["found"] == "external_relationship"


@pytest.mark.parametrize(
    "build, most_inflated",
    [
        # 250 MB of instruction in one w:instrText: stopped at the field limit (16 Mi characters).
        (hostile_office.docx_huge_instruction, 20 << 20),
        # A 40 MB attribute: stopped once 2 MiB went by without expat reporting anything.
        (hostile_office.docx_huge_simple_field, 4 << 20),
    ],
    ids=lambda v: getattr(v, "__name__", str(v)),
)
def test_what_a_file_can_multiply_is_refused_before_the_work(build, most_inflated):
    name, data, _ = build()
    counter = InflateCounter()
    with pytest.raises(UploadError) as info:
        inspect(name, data, counter=counter)
    assert info.value.extra["found"] == "zip_limits"
    assert counter.inflated <= most_inflated


def test_a_vml_drawing_is_tag_soup_only_where_excel_writes_one():
    """Excel's legacy drawings are not well-formed (a button caption's `<br>`): accepted when
    only a vmlDrawing relationship reaches the part, refused when a header does."""
    name, data, mime = documents.excel_button_xlsx()
    assert inspect(name, data).mime == mime
    name, data, found = hostile_office.docx_tag_soup_header()
    with pytest.raises(UploadError) as info:
        inspect(name, data)
    assert info.value.extra["found"] == found == "malformed"


def test_binary_parts_that_start_like_xml_are_not_refused_for_it():
    """An embedded font is obfuscated (its first 32 bytes XORed with a GUID: random), so one
    in 256 starts with `<`: parsed as XML on the chance, never refused for not being XML."""
    font = b"<" + random.Random(7).randbytes(20_000)
    data = hostile_office.repack(
        documents.report_docx()[1],
        {"word/fonts/font1.odttf": font},
        {
            "word/_rels/document.xml.rels": hostile_office.add_relationship(
                f"{hostile_office.R_OFFICE}/font", "fonts/font1.odttf", rel_id="rIdFont"
            ),
            "[Content_Types].xml": hostile_office.add_content_type(
                '<Default Extension="odttf" '
                'ContentType="application/vnd.openxmlformats-officedocument.obfuscatedFont"/>'
            ),
        },
    )
    assert inspect("fonts.docx", data).mime == documents.DOCX


def test_a_zip_without_the_main_part_is_not_a_document():
    name, data, _ = documents.budget_xlsx()
    with pytest.raises(UploadError) as info:
        inspect("budget.docx", data)
    assert (info.value.code, info.value.status) == ("content_mismatch", 415)


@pytest.mark.parametrize(
    "build", [documents.report_docx, documents.budget_xlsx, documents.letter_doc], ids=lambda b: b.__name__
)
def test_damaged_documents_are_refused_as_errors_of_the_contract_never_crashes(build):
    """Random damage (flipped bytes, overwritten runs, truncation) gives a verdict: accepted
    or an UploadError (never a zlib, struct or olefile exception: that would be a 500)."""
    import random

    name, honest, _ = build()
    rnd = random.Random(name)
    for _ in range(60):
        data = bytearray(honest)
        kind = rnd.choice(["flip", "run", "truncate"])
        if kind == "flip":
            for _ in range(3):
                data[rnd.randrange(len(data))] = rnd.randrange(256)
        elif kind == "run":
            at = rnd.randrange(len(data) - 64)
            data[at : at + 50] = rnd.randbytes(50)
        else:
            del data[rnd.randrange(len(data)) :]
        try:
            inspect(name, bytes(data))
        except UploadError:
            pass


def test_a_compound_file_that_is_not_a_word_document_is_not_a_doc():
    """An .msi installer is a compound file too: named .doc, it has no WordDocument stream."""
    from tests.support import cfb

    installer = cfb.write({"\x05SummaryInformation": b"\xfe\xff" + b"\0" * 200, "\u4840\u3b3f\u43f2": b"\0" * 5000})
    with pytest.raises(UploadError) as info:
        inspect("setup.doc", installer)
    assert (info.value.code, info.value.status) == ("content_mismatch", 415)


@pytest.mark.parametrize(
    "data",
    [b"PK\x05\x06\x00", b"PK\x03\x04" + b"\x00" * 40 + b"PK\x05\x06", b"PK\x05\x06" + b"\x00" * 16 + b"\xff\xff"],
    ids=["end-record-cut-short", "signature-at-the-very-end", "comment-longer-than-the-file"],
)
def test_broken_end_records_are_malformed(data):
    with pytest.raises(UploadError) as info:
        inspect("x.docx", data)
    assert info.value.extra["found"] == "malformed"


@pytest.mark.parametrize(
    "events, found",
    [
        # Fields Word writes in honest documents.
        (["begin", " PAGE ", "separate", "end"], None),
        (["begin", ' TOC \\o "1-3" \\h ', "separate", "end"], None),
        (["begin", ' HYPERLINK "https://example.com" ', "separate", "end"], None),
        (["begin", " IF ", "begin", " MERGEFIELD Name ", "separate", "end", ' = "" "x" ', "separate", "end"], None),
        (["begin", " ADDIN ZOTERO_ITEM CSL_CITATION " + "{}" * 5000, "separate", "end"], None),
        # Keywords that run or fetch, however they are split.
        (["begin", " DD", "EAUTO c:\\cmd.exe ", "separate", "end"], "dde"),
        (["begin", ' "DDE" x ', "end"], "dde"),
        (["begin", " includepicture http://x/p.png \\d ", "end"], "external_field"),
        (["begin", " IF 1 = 1 ", "begin", " INCLUDETEXT x.docx ", "end", "separate", "end"], "external_field"),
        (["begin", " LINK Excel.Sheet.12 x.xlsx ", "begin"], "external_field"),
        # A keyword computed by a nested field, before or inside the keyword.
        (["begin", " ", "begin", " QUOTE 68 68 69 ", "separate", "end", " cmd ", "end"], "external_field"),
        (["begin", " DD", "begin", " QUOTE 69 ", "end", "AUTO cmd ", "end"], "external_field"),
    ],
)
def test_field_instructions_are_judged_by_their_keyword_at_every_level(events, found):
    from upload_core.inspect.fields import FieldReader

    reader = FieldReader("test", Limits(), [Limits().max_field_chars], "zip_limits")
    try:
        for event in events:
            if event in ("begin", "separate", "end"):
                getattr(reader, event)()
            else:
                reader.text(event)
        reader.close()
    except UploadError as exc:
        assert exc.extra["found"] == found, exc.message
    else:
        assert found is None


def test_field_text_is_counted_in_characters_across_the_document():
    from upload_core.inspect.fields import FieldReader

    budget = [1000]
    first = FieldReader("a", Limits(), budget, "zip_limits")
    first.begin()
    first.text(" PAGE " + " " * 600)
    first.end()
    second = FieldReader("b", Limits(), budget, "zip_limits")
    second.begin()
    with pytest.raises(UploadError) as info:
        second.text(" NUMPAGES " + " " * 600)
    assert info.value.extra["found"] == "zip_limits"
