"""Hostile PDFs aimed at the gap between one parse and a viewer's (issue 17), built the way an
attacker builds them: a real document (fpdf2, pikepdf) with raw bytes appended or patched in
place, so everything but the trick is what real writers write.

Each structural trick comes twice: with a payload a viewer would run (a catalog with
document JavaScript, what the tests show PDFium or MuPDF really picking up), and with a
harmless one, so the structural rule is seen refusing on its own (`pdf_ambiguous`) and not
only the census finding the script wherever it hides (`pdf_javascript`).

`hostile()` lists (filename, builder, expected found code) for every tier's tests.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from collections.abc import Callable
from functools import cache

from . import corpus

# What a viewer runs when the document opens: document-level JavaScript (PDFium counts it
# with FPDFDoc_GetJavaScriptActionCount) and an /OpenAction script.
SCRIPT = b"<< /S /JavaScript /JS (app.alert('pwned')) >>"
JS_CATALOG = (
    b"<< /Type /Catalog /Pages 1 0 R /Names << /JavaScript << /Names [(run) " + SCRIPT + b"] >> >> "
    b"/OpenAction " + SCRIPT + b" >>"
)
# The same catalog object, changed harmlessly (a viewer setting).
PLAIN_CATALOG = b"<< /Type /Catalog /Pages 1 0 R /PageMode /UseOutlines >>"
PAYLOADS = {"js": JS_CATALOG, "plain": PLAIN_CATALOG}
CATALOG = 2  # fpdf2 writes the catalog as object 2, the page tree as object 1


@cache
def base() -> bytes:
    """A real two-page report from fpdf2 (classic xref table, catalog 2 0 R)."""
    return corpus.fpdf_document(2, seed=21)


def trailer_of(data: bytes) -> tuple[int, int]:
    """The last trailer's /Size and the last startxref."""
    size = int(re.findall(rb"/Size (\d+)", data)[-1])
    return size, int(re.findall(rb"startxref\s+(\d+)", data)[-1])


def revision(
    data: bytes, objects: list[tuple[int, bytes]], kind: bytes = b"n", listed: bool = True, extra: bytes = b""
) -> bytes:
    """An incremental update appended by hand: new objects, an xref section listing them
    (entry type `kind`, or none when not `listed`), a trailer chained by /Prev."""
    size, prev = trailer_of(data)
    out = bytearray(data)
    offsets = {}
    for num, body in objects:
        offsets[num] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (num, body)
    at = len(out)
    out += b"xref\n"
    if listed:
        for num in sorted(offsets):
            out += b"%d 1\n%010d 00000 %s \n" % (num, offsets[num], kind)
    size = max([size] + [num + 1 for num in offsets])
    out += b"trailer\n<< /Size %d /Root %d 0 R /Prev %d %s>>\nstartxref\n%d\n%%%%EOF\n" % (
        size,
        CATALOG,
        prev,
        extra,
        at,
    )
    return bytes(out)


# --- every reader's view ------------------------------------------------------------------


def odd_xref_type(payload: str) -> bytes:
    """An update whose xref entry for the new catalog has type `x`: pypdf drops the entry and
    reads the old catalog; PDFium keeps it; MuPDF rebuilds and takes the new object."""
    return revision(base(), [(CATALOG, PAYLOADS[payload])], kind=b"x")


def unlisted_object(payload: str) -> bytes:
    """An update that adds a new catalog but lists nothing: in no xref, found by a rebuild."""
    return revision(base(), [(CATALOG, PAYLOADS[payload])], listed=False)


def past_the_window(payload: str) -> bytes:
    """The unlisted catalog, then 2,000 bytes of whitespace after %%EOF: MuPDF finds no
    startxref in its last 1,024 bytes, rebuilds by scanning, and the later catalog wins;
    PDFium (4,096 bytes) and pypdf read the xref and see the old one."""
    return unlisted_object(payload) + b" " * 2000


@cache
def linearized() -> bytes:
    """The report linearized by qpdf (pikepdf, linearize=True)."""
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(base()))
    out = io.BytesIO()
    pdf.save(out, linearize=True)
    return out.getvalue()


