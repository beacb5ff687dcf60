"""Images where every non-pixel byte is text to scan, polyglots refused by anchor, the
limits on what a file multiplies, and what may follow an image's end (issues 17 and 18).

The hostile files of both issues are in tests/support/hostile_media.py (both paths run
them: test_inspect_media.py and test_inspect_media_paths.py); here are the rules' tables."""

from __future__ import annotations

import io
import os
import random
import struct
import zlib

import pytest

from tests.support import corpus, hostile_media
from tests.support.hostile_media import PHP, png_chunks, png_of_chunks
from upload_core.config import Config
from upload_core.errors import UploadError
from upload_core.inspect import gif, jpeg, png, scan
from upload_core.inspect.javascript import is_javascript
from upload_core.inspect.markup import find_markup
from upload_core.inspect.polyglot import find_foreign
from upload_core.inspect.reader import Reader
from upload_core.inspect.rules import Sample, inspect_content

CONFIG = Config(bucket="b")


def verdict(name: str, data: bytes) -> tuple[str, int]:
    """('accepted', end) or (found or code, 0): what a user would be told."""
    try:
        return "accepted", inspect_content(name, Sample.of_bytes(data), CONFIG).end
    except UploadError as err:
        return err.extra.get("found", err.code), 0


def found(name: str, data: bytes) -> str:
    return verdict(name, data)[0]


# --- the markup pattern ------------------------------------------------------------------

MARKUP = [
    b"<?php system($_GET['c']);",
    b"<?PHP\npassthru($_GET[0]);",
    b"<? passthru($_GET['c']); ?>",  # a short open tag, then whitespace
    b"<?=`$_GET[c]`?>",
    b"<?=`id`?>\x00\x01",  # the shortest useful echo, then binary
    b"<?system('id')?>",  # short_open_tag=On (PHP's compiled default) needs no space
    b"<?/**/@(system)('id');",  # a comment and operators before the call
    b'<?=("sys"."tem")(\'id\')?>',  # a function name built from strings
    b"<?$f=$_GET[0];$f('id');",
    b"<?=`id`?>",
    b'<%eval request("c")%>',
    b'<%= CreateObject("WScript.Shell").Exec("cmd") %>',
    b'<% Response.Write(Request("c")) %>',
    b'<%@ page import="java.io.*" %>',
    b"<script>alert(1)</script>",
    b"<SCRIPT SRC=//evil.example/x.js>",
    b"<svg/onload=alert(1)>",
    b"<iframe src=//evil.example>",
    b"<details open ontoggle=alert(1)>",  # an event handler the old list did not name
    b'<img src="x" alt=">" onpointerenter=alert(1)>',  # a quoted `>` does not end the tag
    b'<video><source onerror="alert(1)">',
    b"<x onfocus=alert(1) autofocus tabindex=1>",  # any element, named anything
    b"<img/src/onerror=alert(1)>",  # `/` separates attributes
    b'<img src="x"onerror=alert(1)>',  # so does a closing quote
    b"<svg><animate onbegin=alert(1) attributeName=x dur=1s>",  # SVG's own events
    b"<a href=javascript:alert(1)>x</a>",
    b"<a href='vbscript:msgbox(1)'>",
    b'<object data="data:text/html;base64,PHNjcmlwdD4=">',
    b"<!DOCTYPE html><p>",
    b"<!ENTITY xxe SYSTEM 'file:///etc/passwd'>",
    b'<!--#exec cmd="id" -->',  # a server side include
    b"<esi:include src=//evil.example/>",  # an edge side include
    "<script>alert(1)</script>".encode("utf-16-le"),
    "<?php system($_GET[c]);".encode("utf-16-be"),
]

