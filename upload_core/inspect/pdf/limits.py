"""What a PDF may make the inspector do, each bound checked before the work it bounds.

The figures in the comments are the Debian manuals the benchmark reads (bench/bench_pdf.py):
the R reference manual (6.5 MB, 59,470 objects, 565 object streams) is the densest of them.
A file over a limit is refused as `pdf_limits` (a count or a size) before anything is
inflated, parsed or kept for it, so the inspector's memory stays flat whatever a small file
declares: the sandbox around inspection is the backstop, not the plan.
"""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024


@dataclass(frozen=True)
class PdfLimits:
    # Objects in the file: top-level ones and object-stream members, of every revision
    # (refman: 59,470). Each costs ~200 bytes of bookkeeping, so this bounds memory to ~50 MB.
    max_objects: int = 250_000
    # Entries of every cross-reference section together, in use or free (refman: 59,471).
    max_xref_entries: int = 500_000
    # Free entries: honest files have a handful (object 0, deleted objects); two million of
    # them cost pypdf 284 MB for nothing.
    max_free_entries: int = 100_000
    # Revisions (%%EOF markers) and xref sections: an incremental update adds one of each;
    # documents signed many times have dozens.
    max_revisions: int = 4096
    # One top-level object's text, stream data excluded (a dictionary, an array): held
    # while it is read. The largest in the manuals is a few KB.
    max_object_text: int = 8 * MiB
    # An object or cross-reference stream's stored bytes, held to be inflated (refman: 32 KB).
    max_stream_stored: int = 16 * MiB
    # What one object or cross-reference stream may inflate to (refman: at most 53 KB) ...
    max_stream_inflated: int = 16 * MiB
    # ... and all of them together (refman: 6.7 MB for a 6.5 MB file).
    max_inflated_total: int = 256 * MiB
    # Objects one object stream may declare (pdfTeX and qpdf write 100 at most).
    max_objstm_objects: int = 20_000
    # Arrays and dictionaries inside each other. The census measures nesting on the
    # brackets alone, where a dictionary counts as two levels: 128 is ~64 real levels
    # (the manuals nest 6).
    max_nesting: int = 128
    # Array and dictionary delimiters in the whole file ([, ], <, >): refman has 0.54 million.
    max_brackets: int = 32_000_000
    # Objects the rules read as trees (actions, stream dictionaries, trailers): their
    # elements together, one string's bytes, one name's bytes.
    max_tree_elements: int = 2_000_000
    max_string_bytes: int = 4 * MiB
    max_name_bytes: int = 4096


LIMITS = PdfLimits()
