"""The verdicts one run can give on a file's bytes, for both paths (inline and the validator).

The structure inspection (inspect/, through the sandbox: `inspect_content` in a child process
inside the ceilings of the function that runs it, inspect/sandbox.py; this is its one call
site), then, with MALWARE_SCANNER=clamd, clamd's scan of the same bytes (clamd.py). With
`guardduty` the malware verdict is not given here: GuardDuty scans the object version on its
own and its result arrives in an event of its own; the decision (decision.py) pairs it with
this one through the record (combine.py).
"""

from __future__ import annotations

from ..config import Config
from ..inspect import sandbox
from ..inspect.base import Inspected
from ..inspect.rules import Sample


def judge(
    name: str, sample: Sample, config: Config, declared_size: int | None = None, *, inline: bool = False
) -> Inspected:
    """The structure inspection, then clamd's scan of the same bytes when it is the scanner.
    Returns what to serve ([0, end) as `mime`); raises UploadError when refused,
    ScannerUnavailable (not an UploadError) when clamd gave no verdict. `sample.source` must
    hold the whole file. `inline`: inspected within the API function's ceilings (and its
    per-type inline limit), else within the validator's."""
    if sample.source is None:
        raise ValueError("judge reads the whole file: Sample.source is required")
    if inline:
        inspected = sandbox.inspect_inline(name, sample, config)
    else:
        inspected = sandbox.inspect_landed(name, sample, config, declared_size)
    if config.malware_scanner == "clamd":
        from . import clamd  # a service without clamd never loads it

        sample.source.seek(0)
        clamd.scan(config, sample)
    return inspected