NOT_MARKUP = [
    corpus.XMP_PLAIN,  # <?xpacket begin=...?> ... <?xpacket end="w"?>
    b'<?xml version="1.0" encoding="UTF-8"?><x:xmpmeta xmlns:x="adobe:ns:meta/"/>',
    b'<?adobe-xap-filters esc="CRLF"?><x:xmpmeta/>',  # Photoshop 7's XMP
    b"Holiday photo, a < b & c > d; one <= two",
    b"Shot on location: online onset onward = fine",  # `on...=` outside a tag
    b"<b>bold</b> onload=1",  # the tag is closed before it
    b"<a onfoo=bar>",  # no event is called foo
    b"<b>bold</b> <i>caption</i> <p>text</p>",  # tags that run or load nothing
    b"percent <% sign",
    b"what? <? yes",
    b'<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" dc:format="image/jpeg"/>',
    b"description: a description of the scripts",
    b"text/html is a MIME type",
    b"<!-- an XML comment -->",
    # A dark GIF's palette (Debian's pyenv install animation): printable bytes where `<?` and
    # `<%` turn up by chance; an opener and printable text is not code.
    b"n\r==E=r\x0c>><?:2??=?w\r?x\tBAIBB?C\x80\tE\x87\x08FELF\x8e",
    b"<?xml-stylesheet href='style.xsl'?>",
    b"100<%5 of the time, <% more %>",
]


@pytest.mark.parametrize("text", MARKUP)
def test_markup_a_browser_or_php_acts_on_is_found(text):
    assert find_markup(text) is not None


@pytest.mark.parametrize("text", NOT_MARKUP)
def test_honest_metadata_is_not_markup(text):
    assert find_markup(text) is None


def test_random_printable_bytes_hold_no_markup():
    """Palettes of dark images and quantization tables are mostly printable bytes: a MiB
    of random printable ones (a thousand palettes) trips no rule."""
    rng = random.Random(18)
    data = bytes(rng.randrange(0x20, 0x7F) for _ in range(1024 * 1024))
    assert data.count(b"<?") > 50 and data.count(b"<%") > 50
    assert find_markup(data) is None


def test_random_bytes_hold_no_markup_and_no_anchor():
    """The rules hold in binary metadata (an ICC curve, a palette, a thumbnail): 16 MiB of
    random bytes, about a thousand photos' worth of metadata, trip none of them."""
    data = random.Random(17).randbytes(16 * 1024 * 1024)
    assert find_markup(data) is None
    assert find_foreign(data) is None


@pytest.mark.parametrize(
    "text, what",
    [
        (hostile_media.jar_bytes(), "zip"),
        (b"xx%PDF-1.7\n1 0 obj", "PDF"),
        (b"Rar!\x1a\x07\x01\x00", "RAR"),
        (b"1 0 obj\n<< /Type /Catalog /OpenAction 2 0 R >>", "PDF object"),  # no header: readers repair
        (b"PK\x03\x04\xff\xff", None),  # not a local header a zip reader accepts
        (b"a list of 10 0 objects", None),
    ],
)
def test_other_formats_anchors_in_text(text, what):
    result = find_foreign(text)
    assert (what in result[1]) if what else result is None


# --- every non-pixel byte is scanned -----------------------------------------------------


class _Recording(Reader):
    last: Reader | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _Recording.last = self


@pytest.mark.parametrize(
    "name, make",
    [
        ("a.png", lambda: corpus.noise_png(2, 300_000)),
        ("a.png", corpus.png_with_metadata),
        ("a.jpg", lambda: corpus.noise_jpeg(3, 300_000, progressive=True)),
        ("a.jpg", corpus.camera_jpeg),
        ("a.gif", lambda: corpus.noise_gif(4, 200_000, frames=3)),
        ("a.gif", corpus.gif_with_xmp),
    ],
)
def test_every_byte_is_scanned_or_pixel_data(monkeypatch, name, make):
    """What the inspector leaves out of the scan is named (compressed pixels), not what it
    puts in: the scanned and the pixel bytes add up to the whole file."""
    module = {"png": png, "jpg": jpeg, "gif": gif}[name[-3:]]
    monkeypatch.setattr(module, "Reader", _Recording)
    data = make()
    assert verdict(name, data) == ("accepted", len(data))
    reader = _Recording.last
    assert reader is not None and reader.pixel_bytes > len(data) // 2
    assert reader.scan.scanned + reader.pixel_bytes == len(data)


def _scan(*pieces: tuple[int, bytes]) -> str | None:
    """Feed a TextScan pieces at file offsets (a gap where they do not touch), then finish:
    the found code it raises, or None."""
    text = scan.TextScan()
    text.label(0, "test piece")
    try:
        for offset, data in pieces:
            text.feed(data, offset)
        text.flush()
    except UploadError as err:
        return err.extra["found"]
    return None


