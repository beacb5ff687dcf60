"""The README's deployment notes say what serverless.yml deploys (issue 19.10: the README gave
the validator 300 s while the template gave it 900)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text("utf-8")
SERVERLESS = (ROOT / "serverless.yml").read_text("utf-8")


def test_the_validators_timeout_in_the_readme_is_the_templates():
    [template] = re.findall(r"^  validateTimeout: (\d+)$", SERVERLESS, re.M)
    [readme] = re.findall(r"`validate` \(and `sweep`\): 256 MB\s+\(`VALIDATE_MEMORY_MB`\), (\d+) s", README)
    assert readme == template


def test_reserved_concurrency_is_off_unless_asked_for():
    assert re.findall(r"reservedConcurrency: \$\{env:(\w+), null\}", SERVERLESS) == [
        "API_RESERVED_CONCURRENCY",
        "VALIDATE_RESERVED_CONCURRENCY",
    ]
    assert "at least 170" in README


def test_the_try_it_lines_are_the_ones_the_stack_prints():
    from devstack.__main__ import try_it

    block = re.search(r"### Try it\n.*?\n\n((?:    [^\n]*\n)+)", README, re.S).group(1)
    assert [line[4:] for line in block.splitlines()] == try_it("http://127.0.0.1:8000")