def first_page_disagrees(payload: str) -> bytes:
    """A linearized file whose first-page xref puts the catalog at a new object appended at
    the end, while a new main section, which startxref points at, keeps the old one: pdf.js
    and PDFium read the first-page xref of a linearized file (its /L is the file's length),
    qpdf and pypdf go by startxref."""
    data = bytearray(linearized())
    catalog = int(re.search(rb"/Root (\d+) 0 R", data).group(1))
    first_xref = data.index(b"xref", data.index(b"endobj"))
    header = re.compile(rb"xref\s+(\d+) (\d+)\s+").match(data, first_xref)
    first, count = int(header.group(1)), int(header.group(2))
    rows = header.end()
    old = {first + i: int(data[rows + 20 * i : rows + 20 * i + 10]) for i in range(count)}
    main_xref = int(re.search(rb"/Prev (\d+)", data).group(1))
    appended = len(data)
    body = PAYLOADS[payload].replace(b"/Pages 1 0 R", re.search(rb"/Pages \d+ 0 R", data).group(0))
    data += b"%d 0 obj\n%s\nendobj\n" % (catalog, body)
    i = catalog - first
    data[rows + 20 * i : rows + 20 * i + 10] = b"%010d" % appended
    section = len(data)
    data += b"xref\n%d %d\n" % (first, count)
    data += b"".join(b"%010d 00000 n \n" % old[n] for n in range(first, first + count))
    data += b"trailer\n<< /Size %d /Root %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        first + count,
        catalog,
        main_xref,
        section,
    )
    length = re.search(rb"/L (\d+)", data)
    assert len(str(len(data))) == len(length.group(1)), "the new length must fit where /L is"
    data[length.start(1) : length.end(1)] = b"%d" % len(data)
    return bytes(data)


def hidden_in_stream(payload: str) -> bytes:
    """An update whose new content stream carries, in its data, a whole object: readers that
    trust /Length step over it; pdf.js's rebuild (indexObjects) takes every `N G obj` line."""
    data = b"q Q\n%d 0 obj\n%s\nendobj\n" % (CATALOG, PAYLOADS[payload])
    return revision(base(), [(16, b"<< /Length %d >>\nstream\n%s\nendstream" % (len(data), data))])


def same_object_twice(payload: str) -> bytes:
    """One revision holding the catalog twice (the xref lists the first); rebuilding readers
    keep the later one."""
    data = base()
    at = data.index(b"3 0 obj")
    extra = b"%d 0 obj\n%s\nendobj\n" % (CATALOG, PAYLOADS[payload])
    return _shifted(data, at, extra)


def _shifted(data: bytes, at: int, extra: bytes) -> bytes:
    """`extra` inserted at `at`, with the xref table's offsets and startxref moved to match."""
    out = data[:at] + extra + data[at:]
    xref = out.rindex(b"\nxref\n") + 1

    def move(found: re.Match[bytes]) -> bytes:
        offset = int(found.group(1))
        return b"%010d%s" % (offset + len(extra) if offset >= at else offset, found.group(2))

    table_end = out.index(b"trailer", xref)
    table = re.sub(rb"(\d{10})( \d{5} n)", move, out[xref:table_end])
    tail = out[table_end:]
    start = int(re.findall(rb"startxref\s+(\d+)", tail)[-1])
    tail = re.sub(rb"startxref\s+\d+", b"startxref\n%d" % (start + len(extra)), tail)
    return out[:xref] + table + tail


def unreachable_section() -> bytes:
    """An xref section and trailer appended but never chained: startxref still names the old
    table. pdf.js's rebuild collects every trailer it scans and may take that one."""
    data = base()
    size, prev = trailer_of(data)
    out = bytearray(data)
    at = len(out)
    out += b"%d 0 obj\n%s\nendobj\n" % (CATALOG, PLAIN_CATALOG)
    section = len(out)
    out += b"xref\n%d 1\n%010d 00000 n \ntrailer\n<< /Size %d /Root %d 0 R >>\n" % (CATALOG, at, size, CATALOG)
    out += b"startxref\n%d\n%%%%EOF\n" % prev
    assert section > 0
    return bytes(out)


def prev_loop() -> bytes:
    """An update whose trailer's /Prev points at itself."""
    data = base()
    _, prev = trailer_of(data)
    out = revision(data, [(CATALOG, PLAIN_CATALOG)])
    section = trailer_of(out)[1]
    return out.replace(b"/Prev %d" % prev, b"/Prev %d" % section).replace(
        b"/Prev %d " % section, b"/Prev %d " % section
    )


def startxref_in_comment() -> bytes:
    """A comment after the real startxref holding another: MuPDF and pdf.js search the tail
    backwards for the word, and land elsewhere than a reader that parses the trailer."""
    data = revision(base(), [(CATALOG, PLAIN_CATALOG)])
    return data[: -len(b"%%EOF\n")] + b"% startxref 15\n%%EOF\n"