@pytest.mark.parametrize(
    "pieces, expected",
    [
        (((0, b"<scr"), (100, b"ipt>")), None),  # pixel data between: no reader joins them
        (((0, b"<svg"), (4, b"/onload=alert(1)>")), "markup"),  # they touch: one text
        (((0, b"\x00\x01IDAT"), (500, b"<?php system($_GET[0]);"), (900, b"ok")), "markup"),
        (((0, b"PK\x03"), (600, b"\x04\x14\x00")), None),
        (((0, b"x" * 70_000), (70_000, b"<iframe src=//e>")), "markup"),
    ],
)
def test_the_scan_joins_what_touches_and_only_that(pieces, expected):
    assert _scan(*pieces) == expected


def test_a_thumbnails_pixels_are_left_out_but_a_fake_ones_bytes_are_not():
    """An EXIF thumbnail that is a whole JPEG: only its entropy-coded data is left out. The
    same range holding SOI, PHP and EOI (no frame, no scan) is scanned."""
    thumb = io.BytesIO()
    from PIL import Image

    Image.frombytes("RGB", (64, 64), random.Random(3).randbytes(64 * 64 * 3)).save(thumb, "JPEG")
    real = hostile_media.jpeg_with_segment(0xE1, corpus.exif_with_thumbnail(thumb.getvalue()))
    fake = hostile_media.jpeg_with_segment(0xE1, corpus.exif_with_thumbnail(b"\xff\xd8\xff\xe0" + PHP + b"\xff\xd9"))
    assert found("p.jpg", real) == "accepted"
    assert found("p.jpg", fake) == "markup"


# --- structure: PNG ----------------------------------------------------------------------


def _png(*extra: tuple[bytes, bytes], before_idat: bool = True, drop: tuple[bytes, ...] = ()) -> bytes:
    chunks = [c for c in png_chunks(corpus.noise_png(5, 60_000)) if c[0] not in drop]
    at = next(i for i, c in enumerate(chunks) if c[0] == b"IDAT") if before_idat else len(chunks) - 1
    return png_of_chunks(chunks[:at] + list(extra) + chunks[at:])


def _ihdr(depth: int, colour: int) -> bytes:
    return struct.pack(">IIBBBBB", 8, 8, depth, colour, 0, 0, 0)


PNG_STRUCTURE = [
    ("a fixed-size chunk of another size", _png((b"gAMA", b"\0\0\xb1\x8f\0")), "malformed"),
    ("tIME of 7 bytes", _png((b"tIME", struct.pack(">HBBBBB", 2026, 1, 2, 3, 4, 5))), "accepted"),
    ("an unknown critical chunk", _png((b"CgBI", b"\0\0\0\0")), "malformed"),
    ("an unknown ancillary chunk", _png((b"prVt", b"private data")), "accepted"),
    (
        "a PLTE in a greyscale image",
        png_of_chunks(
            [(b"IHDR", _ihdr(8, 0)), (b"PLTE", b"\0" * 6), (b"IDAT", zlib.compress(bytes(72))), (b"IEND", b"")]
        ),
        "malformed",
    ),
    (
        "the same without PLTE",
        png_of_chunks([(b"IHDR", _ihdr(8, 0)), (b"IDAT", zlib.compress(bytes(72))), (b"IEND", b"")]),
        "accepted",
    ),
    ("an invalid bit depth", png_of_chunks([(b"IHDR", _ihdr(3, 2)), (b"IEND", b"")]), "malformed"),
    ("two IHDR", _png((b"IHDR", _ihdr(8, 2))), "malformed"),
    ("no IDAT", png_of_chunks([c for c in png_chunks(corpus.noise_png(5, 60_000)) if c[0] != b"IDAT"]), "malformed"),
    (
        "zTXt with bytes after its stream",
        _png((b"zTXt", b"Comment\0\0" + zlib.compress(b"ok") + b"more")),
        "malformed",
    ),
    ("zTXt whose stream does not end", _png((b"zTXt", b"Comment\0\0" + zlib.compress(b"ok" * 99)[:-6])), "malformed"),
    ("iCCP with a real profile", _png((b"iCCP", b"sRGB\0\0" + zlib.compress(corpus.srgb_profile()))), "accepted"),
    ("an APNG without its frames", _png((b"acTL", struct.pack(">II", 2, 0))), "malformed"),
]


