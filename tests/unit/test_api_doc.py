"""docs/api.md, the reference users read, stays in step with what the service serves at
/openapi.json: every path and method, and every error code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from upload_core.config import Config
from upload_core.http import create_app

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def openapi() -> dict:
    app = create_app(Config(bucket="api-doc-test"))
    answer = app.test_client().get("/openapi.json")
    assert answer.status_code == 200
    return answer.get_json()


def error_codes(openapi: dict) -> list[str]:
    return openapi["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"]


def test_every_path_and_method_is_documented(openapi):
    text = DOC.read_text("utf-8")
    operations = [f"{m.upper()} {path}" for path, ops in openapi["paths"].items() for m in ops if m in METHODS]
    assert len(operations) >= 18
    missing = [op for op in operations if f"`{op}`" not in text]
    assert missing == []


def test_every_error_code_is_in_the_error_table_with_its_status(openapi):
    rows = dict(re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \|", DOC.read_text("utf-8"), re.MULTILINE))
    codes = error_codes(openapi)
    assert {"not_found", "unsafe_content", "parts_mismatch"} <= set(codes)
    assert [c for c in codes if c not in rows] == []
    # Each documented status is one the OpenAPI document lists for some operation (but the
    # two no operation lists: a wrong method, a bug).
    statuses = {
        s
        for ops in openapi["paths"].values()
        for op in ops.values()
        if isinstance(op, dict)
        for s in op.get("responses", {})
    }
    generic = ("method_not_allowed", "internal_error")
    assert {c: rows[c] for c in codes if rows[c] not in statuses and c not in generic} == {}


def test_every_found_code_and_setting_is_documented():
    """What an unsafe_content refusal can name, and every variable Config reads."""
    import inspect as pyinspect

    from upload_core import config as config_module
    from upload_core.inspect.base import FOUND

    text = DOC.read_text("utf-8")
    assert [code for code in FOUND if f"| `{code}` |" not in text] == []
    variables = set(re.findall(r'"([A-Z][A-Z0-9_]+)"', pyinspect.getsource(config_module.Config.from_env)))
    assert {"UPLOAD_BUCKET", "MAX_IMAGE_PIXELS", "CLAMD_ADDRESS", "AUTH_MODE"} <= variables
    assert sorted(v for v in variables if f"`{v}`" not in text) == []
