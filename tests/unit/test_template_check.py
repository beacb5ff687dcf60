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


ORIGINS = ["https://app.example.com"]
PAGE_ORIGIN = {"Fn::Sub": "https://app.example.com,https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
DEPLOYABLE = {
    "Resources": {
        "ApiLambdaFunction": {"Type": "AWS::Lambda::Function", "Properties": {"MemorySize": 512}},
        "HttpApi": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"CorsConfiguration": {"AllowOrigins": ORIGINS}}},
        "S3BucketUploads": {
            "Type": "AWS::S3::Bucket",
            "Properties": {
                "BucketName": {"Fn::Join": ["-", ["upload-service", {"Ref": "AWS::StackId"}]]},
                "CorsConfiguration": {"CorsRules": [{"AllowedOrigins": {"Fn::Split": [",", PAGE_ORIGIN]}}]},
                "NotificationConfiguration": {"LambdaConfigurations": []},
            },
        },
        "Sweep": {
            "Type": "AWS::Events::Rule",
            "Properties": {"ScheduleExpression": "rate(15 minutes)", "Targets": [{"Arn": "SweepLambdaFunction"}]},
        },
        "SweepRole": {"Type": "AWS::IAM::Role", "Properties": {"Action": ["s3:GetObject"]}},
    }
}


def test_a_template_a_new_account_can_deploy_passes():
    assert check_template.check_deployment(DEPLOYABLE, ORIGINS) == []


@pytest.mark.parametrize(
    "breakage, complaint",
    [
        (lambda t: t["Resources"]["ApiLambdaFunction"]["Properties"].update(ReservedConcurrentExecutions=50),
         "reserves concurrency"),
        (lambda t: t["Resources"]["HttpApi"]["Properties"].pop("CorsConfiguration"), "HTTP API's own CORS"),
        (lambda t: t["Resources"]["S3BucketUploads"]["Properties"].update(BucketName="uploads-prod"),
         "fixed name"),
        (lambda t: t["Resources"]["S3BucketUploads"]["Properties"].update(
            CorsConfiguration={"CorsRules": [{"AllowedOrigins": ORIGINS}]}), "page's own origin"),
        (lambda t: t["Resources"].pop("Sweep"), "no schedule runs the sweep"),
        (lambda t: t["Resources"]["SweepRole"]["Properties"].update(Action=["sqs:SendMessage"]), "more than"),
    ],
)  # fmt: skip
def test_what_a_first_deploy_would_trip_on_is_named(breakage, complaint):
    template = copy.deepcopy(DEPLOYABLE)
    breakage(template)
    assert any(complaint in problem for problem in check_template.check_deployment(template, ORIGINS))


def test_reserved_concurrency_passes_when_asked_for():
    template = copy.deepcopy(DEPLOYABLE)
    template["Resources"]["ApiLambdaFunction"]["Properties"]["ReservedConcurrentExecutions"] = 50
    assert check_template.check_deployment(template, ORIGINS, reserved=True) == []
