import re
import unicodedata

import pytest

from upload_core.errors import UploadError
from upload_core.inspect.naming import (
    MAX_NAME_BYTES,
    content_disposition,
    extension_of,
    is_valid_id,
    new_id,
    sanitize_filename,
)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("report.pdf", "report.pdf"),
        ("отчёт.pdf", "отчёт.pdf"),
        ("報告書.docx", "報告書.docx"),
        ("e\u0301te\u0301.png", "\u00e9t\u00e9.png"),  # NFD -> NFC
        ("../../etc/passwd.png", "passwd.png"),
        ("/etc/shadow.pdf", "shadow.pdf"),
        ("C:\\Users\\me\\photo.jpg", "photo.jpg"),
        ("a\x00b.png", "ab.png"),
        ("line\nbreak\r.gif", "linebreak.gif"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),  # bidi override removed: the real extension shows
        ("zero\u200bwidth.png", "zerowidth.png"),
        ("...hidden.png", "hidden.png"),
        ("  spaced   out  .pdf", "spaced out.pdf"),
        ('what?<is>:this|"*.png', "what__is__this___.png"),
        ("trailing.dots...", "trailing.dots"),
    ],
)
def test_names_are_made_safe_and_stay_readable(raw, expected):
    assert sanitize_filename(raw) == expected


@pytest.mark.parametrize("raw", ["CON.pdf", "nul.png", "com1.docx", "LPT9", "aux", "...", "///", "\x00\x01", ". - ."])
def test_names_with_nothing_usable_left_are_refused(raw):
    with pytest.raises(UploadError) as info:
        sanitize_filename(raw)
    assert info.value.code == "invalid_filename"


@pytest.mark.parametrize("raw", ["", "   ", None])
def test_empty_names_are_refused(raw):
    with pytest.raises(UploadError) as info:
        sanitize_filename(raw)
    assert info.value.code == "empty_filename"


def test_long_names_are_cut_on_a_character_boundary_keeping_the_extension():
    name = sanitize_filename("я" * 400 + ".docx")
    assert name.endswith(".docx")
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES
    name.encode("utf-8").decode("utf-8")  # no split character


def test_ids_are_unguessable_and_url_safe():
    ids = {new_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(is_valid_id(i) and len(i) >= 22 for i in ids)
    assert not is_valid_id("../records/x")
    assert not is_valid_id("short")


def test_extension_is_the_last_suffix_lowercased():
    assert extension_of("photo.final.PNG") == "png"
    assert extension_of("README") == ""
    assert extension_of("archive.tar.gz") == "gz"


def test_content_disposition_gives_rfc6266_filename_star_and_ascii_fallback():
    header = content_disposition("отчёт 2026.pdf")
    assert header.startswith("attachment; ")
    assert "filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82%202026.pdf" in header
    assert 'filename="2026.pdf"' in header or 'filename="download.pdf"' in header
    expected = "attachment; filename=\"resume.docx\"; filename*=UTF-8''r%C3%A9sum%C3%A9.docx"
    assert content_disposition("résumé.docx") == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        # Windows opens the device for a reserved name before ANY dot: the segment goes.
        ("con.foo.png", "foo.png"),
        ("LPT1.tar.png", "tar.png"),
        ("nul .report.pdf", "report.pdf"),
        ("aux.com1.photo.jpg", "photo.jpg"),
        ("lpt\u00b9.scan.png", "scan.png"),
        ("console.png", "console.png"),  # only the exact device names
        ("icon.con.png", "icon.con.png"),  # a device name later in the name is harmless
        # An inner extension a server would run or a desktop would open loses its dot.
        ("x.php.png", "x_php.png"),
        ("shell.PHP5.jpg", "shell_PHP5.jpg"),
        ("invoice.exe.pdf", "invoice_exe.pdf"),
        ("page.html.png", "page_html.png"),
        ("a.js.svg.gif", "a_js_svg.gif"),
        ("photo.final.v2.png", "photo.final.v2.png"),  # honest dots stay
    ],
)
def test_device_names_and_dangerous_inner_extensions_are_neutralized(raw, expected):
    assert sanitize_filename(raw) == expected
    assert extension_of(sanitize_filename(raw)) == extension_of(raw)


@pytest.mark.parametrize(
    "raw, expected",
    [
        # Judged in NFKC form: fullwidth letters and dots are what the ASCII fallback and
        # Windows' best-fit mapping turn them into; the stored name keeps what was written.
        ("report.ｐｈｐ.png", "report_ｐｈｐ.png"),
        ("report．php.png", "report_php.png"),  # a fullwidth full stop is a dot
        ("report\u2024php.png", "report_php.png"),  # one dot leader
        ("a\u2488php.png", "a1_php.png"),  # "digit one full stop"
        ("ＣＯＮ.x.png", "x.png"),
        # IIS 6 reads a name only up to `;`.
        ("shell.asp;.jpg", "shell_asp;.jpg"),
        ("shell.ASPX;x.png", "shell_ASPX;x.png"),
        # Server-side extensions the first list missed.
        ("page.phtm.png", "page_phtm.png"),
        ("page.shtm.gif", "page_shtm.gif"),
        ("saved.mhtml.pdf", "saved_mhtml.pdf"),
        ("web.config.png", "web_config.png"),
        ("x.jspf.jpg", "x_jspf.jpg"),
        # Readable names stay readable.
        ("報告書（２０２６）.pdf", "報告書（２０２６）.pdf"),
        ("Ｍｅｍｏ 第３版.docx", "Ｍｅｍｏ 第３版.docx"),
        ("photo.final.v2.png", "photo.final.v2.png"),
    ],
)
def test_inner_extensions_are_judged_by_their_compatibility_form(raw, expected):
    assert sanitize_filename(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "report.ｐｈｐ.png",
        "report．ｐｈｐ.png",
        "ｘ.ＡＳＰ;.jpg",
        "a.ｓｈｔｍｌ.gif",
        "c.ｐｈｔｍ.pdf",
        "d\uff0ejsp.docx",
    ],
)
def test_the_ascii_fallback_never_restores_an_inner_extension(raw):
    from upload_core.inspect.naming import _DANGEROUS

    header = content_disposition(sanitize_filename(raw))
    fallback = re.search(r'filename="([^"]*)"', header).group(1)
    assert fallback.isascii()
    assert [s for s in fallback.lower().split(".")[1:-1] if s.split(";")[0].strip() in _DANGEROUS] == []
    assert fallback.rsplit(".", 1)[1] == extension_of(raw)


def test_the_fallback_neutralizes_names_stored_before_the_rule():
    """A record written by an older version may hold `report.ｐｈｐ.png` as it came."""
    assert 'filename="report_php.png"' in content_disposition("report.ｐｈｐ.png")


def test_every_character_whose_compatibility_form_holds_a_dot_is_a_dot():
    from upload_core.inspect.naming import _DOT_LIKE

    dot_like = [chr(c) for c in range(0x80, 0x110000) if "." in unicodedata.normalize("NFKC", chr(c))]
    assert [c for c in dot_like if not _DOT_LIKE.fullmatch(c)] == []