def wrong_entry() -> bytes:
    """The table says object 3 is where object 5 starts."""
    data = bytearray(base())
    xref = data.rindex(b"\nxref\n") + 1
    rows = data.index(b"\n", xref + 5) + 1
    fifth = bytes(data[rows + 20 * 5 : rows + 20 * 5 + 10])
    data[rows + 20 * 3 : rows + 20 * 3 + 10] = fifth
    return bytes(data)


def length_misses_endstream() -> bytes:
    """A stream whose /Length stops short of endstream: readers that trust /Length and readers
    that search for endstream take different data."""
    return revision(base(), [(16, b"<< /Length 3 >>\nstream\nq Q BT ET\nendstream")])


def broken_name_escape() -> bytes:
    """`/JavaScript#` and `/JS#`: pdf.js keeps the `#`, other readers drop it."""
    return revision(base(), [(16, b"<< /S /JavaScript# /JS# (app.alert(1)) >>")])


def key_twice() -> bytes:
    """An /OpenAction naming /S twice: GoTo for the readers that keep the first, URI for
    the ones that keep the last."""
    action = b"<< /S /GoTo /D [3 0 R /Fit] /S /URI /URI (https://evil.example/) >>"
    body = b"<< /Type /Catalog /Pages 1 0 R /OpenAction 16 0 R >>"
    return revision(base(), [(CATALOG, body), (16, action)])


def xref_stream_pdf(rows: list[tuple[int, int, int]], objects: list[bytes], extra: bytes = b"") -> bytes:
    """A PDF 1.5 file written by hand: `objects` are objects 1, 2, ...; `rows` are the xref
    stream's entries for objects 1, 2, ... (a type-1 row takes its object's offset); the
    stream itself comes last, listed by its own final row."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    own = len(rows) + 1
    at = len(out)
    table = [(0, 0, 65535)] + [(kind, offsets[i] if kind == 1 else a, b) for i, (kind, a, b) in enumerate(rows)]
    table.append((1, at, 0))
    packed = b"".join(struct.pack(">BIH", *row) for row in table)
    out += b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Length %d %s>>\nstream\n" % (
        own,
        own + 1,
        len(packed),
        extra,
    )
    out += packed + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % at
    return bytes(out)


SIMPLE = [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
]
SIMPLE_CLASSIC = [SIMPLE[0].replace(b">>", b"/Metadata 6 0 R >>"), SIMPLE[1], SIMPLE[2]]


def xref_stream_type_3() -> bytes:
    """An xref stream entry of type 3 (the spec says: treat as null; readers differ)."""
    return xref_stream_pdf([(1, 0, 0), (1, 0, 0), (3, 0, 0)], SIMPLE)


def entry_into_a_plain_stream() -> bytes:
    """A type-2 entry into a stream that is no object stream (pdf.js does not check /Type)."""
    objects = SIMPLE + [b"<< /N 1 /First 4 /Length 10 >>\nstream\n9 0 << >>\nendstream"]
    return xref_stream_pdf([(1, 0, 0), (1, 0, 0), (1, 0, 0), (1, 0, 0), (2, 4, 0)], objects)


def written_by_hand(objects: list[bytes], extra_trailer: bytes = b"", hybrid: bytes | None = None) -> bytes:
    """A classic file, objects 1, 2, ... and an xref table, as old writers (Ghostscript,
    Distiller) and attackers' scripts write it; with `hybrid`, an object stream (object n+1,
    holding that one object as n+2) listed by a cross-reference stream (n+3) that the table's
    trailer names in /XRefStm, as Word writes a hybrid-reference file."""
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    n = len(objects)
    if hybrid is not None:
        data = b"%d 0 " % (n + 2) + hybrid
        offsets.append(len(out))
        out += b"%d 0 obj\n<< /Type /ObjStm /N 1 /First %d /Length %d >>\nstream\n%s\nendstream\nendobj\n" % (
            n + 1,
            len(b"%d 0 " % (n + 2)),
            len(data),
            data,
        )
        row = struct.pack(">BIH", 2, n + 1, 0)
        stream_at = len(out)
        out += (
            b"%d 0 obj\n<< /Type /XRef /Size %d /Index [%d 1] /W [1 4 2] /Length %d >>\nstream\n%s\nendstream\nendobj\n"
            % (
                n + 3,
                n + 4,
                n + 2,
                len(row),
                row,
            )
        )
        extra_trailer += b" /XRefStm %d" % stream_at
    table = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(offsets) + 2 if hybrid is not None else len(offsets) + 1,
        extra_trailer,
        table,
    )
    return bytes(out)


def indirect_length(value_delta: int = 0) -> bytes:
    """A content stream whose /Length is an object after it, as Ghostscript writes it."""
    content = b"BT /F1 12 Tf 72 712 Td (Hello) Tj ET"
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>"
    return written_by_hand(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            page,
            b"<< /Length 5 0 R >>\nstream\n" + content + b"\nendstream",
            b"%d" % (len(content) + value_delta),
        ]
    )


def hybrid(payload: bytes = b"<< /Producer (Word) >>", xrefstm: int | None = None) -> bytes:
    """A hybrid-reference file; `xrefstm` moves its /XRefStm elsewhere."""
    data = written_by_hand(SIMPLE_CLASSIC, hybrid=payload)
    if xrefstm is not None:
        data = re.sub(rb"/XRefStm \d+", b"/XRefStm %d" % xrefstm, data)
    return data


# --- actions that run by themselves ------------------------------------------------------------


def escaped_open_action() -> bytes:
    """/OpenAction spelled with an escape (`/Op#65nAction`), running a URI action."""
    body = b"<< /Type /Catalog /Pages 1 0 R /Op#65nAction << /S /U#52I /URI (https://evil.example/) >> >>"
    return revision(base(), [(CATALOG, body)])


def with_pikepdf(change: Callable[..., None]) -> bytes:
    """The report opened and changed by pikepdf (qpdf), as an attacker's script would."""
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(base()))
    change(pdf, pikepdf)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