@pytest.mark.parametrize("case, data, expected", PNG_STRUCTURE, ids=[c[0] for c in PNG_STRUCTURE])
def test_png_structure(case, data, expected):
    assert found("p.png", data) == expected


def _apng(frames: list[tuple[int, int, int, int]], declared: int | None = None) -> bytes:
    """An 8x8 APNG written chunk by chunk: acTL, then per frame an fcTL and its data."""
    raw = zlib.compress(b"".join(b"\0" + b"\x80" * 24 for _ in range(8)))
    chunks = [(b"IHDR", _ihdr(8, 2)), (b"acTL", struct.pack(">II", declared or len(frames), 0))]
    sequence = 0
    for i, (width, height, left, top) in enumerate(frames):
        control = struct.pack(">IIIIIHHBB", sequence, width, height, left, top, 1, 10, 0, 0)
        chunks.append((b"fcTL", control))
        sequence += 1
        if i == 0:
            chunks.append((b"IDAT", raw))
        else:
            chunks.append((b"fdAT", struct.pack(">I", sequence) + raw))
            sequence += 1
    return png_of_chunks(chunks + [(b"IEND", b"")])


@pytest.mark.parametrize(
    "frames, declared, expected",
    [
        ([(8, 8, 0, 0), (4, 4, 4, 4)], None, "accepted"),
        ([(8, 8, 0, 0), (4, 4, 6, 6)], None, "malformed"),  # a frame outside the canvas
        ([(8, 8, 0, 0), (4, 4, 4, 4)], 3, "malformed"),  # fewer frames than acTL says
    ],
)
def test_apng_frames(frames, declared, expected):
    assert found("a.png", _apng(frames, declared)) == expected


# --- limits on what a file multiplies ------------------------------------------------------


def _ztxt(inflated: int) -> tuple[bytes, bytes]:
    return (b"zTXt", b"Comment\0\0" + zlib.compress(b"a" * inflated, 9))


def _png_with_text_chunks(total: int) -> bytes:
    """The corpus PNG (it has 3 text chunks of its own) with more, `total` in all."""
    own = sum(1 for ctype, _ in png_chunks(corpus.noise_png(5, 60_000)) if ctype in (b"tEXt", b"zTXt", b"iTXt"))
    return _png(*[(b"tEXt", b"k\0v")] * (total - own))


def _jpeg_with_comments(count: int, size: int) -> bytes:
    photo = corpus.noise_jpeg(6, 60_000)
    return photo[:2] + (b"\xff\xfe" + struct.pack(">H", size + 2) + b"c" * size) * count + photo[2:]


def _gif_with_sub_blocks(lengths: list[int]) -> bytes:
    """A 1x1 GIF whose image data comes in sub-blocks of these lengths."""
    data = b"".join(bytes([n]) + b"\x01" * n for n in lengths)
    return b"GIF89a\1\0\1\0\0\0\0" + b"\x2c\0\0\0\0\1\0\1\0\0\x02" + data + b"\0\x3b"


LIMITS = [
    ("one zTXt inflating past 1 MiB", "p.png", lambda: _png(_ztxt(png.MAX_INFLATED_CHUNK + 1)), "image_limits"),
    ("one zTXt inflating to 1 MiB", "p.png", lambda: _png(_ztxt(png.MAX_INFLATED_CHUNK)), "accepted"),
    ("17 zTXt of 1 MiB each", "p.png", lambda: _png(*[_ztxt(png.MAX_INFLATED_CHUNK)] * 17), "image_limits"),
    ("1,025 text chunks", "p.png", lambda: _png_with_text_chunks(1025), "image_limits"),
    ("1,024 text chunks", "p.png", lambda: _png_with_text_chunks(1024), "accepted"),
    ("300,000 empty private chunks", "p.png", lambda: _png(*[(b"prVt", b"")] * 300_000), "image_limits"),
    ("a million 4-byte comments", "p.jpg", lambda: _jpeg_with_comments(1_000_000, 0), "image_limits"),
    ("4,000 comments of 1 KB", "p.jpg", lambda: _jpeg_with_comments(4_000, 1000), "accepted"),
    (
        "4 MiB of fill bytes",
        "p.jpg",
        lambda: (lambda p: p[:2] + b"\xff" * 4_194_304 + p[2:])(corpus.noise_jpeg(7, 60_000)),
        "accepted",
    ),
    ("two million 1-byte sub-blocks", "p.gif", lambda: _gif_with_sub_blocks([1] * 2_000_000), "accepted"),
    ("sub-blocks of 1 and 2 bytes in turn", "p.gif", lambda: _gif_with_sub_blocks([1, 2] * 300_000), "image_limits"),
]


