"""Images and PDFs judged by their structure: every hostile file refused with its `found`
code, every honest one accepted, whether the bytes are in memory or read in bounded pieces."""

from __future__ import annotations

import io
import struct
import zlib

import pytest

from tests.support import corpus, hostile_media
from upload_core.config import Config, ConfigError
from upload_core.errors import UploadError
from upload_core.inspect.base import READ_BYTES
from upload_core.inspect.markup import find_markup
from upload_core.inspect.rules import Sample, check_content, inspect_content

CONFIG = Config(bucket="b")
IMAGE_TYPES = {"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "pdf": "application/pdf"}


class BoundedSource(io.RawIOBase):
    """What the validator's S3 reader is to an inspector: a seekable file that fails the
    test on any read larger than READ_BYTES, and remembers how far it was read."""

    def __init__(self, data: bytes):
        self._data, self._pos, self.farthest, self.reads = data, 0, 0, 0

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._pos = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: len(self._data)}[whence] + offset
        return self._pos

    def read(self, n: int = -1) -> bytes:
        assert 0 <= n <= READ_BYTES, f"an unbounded read: {n}"
        out = self._data[self._pos : self._pos + n]
        self._pos += len(out)
        self.farthest = max(self.farthest, self._pos)
        self.reads += 1
        return out


def bounded_sample(data: bytes) -> tuple[Sample, BoundedSource]:
    source = BoundedSource(data)
    return Sample(head=data[:65536], size=len(data), source=source), source


def refusal(name: str, sample: Sample) -> str:
    with pytest.raises(UploadError) as info:
        check_content(name, sample, CONFIG)
    err = info.value
    if err.code == "unsafe_content":
        assert err.status == 422
        return err.extra["found"]
    return err.code


HOSTILE = hostile_media.hostile()


@pytest.mark.parametrize("name, make, expected", HOSTILE, ids=[case[0] for case in HOSTILE])
def test_hostile_media_is_refused_with_what_was_found(name, make, expected):
    data = make()
    assert refusal(name, Sample.of_bytes(data)) == expected
    assert refusal(name, bounded_sample(data)[0]) == expected


HONEST = corpus.honest()


@pytest.mark.parametrize("name, make", HONEST, ids=[case[0] for case in HONEST])
def test_honest_photos_and_pdfs_are_accepted_whole(name, make):
    data = make()
    expected = IMAGE_TYPES[name.rsplit(".", 1)[1]]
    verdict = inspect_content(name, Sample.of_bytes(data), CONFIG)
    sample, source = bounded_sample(data)
    assert inspect_content(name, sample, CONFIG) == verdict
    assert verdict.mime == expected
    if name != "PXL_20260101_MP.jpg":
        assert verdict.end == len(data)
    if expected != "application/pdf":
        assert source.farthest == len(data), "every byte of an image is read"


def test_the_honest_corpus_spans_photos_up_to_the_inline_limit():
    sizes = [len(make()) for name, make in HONEST if name.endswith(".jpg")]
    assert len(sizes) >= 30
    assert min(sizes) < 60_000 and 3_800_000 < max(sizes) < corpus.INLINE_MAX_FILE
    assert b"/ObjStm" in corpus.pikepdf_object_streams()
    assert corpus.incremental_pdf().count(b"%%EOF") == 2


def _patch_jpeg_scan(data: bytes, payload: bytes) -> bytes:
    """Put `payload` into the entropy-coded data, as compression sometimes does by chance."""
    at = data.index(b"\xff\xda") + 2000
    return data[:at] + payload + data[at + len(payload) :]


def _patch_png_idat(data: bytes, payload: bytes) -> bytes:
    at = data.index(b"IDAT")
    (length,) = struct.unpack(">I", data[at - 4 : at])
    body = bytearray(data[at + 4 : at + 4 + length])
    body[1000 : 1000 + len(payload)] = payload
    crc = struct.pack(">I", zlib.crc32(b"IDAT" + bytes(body)))
    return data[: at + 4] + bytes(body) + crc + data[at + 8 + length :]


@pytest.mark.parametrize("payload", [b"<svg ", b"<script>", b"<?=`id`?>", b"javascript:"])
def test_markup_bytes_in_compressed_pixels_are_not_markup(payload):
    """The regex's false positive: about 1 in 1,000 noisy photos holds `<svg` in its pixels."""
    assert find_markup(payload), "the same bytes in text are markup"
    jpeg = _patch_jpeg_scan(corpus.noise_jpeg(1, 300_000), payload)
    png = _patch_png_idat(corpus.noise_png(1, 300_000), payload)
    assert check_content("photo.jpg", Sample.of_bytes(jpeg), CONFIG) == "image/jpeg"
    assert check_content("photo.png", Sample.of_bytes(png), CONFIG) == "image/png"


def _with_app_segment(photo: bytes, marker: bytes, data: bytes) -> bytes:
    return photo[:2] + marker + struct.pack(">H", len(data) + 2) + data + photo[2:]


