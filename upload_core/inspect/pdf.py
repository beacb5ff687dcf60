"""PDF inspected object by object with pypdf: every xref entry, object streams included.

Why pypdf and not pikepdf (measured in bench/bench_inspect.py's notes and the report):
pypdf is pure Python (a 0.4 MB wheel, one artifact for x86_64 and arm64, no native
code), imports in ~0.12 s, and has decompression limits of its own (75 MB inflated per
stream). pikepdf is faster per object but is a 2.8 MB native wheel that pulls Pillow and
lxml into the Lambda artifact (~25 MB installed). Inspection cost is dominated by reading
the bytes, which both must do.

What is refused (found codes in base.FOUND):
- not `%PDF-` at byte 0 (`leading_data` when a header sits further in, else `malformed`);
  anything but whitespace after the last `%%EOF` (`trailing_data`; incremental updates
  are whole revisions ending in `%%EOF`, so they pass);
- encryption (`pdf_encrypted`): an encrypted file's strings and streams cannot be read;
- /JS or /JavaScript anywhere, as a key or a name (`pdf_javascript`), so also name trees
  and actions inside object streams; names are compared after pypdf decodes `#xx`;
- /Launch, /SubmitForm, /ImportData actions anywhere, and /URI or /GoToR actions run on
  open (/OpenAction) or on an event (/AA, and their /Next chains) (`pdf_action`). A /URI
  action a user clicks (a Link annotation's /A) is allowed: honest PDFs are full of them;
- /EmbeddedFile(s) or a file specification's /EF (`pdf_embedded_file`; so also e-invoices,
  ZUGFeRD/Factur-X, which embed their XML), /RichMedia (`pdf_rich_media`), /XFA (`pdf_xfa`);
- more than MAX_OBJECTS objects, a stream declared or inflating past MAX_STREAM_BYTES
  (an object stream bomb) (`pdf_limits`).
Every object in the cross-reference table is checked, reachable from the catalog or not.
Stream data is not scanned (content streams draw; they run nothing), except object streams,
which pypdf inflates under its cap and parses into the objects they hold.

Memory: pypdf reads through a 256 KiB buffer over `source` (reads <= READ_BYTES); a stream's raw
bytes are held while its object is checked (at most MAX_STREAM_BYTES, pypdf's declared
length limit, so a PDF with a larger single stream is refused as malformed), and pypdf's
object cache is emptied after each object (or each object stream), so memory does not
grow with the number of objects (only the cross-reference table does: at most
MAX_OBJECTS entries). A read of the whole file (pypdf's repair of a broken xref) is
refused as `malformed` instead, as is anything pypdf's strict mode calls broken.
"""

from __future__ import annotations

import io
import logging
from collections import defaultdict
from typing import Any

from .base import READ_BYTES, Inspected, Limits, Source, unsafe

# The largest stream whose raw bytes are read (pypdf's default declared-length limit),
# and the most one stream (an object stream) may inflate to.
MAX_STREAM_BYTES = 75_000_000
# Objects in one PDF: a 1,000-page report has tens of thousands. pypdf keeps ~200 bytes
# of cross-reference per object (measured: +48 MiB peak RSS, 8 s, at 250,000 objects), so this
# bounds the one part of memory that grows with the file.
MAX_OBJECTS = 250_000
# The window at the end of the file in which the last %%EOF must sit.
TAIL_BYTES = 4096
_WHITESPACE = b" \t\r\n\f\0"
_MAX_DEPTH = 64

_JAVASCRIPT = {"/JS", "/JavaScript"}
_ALWAYS_ACTIONS = {"/Launch", "/SubmitForm", "/ImportData"}
_TRIGGERED_ACTIONS = {"/URI", "/GoToR"}
_EMBEDDED = {"/EmbeddedFile", "/EmbeddedFiles", "/EF"}
_RICH_MEDIA = {"/RichMedia", "/RichMediaContent", "/RichMediaSettings"}


class _UnboundedRead(Exception):
    """pypdf asked for more than one stream's worth of bytes at once."""


