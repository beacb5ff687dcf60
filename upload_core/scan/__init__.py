"""The scanning room: every verdict an upload needs before it is served, side by side.

An upload is served only when every verdict is in and clean, for the same bytes:
- structure: the inspectors (`inspect/`) read every byte by its format, in a sandbox child;
  `verdicts.judge` is their one call site, for both paths (the inline route and the
  validator), so a file gets the same verdict whichever way it arrives;
- malware, by the scanner MALWARE_SCANNER names:
  - `none`: no second verdict;
  - `clamd` (clamd.py): the bytes are streamed to clamd in the same run, right after the
    structure passed, so `judge` returns only when both agree;
  - `guardduty` (guardduty.py): GuardDuty Malware Protection for S3 scans each object version
    that lands under incoming/ on its own, and its result arrives as an EventBridge event at
    handler.scan_result (entry.py). The decision (decision.py, one sequence for every mode)
    keeps whichever verdict comes first in the upload's record and decides when the other
    comes; combine.py is the one rule that pairs them.

errors.py     what a scanner's answer means for an upload (malware, scanner unavailable)
verdicts.py   judge(): the verdicts one run gives on bytes (structure, then clamd)
clamd.py      clamd's INSTREAM protocol, spoken directly (no client library)
guardduty.py  a typed view of GuardDuty's scan-result event
combine.py    guardduty: the two verdicts as the record keeps them, and the rule that pairs them (pure)
entry.py      handler.scan_result: GuardDuty's results -> the decision
"""

from __future__ import annotations

from .errors import MalwareFound, ScannerUnavailable, ScannerUnavailableError
from .verdicts import judge

__all__ = ["MalwareFound", "ScannerUnavailable", "ScannerUnavailableError", "judge"]