def _jpeg_scans(count: int) -> bytes:
    """A baseline JPEG whose one scan is repeated: a viewer decodes every one."""
    photo = corpus.noise_jpeg(8, 2000)
    sos = photo.index(b"\xff\xda")
    return photo[:sos] + photo[sos:-2] * count + photo[-2:]


def _gif_frames(count: int) -> bytes:
    frame = b"\x21\xf9\x04\x04\x02\x00\x00\x00" + b"\x2c\0\0\0\0\1\0\1\0\0" + b"\x02\x02\x44\x01\x00"
    return b"GIF89a\1\0\1\0\x80\0\0" + b"\0\0\0\xff\xff\xff" + frame * count + b"\x3b"


# Limits at their values in the modules, lowered here so that a case stays small: the
# same code path counts to 10,000 frames or 1,000 scans.
LOWERED = [
    ("frames of a GIF", gif, "MAX_FRAMES", 20, "p.gif", _gif_frames, "image_limits"),
    ("frames of an APNG", png, "MAX_FRAMES", 20, "p.png", lambda n: _apng([(8, 8, 0, 0)] * n), "image_limits"),
    ("scans of a JPEG", jpeg, "MAX_SCANS", 20, "p.jpg", _jpeg_scans, "image_limits"),
    ("text of a file", scan, "MAX_TEXT_BYTES", 2**20, "p.png", lambda n: _png((b"prVt", b"t" * n)), "image_limits"),
]


@pytest.mark.parametrize("case, module, name, limit, file, make, expected", LOWERED, ids=[c[0] for c in LOWERED])
def test_limits_refuse_one_past_and_accept_the_limit(monkeypatch, case, module, name, limit, file, make, expected):
    monkeypatch.setattr(module, name, limit)
    assert found(file, make(limit + 1)) == expected
    assert found(file, make(limit - 1000 if name == "MAX_TEXT_BYTES" else limit)) == "accepted"


@pytest.mark.parametrize("case, name, make, expected", LIMITS, ids=[c[0] for c in LIMITS])
def test_limits_on_what_a_file_multiplies(case, name, make, expected):
    assert found(name, make()) == expected


# --- what may follow an image's end ------------------------------------------------------

_PHOTO = corpus.noise_jpeg(10, 60_000)
_PNG = corpus.noise_png(11, 60_000)
_GIF = corpus.noise_gif(12, 60_000)
_OLD_SAVE = corpus.noise_jpeg(13, 90_000)


@pytest.mark.parametrize(
    "case, name, data, end",
    [
        ("a newline after IEND", "p.png", _PNG + b"\n", len(_PNG)),
        ("CR LF and zeros after IEND", "p.png", _PNG + b"\r\n\0\0", len(_PNG)),
        ("a newline after the GIF trailer", "p.gif", _GIF + b"\n", len(_GIF)),
        ("zeros after EOI", "p.jpg", _PHOTO + b"\0" * 5000, len(_PHOTO)),
        # An editor rewrote a longer photo in place: the tail of its scan and its EOI remain.
        ("an earlier save's leftover", "p.jpg", _PHOTO + _OLD_SAVE[-20_000:], len(_PHOTO)),
        (
            "a camera's preview with its SOI blanked",
            "p.jpg",
            _PHOTO + b"\0" * 900 + b"\x02\xd8" + _OLD_SAVE[2:],
            len(_PHOTO),
        ),
        ("an MPO pair 6 zero bytes apart", "p.jpg", _PHOTO + b"\0" * 6 + _OLD_SAVE, len(_PHOTO) + 6 + len(_OLD_SAVE)),
        ("text after IEND", "p.png", _PNG + b"\nhello", 0),
        ("text after the GIF trailer", "p.gif", _GIF + b"GIF89a", 0),
        ("PHP after EOI", "p.jpg", _PHOTO + b"\0" * 100 + PHP, 0),
    ],
)
def test_what_follows_an_images_end(case, name, data, end):
    assert verdict(name, data) == (("accepted", end) if end else ("trailing_data", 0))


