"""`python -m devstack --auth jwt` (make dev AUTH=jwt) as a user runs it: the token printed
at start works, as does one minted for another sub, and each sees only their own uploads;
a presigned upload is validated with its owner kept."""

from __future__ import annotations

import re
import time

import pytest
import requests

from tests.stack.conftest import start_stack
from tests.support import samples


@pytest.fixture(scope="module")
def jwt_stack(tmp_path_factory):
    running = start_stack(tmp_path_factory.mktemp("jwt-stack"), "--auth", "jwt")
    yield running
    assert running.stop() == 0, running.output()


def test_the_printed_token_uploads_and_another_user_sees_nothing_of_it(jwt_stack):
    deadline = time.monotonic() + 20  # the start-up lines follow the first /healthz answer
    while not (printed := re.search(r"export UPLOAD_TOKEN=(\S+)", jwt_stack.output())):
        assert time.monotonic() < deadline, jwt_stack.output()
        time.sleep(0.1)
    me = {"Authorization": f"Bearer {printed.group(1)}"}
    png = samples.png()
    assert requests.post(f"{jwt_stack.api}/uploads", json={"filename": "a.png", "size": len(png)}).status_code == 401
    issued = requests.post(f"{jwt_stack.api}/uploads", json={"filename": "a.png", "size": len(png)}, headers=me).json()
    sent = requests.put(issued["upload"]["url"], data=png, headers=issued["upload"]["headers"], timeout=10)
    assert sent.status_code == 200
    upload = requests.get(f"{jwt_stack.api}/uploads/{issued['id']}", headers=me, timeout=5).json()
    for _ in range(50):
        if upload["status"] != "pending":
            break
        upload = requests.get(f"{jwt_stack.api}/uploads/{issued['id']}", headers=me, timeout=5).json()
    assert upload["status"] == "accepted"

    other = requests.get(f"{jwt_stack.api}/_local/token?sub=someone-else", timeout=5).json()["token"]
    them = {"Authorization": f"Bearer {other}"}
    assert requests.get(f"{jwt_stack.api}/uploads/{issued['id']}", headers=them, timeout=5).status_code == 404
    assert requests.get(f"{jwt_stack.api}/uploads", headers=them, timeout=5).json()["uploads"] == []
    mine = requests.get(f"{jwt_stack.api}/uploads", headers=me, timeout=5).json()["uploads"]
    assert [u["id"] for u in mine] == [issued["id"]]
    assert printed.group(1) not in jwt_stack.output().replace(printed.group(0), "")  # printed once, never logged


def test_errors_the_gateway_answers_itself_carry_cors_for_the_configured_origins(jwt_stack):
    """A frontend on another origin whose token expired must be able to read the 401 (and a
    413) to react; API Gateway's CORS configuration puts the headers on its own answers."""
    from tests.stack.conftest import ALLOWED_ORIGIN

    token = requests.get(f"{jwt_stack.api}/_local/token?sub=cors-user", timeout=5).json()["token"]
    for origin, expected in ((ALLOWED_ORIGIN, ALLOWED_ORIGIN), ("https://elsewhere.example", None)):
        expired = {"Authorization": "Bearer not.a.token", "Origin": origin}
        refused = requests.get(f"{jwt_stack.api}/uploads", headers=expired, timeout=5)
        assert refused.status_code == 401 and refused.json() == {"message": "Unauthorized"}
        assert refused.headers.get("Access-Control-Allow-Origin") == expected
        too_big = requests.post(
            f"{jwt_stack.api}/uploads",
            data=b"x" * (11 * 1024 * 1024),
            headers={"Origin": origin, "Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert too_big.status_code == 413
        assert too_big.headers.get("Access-Control-Allow-Origin") == expected
    preflight = requests.options(
        f"{jwt_stack.api}/uploads",
        headers={"Origin": ALLOWED_ORIGIN, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization,content-type"},
        timeout=5,
    )  # fmt: skip
    assert preflight.status_code == 204
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"]