# Not navigation: each refused on open, whatever it does (an allow-list, not a deny-list).
ON_OPEN = {
    "URI": {"URI": "https://evil.example/"},
    "GoToR": {"F": "other.pdf", "D": [0, "/Fit"]},
    "GoToE": {"T": {"R": "/C", "N": "a.pdf"}, "D": [0, "/Fit"]},
    "Thread": {"D": 0},
    "Rendition": {"OP": 0},
    "Sound": {"Sound": 0},
    "Movie": {"T": "clip"},
    "Hide": {"T": "field", "H": True},
    "SetOCGState": {"State": ["/OFF"]},
    "Trans": {"Trans": {}},
    "GoTo3DView": {"TA": 0, "V": 0},
    "ResetForm": {},
    "Named-Print": {"N": "/Print"},
}


def open_action(kind: str) -> bytes:
    def change(pdf, pikepdf) -> None:
        action = pikepdf.Dictionary(S=pikepdf.Name("/" + kind.split("-")[0]))
        for key, value in ON_OPEN[kind].items():
            action[pikepdf.Name("/" + key)] = _value(pikepdf, value)
        pdf.Root.OpenAction = pdf.make_indirect(action)

    return with_pikepdf(change)


def _value(pikepdf, value):
    if isinstance(value, str):
        return pikepdf.Name(value) if value.startswith("/") else pikepdf.String(value)
    if isinstance(value, list):
        return pikepdf.Array([_value(pikepdf, v) for v in value])
    if isinstance(value, dict):
        return pikepdf.Dictionary({"/" + k: _value(pikepdf, v) for k, v in value.items()})
    return value


def next_chain(form: str) -> bytes:
    """/OpenAction is a harmless GoTo whose /Next leads to a URI action, in each of the forms
    /Next takes: a dictionary, a reference to one, an array, a reference to an array, an array
    of references."""

    def change(pdf, pikepdf) -> None:
        uri = pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://evil.example/"))
        nav = pikepdf.Dictionary(S=pikepdf.Name.Named, N=pikepdf.Name.NextPage)
        following = {
            "dict": uri,
            "indirect": pdf.make_indirect(uri),
            "array": pikepdf.Array([nav, uri]),
            "indirect-array": pdf.make_indirect(pikepdf.Array([nav, uri])),
            "array-of-indirect": pikepdf.Array([pdf.make_indirect(nav), pdf.make_indirect(uri)]),
        }[form]
        page = pdf.pages[0].obj
        pdf.Root.OpenAction = pikepdf.Dictionary(
            S=pikepdf.Name.GoTo, D=pikepdf.Array([page, pikepdf.Name.Fit]), Next=following
        )

    return with_pikepdf(change)


