"""The inline form reader on bodies as clients really send them, and on broken ones."""

from __future__ import annotations

import pytest

from tests.support import corpus
from upload_core.errors import UploadError
from upload_core.http.form import MAX_FIELD_BYTES, file_parts

B = "----WebKitFormBoundaryq8Zp0uYbE2tP"


def part(headers: str, data: bytes) -> bytes:
    return f"--{B}\r\n{headers}\r\n\r\n".encode() + data + b"\r\n"


def body(*parts: bytes, preamble: bytes = b"", epilogue: bytes = b"") -> bytes:
    return preamble + b"".join(parts) + f"--{B}--\r\n".encode() + epilogue


PHOTO = corpus.jpeg(50 * corpus.KB)
FILE = 'Content-Disposition: form-data; name="file"; filename="IMG 1.jpg"\r\nContent-Type: image/jpeg'


def test_file_parts_come_back_byte_for_byte_in_order():
    other = corpus.png(50 * corpus.KB)
    got = file_parts(
        body(
            part('Content-Disposition: form-data; name="note"', b"trip"),
            part(FILE, PHOTO),
            part('Content-Disposition: form-data; name="file"; filename="b.png"', other),
            part('Content-Disposition: form-data; name="thumb"; filename="t.jpg"', b"ignored"),
            preamble=b"This is a preamble\r\n",
            epilogue=b"and an epilogue",
        ),
        B,
    )
    assert [(p.filename, p.data) for p in got] == [("IMG 1.jpg", PHOTO), ("b.png", other)]


def test_rfc_5987_filenames_and_an_empty_file():
    got = file_parts(
        body(part("Content-Disposition: form-data; name=\"file\"; filename*=UTF-8''%D0%BE%D1%82.pdf", b"")), B
    )
    assert [(p.filename, p.data) for p in got] == [("от.pdf", b"")]


def test_a_photo_holding_the_boundary_text_without_its_crlf_is_still_one_part():
    data = PHOTO[:1000] + f"--{B}".encode() + PHOTO[1000:]
    assert file_parts(body(part(FILE, data)), B)[0].data == data


@pytest.mark.parametrize(
    "raw, code",
    [
        (body(part(FILE, PHOTO))[:-12], "invalid_request"),  # truncated: no closing delimiter
        (part(FILE, PHOTO), "invalid_request"),  # never closed
        (b"no boundary at all", "invalid_request"),
        (body(part("Content-Type: image/jpeg", PHOTO)), "invalid_request"),  # no Content-Disposition
        (body(part('Content-Disposition: attachment; filename="a.jpg"', PHOTO)), "invalid_request"),
        (f"--{B}\r\n".encode() + FILE.encode() + b"\r\n" + PHOTO, "invalid_request"),  # headers never end
        (body(part('Content-Disposition: form-data; name="note"', b"x" * (MAX_FIELD_BYTES + 1))), "request_too_large"),
        (body(*[part(FILE, b"x")] * 101), "request_too_large"),
    ],
    ids=[
        "truncated",
        "unclosed",
        "no-boundary",
        "no-disposition",
        "not-form-data",
        "endless-headers",
        "big-field",
        "101-parts",
    ],
)
def test_broken_or_oversized_forms_are_refused_with_their_code(raw, code):
    with pytest.raises(UploadError) as refused:
        file_parts(raw, B)
    assert refused.value.code == code


def test_a_field_at_the_limit_and_100_parts_pass():
    raw = body(part('Content-Disposition: form-data; name="note"', b"x" * MAX_FIELD_BYTES), *[part(FILE, b"x")] * 99)
    assert len(file_parts(raw, B)) == 99
