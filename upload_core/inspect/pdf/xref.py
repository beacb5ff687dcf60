"""Every reader's cross-reference view of the file, held against the objects in its bytes.

Readers find objects three ways: from the last `startxref` back through /Prev (and a hybrid
file's /XRefStm), which is what everyone does first; from the first-page xref right after
the linearization dictionary, which pdf.js uses when /L is the file's length; and, when
either looks broken to them, by scanning the whole file for `N G obj` (pdf.js, PDFium,
MuPDF). The inspector censuses every object in the bytes, so what any of these finds was
checked; what is refused here is a file whose views disagree, since a viewer would then
show or run something other than what a strict reader (pypdf, qpdf) shows:

- a startxref, /Prev or /XRefStm that lands on no xref section, or a loop of them;
- an xref section no chain reaches (a rebuilding reader uses its trailer);
- a linearized file whose first-page xref and main xref give one object two places, or
  whose pdf.js view (the first-page xref) resolves any object differently from startxref's.
coverage.py then holds the entries of the sections read against the objects in the bytes.
"""

from __future__ import annotations

from ..base import unsafe
from .layout import Layout, Section
from .lexer import skip_space
from .reader import Window

# pdf.js's own whitespace (isWhiteSpace) when it steps from the first `endobj` to the first-page xref.
_JS_WHITESPACE = b" \t\r\n"


def check(layout: Layout, win: Window) -> list[Section]:
    """Refuse what readers resolve differently; the sections some reader reads."""
    sections = layout.sections
    for section in sections.values():
        if "Encrypt" in section.trailer:
            raise unsafe("pdf_encrypted", "The PDF is encrypted; its content cannot be inspected")
    if layout.undecodable:
        raise unsafe("malformed", layout.undecodable[0])
    if not layout.startxrefs:
        raise unsafe("malformed", "The PDF has no startxref: readers cannot find its objects")
    main = _chain(layout, win, layout.startxrefs[-1][1], "startxref")
    first_page = _linearized_chain(layout, win)
    reached = {section.pos for section in main + first_page}
    for pos in sections:
        if pos not in reached:
            raise unsafe(
                "pdf_ambiguous",
                f"The PDF has an xref section at offset {pos} that no startxref or /Prev reaches "
                "(a reader that rebuilds the file would use it)",
            )
    if first_page:
        _same_view(main, first_page)
    return [sections[pos] for pos in reached]


def _chain(layout: Layout, win: Window, pos: int, what: str) -> list[Section]:
    """The sections a reader reads from `pos`: each, then its /XRefStm, then its /Prev. An
    offset at the whitespace before a section is that section (every reader's lexer skips it)."""
    chain: list[Section] = []
    seen: set[int] = set()
    todo: list[tuple[int, str]] = [(pos, what)]
    while todo:
        at, why = todo.pop()
        section = layout.sections.get(at)
        if section is None:
            ahead = win.read_at(at, 256)
            at += skip_space(ahead, 0, len(ahead))
            section = layout.sections.get(at)
        if section is None:
            raise unsafe(
                "pdf_ambiguous",
                f"The PDF's {why} points at offset {at}, where there is no xref section (readers rebuild the "
                "file by scanning, each its own way)",
            )
        if at in seen:
            raise unsafe(
                "pdf_ambiguous", f"The PDF's xref sections loop through /Prev at offset {at} (readers stop, or rebuild)"
            )
        seen.add(at)
        chain.append(section)
        prev, hybrid = section.trailer.get("Prev"), section.trailer.get("XRefStm")
        if prev is not None:
            if not isinstance(prev, int):
                raise unsafe("malformed", f"The PDF's trailer at offset {at} has a /Prev that is no offset")
            todo.append((prev, "/Prev"))
        if hybrid is not None and not section.stream:
            if not isinstance(hybrid, int) or not layout.sections.get(hybrid, section).stream:
                raise unsafe(
                    "pdf_ambiguous",
                    f"The PDF's /XRefStm at offset {at} is no xref stream (readers that read it and readers that "
                    "do not see different files)",
                )
            todo.append((hybrid, "/XRefStm"))
    return chain


def _linearized_chain(layout: Layout, win: Window) -> list[Section]:
    """pdf.js's view of a linearized file: from the section right after the first `endobj`
    (within the first 1,024 bytes), when /L is the file's length. Empty when not linearized.
    Whatever pdf.js does, the first-page xref and the main one may not disagree."""
    if layout.first is None or not isinstance(layout.first[1], dict):
        return []
    params = layout.first[1]
    if not isinstance(params.get("Linearized"), (int, float)) or params["Linearized"] <= 0:
        return []
    head = win.read_at(0, 1024)
    end = head.find(b"endobj")
    chain: list[Section] = []
    if end >= 0 and params.get("L") == layout.size:
        start = end + 6
        win_head = win.read_at(start, 4096)
        start += len(win_head) - len(win_head.lstrip(_JS_WHITESPACE))
        chain = _chain(layout, win, start, "first-page xref (right after the linearization dictionary)")
    first = layout.sections.get(_section_after(layout, layout.first[0]))
    if first is not None and isinstance(first.trailer.get("Prev"), int):
        main = layout.sections.get(first.trailer["Prev"])
        if main is not None:
            others = main.entries()
            for num, entry in first.entries().items():
                other = others.get(num)
                if other is not None and entry[0] and other[0] and entry != other:
                    raise unsafe(
                        "pdf_ambiguous",
                        f"The linearized PDF's first-page xref puts object {num} elsewhere than its main xref",
                    )
    return chain


def _section_after(layout: Layout, pos: int) -> int:
    later = [at for at in layout.sections if at > pos]
    return min(later) if later else -1


def _resolution(chain: list[Section]) -> dict[int, tuple[int, int, int]]:
    view: dict[int, tuple[int, int, int]] = {}
    for section in chain:
        for num, entry in section.entries().items():
            view.setdefault(num, entry)
    return view


def _same_view(main: list[Section], first_page: list[Section]) -> None:
    if [s.pos for s in main] == [s.pos for s in first_page]:
        return
    one, other = _resolution(main), _resolution(first_page)
    for num in one.keys() | other.keys():
        a, b = one.get(num), other.get(num)
        if (a if a and a[0] else None) != (b if b and b[0] else None):
            raise unsafe(
                "pdf_ambiguous",
                f"The linearized PDF resolves object {num} one way from its first-page xref (pdf.js) and "
                "another from startxref (most readers)",
            )
