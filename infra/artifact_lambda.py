"""Runs inside the unpacked artifact, as Lambda would: `python3.12 -I -S artifact_lambda.py TASK
EVENTS_DIR`, with TASK the only path besides the standard library (no site-packages, no
PYTHONPATH) and the environment pointing boto3 at a local S3 (check_artifact.py starts it).

It drives the handlers through what a deployed service does first, so a package that
imports here (in .venv) but not from the zip fails: an inline upload through handler.api,
a presigned upload sent to the local S3 and decided by handler.validate, its download
link, handler.sweep, and then every module the code imports anywhere (at module level or
inside a function, on first use: inspectors, telemetry, scanners, tracing), found by
reading the packaged sources themselves. Prints one JSON line: what happened.
"""

import ast
import base64
import importlib
import json
import os
import sys
import urllib.request

TASK, EVENTS = sys.argv[1], sys.argv[2]
sys.path.insert(0, TASK)


class Context:
    aws_request_id = "artifact-check"
    function_name = "artifact-check"
    memory_limit_in_mb = 512

    def get_remaining_time_in_millis(self):
        return 600_000


def event(name):
    with open(os.path.join(EVENTS, name), encoding="utf-8") as f:
        return json.load(f)


def call(api, method, path, body=b"", content_type="application/json"):
    request = event("api_v2_post_uploads.json")
    request["rawPath"] = request["requestContext"]["http"]["path"] = path
    request["requestContext"]["http"]["method"] = method
    request["headers"]["content-type"] = content_type
    request["body"], request["isBase64Encoded"] = base64.b64encode(body).decode(), True
    answer = api(request, Context())
    data = base64.b64decode(answer["body"]) if answer.get("isBase64Encoded") else answer.get("body", "").encode()
    return answer["statusCode"], answer.get("headers") or {}, data


def imported_names(root):
    """Every absolute import in the packaged service code, wherever it sits."""
    names = set()
    sources = [os.path.join(root, "handler.py")]
    for folder, _, files in os.walk(os.path.join(root, "upload_core")):
        sources += [os.path.join(folder, f) for f in files if f.endswith(".py")]
    for path in sources:
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
        relative = os.path.relpath(path, root)[:-3].replace(os.sep, ".").removesuffix(".__init__")
        names.add(relative)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
                # `from package import module` imports a module too
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def main():
    result = {"python": sys.version.split()[0], "site_packages": [p for p in sys.path if "site-packages" in p]}
    import handler

    with open(os.path.join(EVENTS, "photo.jpg"), "rb") as f:
        photo = f.read()
    boundary = "artifactcheck"
    form = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="inline.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + photo
        + f"\r\n--{boundary}--\r\n".encode()
    )
    status, _, body = call(handler.api, "POST", "/uploads", form, f"multipart/form-data; boundary={boundary}")
    result["inline"] = [status, json.loads(body).get("status")]

    status, _, body = call(
        handler.api, "POST", "/uploads", json.dumps({"filename": "paper.pdf", "size": len(PDF)}).encode()
    )
    issued = json.loads(body)
    put = urllib.request.Request(issued["upload"]["url"], data=PDF, method="PUT", headers=issued["upload"]["headers"])
    with urllib.request.urlopen(put, timeout=30) as answer:
        result["presigned_put"] = answer.status
    s3_event = event("s3_object_created.json")
    s3_event["Records"][0]["s3"]["bucket"]["name"] = os.environ["UPLOAD_BUCKET"]
    s3_event["Records"][0]["s3"]["object"]["key"] = f"incoming/{issued['id']}"
    result["validate"] = handler.validate(s3_event, Context())
    status, _, body = call(handler.api, "GET", f"/uploads/{issued['id']}")
    result["presigned"] = json.loads(body).get("status")
    status, headers, _ = call(handler.api, "GET", f"/uploads/{issued['id']}/content")
    result["content"] = status
    result["sweep"] = handler.sweep({"source": "aws.events"}, Context())

    failed = {}
    names = sorted(imported_names(TASK))
    for name in names:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            # `from package import name` where name is a function or class is not a module
            parent = name.rpartition(".")[0]
            if exc.name == name and parent in sys.modules:
                continue
            failed[name] = repr(exc)
        except Exception as exc:  # noqa: BLE001 - any failure to import from the zip is the finding
            failed[name] = repr(exc)
    # Tracing's own dependency is loaded by Powertools' Tracer only when it is switched on.
    for name in ("aws_xray_sdk.core", "aws_lambda_powertools.tracing", "aws_lambda_powertools.metrics"):
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001
            failed[name] = repr(exc)
    result["imported"] = len(names)
    result["import_failures"] = failed
    outside = sorted(
        {
            getattr(m, "__file__", None)
            for m in list(sys.modules.values())
            if getattr(m, "__file__", None)
            and os.path.abspath(m.__file__) != os.path.abspath(__file__)  # this script, also as __mp_main__
            and not m.__file__.startswith(TASK)
            and not m.__file__.startswith(sys.base_prefix)
        }
    )
    result["loaded_from_outside"] = outside
    print(json.dumps(result))


with open(os.path.join(EVENTS, "paper.pdf"), "rb") as _f:
    PDF = _f.read()
main()