# What a clicked link may not open, each spelled as a reader still reads it.
LINKS = {
    "javascript": b"(javascript:app.alert(1))",
    "octal": b"(java\\163cript:app.alert\\(1\\))",
    "spaced": b"(  \tJaVaScRiPt:app.alert(1))",
    "utf16": b"<FEFF006A00610076006100730063007200690070007400" + b"3A0061>",
    "file": b"(file:///C:/Windows/System32/calc.exe)",
    "share": b"(\\\\\\\\evil.example\\\\share\\\\report.pdf)",
    "data": b"(data:text/html,<script>alert(1)</script>)",
    "drive": b"(C:\\\\Windows\\\\System32\\\\calc.exe)",
    "network-path": b"(//evil.example/share/report.pdf)",
}


def clicked_link(kind: str) -> bytes:
    """A Link annotation on the first page whose URI action opens something else than a web
    or mail address: the reader clicks it, the system opens it."""
    page = re.search(rb"3 0 obj\n(<<.*?)\nendobj", base(), re.S).group(1)
    link = b"<< /Type /Annot /Subtype /Link /Rect [0 0 99 99] /A << /S /URI /URI " + LINKS[kind] + b" >> >>"
    return revision(base(), [(3, page.replace(b"/Annots [", b"/Annots [" + link + b" ", 1))])


def link_by_reference() -> bytes:
    """The same with the address in an object of its own (`/URI 16 0 R`), as readers resolve it."""
    page = re.search(rb"3 0 obj\n(<<.*?)\nendobj", base(), re.S).group(1)
    link = b"<< /Type /Annot /Subtype /Link /Rect [0 0 99 99] /A << /S /URI /URI 16 0 R >> >>"
    body = page.replace(b"/Annots [", b"/Annots [" + link + b" ", 1)
    return revision(base(), [(3, body), (16, LINKS["javascript"])])


def event_action(owner: str) -> bytes:
    """A URI action run on an event: the document's (will close), a page's (opened), an
    annotation's (mouse enters), a form field's (keystroke), through /AA."""

    def change(pdf, pikepdf) -> None:
        uri = pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://evil.example/"))
        page = pdf.pages[0].obj
        if owner == "document":
            pdf.Root.AA = pikepdf.Dictionary(WC=uri)
        elif owner == "page":
            page.AA = pdf.make_indirect(pikepdf.Dictionary(O=pdf.make_indirect(uri)))
        else:
            annot = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Rect=[10, 10, 90, 30])
            if owner == "annotation":
                annot.Subtype = pikepdf.Name.Link
                annot.AA = pikepdf.Dictionary(E=uri)
            else:
                annot.Subtype, annot.FT, annot.T = pikepdf.Name.Widget, pikepdf.Name.Tx, pikepdf.String("name")
                annot.AA = pikepdf.Dictionary(K=uri)
                pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([pdf.make_indirect(annot)]))
            page.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(annot)]))

    return with_pikepdf(change)


# --- resource exhaustion: small files, refused before the work -----------------------------------


def object_stream_pdf(member: bytes, count: int = 1, first_numbers: bytes | None = None) -> bytes:
    """A PDF 1.5 file whose one object stream (found through an xref stream) holds `member`,
    deflated at level 9: what turns a few KB into megabytes inflated."""
    deflater = zlib.compressobj(9)
    header = first_numbers or b"5 0 "
    packed = deflater.compress(header)
    step = 1 << 20
    for i in range(0, len(member), step):
        packed += deflater.compress(member[i : i + step])
    packed += deflater.flush()
    objects = SIMPLE + [
        b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (count, len(header), len(packed))
        + packed
        + b"\nendstream"
    ]
    return xref_stream_pdf([(1, 0, 0), (1, 0, 0), (1, 0, 0), (1, 0, 0), (2, 4, 0)], objects)


@cache
def nested_arrays() -> bytes:
    """~8 KB whose object stream inflates to 8 MB of nested arrays (pypdf: 388 MB, 11 s)."""
    return object_stream_pdf(b"[" * 4_000_000 + b"]" * 4_000_000)


@cache
def huge_string() -> bytes:
    """~60 KB whose object stream inflates to one 60 MB string (pypdf: 1,335 MB)."""
    return object_stream_pdf(b"(" + b"A" * 60_000_000 + b")")


def many_objects_declared() -> bytes:
    """An object stream that declares two million objects in a few bytes."""
    return object_stream_pdf(b"null", count=2_000_000)


