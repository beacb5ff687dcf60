"""MALWARE_SCANNER at deploy time: infra/scanner.js decides as Config does, the deploy refuses a
scanner it cannot wire, infra/scanner_plugin.js adds exactly the chosen scanner's resources,
and infra/check_template.py names what is missing or extra.

The plugin runs under Node on a template skeleton shaped as osls compiles serverless.yml (the
bucket, the three functions with their roles, the sweep's schedule); `make checkov`
packages the real thing for each scanner and runs cfn-lint, check_template and checkov on it."""

from __future__ import annotations

import copy
import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from upload_core.config import Config, ConfigError

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("check_template", ROOT / "infra" / "check_template.py")
check_template = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_template)

NODE = shutil.which("node") or "node"  # the Serverless toolchain's own runtime (package.json engines)

NETWORK = {
    "CLAMD_VPC_ID": "vpc-0a1b2c3d4e5f60718",
    "CLAMD_SUBNET_IDS": "subnet-0a1b2c3d4e5f60718,subnet-1a1b2c3d4e5f60718",
    "CLAMD_SECURITY_GROUP_ID": "sg-0a1b2c3d4e5f60718",
    "CLAMD_ROUTE_TABLE_IDS": "rtb-0a1b2c3d4e5f60718",
}
BUCKET_NAME = "upload-service-dev-us-east-1-uploads"


def node(script: str, *args: str, env: dict[str, str] | None = None) -> dict:
    run = subprocess.run(
        [NODE, "-e", script, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


DECIDE = "console.log(JSON.stringify(require('./infra/scanner.js').decide(JSON.parse(process.argv[1]))))"


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"CLAMD_ADDRESS": "clamd.internal:3310", **NETWORK},
        {"MALWARE_SCANNER": "guardduty"},
        {"MALWARE_SCANNER": "none"},
        {"MALWARE_SCANNER": " GuardDuty "},
        {"MALWARE_SCANNER": "clamav"},
        {"MALWARE_SCANNER": "clamd", **NETWORK},
        {"MALWARE_SCANNER": "guardduty", "CLAMD_ADDRESS": "clamd.internal:3310"},
        {"MALWARE_SCANNER": "none", "CLAMD_ADDRESS": "clamd.internal:3310"},
        {"MALWARE_SCANNER": "guardduty", "SCAN_RESULT_TIMEOUT_SECONDS": "0"},
        {"MALWARE_SCANNER": "guardduty", "SCAN_RESULT_TIMEOUT_SECONDS": "90000"},
        {"MALWARE_SCANNER": "guardduty", "SCAN_RESULT_TIMEOUT_SECONDS": "900"},
    ],
)
def test_the_deploy_decides_as_the_functions_will(env):
    """What serverless.yml resolves is what Config accepts at start-up, or both refuse."""
    decided = node(DECIDE, json.dumps(env))
    try:
        config = Config.from_env({"UPLOAD_BUCKET": "b", **env})
    except ConfigError as exc:
        assert decided["problems"], f"the deploy would wire what the functions refuse: {exc}"
        assert exc.variable in " ".join(decided["problems"])
    else:
        assert decided["problems"] == []
        assert decided["scanner"] == config.malware_scanner


@pytest.mark.parametrize(
    "missing",
    ["CLAMD_VPC_ID", "CLAMD_SUBNET_IDS", "CLAMD_SECURITY_GROUP_ID", "CLAMD_ROUTE_TABLE_IDS"],
)
def test_clamd_without_its_network_settings_is_refused_naming_what_is_missing(missing):
    env = {"CLAMD_ADDRESS": "clamd.internal:3310", **NETWORK}
    del env[missing]
    assert any(missing in problem for problem in node(DECIDE, json.dumps(env))["problems"])
    # A VPC with its endpoints already needs no route tables.
    env.update(CLAMD_VPC_ENDPOINTS="existing")
    assert (node(DECIDE, json.dumps(env))["problems"] == []) == (missing == "CLAMD_ROUTE_TABLE_IDS")


