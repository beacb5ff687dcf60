"""The local gateway in AUTH_MODE=jwt (make dev AUTH=jwt) does what API Gateway's JWT
authorizer does: every bad token gets API Gateway's own 401, a good one reaches the
function with its claims in the event, and the public routes need none."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from werkzeug.test import Client

from tests.support.helpers import import_handler

UNAUTHORIZED = {"message": "Unauthorized"}


@pytest.fixture
def issuer():
    from devstack.issuer import LocalIssuer

    return LocalIssuer()


@pytest.fixture
def gateway(env, bucket, issuer):
    from devstack.gateway_server import Gateway

    env.setenv("AUTH_MODE", "jwt")
    handler = import_handler()
    return Client(Gateway(handler.api, 4 * 1024 * 1024, 8000, issuer))


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _bad_tokens(issuer):
    from devstack.issuer import LocalIssuer

    forger = LocalIssuer()  # same issuer and audience, another key
    return {
        "bad signature": forger.mint("alice"),
        "wrong issuer": LocalIssuer(issuer="https://elsewhere.example", key=issuer.key).mint("alice"),
        "wrong audience": LocalIssuer(audience="another-api", key=issuer.key).mint("alice"),
        "expired": issuer.mint("alice", ttl_seconds=-60),
        "not a JWT": "not-a-token",
        "tampered claims": _tamper(issuer.mint("alice")),
    }


def _tamper(token: str) -> str:
    import base64
    import json

    head, body, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["sub"] = "mallory"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{head}.{forged}.{sig}"


@pytest.mark.parametrize(
    "case", ["bad signature", "wrong issuer", "wrong audience", "expired", "not a JWT", "tampered claims", "none"]
)
def test_a_bad_or_missing_token_gets_api_gateways_401(gateway, issuer, case):
    headers = {} if case == "none" else bearer(_bad_tokens(issuer)[case])
    response = gateway.post("/uploads", json={"filename": "a.png", "size": 10}, headers=headers)
    assert response.status_code == 401
    assert response.get_json() == UNAUTHORIZED
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_good_token_reaches_the_function_with_its_claims(gateway, issuer):
    created = gateway.post("/uploads", json={"filename": "a.png", "size": 10}, headers=bearer(issuer.mint("alice")))
    assert created.status_code == 201, created.get_json()
    upload_id = created.get_json()["id"]
    assert gateway.get(f"/uploads/{upload_id}", headers=bearer(issuer.mint("alice"))).status_code == 200
    # another sub's valid token: the function's own 404, not the authorizer's 401
    other = gateway.get(f"/uploads/{upload_id}", headers=bearer(issuer.mint("bob")))
    assert other.status_code == 404 and other.get_json()["error"]["code"] == "not_found"


def test_the_token_endpoint_mints_a_working_token_for_any_sub(gateway):
    minted = gateway.get("/_local/token?sub=carol").get_json()
    assert minted["sub"] == "carol"
    response = gateway.get("/uploads", headers=bearer(minted["token"]))
    assert response.status_code == 200 and response.get_json() == {"uploads": [], "next_cursor": None}


@pytest.mark.parametrize("path", ["/", "/healthz", "/openapi.json", "/assets/upload.js"])
def test_public_routes_need_no_token(gateway, path):
    assert gateway.get(path).status_code == 200


def test_cors_preflights_need_no_token(gateway):
    response = gateway.options(
        "/uploads", headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    )
    assert response.status_code == 204


def test_the_local_public_routes_are_the_deployed_ones():
    from devstack.gateway_server import PUBLIC_ROUTES

    js = (Path(__file__).resolve().parents[2] / "infra" / "api_auth.js").read_text("utf-8")
    deployed = re.search(r"const PUBLIC_ROUTES = \[(.*?)\];", js, re.S).group(1)
    assert tuple(re.findall(r"'([^']+)'", deployed)) == PUBLIC_ROUTES
