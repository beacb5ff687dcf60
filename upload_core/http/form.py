"""Reading an inline upload's multipart/form-data body, with limits that count what they say.

Werkzeug's own form parsing (request.files) is not used: its `max_form_memory_size` also
bounds the decoder's carry-over buffer, so a 64 KiB limit refused ordinary photos whose
bytes happen to hold a CR or LF near a read-chunk edge (issue 10), and each of its limits
ends as the same bare 413. Here Werkzeug's sans-io decoder gets the whole body at once
(Flask has already capped it at INLINE_MAX_BYTES, and the inline path needs it in memory
anyway), file parts may be any size up to that cap, text fields are bounded per field,
parts are counted, and each refusal carries its own code and names its limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from ..errors import BadRequest, TooLarge

MAX_FIELD_BYTES = 64 * 1024  # one text (non-file) field; the service reads none, a client may send some
MAX_PARTS = 100  # file parts and fields together


@dataclass(frozen=True)
class FilePart:
    name: str
    filename: str
    data: bytes


def file_parts(body: bytes, boundary: str, name: str = "file") -> list[FilePart]:
    """The file parts named `name`, in order. Raises BadRequest for a malformed or truncated
    body and TooLarge (request_too_large) for too many parts or an oversized text field."""
    decoder = MultipartDecoder(boundary.encode("latin-1"))
    decoder.receive_data(body)
    decoder.receive_data(None)  # the whole body is here: a missing closing boundary is an error
    files: list[FilePart] = []
    parts = 0
    current: Field | File | None = None
    chunks: list[bytes] = []
    size = 0
    try:
        event = decoder.next_event()
        while not isinstance(event, (Epilogue, NeedData)):
            if isinstance(event, (Field, File)):
                parts += 1
                if parts > MAX_PARTS:
                    raise TooLarge("request_too_large", f"The form has more than {MAX_PARTS} parts", limit=MAX_PARTS)
                current, chunks, size = event, [], 0
            elif isinstance(event, Data):
                size += len(event.data)
                if isinstance(current, Field) and size > MAX_FIELD_BYTES:
                    raise TooLarge(
                        "request_too_large",
                        f"Form field {current.name!r} is over {MAX_FIELD_BYTES} bytes, the limit for a text field "
                        "(a file goes in a part with a filename)",
                        limit=MAX_FIELD_BYTES,
                    )
                chunks.append(event.data)
                if not event.more_data and isinstance(current, File) and current.name == name:
                    data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
                    files.append(FilePart(current.name, current.filename, data))
            event = decoder.next_event()
    except ValueError:  # the decoder's word for a malformed or truncated body
        event = None
    if not isinstance(event, Epilogue):
        raise BadRequest("invalid_request", "The multipart body is malformed or truncated (no closing boundary)")
    return files
