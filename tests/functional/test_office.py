"""Office documents through both paths: the inline route and the validator give the same
verdict, a refused document leaves nothing downloadable, an honest one is served."""

from __future__ import annotations

import io

import pytest

from tests.support import documents, hostile_doc, hostile_office
from tests.support.helpers import BUCKET, keys, load_event, served_bytes

REPRESENTATIVE = [
    hostile_office.docx_renamed_vba,
    hostile_office.docx_follina,
    hostile_office.docx_ddeauto,
    hostile_office.docx_zeros_bomb,
    hostile_office.docx_overlapping_entries,
    hostile_office.docx_html_after,
    hostile_doc.doc_autoopen_macro,
    hostile_doc.doc_html_behind_header,
    # .doc only as a sound compound file.
    hostile_doc.doc_word2_html,
    hostile_doc.doc_jar_in_free_sectors,
    hostile_doc.doc_html_in_free_sectors,
    hostile_doc.doc_dde_split_across_pieces,
    hostile_doc.doc_includepicture,
    # What Office resolves, whatever the names say (issue 17).
    hostile_office.docx_dde_header_named_bin,
    hostile_office.docx_hyperlink_used_as_image,
    hostile_office.docx_hyperlink_used_as_template,
    hostile_office.docx_includepicture,
    hostile_office.docx_quote_computed_dde,
    hostile_office.docx_huge_instruction,
    hostile_office.docx_jar_inside,
    # Zips that readers list differently.
    hostile_office.docx_local_header_hides_an_entry,
    hostile_office.docx_unicode_path_renames_an_entry,
]
HONEST = [documents.report_docx, documents.handbook_docx, documents.relative_link_docx, documents.letter_doc]


def test_a_zip_behind_another_format_is_refused_by_the_sniff_first(client, s3):
    """Leading data (an HTML page, an .exe stub) hides the zip from the sniff: refused as what
    it starts with, before the zip is even looked at (the inspector alone says leading_data)."""
    for build in (hostile_office.docx_html_in_front, hostile_office.docx_exe_in_front):
        name, data, _ = build()
        response = client.post("/uploads", data=form(name, data))
        assert response.status_code == 415
        assert response.get_json()["error"]["code"] == "content_type_not_allowed"
    assert keys(s3) == []


def form(name: str, data: bytes) -> dict:
    return {"file": [(io.BytesIO(data), name)]}


@pytest.mark.parametrize("build", REPRESENTATIVE, ids=lambda b: b.__name__)
def test_inline_refuses_hostile_documents_with_what_was_found(client, s3, build):
    name, data, found = build()
    response = client.post("/uploads", data=form(name, data))
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert (error["code"], error["found"]) == ("unsafe_content", found)
    assert keys(s3) == []


@pytest.mark.parametrize("build", REPRESENTATIVE, ids=lambda b: b.__name__)
def test_validator_rejects_hostile_documents_and_serves_nothing(handler, s3, build):
    name, data, found = build()
    client = handler.app.test_client()
    upload_id = client.post("/uploads", json={"filename": name, "size": len(data)}).get_json()["id"]
    s3.put_object(Bucket=BUCKET, Key=f"incoming/{upload_id}", Body=data)
    summary = handler.validate(load_event("s3_object_created.json", bucket=BUCKET, key=f"incoming/{upload_id}"), None)
    assert summary["rejected"] == 1
    upload = client.get(f"/uploads/{upload_id}").get_json()
    assert upload["status"] == "rejected"
    assert upload["reason"]["code"] == "unsafe_content"
    assert keys(s3) == [f"records/{upload_id}.json"]
    assert client.get(f"/uploads/{upload_id}/content").status_code == 409


@pytest.mark.parametrize("build", HONEST, ids=lambda b: b.__name__)
def test_honest_documents_are_accepted_by_both_paths(handler, s3, build):
    name, data, mime = build()
    client = handler.app.test_client()
    inline = client.post("/uploads", data=form(name, data))
    assert inline.status_code == 201, inline.get_json()
    assert inline.get_json()["content_type"] == mime

    upload_id = client.post("/uploads", json={"filename": name, "size": len(data)}).get_json()["id"]
    s3.put_object(Bucket=BUCKET, Key=f"incoming/{upload_id}", Body=data)
    handler.validate(load_event("s3_object_created.json", bucket=BUCKET, key=f"incoming/{upload_id}"), None)
    assert client.get(f"/uploads/{upload_id}").get_json()["status"] == "accepted"
    assert served_bytes(s3, upload_id) == data


def test_an_s3_failure_while_a_document_is_read_leaves_it_pending_for_the_retry(handler, s3, monkeypatch):
    """The validator reads whole objects: S3 failing halfway through must not become a rejection."""
    from upload_core.errors import StorageUnavailable
    from upload_core.validator import ValidationIncomplete

    name, data, _ = documents.report_docx()
    client = handler.app.test_client()
    upload_id = client.post("/uploads", json={"filename": name, "size": len(data)}).get_json()["id"]
    s3.put_object(Bucket=BUCKET, Key=f"incoming/{upload_id}", Body=data)
    event = load_event("s3_object_created.json", bucket=BUCKET, key=f"incoming/{upload_id}")

    def failing(upload_id, into):
        into.write(data[: len(data) // 2])
        raise StorageUnavailable()

    with monkeypatch.context() as patch:
        patch.setattr(handler.store, "download_incoming", failing)
        with pytest.raises(ValidationIncomplete):
            handler.validate(event, None)
    assert client.get(f"/uploads/{upload_id}").get_json()["status"] == "pending"
    assert f"incoming/{upload_id}" in keys(s3)
    assert handler.validate(event, None)["accepted"] == 1
