"""Prove the packaged CloudFormation template guards the API as README says: a JWT
authorizer on the catch-all route, the public routes without it, and throttling on the
stage's default route settings.

    python infra/check_template.py .serverless/cloudformation-template-update-stack.json

(make cfn-lint packages with JWT_ISSUER/JWT_AUDIENCE, example values unless set.)
"""

from __future__ import annotations

import json
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


def main(path: str) -> int:
    problems = check(json.load(open(path, encoding="utf-8")))
    for problem in problems:
        print(f"check_template: {problem}", file=sys.stderr)
    if not problems:
        print("check_template: JWT authorizer on $default, public routes open, stage throttled")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
