"""AUTH_MODE=jwt: every route x {the owner, another owner, no identity}; GET /uploads pages;
quotas and the expiry that gives them back (with a clock the test controls)."""

from __future__ import annotations

import pytest

from tests.support import samples
from tests.support.helpers import BUCKET, ISSUER, caller, import_handler, keys, load_event, owner_of

ALICE, BOB = "alice-sub", "bob-sub"


@pytest.fixture
def jwt_env(env):
    env.setenv("AUTH_MODE", "jwt")
    return env


@pytest.fixture
def config(jwt_env, bucket):
    from upload_core.config import Config

    return Config.from_env()


@pytest.fixture
def store(config, clock):
    from upload_core.s3.store import S3Store

    store = S3Store(config)
    store.owners.clock = clock
    return store


def as_(client, sub):
    """Requests from `sub` (None: without a token's claims)."""

    class Caller:
        def __getattr__(self, method):
            return lambda *a, **kw: getattr(client, method)(*a, environ_base=caller(sub), **kw)

    return Caller()


def presigned(client, sub=ALICE, size=1000, name="photo.png"):
    response = as_(client, sub).post("/uploads", json={"filename": name, "size": size})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def companion_multipart(client, sub=ALICE):
    response = as_(client, sub).post("/s3/multipart", json={"filename": "big.png", "type": "image/png"})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def land_and_validate(s3, store, config, upload_id, data):
    from upload_core.validator import validate_event

    s3.put_object(Bucket=BUCKET, Key=f"incoming/{upload_id}", Body=data)
    return validate_event(
        load_event("s3_object_created.json", bucket=BUCKET, key=f"incoming/{upload_id}"), store, config
    )


# Every route that names an upload: (method, path, body, the owner's status, the upload's id).
def _routes(client, s3, store, config):
    single = presigned(client)["id"]
    accepted = presigned(client, size=len(samples.png()))["id"]
    land_and_validate(s3, store, config, accepted, samples.png())
    big = presigned(client, size=200 * 1024 * 1024)["id"]
    comp = companion_multipart(client)
    c, k = comp["key"].removeprefix("incoming/"), f"?key={comp['key']}"
    u = comp["uploadId"]
    return {
        "status": ("get", f"/uploads/{single}", None, 200, single),
        "content": ("get", f"/uploads/{accepted}/content", None, 303, accepted),
        "sign parts": ("post", f"/uploads/{big}/parts", {"part_numbers": [2]}, 200, big),
        "list parts": ("get", f"/uploads/{big}/parts", None, 200, big),
        "complete": ("post", f"/uploads/{big}/complete", {"parts": []}, 400, big),
        "delete": ("delete", f"/uploads/{single}", None, 204, single),
        "companion list": ("get", f"/s3/multipart/{u}{k}", None, 200, c),
        "companion sign": ("get", f"/s3/multipart/{u}/1{k}", None, 200, c),
        "companion batch": ("get", f"/s3/multipart/{u}/batch{k}&partNumbers=1,2", None, 200, c),
        "companion complete": ("post", f"/s3/multipart/{u}/complete{k}", {"parts": []}, 400, c),
        "companion abort": ("delete", f"/s3/multipart/{u}{k}", None, 200, c),
    }


ROUTES = [
    "status",
    "content",
    "sign parts",
    "list parts",
    "complete",
    "delete",
    "companion list",
    "companion sign",
    "companion batch",
    "companion complete",
    "companion abort",
]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("who", ["owner", "another owner", "no identity"])
def test_every_route_answers_only_its_owner(client, s3, store, config, route, who):
    from upload_core.inspect.naming import new_id

    method, path, body, owner_status, upload_id = _routes(client, s3, store, config)[route]
    sub = {"owner": ALICE, "another owner": BOB, "no identity": None}[who]
    kwargs = {"json": body} if body is not None else {}
    response = getattr(as_(client, sub), method)(path, **kwargs)
    if who == "owner":
        assert response.status_code == owner_status, response.get_json()
        return
    if who == "no identity":
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.get_json()["error"]["code"] == "unauthorized"
    else:
        # Someone else's upload gets the very answer an id that never existed gets.
        never = new_id()
        missing = getattr(as_(client, sub), method)(path.replace(upload_id, never), **kwargs)
        assert (response.status_code, missing.status_code) == (404, 404)
        assert response.get_json() == _with(missing.get_json(), never, upload_id)
    # Either way nothing happened to the owner's upload.
    assert as_(client, ALICE).get(f"/uploads/{upload_id}").status_code == 200


def _with(body, old: str, new: str):
    """The body with the id the client named swapped (messages name it)."""
    import json

    return json.loads(json.dumps(body).replace(old, new))


@pytest.mark.parametrize(
    "method, path, kwargs",
    [
        ("post", "/uploads", {"json": {"filename": "a.png", "size": 10}}),
        ("post", "/uploads", {"data": {"file": (__import__("io").BytesIO(b"x"), "a.png")}}),
        ("get", "/uploads", {}),
        ("get", "/s3/params?filename=a.png&type=image/png", {}),
        ("post", "/s3/multipart", {"json": {"filename": "a.png", "type": "image/png"}}),
    ],
)
def test_creating_and_listing_need_an_identity(client, s3, method, path, kwargs):
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert keys(s3) == []


@pytest.mark.parametrize("path", ["/", "/healthz", "/openapi.json", "/assets/upload.js"])
def test_public_routes_need_no_identity(client, path):
    assert client.get(path).status_code == 200


