"""The acceptance rules, fed bytes directly: the same functions serve both paths."""

import pytest

from tests.support import samples
from upload_core.config import Config
from upload_core.errors import UploadError
from upload_core.inspect.rules import Sample, check_content, check_declared_type, check_name
from upload_core.inspect.sniff import libmagic_version

CONFIG = Config(bucket="b")


def test_the_bundled_libmagic_is_the_one_deployed():
    assert libmagic_version() == 541


@pytest.mark.parametrize(
    "make, name, expected",
    [
        (samples.png, "photo.png", "image/png"),
        (samples.jpeg, "photo.jpg", "image/jpeg"),
        (samples.jpeg, "photo.JPEG", "image/jpeg"),
        (samples.gif, "anim.gif", "image/gif"),
        (samples.pdf, "paper.pdf", "application/pdf"),
        (samples.docx, "report.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ],
)
def test_real_files_pass(make, name, expected):
    assert check_content(name, Sample.of_bytes(make()), CONFIG) == expected


@pytest.mark.parametrize(
    "make, name, code",
    [
        (lambda: samples.SCRIPT, "cute.png", "content_type_not_allowed"),
        (lambda: samples.HTML, "page.jpg", "content_type_not_allowed"),
        (lambda: samples.SVG, "logo.png", "content_type_not_allowed"),
        (lambda: samples.PE, "setup.pdf", "content_type_not_allowed"),
        (lambda: samples.ELF, "doc.docx", "content_type_not_allowed"),
        (lambda: samples.PHP, "avatar.gif", "content_type_not_allowed"),
        (samples.pdf, "photo.png", "content_mismatch"),
        (samples.png, "paper.pdf", "content_mismatch"),
        (samples.jpeg, "anim.gif", "content_mismatch"),
        (samples.plain_zip, "report.docx", "content_mismatch"),
        (samples.docx_without_document, "report.docx", "content_mismatch"),
        (samples.docx_with_macros, "report.docx", "unsafe_content"),
        (samples.docx_zip_bomb, "report.docx", "unsafe_content"),
        (samples.png_with_script, "photo.png", "unsafe_content"),
        (samples.pdf_with_javascript, "paper.pdf", "unsafe_content"),
        (lambda: b"", "empty.png", "empty_file"),
    ],
)
def test_hostile_or_wrong_content_is_refused(make, name, code):
    with pytest.raises(UploadError) as info:
        check_content(name, Sample.of_bytes(make()), CONFIG)
    assert info.value.code == code


def test_a_docx_is_confirmed_from_the_zip_directory_not_the_first_bytes():
    data = samples.docx()
    # Only 8 KiB of head: libmagic alone cannot tell; the zip's directory at the end can.
    sample = Sample(head=data[:8192], size=len(data), source=__import__("io").BytesIO(data))
    assert check_content("r.docx", sample, CONFIG).endswith("wordprocessingml.document")


def test_declared_size_must_match_what_landed():
    with pytest.raises(UploadError) as info:
        check_content("p.png", Sample.of_bytes(samples.png()), CONFIG, declared_size=len(samples.png()) + 1)
    assert info.value.code == "size_mismatch"


def test_size_limit_applies_to_content():
    small = Config(bucket="b", max_upload_bytes=50)
    with pytest.raises(UploadError) as info:
        check_content("p.png", Sample.of_bytes(samples.png()), small)
    assert info.value.code == "too_large"
    assert info.value.status == 413


@pytest.mark.parametrize("name", ["virus.exe", "script.sh", "page.html", "noext", "image.svg", "archive.zip"])
def test_extensions_off_the_allow_list_are_refused_with_the_list(name):
    with pytest.raises(UploadError) as info:
        check_name(name, CONFIG)
    assert info.value.code == "extension_not_allowed"
    assert info.value.status == 415
    assert info.value.extra["allowed_extensions"] == list(CONFIG.allowed_extensions)


def test_the_allow_list_is_configurable():
    only_pdf = Config(bucket="b", allowed_extensions=("pdf",))
    with pytest.raises(UploadError):
        check_name("photo.png", only_pdf)
    with pytest.raises(UploadError) as info:
        check_content("photo.pdf", Sample.of_bytes(samples.png()), only_pdf)
    assert info.value.code == "content_type_not_allowed"


@pytest.mark.parametrize(
    "declared, expected",
    [
        (None, "image/png"),
        ("image/png", "image/png"),
        ("IMAGE/PNG; charset=binary", "image/png"),
    ],
)
def test_declared_type_defaults_to_the_extensions_type(declared, expected):
    _, ftype = check_name("a.png", CONFIG)
    assert check_declared_type(declared, ftype, CONFIG) == expected


@pytest.mark.parametrize(
    "declared, code", [("text/html", "content_type_not_allowed"), ("application/pdf", "content_mismatch")]
)
def test_declared_type_must_fit_the_extension(declared, code):
    _, ftype = check_name("a.png", CONFIG)
    with pytest.raises(UploadError) as info:
        check_declared_type(declared, ftype, CONFIG)
    assert info.value.code == code