def skeleton() -> dict:
    """The resources the plugin extends, as osls compiles them from serverless.yml."""

    def function(handler: str, role: str) -> dict:
        return {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Handler": handler,
                "Role": {"Fn::GetAtt": [role, "Arn"]},
                "Environment": {"Variables": {}},
            },
            "DependsOn": [f"{role}"],
        }

    return {
        "Resources": {
            "SweepSchedule": {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "ScheduleExpression": "rate(15 minutes)",
                    "Targets": [{"Arn": {"Fn::GetAtt": ["SweepLambdaFunction", "Arn"]}, "Id": "sweep"}],
                },
            },
            "S3BucketUploads": {
                "Type": "AWS::S3::Bucket",
                "Properties": {
                    "BucketName": BUCKET_NAME,
                    "LifecycleConfiguration": {"Rules": [{"Id": "abort", "Status": "Enabled"}]},
                    "NotificationConfiguration": {"LambdaConfigurations": [{"Event": "s3:ObjectCreated:*"}]},
                },
            },
            "ApiRole": {"Type": "AWS::IAM::Role", "Properties": {}},
            "ValidateRole": {"Type": "AWS::IAM::Role", "Properties": {}},
            "SweepRole": {"Type": "AWS::IAM::Role", "Properties": {}},
            "ApiLambdaFunction": function("handler.api", "ApiRole"),
            "ValidateLambdaFunction": function("handler.validate", "ValidateRole"),
            "SweepLambdaFunction": function("handler.sweep", "SweepRole"),
        }
    }


PLUGIN = """
const Plugin = require('./infra/scanner_plugin.js');
const template = JSON.parse(process.argv[1]);
const serverless = { processedInput: { commands: [process.argv[2]] },
                     service: { provider: { compiledCloudFormationTemplate: template } } };
const plugin = new Plugin(serverless);
try { plugin.hooks.initialize(); } catch (e) { console.log(JSON.stringify({ refused: e.message })); process.exit(0); }
plugin.hooks['after:aws:package:finalize:mergeCustomProviderResources']();
console.log(JSON.stringify(template));
"""


def packaged(env: dict[str, str], command: str = "package") -> dict:
    """The skeleton after the plugin, plus what osls compiles from infra/scanner.js's function
    (its environment, and for guardduty the scan_result function with its rule)."""
    template = node(PLUGIN, json.dumps(skeleton()), command, env=env)
    if "refused" in template:
        return template
    scanner = node(DECIDE, json.dumps(env))
    variables = {"MALWARE_SCANNER": scanner["scanner"], "CLAMD_ADDRESS": scanner["address"]}
    resources = template["Resources"]
    if scanner["scanner"] == "guardduty":
        spec = node("console.log(JSON.stringify(require('./infra/scanner.js').scanResultFunction()))")
        resources["ScanResultLambdaFunction"] = {
            "Type": "AWS::Lambda::Function",
            "Properties": {"Handler": spec["handler"], "Environment": {"Variables": {}}},
        }
        target = [{"Arn": {"Fn::GetAtt": ["ScanResultLambdaFunction", "Arn"]}, "Id": "t"}]
        events = {list(e)[0]: list(e.values())[0] for e in spec["events"]}
        assert list(events) == ["eventBridge"]  # no schedule of its own: the sweep's keeps the deadline
        resources["ScanResultRule"] = {
            "Type": "AWS::Events::Rule",
            "Properties": {"EventPattern": events["eventBridge"]["pattern"], "Targets": target},
        }
    for resource in resources.values():
        if resource["Type"] == "AWS::Lambda::Function":
            resource["Properties"]["Environment"]["Variables"].update(variables)
    return template


