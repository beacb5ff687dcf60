"""The detail of a decision event (API.md "Events"): the upload resource, its owner when
the record has one, and the served key of an accepted upload."""

from dataclasses import replace

from upload_core.notify import DETAIL_TYPES, event_detail
from upload_core.upload import Method, Owner, Status, Upload


def upload() -> Upload:
    return Upload(
        id="abc", status=Status.PENDING, filename="photo.png", size=10, content_type="image/png", method=Method.PUT
    )


def test_an_accepted_upload_names_the_object_served_and_no_owner_when_unknown():
    accepted = upload().accepted("image/png", 10)
    detail = event_detail(accepted, "files/abc")
    assert detail == {**accepted.resource(""), "key": "files/abc"}
    assert "owner" not in detail
    assert DETAIL_TYPES[accepted.status] == "Upload Accepted"


def test_a_rejected_upload_carries_its_reason_and_its_owner_with_its_issuer():
    owned = replace(upload(), owner=Owner(iss="https://issuer.example", sub="user-42"))
    rejected = owned.rejected({"code": "unsafe_content", "message": "The PDF contains JavaScript"})
    detail = event_detail(rejected, None)
    assert detail["owner"] == {"iss": "https://issuer.example", "sub": "user-42"}
    assert detail["reason"]["code"] == "unsafe_content"
    assert "key" not in detail
    assert DETAIL_TYPES[rejected.status] == "Upload Rejected"