def test_mpo_photos_pillow_writes_are_accepted_whole():
    from PIL import Image

    out = io.BytesIO()
    left, right = (Image.frombytes("RGB", (320, 240), os.urandom(320 * 240 * 3)) for _ in range(2))
    left.save(out, "MPO", save_all=True, append_images=[right])
    assert verdict("stereo.jpg", out.getvalue()) == ("accepted", len(out.getvalue()))
    camera = corpus.camera_jpeg()
    assert Image.open(io.BytesIO(camera)).n_frames == 2  # Pillow follows the MP index over the gap
    assert verdict("DSC_0042.jpg", camera) == ("accepted", len(camera))


# --- GIF frames and the canvas -------------------------------------------------------------


def _gif_frame_at(left: int, top: int, size: int = 100) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.frombytes("P", (size, size), random.Random(4).randbytes(size * size)).save(out, "GIF")
    data = bytearray(out.getvalue())
    at = hostile_media.gif_blocks_start(bytes(data))
    at = data.index(b"\x2c", at)
    data[at + 1 : at + 5] = struct.pack("<HH", left, top)
    return bytes(data)


@pytest.mark.parametrize(
    "left, top, expected",
    [(0, 0, "accepted"), (50, 50, "accepted"), (6900, 6900, "accepted"), (7000, 7000, "image_dimensions")],
)
def test_a_gif_frame_is_checked_by_where_it_ends(left, top, expected):
    """Viewers grow the canvas to hold a frame past the logical screen: a 100x100 frame at
    6,900,6,900 needs 7,000 x 7,000 (49 MP), at 7,000,7,000 it needs 50.4 MP, over the limit."""
    assert found("a.gif", _gif_frame_at(left, top)) == expected


def _gif_with_extension(extension: bytes) -> bytes:
    gif = corpus.noise_gif(6, 60_000)
    return gif[:-1] + extension + gif[-1:]


