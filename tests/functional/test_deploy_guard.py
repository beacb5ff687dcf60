"""`sls deploy` refuses what must never reach AWS (infra/auth_guard.js), before anything is
packaged or any credential is looked for: an API with no choice of who may call it, and an
artifact packaged without its requirements (PACKAGE_REQUIREMENTS, for `make checkov`'s
template variants only)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SLS = ROOT / "node_modules" / ".bin" / "sls"
JWT = {"JWT_ISSUER": "https://issuer.example.com/", "JWT_AUDIENCE": "upload-api"}


def deploy(settings: dict[str, str]) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "JWT_", "AUTH_MODE", "PACKAGE_"))}
    env.update(settings, CORS_ALLOWED_ORIGINS="https://app.example.com", AWS_ACCESS_KEY_ID="", AWS_PROFILE="none")
    done = subprocess.run([str(SLS), "deploy"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "Packaging" not in done.stdout + done.stderr  # refused at initialize, nothing built
    return done.stdout + done.stderr


@pytest.mark.parametrize(
    "settings, refusal",
    [
        ({}, "Refusing to deploy an API anyone may call"),
        ({**JWT, "PACKAGE_REQUIREMENTS": "/dev/null"}, "Refusing to deploy with PACKAGE_REQUIREMENTS=/dev/null"),
        ({"AUTH_MODE": "none", "PACKAGE_REQUIREMENTS": "/dev/null"}, "Refusing to deploy with PACKAGE_REQUIREMENTS"),
    ],
)
def test_deploy_refuses_before_anything_is_packaged(settings, refusal):
    assert refusal in deploy(settings)