def test_guardduty_gets_the_plan_on_incoming_its_role_the_rule_and_a_versioned_bucket():
    template = packaged({"MALWARE_SCANNER": "guardduty"})
    assert check_template.check_scanner(template) == []
    resources = template["Resources"]
    plan = resources["MalwareProtectionPlan"]["Properties"]
    assert plan["ProtectedResource"]["S3Bucket"]["ObjectPrefixes"] == ["incoming/"]
    assert plan["Actions"]["Tagging"]["Status"] == "DISABLED"
    # Least privilege: GuardDuty reads object versions under incoming/ only, and tags nothing.
    statements = resources["MalwareProtectionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    scan = next(s for s in statements if s["Sid"] == "AllowMalwareScan")
    assert scan["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:s3:::${S3BucketUploads}/incoming/*"}
    assert not [a for s in statements for a in [s["Action"]] if "Tagging" in json.dumps(a)]
    assert "VpcConfig" not in resources["ApiLambdaFunction"]["Properties"]
    # No copy inside S3 any more: GuardDuty's result writes no bytes, it only removes them.
    scan_result = json.dumps(resources["ScanResultRole"])
    assert '"s3:PutObject"' not in json.dumps(
        [s for s in resources["ScanResultRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
         if "files" in json.dumps(s["Resource"])]
    )  # fmt: skip
    assert "DeleteObjectVersion" in scan_result


def test_clamd_gets_the_vpc_settings_and_the_endpoints_and_nothing_of_guardduty():
    template = packaged({"CLAMD_ADDRESS": "clamd.internal:3310", **NETWORK})
    assert check_template.check_scanner(template) == []
    resources = template["Resources"]
    # Every function that streams bytes to clamd: the sweep runs the validator.
    for name in ("ApiLambdaFunction", "ValidateLambdaFunction", "SweepLambdaFunction"):
        assert "FunctionNetworkAccess" in resources[name]["DependsOn"]
    assert {"Ref": "SweepRole"} in resources["FunctionNetworkAccess"]["Properties"]["Roles"]
    assert template["Parameters"]["ClamdSubnetIds"]["Default"] == NETWORK["CLAMD_SUBNET_IDS"]
    assert not [n for n, r in resources.items() if "GuardDuty" in r["Type"]]


def test_clamd_in_a_vpc_with_its_endpoints_already_adds_none():
    template = packaged({"CLAMD_ADDRESS": "clamd.internal:3310", **NETWORK, "CLAMD_VPC_ENDPOINTS": "existing"})
    assert check_template.check_scanner(template) == []
    assert not [r for r in template["Resources"].values() if r["Type"] == "AWS::EC2::VPCEndpoint"]


def test_none_adds_nothing():
    template = packaged({})
    assert check_template.check_scanner(template) == []
    assert sorted(template["Resources"]) == sorted(skeleton()["Resources"])


@pytest.mark.parametrize("command", ["package", "deploy"])
def test_a_scanner_that_cannot_be_wired_is_refused_before_anything_is_packaged(command):
    refused = packaged({"CLAMD_ADDRESS": "clamd.internal:3310"}, command)
    assert "CLAMD_SUBNET_IDS" in refused["refused"]
    assert "cannot wire" in packaged({"MALWARE_SCANNER": "clamav"}, command)["refused"]
    # The stack cannot version a bucket it does not own.
    existing = packaged({"MALWARE_SCANNER": "guardduty", "EXISTING_BUCKET": "their-bucket"}, command)
    assert "EXISTING_BUCKET" in existing["refused"]


GD = packaged({"MALWARE_SCANNER": "guardduty"})
CLAMD = packaged({"CLAMD_ADDRESS": "clamd.internal:3310", **NETWORK})


def _retarget(r: dict) -> None:
    r["ScanResultRule"]["Properties"]["Targets"][0]["Arn"] = {"Fn::GetAtt": ["ApiLambdaFunction", "Arn"]}


@pytest.mark.parametrize(
    "base, breakage, complaint",
    [
        (GD, lambda r: r.pop("MalwareProtectionPlan"), "one malware protection plan"),
        (
            GD,
            lambda r: r["MalwareProtectionPlan"]["Properties"]["ProtectedResource"]["S3Bucket"].update(
                ObjectPrefixes=[]
            ),
            "does not protect incoming/",
        ),
        (GD, _retarget, "no default-bus rule"),
        (GD, lambda r: r["ScanResultRule"]["Properties"].update(EventBusName="custom"), "no default-bus rule"),
        (GD, lambda r: r["S3BucketUploads"]["Properties"].pop("VersioningConfiguration"), "not versioned"),
        (GD, lambda r: r["ApiLambdaFunction"]["Properties"].update(VpcConfig={"SubnetIds": []}), "is in a VPC"),
        (GD, lambda r: r.pop("SweepSchedule"), "keeps GuardDuty's deadline"),
        (GD, lambda r: r.pop("SweepVersionAccess"), "SweepRole cannot remove object versions"),
        (CLAMD, lambda r: r.pop("S3GatewayEndpoint"), "no s3 Gateway endpoint"),
        (CLAMD, lambda r: r["ValidateLambdaFunction"]["Properties"].pop("VpcConfig"), "ValidateLambdaFunction is not"),
        (CLAMD, lambda r: r["SweepLambdaFunction"]["Properties"].pop("VpcConfig"), "SweepLambdaFunction is not"),
        (
            CLAMD,
            lambda r: r["ApiLambdaFunction"]["Properties"]["Environment"]["Variables"].update(CLAMD_ADDRESS=""),
            "no CLAMD_ADDRESS",
        ),
        (CLAMD, lambda r: r.update(Plan=GD["Resources"]["MalwareProtectionPlan"]), "clamd: unexpected Plan"),
    ],
)
def test_a_template_without_what_its_scanner_needs_is_named(base, breakage, complaint):
    template = copy.deepcopy(base)
    breakage(template["Resources"])
    problems = check_template.check_scanner(template)
    assert any(complaint in problem for problem in problems), problems
