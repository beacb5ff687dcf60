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
