"""Issue 17's hostile PDFs through both paths a file can take: the inline POST and the
presigned upload judged by the validator. Same verdict, same `found` code, nothing kept or
served. (The honest PDFs go through both paths with the rest of the corpus, in
test_inspect_media_paths.py.)"""

from __future__ import annotations

import io

import pytest

from tests.functional.test_inspect_media_paths import client, refused_as, s3, stack, validated  # noqa: F401
from tests.support import corpus, hostile_pdf
from tests.support.helpers import keys

HOSTILE = hostile_pdf.hostile()
# What fits in an inline request (the 40 MB table of free entries goes presigned only).
INLINE = [case for case in HOSTILE if case[0] != "free.pdf"]


@pytest.mark.parametrize("name, make, expected", INLINE, ids=[case[0] for case in INLINE])
def test_inline_refuses_hostile_pdfs_and_keeps_nothing(client, s3, name, make, expected):  # noqa: F811
    data = make()
    assert len(data) < corpus.INLINE_MAX_FILE
    before = keys(s3)
    response = client.post("/uploads", data={"file": [(io.BytesIO(data), name)]})
    assert response.status_code == 422, response.get_json()
    assert refused_as(response.get_json()["error"], expected)
    assert keys(s3) == before


@pytest.mark.parametrize("name, make, expected", HOSTILE, ids=[case[0] for case in HOSTILE])
def test_the_validator_refuses_hostile_pdfs_and_serves_nothing(validated, s3, name, make, expected):  # noqa: F811
    upload, download = validated(name, make())
    assert upload["status"] == "rejected"
    assert refused_as(upload["reason"], expected)
    assert [key for key in keys(s3) if upload["id"] in key] == [f"records/{upload['id']}.json"]
    assert download.status_code == 409