class _BoundedRaw(io.RawIOBase):
    """`source` under an io.BufferedReader for pypdf (which reads a byte at a time): the
    source sees reads of at most READ_BYTES, front to back as pypdf goes, and a read of
    more than one stream's worth (or of everything) is refused."""

    def __init__(self, source: Source, size: int):
        self._source, self._size, self._pos = source, size, 0
        self.refused = False

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readall(self) -> bytes:
        self.refused = True
        raise _UnboundedRead()

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self._size - self._pos)
        if n > MAX_STREAM_BYTES:
            self.refused = True
            raise _UnboundedRead()
        if n <= 0:
            return 0
        self._source.seek(self._pos)
        view, done = memoryview(buffer), 0
        while done < n:
            piece = self._source.read(min(READ_BYTES, n - done))
            if not piece:
                break
            view[done : done + len(piece)] = piece
            done += len(piece)
        self._pos += done
        return done


def inspect_pdf(source: Source, size: int, limits: Limits) -> Inspected:
    """Check the header, the tail, then every object; refuse what can act on its own."""
    source.seek(0)
    head = source.read(min(1024, size))
    if not head.startswith(b"%PDF-"):
        if b"%PDF-" in head:
            raise unsafe("leading_data", f"{head.index(b'%PDF-')} bytes come before the PDF header")
        raise unsafe("malformed", "The file does not start with %PDF-")
    source.seek(max(0, size - TAIL_BYTES))
    tail = source.read(min(TAIL_BYTES, size))
    last = tail.rfind(b"%%EOF")
    if last < 0 or tail[last + 5 :].strip(_WHITESPACE):
        raise unsafe("trailing_data", "Something other than whitespace follows the PDF's last %%EOF")
    _Walk(source, size).run()
    return Inspected("application/pdf", size)


