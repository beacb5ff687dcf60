"""Honest files, as cameras, phones and PDF libraries make them: every tier must accept them.

Photos are seeded noise (high entropy, like a real sensor's compressed output, the case
where a regex over the bytes finds `<svg` by chance), saved by Pillow with EXIF and XMP
where Pillow writes them. PDFs are written by fpdf2 (text, fonts, an image, links),
Pillow, and pikepdf (object streams). Everything is deterministic: a failure reproduces.

`honest()` lists them all as (filename, builder) pairs: build only what a test needs.
"""

from __future__ import annotations

import io
import random
import struct
import zlib
from collections.abc import Callable
from functools import cache

# Just under the inline limit (4 MiB) with room for the multipart envelope.
INLINE_MAX_FILE = 4 * 1024 * 1024 - 64 * 1024


def _noise_image(seed: int, width: int, height: int, mode: str = "RGB"):
    from PIL import Image

    bands = {"RGB": 3, "L": 1, "P": 1}[mode]
    image = Image.frombytes(mode, (width, height), random.Random(seed).randbytes(width * height * bands))
    if mode == "P":
        image.putpalette(random.Random(seed + 1).randbytes(768))
    return image


def _exif(seed: int):
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "Google"  # Make
    exif[0x0110] = "Pixel 8"  # Model
    exif[0x0131] = "HDR+ 1.0.641377693zd"  # Software
    exif[0x0132] = f"2026:0{1 + seed % 9}:1{seed % 10} 10:3{seed % 10}:00"  # DateTime
    exif[0x013B] = "A photographer <a@example.com>"  # Artist
    exif[0x8298] = "(c) 2026, all rights reserved"  # Copyright
    return exif


