"""infra/check_template.py, which `make cfn-lint` runs on the packaged template: it passes
the guarded shape and names what is wrong with an open or unthrottled one."""

from __future__ import annotations

import copy
import importlib.util
from pathlib import Path

import pytest

spec = importlib.util.spec_from_file_location(
    "check_template", Path(__file__).resolve().parents[2] / "infra" / "check_template.py"
)
check_template = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_template)


def route(key: str, jwt: bool = False) -> dict:
    props = {"RouteKey": key}
    if jwt:
        props.update(AuthorizationType="JWT", AuthorizerId={"Ref": "HttpApiAuthorizerJwt"})
    return {"Type": "AWS::ApiGatewayV2::Route", "Properties": props}


GUARDED = {
    "Resources": {
        "HttpApiAuthorizerJwt": {
            "Type": "AWS::ApiGatewayV2::Authorizer",
            "Properties": {
                "AuthorizerType": "JWT",
                "JwtConfiguration": {"Issuer": "https://issuer.example.com/", "Audience": ["upload-api"]},
            },
        },
        "HttpApiStage": {
            "Type": "AWS::ApiGatewayV2::Stage",
            "Properties": {"DefaultRouteSettings": {"ThrottlingRateLimit": "50", "ThrottlingBurstLimit": "100"}},
        },
        "Default": route("$default", jwt=True),
        **{f"R{i}": route(key) for i, key in enumerate(sorted(check_template.PUBLIC))},
    }
}


def test_the_guarded_template_passes():
    assert check_template.check(GUARDED) == []


@pytest.mark.parametrize(
    "breakage, complaint",
    [
        (lambda r: r.pop("HttpApiAuthorizerJwt"), "one JWT authorizer"),
        (lambda r: r["Default"]["Properties"].pop("AuthorizationType"), "$default route is not guarded"),
        (lambda r: r.update(Extra=route("POST /uploads")), "POST /uploads is neither public nor guarded"),
        (lambda r: r.pop("R0"), "is missing"),
        (lambda r: r["R1"]["Properties"].update(AuthorizationType="JWT"), "needs a token"),
        (lambda r: r["HttpApiStage"]["Properties"]["DefaultRouteSettings"].clear(), "ThrottlingRateLimit"),
    ],
)
def test_an_open_or_unthrottled_template_is_named(breakage, complaint):
    template = copy.deepcopy(GUARDED)
    breakage(template["Resources"])
    assert any(complaint in problem for problem in check_template.check(template))