GIF_EXTENSIONS = [
    ("a graphic control of 4 bytes", b"\x21\xf9\x04\x04\x0a\x00\x00\x00", "accepted"),
    ("a graphic control of 5 bytes", b"\x21\xf9\x05\x04\x0a\x00\x00\x00\x00", "malformed"),
    ("a graphic control with a second block", b"\x21\xf9\x04\x04\x0a\x00\x00\x02ok\x00", "malformed"),
    ("NETSCAPE2.0 looping", b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00", "accepted"),
    ("an application header of 10 bytes", b"\x21\xff\x0aNETSCAPE2.\x03\x01\x00\x00\x00", "malformed"),
    ("plain text with its 12-byte grid", b"\x21\x01\x0c" + bytes(12) + b"\x05hello\x00", "accepted"),
    ("plain text with no grid", b"\x21\x01\x00", "malformed"),
    ("markup in plain text", b"\x21\x01\x0c" + bytes(12) + b"\x06<svg/>\x00", "markup"),
    ("an unknown label with text", b"\x21\x99\x05hello\x00", "accepted"),
]


@pytest.mark.parametrize("case, extension, expected", GIF_EXTENSIONS, ids=[c[0] for c in GIF_EXTENSIONS])
def test_gif_extensions_by_their_label(case, extension, expected):
    assert found("a.gif", _gif_with_extension(extension)) == expected


# --- polyglots ---------------------------------------------------------------------------


def _gif_of_width(width: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.frombytes("P", (width, 40), random.Random(width).randbytes(width * 40)).save(out, "GIF")
    return out.getvalue()


def _jpeg_with_app1_length(length: int) -> bytes:
    """An honest photo whose first segment (EXIF) is `length` bytes long (0x2F2A: `/*`)."""
    exif = corpus.exif_with_thumbnail(b"")
    return hostile_media.jpeg_with_segment(0xE1, exif + b"\0" * (length - 2 - len(exif)))


@pytest.mark.parametrize(
    "name, make",
    [
        ("w96.gif", lambda: _gif_of_width(96)),  # width 96: a backtick opens a template literal
        ("w61.gif", lambda: _gif_of_width(61)),  # `GIF89a=`
        ("w10799.gif", lambda: _gif_of_width(10799)),  # `GIF89a/*`
        ("w12079.gif", lambda: _gif_of_width(12079)),  # `GIF89a//`
        ("exif-slash-star.jpg", lambda: _jpeg_with_app1_length(0x2F2A)),  # `ÿØÿá/*`
        ("exif-quote.jpg", lambda: _jpeg_with_app1_length(0x2722)),  # `ÿØÿá'"`
    ],
)
def test_honest_images_whose_headers_start_a_script_are_not_scripts(name, make):
    """The first bytes of these honest files are the start of a script; the rest is not."""
    data = make()
    assert not is_javascript(io.BytesIO(data), len(data))
    assert found(name, data) == "accepted"


@pytest.mark.parametrize(
    "data, script",
    [
        (b"GIF89a/*\0\0*/=alert(1);//\0\0", True),
        (b"GIF89a/*\0\0*/=alert(1);/*\0\0", False),  # a comment that never closes
        (b"GIF89a='\0\n'", False),  # a newline in a string
        (b"GIF89a=`\0\n\x01`;alert(1)", True),  # a template may hold anything
        (b"GIF89a='a\\\r\nb';<!--\0", True),  # a line continuation; an HTML-like comment
        (b"GIF89a\0", False),
    ],
)
def test_what_lexes_as_javascript(data, script):
    assert is_javascript(io.BytesIO(data), len(data)) is script


def _pdf_with_jar_stream() -> bytes:
    """A JAR inside a PDF stream near the end (its end record in the last 64 KiB): the PDF
    is whole, and `java -jar report.pdf` runs the JAR."""
    return hostile_media.pdf_with_catalog(b"", hostile_media._stream(hostile_media.jar_bytes()))


def _jpeg_with_scan_bytes(at_end: bool, payload: bytes) -> bytes:
    """`payload` written into the entropy-coded data (no 0xFF in it): near the start of a
    tiny photo, or just before EOI."""
    from PIL import Image

    out = io.BytesIO()
    Image.frombytes("RGB", (8, 8), bytes(192)).save(out, "JPEG")
    photo = out.getvalue()
    if at_end:
        return photo[:-2] + payload + photo[-2:]
    sos = photo.index(b"\xff\xda")
    start = sos + 2 + struct.unpack(">H", photo[sos + 2 : sos + 4])[0]
    return photo[:start] + payload + photo[start:]


@pytest.mark.parametrize(
    "case, name, make, expected",
    [
        ("a JAR in a PDF stream", "r.pdf", _pdf_with_jar_stream, "polyglot"),
        (
            "a PDF header in a small photo's pixels",
            "p.jpg",
            lambda: _jpeg_with_scan_bytes(False, b"%PDF-1.7"),
            "polyglot",
        ),
        (
            "startxref in a photo's last bytes",
            "p.jpg",
            lambda: _jpeg_with_scan_bytes(True, b"startxref\n9\n%%EOF"),
            "polyglot",
        ),
        ("a zip end record pointing nowhere", "p.png", lambda: _png((b"prVt", b"PK\x05\x06" + b"\1" * 18)), "accepted"),
        (
            "a JAR in a PNG chunk, far from the end",
            "p.png",
            lambda: hostile_media.png_with_zip_chunk("start"),
            "polyglot",
        ),
    ],
)
def test_polyglots_by_anchor(case, name, make, expected):
    assert found(name, make()) == expected


def test_the_polyglot_check_reads_only_what_is_served():
    """A JAR after a motion photo's video is cut off with it: nothing there is served."""
    data = corpus.motion_photo() + hostile_media.jar_bytes()
    assert verdict("PXL.jpg", data) == ("accepted", corpus.motion_photo().index(b"ftypmp42") - 4)
