"""Prove the packaged CloudFormation template guards the API as README says: a JWT
authorizer on the catch-all route, the public routes without it, and throttling on the
stage's default route settings; and that it deploys on a new account as README says
(check_deployment): no reserved concurrency unless asked for, the gateway's own CORS for
the configured origins, a bucket whose name is not fixed in advance and whose CORS lets
the built-in page's own origin in, and the scheduled sweep with its own role; and that it
carries exactly what its malware scanner needs (check_scanner).

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


SCAN_RESULT = "GuardDuty Malware Protection Object Scan Result"
# The functions whose code streams bytes to clamd: inline uploads, the validator, and the
# sweep, which runs the validator.
SCANNING = ("ApiLambdaFunction", "ValidateLambdaFunction", "SweepLambdaFunction")


def check_scanner(template: dict) -> list[str]:
    """The template carries what its MALWARE_SCANNER needs and nothing another one would
    (README "Malware scanning"): guardduty, the plan on incoming/ with its role, the rule that
    takes the plan's results to handler.scan_result, a versioned bucket; clamd, the functions
    that scan in the VPC with the endpoints they need; none, neither."""
    resources = template["Resources"]
    functions = {n: r["Properties"] for n, r in resources.items() if r["Type"] == "AWS::Lambda::Function"}
    scanners = {(f.get("Environment") or {}).get("Variables", {}).get("MALWARE_SCANNER") for f in functions.values()}
    if len(scanners) != 1 or None in scanners:
        return [f"the functions disagree on MALWARE_SCANNER (or lack it): {sorted(map(str, scanners))}"]
    scanner = scanners.pop()

    def of_type(kind: str) -> dict:
        return {n: r for n, r in resources.items() if r["Type"] == kind}

    plans, endpoints = of_type("AWS::GuardDuty::MalwareProtectionPlan"), of_type("AWS::EC2::VPCEndpoint")
    in_vpc = sorted(n for n, f in functions.items() if f.get("VpcConfig"))
    scan_result = [n for n, f in functions.items() if f.get("Handler") == "handler.scan_result"]
    bucket = resources.get("S3BucketUploads", {}).get("Properties", {})
    problems = []
    if scanner != "guardduty":
        problems += [f"{scanner}: unexpected {name}" for name in sorted([*plans, *scan_result])]
        if bucket.get("VersioningConfiguration"):
            problems.append(f"{scanner}: the bucket is versioned, which only guardduty needs")
    if scanner != "clamd":
        problems += [f"{scanner}: unexpected {name}" for name in sorted(endpoints)]
        problems += [f"{scanner}: {name} is in a VPC" for name in in_vpc]
    if scanner == "guardduty":
        problems += _guardduty(resources, plans, scan_result, bucket)
    elif scanner == "clamd":
        problems += _clamd(template, functions, endpoints)
    elif scanner != "none":
        problems.append(f"unknown MALWARE_SCANNER {scanner!r}")
    return problems


def _guardduty(resources: dict, plans: dict, scan_result: list, bucket: dict) -> list[str]:
    problems = []
    if len(plans) != 1:
        return [f"guardduty: expected one malware protection plan, found {len(plans)}"]
    plan = next(iter(plans.values()))["Properties"]
    s3 = plan.get("ProtectedResource", {}).get("S3Bucket", {})
    if s3.get("BucketName") != {"Ref": "S3BucketUploads"} or s3.get("ObjectPrefixes") != ["incoming/"]:
        problems.append(f"guardduty: the plan does not protect incoming/ of the upload bucket: {s3}")
    role = resources.get((plan.get("Role") or {}).get("Fn::GetAtt", [""])[0], {}).get("Properties", {})
    trusted = [s["Principal"].get("Service") for s in role.get("AssumeRolePolicyDocument", {}).get("Statement", [])]
    if trusted != ["malware-protection-plan.guardduty.amazonaws.com"]:
        problems.append(f"guardduty: the plan's role is not GuardDuty's to assume: {trusted}")
    if len(scan_result) != 1:
        return [*problems, f"guardduty: expected one handler.scan_result function, found {scan_result}"]
    target = {"Fn::GetAtt": [scan_result[0], "Arn"]}
    rules = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Events::Rule"]
    to_it = [r for r in rules if any(t.get("Arn") == target for t in r.get("Targets", []))]
    results = [r for r in to_it if "EventPattern" in r and "EventBusName" not in r]  # the default bus
    pattern = results[0]["EventPattern"] if len(results) == 1 else {}
    if (
        pattern.get("source") != ["aws.guardduty"]
        or pattern.get("detail-type") != [SCAN_RESULT]
        or pattern.get("detail", {}).get("s3ObjectDetails", {}).get("bucketName") != [{"Ref": "S3BucketUploads"}]
    ):
        problems.append("guardduty: no default-bus rule sends the bucket's scan results to handler.scan_result")
    if bucket.get("VersioningConfiguration", {}).get("Status") != "Enabled":
        problems.append("guardduty: the bucket is not versioned (results name object versions)")
    rules = bucket.get("LifecycleConfiguration", {}).get("Rules", [])
    if not any("NoncurrentVersionExpiration" in r for r in rules):
        problems.append("guardduty: no lifecycle rule expires noncurrent versions")
    if not bucket.get("NotificationConfiguration", {}).get("EventBridgeConfiguration", {}).get("EventBridgeEnabled"):
        problems.append("guardduty: the bucket does not send its events to EventBridge, where GuardDuty listens")
    # The deadline of a result that never comes is kept by the sweep's schedule.
    schedules = [r for r in rules_of(resources) if "ScheduleExpression" in r]
    if not any("SweepLambdaFunction" in json.dumps(r.get("Targets")) for r in schedules):
        problems.append("guardduty: no schedule runs the sweep, which keeps GuardDuty's deadline")
    for name in ("ValidateRole", "SweepRole", "ApiRole"):
        granted = json.dumps([r for r in resources.values() if r["Type"] == "AWS::IAM::Policy" and
                              {"Ref": name} in r["Properties"].get("Roles", [])])  # fmt: skip
        if "s3:DeleteObjectVersion" not in granted:
            problems.append(f"guardduty: {name} cannot remove object versions (deleted uploads would stay)")
    return problems


def rules_of(resources: dict) -> list[dict]:
    return [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Events::Rule"]


def _clamd(template: dict, functions: dict, endpoints: dict) -> list[str]:
    problems = []
    for name in SCANNING:
        variables = (functions.get(name, {}).get("Environment") or {}).get("Variables", {})
        if not variables.get("CLAMD_ADDRESS"):
            problems.append(f"clamd: {name} has no CLAMD_ADDRESS")
        vpc = functions.get(name, {}).get("VpcConfig") or {}
        if vpc.get("SubnetIds") != {"Ref": "ClamdSubnetIds"} or vpc.get("SecurityGroupIds") != [
            {"Ref": "ClamdSecurityGroupId"}
        ]:
            problems.append(f"clamd: {name} is not in the VPC's subnets with its security group: {vpc}")
    parameters = template.get("Parameters", {})
    for name in ("ClamdVpcId", "ClamdSubnetIds", "ClamdSecurityGroupId"):
        if not parameters.get(name, {}).get("Default"):
            problems.append(f"clamd: parameter {name} is missing or empty")
    if "ClamdRouteTableIds" in parameters:  # CLAMD_VPC_ENDPOINTS=create
        services = {
            (e["Properties"].get("ServiceName", {}).get("Fn::Sub", ""), e["Properties"].get("VpcEndpointType"))
            for e in endpoints.values()
        }
        for service, kind in (("s3", "Gateway"), ("events", "Interface")):
            if (f"com.amazonaws.${{AWS::Region}}.{service}", kind) not in services:
                problems.append(f"clamd: no {service} {kind} endpoint for the functions in the VPC")
    return problems


def main(path: str) -> int:
    template = json.load(open(path, encoding="utf-8"))
    problems = check(template) + check_scanner(template)
    if os.environ.get("CORS_ALLOWED_ORIGINS"):
        origins = [o.strip() for o in os.environ["CORS_ALLOWED_ORIGINS"].split(",") if o.strip()]
        reserved = bool(os.environ.get("API_RESERVED_CONCURRENCY") or os.environ.get("VALIDATE_RESERVED_CONCURRENCY"))
        problems += check_deployment(template, origins, reserved)
    for problem in problems:
        print(f"check_template: {problem}", file=sys.stderr)
    if not problems:
        print(
            "check_template: JWT authorizer on $default, public routes open, stage throttled; no reserved "
            "concurrency, gateway CORS, bucket name per stack, page origin in the bucket's CORS, sweep scheduled; "
            f"MALWARE_SCANNER={_scanner(template)} wired, nothing else"
        )
    return 1 if problems else 0


def _scanner(template: dict) -> str:
    return next(
        r["Properties"]["Environment"]["Variables"]["MALWARE_SCANNER"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