XMP_PLAIN = (
    b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:format="image/jpeg"/>'
    b'</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)


@cache
def noise_jpeg(seed: int, target_bytes: int, progressive: bool = False) -> bytes:
    """A noise photo of about `target_bytes` (q90 noise costs ~0.8 bytes a pixel), EXIF and XMP."""
    side = max(16, int((target_bytes / 0.8) ** 0.5))
    width, height = side * 4 // 3, side * 3 // 4
    out = io.BytesIO()
    _noise_image(seed, width, height).save(
        out, "JPEG", quality=90, exif=_exif(seed), xmp=XMP_PLAIN, progressive=progressive
    )
    return out.getvalue()


@cache
def noise_png(seed: int, target_bytes: int) -> bytes:
    """A noise PNG of about `target_bytes` (noise does not compress: ~3 bytes a pixel), with text chunks."""
    from PIL import PngImagePlugin

    side = max(8, int((target_bytes / 3.01) ** 0.5))
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", "GIMP 2.10.36")
    info.add_text("Comment", "Holiday photo, a < b & c > d", zip=True)
    info.add_itxt("Description", "Über den Wolken — 雲の上", lang="de", tkey="Beschreibung", zip=True)
    out = io.BytesIO()
    _noise_image(seed, side, side).save(out, "PNG", pnginfo=info, exif=_exif(seed))
    return out.getvalue()


@cache
def noise_gif(seed: int, target_bytes: int, frames: int = 1) -> bytes:
    """A noise GIF (LZW on noise grows it: ~1.4 bytes a pixel), with a comment; animated when frames > 1."""
    side = max(8, int((target_bytes / 1.45 / frames) ** 0.5))
    images = [_noise_image(seed + i, side, side, "P") for i in range(frames)]
    out = io.BytesIO()
    images[0].save(
        out, "GIF", save_all=frames > 1, append_images=images[1:], comment=b"Made with GIMP", loop=0, duration=100
    )
    return out.getvalue()


@cache
def motion_photo() -> bytes:
    """A Google motion photo: a JPEG whose XMP declares an MP4 appended after its EOI."""
    xmp = (
        b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description'
        b' xmlns:GCamera="http://ns.google.com/photos/1.0/camera/"'
        b' xmlns:Container="http://ns.google.com/photos/1.0/container/"'
        b' GCamera:MicroVideo="1" GCamera:MicroVideoVersion="1" GCamera:MicroVideoOffset="40000"'
        b' GCamera:MotionPhoto="1"><Container:Directory><rdf:Seq><rdf:li rdf:parseType="Resource">'
        b'<Container:Item Item:Mime="image/jpeg" Item:Semantic="Primary"/></rdf:li></rdf:Seq>'
        b'</Container:Directory></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    )
    out = io.BytesIO()
    _noise_image(7, 400, 300).save(out, "JPEG", quality=90, exif=_exif(7), xmp=xmp)
    return out.getvalue() + mp4_like(40_000)


def _jpeg_segment(marker: int, data: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(data) + 2) + data


def exif_with_thumbnail(thumbnail: bytes, make: bytes = b"Canon\0") -> bytes:
    """EXIF as cameras write it (an APP1 payload): IFD0 with Make, then IFD1 pointing at a
    JPEG thumbnail stored after the IFDs."""
    ifd0_at, entry = 8, 12
    ifd1_at = ifd0_at + 2 + entry + 4
    make_at = ifd1_at + 2 + 2 * entry + 4
    thumb_at = make_at + len(make)
    ifd0 = struct.pack("<H", 1) + struct.pack("<HHII", 0x010F, 2, len(make), make_at) + struct.pack("<I", ifd1_at)
    ifd1 = struct.pack("<H", 2) + struct.pack("<HHII", 0x0201, 4, 1, thumb_at)
    ifd1 += struct.pack("<HHII", 0x0202, 4, 1, len(thumbnail)) + struct.pack("<I", 0)
    return b"Exif\0\0" + b"II*\0" + struct.pack("<I", ifd0_at) + ifd0 + ifd1 + make + thumbnail


def srgb_profile() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


@cache
def camera_jpeg() -> bytes:
    """A photo as a camera writes it: APP1 EXIF first, with a 160x120 JPEG thumbnail in
    IFD1; an ICC profile (APP2); XMP; then an MPF second image (a stereo pair, an HDR gain
    map) after a few zero bytes, as real cameras leave them, the MP index pointing at it."""

    thumb = io.BytesIO()
    _noise_image(41, 160, 120).save(thumb, "JPEG", quality=80)
    photo = io.BytesIO()
    first, second = _noise_image(42, 640, 480), _noise_image(43, 640, 480)
    first.save(
        photo, "MPO", save_all=True, append_images=[second], quality=90, icc_profile=srgb_profile(), xmp=XMP_PLAIN
    )
    data = photo.getvalue()
    second_at = data.index(b"\xff\xd8\xff", 4)
    header = data.index(b"MPF\0") + 4  # MP entry offsets count from here
    entry = data.index(struct.pack("<I", second_at - header), header)
    gap = b"\0" * 6
    first = data[:entry] + struct.pack("<I", second_at + len(gap) - header) + data[entry + 4 : second_at]
    assert first[2:4] == b"\xff\xe0"  # Pillow's JFIF APP0 gives way to the camera's EXIF
    app0_end = 4 + struct.unpack(">H", first[4:6])[0]
    exif = _jpeg_segment(0xE1, exif_with_thumbnail(thumb.getvalue()))
    return first[:2] + exif + first[app0_end:] + gap + data[second_at:]


@cache
def png_with_metadata() -> bytes:
    """A PNG as an editor saves it: an ICC profile (iCCP), EXIF (eXIf), XMP in an iTXt,
    compressed and plain text chunks, a time stamp."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", XMP_PLAIN.decode("utf-8"))
    info.add_text("Comment", "Edited with <GIMP> & friends: a -> b", zip=True)
    info.add_text("Creation Time", "2026-01-01T10:00:00")
    info.add(b"tIME", struct.pack(">HBBBBB", 2026, 1, 1, 10, 0, 0))
    out = io.BytesIO()
    _noise_image(44, 300, 200).save(out, "PNG", pnginfo=info, icc_profile=srgb_profile(), exif=_exif(44))
    return out.getvalue()


@cache
def gif_with_xmp() -> bytes:
    """A GIF with an XMP packet as Adobe writes it: an application extension whose data is
    the raw packet followed by the 258-byte "magic trailer" that ends any sub-block walk."""
    data = noise_gif(45, 40_000)
    magic = bytes([1]) + bytes(range(255, -1, -1)) + b"\0"
    xmp = b"\x21\xff\x0bXMP DataXMP" + XMP_PLAIN + magic
    return data[:-1] + xmp + data[-1:]


def mp4_like(size: int) -> bytes:
    """What a phone appends: an ISO-BMFF file (ftyp box, then an mdat of video bytes)."""
    ftyp = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    mdat = random.Random(size).randbytes(size - len(ftyp) - 8)
    return ftyp + (len(mdat) + 8).to_bytes(4, "big") + b"mdat" + mdat


@cache
def fpdf_document(pages: int = 3, seed: int = 0) -> bytes:
    """A report from fpdf2: text in core and embedded fonts, a photo, external and internal links."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title("Quarterly report")
    photo = io.BytesIO(noise_jpeg(seed + 100, 60_000))
    for page in range(pages):
        pdf.add_page()
        pdf.set_font("Helvetica", size=14)
        pdf.cell(0, 10, f"Quarterly report, page {page + 1}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Times", size=11)
        pdf.multi_cell(0, 6, "Numbers went up, as did the costs of <everything> & more. " * 12)
        pdf.cell(0, 8, "Our website", link="https://example.com/report", new_x="LMARGIN", new_y="NEXT")
        pdf.image(photo, w=80)
    return bytes(pdf.output())


@cache
def pillow_pdf() -> bytes:
    """A scan-like PDF: Pillow writes two noise photos as pages."""
    out = io.BytesIO()
    first, second = _noise_image(11, 600, 800), _noise_image(12, 600, 800)
    first.save(out, "PDF", save_all=True, append_images=[second], resolution=150)
    return out.getvalue()


@cache
def pikepdf_object_streams() -> bytes:
    """The fpdf2 report re-saved by qpdf with compressed object streams and a link annotation."""
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(fpdf_document(2, seed=5)))
    link = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot,
        Subtype=pikepdf.Name.Link,
        Rect=[10, 10, 100, 30],
        A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://example.org/")),
    )
    page = pdf.pages[0].obj
    if pikepdf.Name.Annots not in page:
        page.Annots = pdf.make_indirect(pikepdf.Array())
    page.Annots.append(pdf.make_indirect(link))
    out = io.BytesIO()
    pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()


