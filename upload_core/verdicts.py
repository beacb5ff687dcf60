"""Every verdict on a file's bytes, in one place, for both paths (inline and the validator).

Today two verdicts, both synchronous: the structure inspection (inspect/, through the
sandbox: `inspect_content` in a child process inside the ceilings of the function that runs
it, inspect/sandbox.py) and the malware scan by clamd when CLAMD_ADDRESS is set. An asynchronous verdict
(GuardDuty Malware Protection, issue 21, whose result arrives in an event of its own) belongs
beside them: step 3 of the decision (decision.py) then records this module's verdict and
stops (with the SHA-256 of the bytes it judged), and the decision goes on from step 4 once
the other verdict is in for those same bytes: what it then writes is re-read and must hash
to that SHA-256, so nothing is served that both verdicts did not see.
"""

from __future__ import annotations

from .config import Config
from .inspect import sandbox
from .inspect.base import Inspected
from .inspect.rules import Sample
from .malware import scan


def judge(
    name: str, sample: Sample, config: Config, declared_size: int | None = None, *, inline: bool = False
) -> Inspected:
    """The structure inspection, then the malware scan of the same bytes. Returns what to
    serve ([0, end) as `mime`); raises UploadError when refused, ScannerUnavailable (not an
    UploadError) when clamd gave no verdict. `sample.source` must hold the whole file.
    `inline`: inspected within the API function's ceilings (and its per-type inline limit),
    else within the validator's."""
    if sample.source is None:
        raise ValueError("judge reads the whole file: Sample.source is required")
    if inline:
        inspected = sandbox.inspect_inline(name, sample, config)
    else:
        inspected = sandbox.inspect_landed(name, sample, config, declared_size)
    sample.source.seek(0)
    scan(config, sample.source, sample.size)
    return inspected