def test_claims_from_a_rest_api_payload_1_event_count_too(client):
    response = client.post("/uploads", json={"filename": "a.png", "size": 10}, environ_base=caller(ALICE, "1.0"))
    assert response.status_code == 201
    upload_id = response.get_json()["id"]
    assert as_(client, ALICE).get(f"/uploads/{upload_id}").status_code == 200
    assert as_(client, BOB).get(f"/uploads/{upload_id}").status_code == 404


def test_through_the_lambda_handler_the_event_claims_decide(jwt_env, bucket):
    handler = import_handler()
    event = load_event("api_v2_healthz.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/uploads"
    assert handler.api(event, None)["statusCode"] == 401
    # Claims without an issuer are no caller: a `sub` is someone only within its issuer.
    event["requestContext"]["authorizer"] = {"jwt": {"claims": {"sub": ALICE}, "scopes": None}}
    assert handler.api(event, None)["statusCode"] == 401
    claims = {"sub": ALICE, "iss": ISSUER}
    event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    answer = handler.api(event, None)
    assert answer["statusCode"] == 200, answer["body"]


def test_the_validator_keeps_the_owner(client, s3, store, config):
    upload = presigned(client, size=len(samples.png()))
    assert land_and_validate(s3, store, config, upload["id"], samples.png())["accepted"] == 1
    assert store.get_record(upload["id"]).owner == owner_of(ALICE)
    assert as_(client, BOB).get(f"/uploads/{upload['id']}").status_code == 404
    assert as_(client, ALICE).get(f"/uploads/{upload['id']}").get_json()["status"] == "accepted"


def test_the_same_sub_from_another_issuer_is_someone_else(client, s3, store, config):
    """The owner is the pair (issuer, sub): a token of another issuer with the same `sub`
    sees nothing of the first one's uploads, lists nothing, and has its own quota."""
    mine = presigned(client, size=len(samples.png()))["id"]
    land_and_validate(s3, store, config, mine, samples.png())
    other = caller(ALICE, iss="https://other-issuer.example")
    for path in (f"/uploads/{mine}", f"/uploads/{mine}/content"):
        assert client.get(path, environ_base=other).status_code == 404
    assert client.delete(f"/uploads/{mine}", environ_base=other).status_code == 404
    assert client.get("/uploads", environ_base=other).get_json()["uploads"] == []
    assert [u["id"] for u in as_(client, ALICE).get("/uploads").get_json()["uploads"]] == [mine]
    assert store.get_record(mine).owner == owner_of(ALICE)


def test_records_of_a_bare_sub_written_before_owners_were_pairs_are_nobodys(client, s3, store):
    """README (Who may do what): the issuer of such a record is unknown, so no caller owns it."""
    import json

    upload_id = presigned(client)["id"]
    key = f"records/{upload_id}.json"
    raw = json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    raw["owner"] = ALICE  # as written before
    s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(raw).encode())
    assert as_(client, ALICE).get(f"/uploads/{upload_id}").status_code == 404
    assert store.get_record(upload_id).owner == owner_of(ALICE, iss="")


# listing ------------------------------------------------------------------------
def test_listing_pages_newest_first_and_only_the_callers(client, clock):
    mine = []
    for i in range(7):
        clock.now += 1
        mine.append(presigned(client, name=f"photo{i}.png")["id"])
        presigned(client, sub=BOB, name=f"other{i}.png")
    seen, cursor, pages = [], None, 0
    while True:
        query = f"?limit=3{'&cursor=' + cursor if cursor else ''}"
        page = as_(client, ALICE).get(f"/uploads{query}").get_json()
        pages += 1
        assert len(page["uploads"]) <= 3
        seen += [u["id"] for u in page["uploads"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(mine))
    assert pages == 3
    bobs = as_(client, BOB).get("/uploads?limit=100").get_json()
    assert {u["filename"] for u in bobs["uploads"]} == {f"other{i}.png" for i in range(7)}
    assert bobs["next_cursor"] is None


def test_a_deleted_upload_leaves_the_list(client, s3):
    first, second = presigned(client)["id"], presigned(client)["id"]
    assert as_(client, ALICE).delete(f"/uploads/{first}").status_code == 204
    listed = as_(client, ALICE).get("/uploads").get_json()["uploads"]
    assert [u["id"] for u in listed] == [second]
    assert not [k for k in keys(s3) if first in k]


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=101",
        "limit=x",
        "cursor=../../records",
        "cursor=zz",
        # odd numerals: superscript, circled, Arabic-Indic, fullwidth (int() takes the last two)
        "limit=²",
        "limit=①",
        "limit=٣",
        "limit=１",
        "limit=+5",
        "limit=99999999999999999999999",
        "cursor=٨٢٠٠٠٠٠٠٠٠٠٠٠-abc",
    ],
)
def test_bad_listing_parameters_are_400(client, query):
    from urllib.parse import quote

    name, _, value = query.partition("=")
    response = as_(client, ALICE).get(f"/uploads?{name}={quote(value)}")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_request"


def test_listing_without_auth_mode_jwt_is_404(env, bucket):
    from upload_core.http import create_app

    response = create_app().test_client().get("/uploads")
    assert response.status_code == 404
    assert "AUTH_MODE=jwt" in response.get_json()["error"]["message"]


def test_uploads_whose_records_expired_leave_the_list_but_new_ones_stay(client, s3, store, clock):
    old = presigned(client)["id"]
    clock.now += 2 * 3600
    new = presigned(client)["id"]
    for upload_id in (old, new):  # as the bucket lifecycle, or a record not yet written
        s3.delete_object(Bucket=BUCKET, Key=f"records/{upload_id}.json")
    assert as_(client, ALICE).get("/uploads").get_json()["uploads"] == []
    index = [k for k in keys(s3) if "/index/" in k]
    assert len(index) == 1 and index[0].endswith(new)  # the fresh entry is kept: its record may be on its way
