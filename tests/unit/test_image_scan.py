"""The markup/script scan of images (rules.py), case-insensitive over a photo's whole bytes."""

from __future__ import annotations

import pytest

from tests.support import photos
from upload_core.config import Config
from upload_core.errors import UploadError
from upload_core.inspect.rules import Sample, check_content

CONFIG = Config(bucket="b")


@pytest.mark.parametrize(
    "inserted",
    [b"<script>", b"<SCRIPT src=x>", b"< \tSvg onload=1>", b"<?PHP", b"JavaScript:alert(1)", b"<iframe", b"<embed\n"],
)
def test_markup_anywhere_in_a_photo_is_found_whatever_its_case(inserted):
    photo = photos.jpeg(319 * photos.KB)
    data = photo[:200_000] + inserted + photo[200_000:]
    with pytest.raises(UploadError) as refused:
        check_content("a.jpg", Sample.of_bytes(data), CONFIG)
    assert refused.value.code == "unsafe_content"
    assert repr(inserted[:20].decode())[1:6] in refused.value.message


@pytest.mark.parametrize("inserted", [b"<objection", b"<scripts", b"javascript", b"<htmlx"])
def test_near_misses_are_not_markup(inserted):
    photo = photos.jpeg(319 * photos.KB)
    data = photo[:200_000] + inserted + photo[200_000:]
    assert check_content("a.jpg", Sample.of_bytes(data), CONFIG) == "image/jpeg"
