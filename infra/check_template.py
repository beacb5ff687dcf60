"""Prove the packaged CloudFormation template guards the API as README says: a JWT
authorizer on the catch-all route, the public routes without it, and throttling on the
stage's default route settings; and that it deploys on a new account as README says
(check_deployment): no reserved concurrency unless asked for, the gateway's own CORS for
the configured origins, a bucket whose name is not fixed in advance and whose CORS lets
the built-in page's own origin in, and the scheduled sweep with its own role.

    python infra/check_template.py .serverless/cloudformation-template-update-stack.json

(make cfn-lint packages with JWT_ISSUER/JWT_AUDIENCE, example values unless set.)
"""

from __future__ import annotations

import json
import os
import sys

PUBLIC = {"GET /", "GET /assets/{name}", "GET /healthz", "GET /openapi.json", "OPTIONS /{proxy+}"}


def check(template: dict) -> list[str]:
    resources = template["Resources"]
    by_type: dict[str, list[dict]] = {}
    for resource in resources.values():
        by_type.setdefault(resource["Type"], []).append(resource["Properties"])
    problems = []
    authorizers = [a for a in by_type.get("AWS::ApiGatewayV2::Authorizer", []) if a["AuthorizerType"] == "JWT"]
    if len(authorizers) != 1:
        problems.append(f"expected one JWT authorizer, found {len(authorizers)}")
    else:
        jwt = authorizers[0]["JwtConfiguration"]
        if not jwt.get("Issuer") or not jwt.get("Audience"):
            problems.append(f"the JWT authorizer lacks an issuer or an audience: {jwt}")
    routes = {r["RouteKey"]: r for r in by_type.get("AWS::ApiGatewayV2::Route", [])}
    if routes.get("$default", {}).get("AuthorizationType") != "JWT":
        problems.append("the $default route is not guarded by the JWT authorizer")
    for key in sorted(set(routes) - PUBLIC - {"$default"}):
        if routes[key].get("AuthorizationType") != "JWT":
            problems.append(f"route {key} is neither public nor guarded")
    for key in sorted(PUBLIC):
        if key not in routes:
            problems.append(f"public route {key} is missing (it would need a token)")
        elif routes[key].get("AuthorizationType", "NONE") != "NONE":
            problems.append(f"public route {key} needs a token")
    stages = by_type.get("AWS::ApiGatewayV2::Stage", [])
    settings = stages[0].get("DefaultRouteSettings", {}) if stages else {}
    for name in ("ThrottlingRateLimit", "ThrottlingBurstLimit"):
        if not float(settings.get(name) or 0) > 0:
            problems.append(f"the stage has no {name}")
    return problems


def check_deployment(template: dict, origins: list[str], reserved: bool = False) -> list[str]:
    """What a first deploy on a new account needs (README "Deploying")."""
    resources = template["Resources"]
    problems = []
    functions = {k: r["Properties"] for k, r in resources.items() if r["Type"] == "AWS::Lambda::Function"}
    for name, props in sorted(functions.items()):
        if "ReservedConcurrentExecutions" in props and not reserved:
            problems.append(f"{name} reserves concurrency by default (a new account's quota cannot take it)")
    apis = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::ApiGatewayV2::Api"]
    cors = apis[0].get("CorsConfiguration") if apis else None
    if not cors or sorted(cors.get("AllowOrigins", [])) != sorted(origins):
        problems.append(f"the HTTP API's own CORS does not allow exactly {origins}: {cors}")
    bucket = resources.get("S3BucketUploads", {}).get("Properties", {})
    if isinstance(bucket.get("BucketName"), str):
        problems.append(f"the bucket has a fixed name, {bucket['BucketName']} (a redeploy after sls remove fails)")
    rule = json.dumps(bucket.get("CorsConfiguration", {}))
    if "execute-api" not in rule or "HttpApi" not in rule:
        problems.append("the bucket's CORS rule does not let the built-in page's own origin in")
    if "NotificationConfiguration" not in bucket:
        problems.append("the bucket does not notify the validator")
    schedules = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::Events::Rule" and "ScheduleExpression" in r["Properties"]
    ]
    if not any("SweepLambdaFunction" in json.dumps(rule["Targets"]) for rule in schedules):
        problems.append("no schedule runs the sweep")
    sweep_role = json.dumps(resources.get("SweepRole", {}))
    if "sqs:" in sweep_role or "s3:*" in sweep_role or '"Action": "*"' in sweep_role:
        problems.append("the sweep's role grants more than validating needs")
    return problems


def main(path: str) -> int:
    template = json.load(open(path, encoding="utf-8"))
    problems = check(template)
    if os.environ.get("CORS_ALLOWED_ORIGINS"):
        origins = [o.strip() for o in os.environ["CORS_ALLOWED_ORIGINS"].split(",") if o.strip()]
        reserved = bool(os.environ.get("API_RESERVED_CONCURRENCY") or os.environ.get("VALIDATE_RESERVED_CONCURRENCY"))
        problems += check_deployment(template, origins, reserved)
    for problem in problems:
        print(f"check_template: {problem}", file=sys.stderr)
    if not problems:
        print(
            "check_template: JWT authorizer on $default, public routes open, stage throttled; no reserved "
            "concurrency, gateway CORS, bucket name per stack, page origin in the bucket's CORS, sweep scheduled"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
