"""Reading an inline upload's multipart/form-data body, with limits that count what they say.

Werkzeug's form parsing (request.files) is not used: its `max_form_memory_size` also
bounds the decoder's carry-over buffer, so a 64 KiB limit refused ordinary photos whose
bytes happen to hold a CR or LF near a read-chunk edge (issue 10), and each of its limits
ends as the same bare 413. The inline path holds the whole body in memory anyway (Flask
has capped it at INLINE_MAX_BYTES), so it is split here in one pass: RFC 7578 parts,
CRLF line ends as every browser, curl and HTTP library sends them, delimiters found with
bytes.find (a regex over a photo's bytes cost 15 ms a MiB). File parts may be any size up
to the body cap; text fields are bounded per field; parts are counted; each refusal
carries its own code and names its limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.http import parse_options_header

from ..errors import BadRequest, TooLarge

MAX_FIELD_BYTES = 64 * 1024  # one text (non-file) field; the service reads none, a client may send some
MAX_PARTS = 100  # file parts and fields together
MAX_HEADER_BYTES = 16 * 1024  # the header block of one part


@dataclass(frozen=True)
class FilePart:
    name: str
    filename: str
    data: bytes


def file_parts(body: bytes, boundary: str, name: str = "file") -> list[FilePart]:
    """The file parts named `name`, in order. Raises BadRequest (invalid_request) for a
    malformed or truncated body, TooLarge (request_too_large) for too many parts or an
    oversized text field."""
    try:
        dash = b"--" + boundary.encode("latin-1")
    except UnicodeEncodeError:
        raise _malformed("the boundary is not Latin-1") from None
    delimiter = b"\r\n" + dash
    if body.startswith(dash):
        pos = len(dash)
    else:  # a preamble before the first delimiter is allowed, and ignored
        first = body.find(delimiter)
        if first < 0:
            raise _malformed("no boundary line")
        pos = first + len(delimiter)
    files: list[FilePart] = []
    parts = 0
    while True:
        if body.startswith(b"--", pos):  # the close delimiter; an epilogue is ignored
            return files
        line_end = body.find(b"\r\n", pos)
        if line_end < 0 or body[pos:line_end].strip(b" \t"):
            raise _malformed("a boundary line is followed by text")
        headers_end = body.find(b"\r\n\r\n", line_end, line_end + MAX_HEADER_BYTES)
        if headers_end < 0:
            raise _malformed("a part's headers do not end")
        data_start = headers_end + 4
        if body.startswith(dash, data_start):  # an empty part whose CRLF ended the headers (Werkzeug's encoder)
            data_end = headers_end + 2
        else:
            data_end = body.find(delimiter, data_start)
        if data_end < 0:
            raise _malformed("no closing boundary")
        parts += 1
        if parts > MAX_PARTS:
            raise TooLarge("request_too_large", f"The form has more than {MAX_PARTS} parts", limit=MAX_PARTS)
        field_name, filename = _disposition(body[line_end + 2 : headers_end])
        if filename is None:
            if data_end - data_start > MAX_FIELD_BYTES:
                raise TooLarge(
                    "request_too_large",
                    f"Form field {field_name!r} is over {MAX_FIELD_BYTES} bytes, the limit for a text field "
                    "(a file goes in a part with a filename)",
                    limit=MAX_FIELD_BYTES,
                )
        elif field_name == name:
            files.append(FilePart(field_name, filename, body[data_start:data_end]))
        pos = data_end + len(delimiter)


def _disposition(block: bytes) -> tuple[str, str | None]:
    """(name, filename or None) from a part's Content-Disposition header."""
    try:
        text = block.replace(b"\r\n ", b" ").replace(b"\r\n\t", b" ").decode("utf-8")
    except UnicodeDecodeError:
        raise _malformed("a part's headers are not UTF-8") from None
    for line in text.split("\r\n"):
        key, _, value = line.partition(":")
        if key.strip().lower() == "content-disposition":
            disposition, params = parse_options_header(value.strip())
            if disposition != "form-data" or "name" not in params:
                raise _malformed("a part's Content-Disposition is not form-data with a name")
            return params["name"], params.get("filename")
    raise _malformed("a part has no Content-Disposition")


def _malformed(why: str) -> BadRequest:
    return BadRequest("invalid_request", f"The multipart body is malformed or truncated: {why}")