@cache
def free_entries() -> bytes:
    """An update whose xref table lists two million free entries (pypdf: 284 MB)."""
    data = base()
    size, prev = trailer_of(data)
    count = 2_000_000
    rows = b"0000000000 65535 f \n" * count
    at = len(data)
    return data + b"xref\n%d %d\n%strailer\n<< /Size %d /Root %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        size,
        count,
        rows,
        size + count,
        CATALOG,
        prev,
        at,
    )


def free_entries_in_a_stream() -> bytes:
    """The same in an xref stream: two million type-0 rows deflate to a few KB."""
    data = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(SIMPLE, start=1):
        offsets.append(len(data))
        data += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    at = len(data)
    rows = b"".join(struct.pack(">BIH", 1, o, 0) for o in offsets) + struct.pack(">BIH", 1, at, 0)
    packed = zlib.compress(struct.pack(">BIH", 0, 0, 65535) * 2_000_000 + rows, 9)
    data += (
        b"4 0 obj\n<< /Type /XRef /Size 2000005 /Index [1 4 4 2000001] /W [1 4 2] /Root 1 0 R "
        b"/Filter /FlateDecode /Length %d >>\nstream\n" % len(packed)
    )
    data += packed + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % at
    return bytes(data)


def hostile() -> list[tuple[str, Callable[[], bytes], str]]:
    """Every hostile PDF of issue 17: (filename, builder, expected found code)."""
    cases: list[tuple[str, Callable[[], bytes], str]] = []
    for payload, code in (("js", "pdf_javascript"), ("plain", "pdf_ambiguous")):
        for name, build in (
            ("odd-xref-type", odd_xref_type),
            ("unlisted", unlisted_object),
            ("first-page", first_page_disagrees),
            ("twice", same_object_twice),
        ):
            cases.append((f"{name}-{payload}.pdf", lambda build=build, payload=payload: build(payload), code))
        # These two are refused by structure whatever they carry: the script is never read.
        cases.append((f"window-{payload}.pdf", lambda payload=payload: past_the_window(payload), "pdf_ambiguous"))
        cases.append((f"in-stream-{payload}.pdf", lambda payload=payload: hidden_in_stream(payload), "pdf_ambiguous"))
    cases += [
        ("unreachable.pdf", unreachable_section, "pdf_ambiguous"),
        ("prev-loop.pdf", prev_loop, "pdf_ambiguous"),
        ("startxref-comment.pdf", startxref_in_comment, "pdf_ambiguous"),
        ("wrong-entry.pdf", wrong_entry, "pdf_ambiguous"),
        ("short-length.pdf", length_misses_endstream, "pdf_ambiguous"),
        ("escape.pdf", broken_name_escape, "pdf_ambiguous"),
        ("key-twice.pdf", key_twice, "pdf_ambiguous"),
        ("xref-type-3.pdf", xref_stream_type_3, "pdf_ambiguous"),
        ("plain-stream.pdf", entry_into_a_plain_stream, "pdf_ambiguous"),
        ("indirect-length.pdf", lambda: indirect_length(-4), "pdf_ambiguous"),
        ("hybrid-elsewhere.pdf", lambda: hybrid(xrefstm=15), "pdf_ambiguous"),
        ("hybrid-js.pdf", lambda: hybrid(SCRIPT), "pdf_javascript"),
    ]
    for kind in ON_OPEN:
        cases.append((f"open-{kind}.pdf", lambda kind=kind: open_action(kind), "pdf_action"))
    cases.append(("open-escaped.pdf", escaped_open_action, "pdf_action"))
    for form in ("dict", "indirect", "array", "indirect-array", "array-of-indirect"):
        cases.append((f"next-{form}.pdf", lambda form=form: next_chain(form), "pdf_action"))
    for kind in LINKS:
        cases.append((f"link-{kind}.pdf", lambda kind=kind: clicked_link(kind), "pdf_action"))
    cases.append(("link-indirect.pdf", link_by_reference, "pdf_action"))
    for owner in ("document", "page", "annotation", "field"):
        cases.append((f"aa-{owner}.pdf", lambda owner=owner: event_action(owner), "pdf_action"))
    cases += [
        ("nested.pdf", nested_arrays, "pdf_limits"),
        ("string.pdf", huge_string, "pdf_limits"),
        ("declared.pdf", many_objects_declared, "pdf_limits"),
        ("free.pdf", free_entries, "pdf_limits"),
        ("free-stream.pdf", free_entries_in_a_stream, "pdf_limits"),
        ("no-eof.pdf", lambda: base()[: base().rindex(b"%%EOF")], "malformed"),
    ]
    return cases