def _exif_with_thumbnail(thumbnail: bytes) -> bytes:
    """EXIF as cameras write it: IFD0 (a Make tag), then IFD1 pointing at a JPEG thumbnail."""
    ifd0 = struct.pack("<H", 1) + struct.pack("<HHII", 0x010F, 2, 4, 0x00796E53) + struct.pack("<I", 26)
    ifd1 = (
        struct.pack("<H", 2) + struct.pack("<HHII", 0x201, 4, 1, 56) + struct.pack("<HHII", 0x202, 4, 1, len(thumbnail))
    )
    tiff = b"II*\0" + struct.pack("<I", 8) + ifd0 + ifd1 + struct.pack("<I", 0)
    return b"Exif\0\0" + tiff + thumbnail


@pytest.mark.parametrize("where", ["exif", "photoshop"])
def test_markup_bytes_in_an_embedded_thumbnail_are_not_markup(where):
    thumbnail = _patch_jpeg_scan(corpus.noise_jpeg(5, 12_000), b"<svg>")
    assert find_markup(thumbnail)
    photo = corpus.noise_jpeg(6, 80_000)
    if where == "exif":
        data = _with_app_segment(photo, b"\xff\xe1", _exif_with_thumbnail(thumbnail))
    else:
        resource = b"8BIM\x04\x0c\0\0" + struct.pack(">I", len(thumbnail)) + thumbnail
        data = _with_app_segment(photo, b"\xff\xed", b"Photoshop 3.0\0" + resource)
    assert check_content("photo.jpg", Sample.of_bytes(data), CONFIG) == "image/jpeg"
    # The same bytes as metadata text are refused.
    script = _with_app_segment(photo, b"\xff\xed", b"Photoshop 3.0\0<script>alert(1)</script>")
    assert refusal("photo.jpg", Sample.of_bytes(script)) == "markup"


def test_a_motion_photos_video_is_cut_off_and_the_still_kept():
    data = corpus.motion_photo()
    still = data[: data.index(b"ftypmp42") - 4]
    verdict = inspect_content("PXL.jpg", Sample.of_bytes(data), CONFIG)
    assert verdict.end == len(still)
    assert still.endswith(b"\xff\xd9")


@pytest.mark.parametrize(
    "appendix, kept",
    [
        (corpus.mp4_like(5000), False),  # an MP4 with no XMP saying so: still a phone's video
        (b"\0" * 3000, False),  # padding
        (b"\xff" * 3000, False),
        (b"Image_UTC_Data1700000000000SEFHxxxxSEFT", False),  # Samsung's SEF maker data
        (corpus.noise_jpeg(2, 20_000), True),  # an MPF gain map or depth image: kept
        # Dressed as a video, an HTML page is cut off with it: never served (Inspected.end).
        (b"\x00\x00\x00\x18ftypmp42" + hostile_media.HTML_PAGE, False),
    ],
)
def test_what_phones_append_after_eoi(appendix, kept):
    photo = corpus.noise_jpeg(9, 60_000)
    verdict = inspect_content("p.jpg", Sample.of_bytes(photo + appendix), CONFIG)
    assert verdict.end == (len(photo) + len(appendix) if kept else len(photo))


def test_an_appended_jpeg_is_inspected_too():
    hostile = hostile_media.jpeg_with_comment(b"<script>alert(1)</script>")
    with pytest.raises(UploadError) as info:
        check_content("p.jpg", Sample.of_bytes(corpus.noise_jpeg(9, 60_000) + hostile), CONFIG)
    assert info.value.extra["found"] == "markup"


def test_max_image_pixels_is_configurable_and_checked_at_start():
    assert Config.from_env({"UPLOAD_BUCKET": "b"}).limits.max_image_pixels == 50_000_000
    small = Config.from_env({"UPLOAD_BUCKET": "b", "MAX_IMAGE_PIXELS": "10_000"})
    with pytest.raises(UploadError) as info:
        check_content("p.jpg", Sample.of_bytes(corpus.noise_jpeg(3, 60_000)), small)
    assert info.value.extra["found"] == "image_dimensions"
    assert info.value.extra["max_image_pixels"] == 10_000
    for bad in ("0", "-5", "lots", str(2**40)):
        with pytest.raises(ConfigError) as error:
            Config.from_env({"UPLOAD_BUCKET": "b", "MAX_IMAGE_PIXELS": bad})
        assert error.value.variable == "MAX_IMAGE_PIXELS"


def test_a_pdf_link_to_a_website_is_allowed_but_not_one_opened_by_itself():
    assert check_content("r.pdf", Sample.of_bytes(corpus.pikepdf_object_streams()), CONFIG) == "application/pdf"
    link = hostile_media.pdf_with_catalog(
        b"", b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /URI /URI (https://example.com/) >> >>"
    )
    assert check_content("r.pdf", Sample.of_bytes(link), CONFIG) == "application/pdf"