class _Walk:
    """One pass over every object, then the few actions that run by themselves."""

    def __init__(self, source: Source, size: int):
        self.raw = _BoundedRaw(source, size)
        self.stream = io.BufferedReader(self.raw, buffer_size=256 * 1024)
        self.pending: set[tuple[int, int]] = set()  # indirect actions run on open or on an event
        self.pending_aa: set[tuple[int, int]] = set()  # indirect /AA dictionaries

    def run(self) -> None:
        import pypdf
        from pypdf.generic import IndirectObject

        logging.getLogger("pypdf").setLevel(logging.ERROR)
        try:
            with _configured(pypdf):
                self.reader = reader = pypdf.PdfReader(
                    self.stream, strict=True, xref_stream_maximum_entries=MAX_OBJECTS
                )
                count = sum(len(table) for table in reader.xref.values()) + len(reader.xref_objStm)
                if count > MAX_OBJECTS:
                    raise unsafe("pdf_limits", f"The PDF has {count} objects; at most {MAX_OBJECTS} are accepted")
                if reader.is_encrypted:
                    raise unsafe("pdf_encrypted", "The PDF is encrypted; its content cannot be inspected")
                self._check(reader.trailer, False, 0)
                # In the table's order (usually the file's): no sorted copy of a large table.
                for gen, table in list(reader.xref.items()):
                    free = reader.xref_free_entry.get(gen, {})
                    for idnum in list(table):
                        if not free.get(idnum, False):
                            self._check(reader.get_object(IndirectObject(idnum, gen, reader)), False, 0)
                            reader.resolved_objects.clear()
                by_stream: dict[int, list[int]] = defaultdict(list)
                for idnum, (stmnum, _idx) in reader.xref_objStm.items():
                    by_stream[stmnum].append(idnum)
                for members in by_stream.values():
                    for idnum in members:
                        self._check(reader.get_object(IndirectObject(idnum, 0, reader)), False, 0)
                    reader.resolved_objects.clear()
                self._run_triggered(IndirectObject)
            if self.raw.refused:  # pypdf caught the refusal and went on another way
                raise _UnboundedRead()
        except _UnboundedRead:
            raise unsafe("malformed", "The PDF's structure is broken (a repair would read it whole)") from None
        except pypdf.errors.LimitReachedError as exc:
            raise unsafe(
                "pdf_limits",
                f"The PDF is over the inspection limits ({exc}); at most {MAX_STREAM_BYTES} bytes a stream",
            ) from None
        except (pypdf.errors.PyPdfError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            if self.raw.refused:
                raise unsafe("malformed", "The PDF's structure is broken (a repair would read it whole)") from None
            raise unsafe("malformed", f"The PDF's structure is broken ({type(exc).__name__}: {exc})"[:300]) from None

    def _run_triggered(self, indirect: Any) -> None:
        """Check the actions that /OpenAction and /AA point at, and their /Next chains."""
        seen: set[tuple[int, int]] = set()
        while self.pending or self.pending_aa:
            if self.pending_aa:
                key = self.pending_aa.pop()
                obj: Any = self.reader.get_object(indirect(key[0], key[1], self.reader))
                if hasattr(obj, "items"):
                    for value in dict.values(obj):
                        self._trigger(value)
                continue
            key = self.pending.pop()
            if key in seen:
                continue
            seen.add(key)
            self._check(self.reader.get_object(indirect(key[0], key[1], self.reader)), True, 0)

    def _trigger(self, value: Any) -> None:
        from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

        if isinstance(value, IndirectObject):
            self.pending.add((value.idnum, value.generation))
        elif isinstance(value, DictionaryObject):
            self._check(value, True, 1)
        elif isinstance(value, ArrayObject):
            for item in value:
                self._trigger(item)

    def _check(self, obj: Any, triggered: bool, depth: int) -> None:
        from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

        if depth > _MAX_DEPTH:
            raise unsafe("malformed", "The PDF nests objects deeper than any real document")
        if isinstance(obj, NameObject):
            _refuse_name(str(obj))
        elif isinstance(obj, ArrayObject):
            for item in obj:
                self._check(item, False, depth + 1)
        elif isinstance(obj, DictionaryObject):
            kind = dict.get(obj, "/S")
            if triggered and isinstance(kind, NameObject) and str(kind) in _TRIGGERED_ACTIONS:
                raise unsafe("pdf_action", f"The PDF runs a {kind} action when it is opened or on an event")
            for key, value in dict.items(obj):
                _refuse_name(str(key))
                if key == "/OpenAction":
                    self._trigger(value)
                elif key == "/AA":
                    if isinstance(value, IndirectObject):
                        self.pending_aa.add((value.idnum, value.generation))
                    elif isinstance(value, DictionaryObject):
                        for action in dict.values(value):
                            self._trigger(action)
                elif key == "/Next" and triggered:
                    self._trigger(value)
                else:
                    self._check(value, False, depth + 1)


def _refuse_name(name: str) -> None:
    if name in _JAVASCRIPT:
        raise unsafe("pdf_javascript", f"The PDF carries JavaScript ({name})")
    if name in _ALWAYS_ACTIONS:
        raise unsafe("pdf_action", f"The PDF has a {name} action")
    if name in _EMBEDDED:
        raise unsafe("pdf_embedded_file", f"The PDF embeds files ({name})")
    if name in _RICH_MEDIA:
        raise unsafe("pdf_rich_media", f"The PDF carries rich media ({name})")
    if name == "/XFA":
        raise unsafe("pdf_xfa", "The PDF carries an XFA form")


class _configured:
    """pypdf's limits for this inspection: one stream's raw or inflated bytes."""

    def __init__(self, pypdf: Any):
        self._pypdf = pypdf

    def __enter__(self) -> None:
        from pypdf._configuration import CURRENT_CONFIGURATION

        self._token = CURRENT_CONFIGURATION.set(
            self._pypdf.get_configuration().with_overwrites(
                maximum_declared_stream_length=MAX_STREAM_BYTES,
                zlib_maximum_output_length=MAX_STREAM_BYTES,
                disable_legacy_handling=True,
            )
        )

    def __exit__(self, *exc: Any) -> None:
        from pypdf._configuration import CURRENT_CONFIGURATION

        CURRENT_CONFIGURATION.reset(self._token)