@cache
def incremental_pdf() -> bytes:
    """An fpdf2 report with an incremental update appended by pypdf (a second revision)."""
    from pypdf import PdfWriter

    writer = PdfWriter(io.BytesIO(fpdf_document(1, seed=9)), incremental=True)
    writer.add_metadata({"/Subject": "Revised"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@cache
def linearized_pdf() -> bytes:
    """The report linearized by qpdf ("fast web view": a first-page xref at the start) with its
    objects compressed into object streams."""
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(fpdf_document(2, seed=5)))
    out = io.BytesIO()
    pdf.save(out, linearize=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()


@cache
def outlined_pdf() -> bytes:
    """A manual from fpdf2: outlines (bookmarks), internal links between pages, a link out,
    and an /OpenAction that shows the first page."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    targets = [pdf.add_link() for _ in range(3)]
    for number, target in enumerate(targets, start=1):
        pdf.add_page()
        pdf.start_section(f"Chapter {number}")
        pdf.set_link(target, page=number)
        pdf.multi_cell(0, 6, f"Chapter {number}. " + "Text of the manual. " * 40)
        pdf.cell(0, 8, "Back to chapter 1", link=targets[0], new_x="LMARGIN", new_y="NEXT")
        pdf.cell(0, 8, "Home page", link="https://example.com/manual", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


@cache
def form_pdf() -> bytes:
    """The report with a fill-in form (qpdf): a text field and a checkbox, no scripts, and an
    /OpenAction that goes to the first page and then, by /Next, to the next one."""
    import pikepdf
    from pikepdf import Array, Dictionary, Name, String

    pdf = pikepdf.open(io.BytesIO(fpdf_document(2, seed=6)))
    page = pdf.pages[0].obj
    font = pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica))
    name = Dictionary(
        Type=Name.Annot, Subtype=Name.Widget, FT=Name.Tx, T=String("name"), V=String("Ada"),
        Rect=[72, 700, 300, 720], F=4, DA=String("/Helv 10 Tf 0 g"), P=page,
    )  # fmt: skip
    agree = Dictionary(
        Type=Name.Annot, Subtype=Name.Widget, FT=Name.Btn, T=String("agree"), V=Name.Off, AS=Name.Off,
        Rect=[72, 670, 86, 684], F=4, P=page,
    )  # fmt: skip
    fields = [pdf.make_indirect(name), pdf.make_indirect(agree)]
    page.Annots = pdf.make_indirect(Array(fields))
    pdf.Root.AcroForm = Dictionary(
        Fields=Array(fields), DA=String("/Helv 10 Tf 0 g"), DR=Dictionary(Font=Dictionary(Helv=font))
    )
    pdf.Root.OpenAction = Dictionary(
        S=Name.GoTo, D=Array([page, Name.Fit]), Next=Dictionary(S=Name.Named, N=Name.NextPage)
    )
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


@cache
def appended_revision_pdf() -> bytes:
    """The pikepdf report with a revision appended by hand, as an editor that saves
    incrementally writes it: a changed document-information dictionary, its xref section and
    a trailer chained by /Prev (the original is kept byte for byte before it)."""
    import re

    data = pikepdf_object_streams()
    size = int(re.findall(rb"/Size (\d+)", data)[-1])
    prev = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    root = re.findall(rb"/Root (\d+ \d+ R)", data)[-1]
    at = len(data)
    info = b"%d 0 obj\n<< /Title (Quarterly report, revised) /ModDate (D:20260101120000Z) >>\nendobj\n" % size
    xref = at + len(info)
    tail = b"xref\n%d 1\n%010d 00000 n \ntrailer\n<< /Size %d /Root %s /Info %d 0 R /Prev %d >>\n" % (
        size, at, size + 1, root, size, prev,
    )  # fmt: skip
    return data + info + tail + b"startxref\n%d\n%%%%EOF\n" % xref


def _sizes(count: int, low: int, high: int) -> list[int]:
    """`count` sizes spread from low to high on a log scale."""
    return [int(low * (high / low) ** (i / (count - 1))) for i in range(count)]


def honest() -> list[tuple[str, Callable[[], bytes]]]:
    """Every honest file: (filename, builder)."""
    cases: list[tuple[str, Callable[[], bytes]]] = []
    for i, size in enumerate(_sizes(32, 50_000, int(INLINE_MAX_FILE / 1.04))):
        cases.append((f"IMG_{i:04d}.jpg", lambda i=i, size=size: noise_jpeg(i, size, progressive=i % 4 == 3)))
    for i, size in enumerate(_sizes(8, 50_000, int(INLINE_MAX_FILE / 1.02))):
        cases.append((f"screenshot_{i}.png", lambda i=i, size=size: noise_png(100 + i, size)))
    for i, size in enumerate(_sizes(5, 50_000, int(INLINE_MAX_FILE / 1.1))):
        cases.append((f"anim_{i}.gif", lambda i=i, size=size: noise_gif(200 + i, size, frames=1 + i % 3)))
    cases += [
        ("PXL_20260101_MP.jpg", motion_photo),
        ("DSC_0042.jpg", camera_jpeg),
        ("edited.png", png_with_metadata),
        ("xmp.gif", gif_with_xmp),
        ("report.pdf", fpdf_document),
        ("long-report.pdf", lambda: fpdf_document(30, seed=1)),
        ("scan.pdf", pillow_pdf),
        ("compact.pdf", pikepdf_object_streams),
        ("revised.pdf", incremental_pdf),
        ("web.pdf", linearized_pdf),
        ("manual.pdf", outlined_pdf),
        ("form.pdf", form_pdf),
        ("edited.pdf", appended_revision_pdf),
    ]
    return cases


# Exact sizes ----------------------------------------------------------------------
# Photos as cameras and phones make them, for anything that depends on size or bytes.
#
# Noise does not compress, so a noise photo of N bytes is N bytes of high-entropy data with
# every byte value, CR and LF included, spread through it: what broke the inline path
# (issue 10) and what toy samples never show. Deterministic (seeded) and cached, so every
# tier (inline, presigned, multipart, CLI, browser page) can use the same files cheaply.
#
#    jpeg(size)  a baseline JPEG of exactly `size` bytes (padded with COM segments)
#    png(size)   a PNG of exactly `size` bytes (padded with a tEXt chunk)
#    gif(size)   a GIF of at most `size` bytes, within a few KB of it

KB = 1000
MiB = 1024 * 1024
# The sizes the tests walk through: small to just under the default inline limit (4 MiB).
SIZES = (50 * KB, 319 * KB, 800 * KB, 1900 * KB, 4 * MiB - 1024)


def _encode(fmt: str, width: int, height: int, seed: int) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        _noise_image(seed, width, height).save(out, "JPEG", quality=92)
    elif fmt == "PNG":
        _noise_image(seed, width, height).save(out, "PNG", compress_level=1)
    else:
        _noise_image(seed, width, height, mode="L").convert("P", palette=0).save(out, "GIF")
    return out.getvalue()


def _largest_under(fmt: str, size: int, seed: int) -> bytes:
    """The tallest noise image of a fixed width whose encoding is at most `size` bytes:
    noise costs about the same per row, so estimate from one probe, then step."""
    width = 640 if size > 200 * KB else 160
    probe = 64
    per_row = len(_encode(fmt, width, probe, seed)) / probe
    height = max(1, int(size / per_row))
    encoded = _encode(fmt, width, height, seed)
    while len(encoded) > size and height > 1:
        height = max(1, height - max(1, int((len(encoded) - size) / per_row) + 1))
        encoded = _encode(fmt, width, height, seed)
    if len(encoded) > size:
        raise ValueError(f"no {fmt} fits in {size} bytes")
    return encoded


@cache
def jpeg(size: int, seed: int = 1) -> bytes:
    """A noise JPEG of exactly `size` bytes: the image, then COM segments right after SOI."""
    image = _largest_under("JPEG", size - 8, seed)
    missing = size - len(image)
    padding = b""
    filler = random.Random(seed + 1000)
    while missing > 0:
        take = min(missing, 65537)  # a COM segment: FF FE, a 2-byte length, up to 65533 bytes
        if 0 < missing - take < 4:  # leave room for a whole last segment
            take -= 4
        text = bytes(filler.choice(b"abcdefghijklmnopqrstuvwxyz ") for _ in range(take - 4))
        padding += b"\xff\xfe" + struct.pack(">H", take - 2) + text
        missing -= take
    data = image[:2] + padding + image[2:]
    if len(data) != size:
        raise AssertionError((len(data), size))
    return data


@cache
def png(size: int, seed: int = 2) -> bytes:
    """A noise PNG of exactly `size` bytes: the image with a tEXt chunk before IEND."""
    image = _largest_under("PNG", size - 64, seed)
    missing = size - len(image)
    text = b"Comment\0" + bytes(random.Random(seed).choice(b"abcdefghij ") for _ in range(missing - 20))
    chunk = struct.pack(">I", len(text)) + b"tEXt" + text + struct.pack(">I", zlib.crc32(b"tEXt" + text))
    data = image[:-12] + chunk + image[-12:]
    if len(data) != size:
        raise AssertionError((len(data), size))
    return data


@cache
def gif(size: int, seed: int = 3) -> bytes:
    """A noise GIF of at most `size` bytes (LZW leaves noise about as large as it was)."""
    return _largest_under("GIF", size, seed)
