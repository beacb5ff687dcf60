"""The verdicts of one upload, and the one rule that pairs them (`pair`). Pure: no S3, no
clock; the decision (decision.py) does the I/O around it, for every scanner.

With MALWARE_SCANNER none or clamd, one run gives every verdict (verdicts.judge) and `pair`
only says what it said. With `guardduty` an upload needs two verdicts from two invocations:
- structure: the validator read every byte of one object version, found it acceptable,
  charged the quota and wrote the served object from those very bytes (a refusal rejects
  at once and is never kept);
- malware: GuardDuty's result for one object version (entry.py).
Each names the object version (S3's VersionId) it is about, and they pair only when they
name the same one. Whichever comes first is kept in the upload's record (`Upload.scan`)
until the other comes, so no Lambda waits. The rule:
- a malware verdict that is not clean rejects, whatever the structure (no need to wait);
- both in, for the same version, the malware verdict clean: accept, serving the object the
  structure verdict wrote;
- the structure in and no malware verdict for its version SCAN_RESULT_TIMEOUT_SECONDS after
  it was given: reject (`scan_timeout`; the sweep's runs are what notice it);
- anything else waits. A kept verdict for another version than the one that arrived is stale
  (the object was replaced since: what arrives is always about the current version) and is
  dropped.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

from ..errors import UploadError
from ..inspect.base import unsafe
from ..upload import Upload
from .errors import MalwareFound

CLEAN = "NO_THREATS_FOUND"
THREATS_FOUND = "THREATS_FOUND"
NO_RESULT = "NO_RESULT"  # a malware verdict nobody gave: the deadline passed

# Each status that is not a clean scan, as the `found` code of its rejection (THREATS_FOUND: `malware`).
NOT_SCANNED = {
    "UNSUPPORTED": ("scan_unsupported", "GuardDuty could not scan the file (UNSUPPORTED: password-protected, "
                    "or over its object quotas); an unscanned file is never accepted"),
    "ACCESS_DENIED": ("scan_access_denied", "GuardDuty was denied access to the file (ACCESS_DENIED); "
                      "an unscanned file is never accepted"),
    "FAILED": ("scan_failed", "GuardDuty failed to scan the file (FAILED); an unscanned file is never accepted"),
}  # fmt: skip


@dataclass(frozen=True)
class Structure:
    """The structure passed for object version `version`: serve its bytes [0, end) as `mime`,
    from `served_key` (written from the bytes inspected; `sha256` is theirs, base64)."""

    version: str | None
    mime: str
    end: int
    size: int
    served_key: str
    sha256: str
    at: float  # when it was given (epoch seconds): GuardDuty's deadline counts from it
    landed_at: str | None = None  # the S3 event's time, for the DecisionLatency metric

    @property
    def checksum(self) -> dict[str, str]:
        return {"algorithm": "SHA256", "value": self.sha256, "type": "FULL_OBJECT"}


@dataclass(frozen=True)
class Malware:
    """GuardDuty's verdict on object version `version`."""

    version: str
    status: str
    threats: tuple[str, ...] = ()

    @property
    def clean(self) -> bool:
        return self.status == CLEAN


@dataclass(frozen=True)
class Arrived:
    """The verdict a run brings: a structure verdict (or a refusal: structure, size or quota)
    on the bytes it downloaded, or GuardDuty's verdict; `version`: the object version it is about."""

    version: str | None
    structure: Structure | None = None
    refusal: UploadError | None = None
    malware: Malware | None = None


@dataclass(frozen=True)
class Kept:
    """The verdicts a pending record holds (guardduty), each for one object version."""

    structure: Structure | None = None
    malware: Malware | None = None


@dataclass(frozen=True)
class Paired:
    """What `pair` says: accept (serve `structure`), reject (`error`), or wait (keep `kept`)."""

    action: Literal["accept", "reject", "wait"]
    structure: Structure | None = None
    error: UploadError | None = None
    kept: Kept = Kept()


def pair(arrived: Arrived, kept: Kept, guardduty: bool, now: float, timeout_seconds: int) -> Paired:
    """The one rule (module docstring)."""
    if arrived.refusal is not None:
        return Paired("reject", error=arrived.refusal)
    same = arrived.version
    structure = kept.structure if kept.structure is not None and kept.structure.version == same else None
    structure = structure or arrived.structure  # the earlier one of the same version keeps its time
    malware = arrived.malware or (kept.malware if kept.malware is not None and kept.malware.version == same else None)
    if not guardduty:
        assert structure is not None, "without GuardDuty a run always brings its structure verdict"
        return Paired("accept", structure=structure)
    if malware is not None and not malware.clean:
        return Paired("reject", error=refusal(malware))
    if structure is not None and malware is not None:
        return Paired("accept", structure=structure)
    if structure is not None and now - structure.at >= timeout_seconds:
        return Paired("reject", error=refusal(Malware(structure.version or "", NO_RESULT)))
    return Paired("wait", kept=Kept(structure, malware))


def refusal(malware: Malware) -> UploadError:
    """The rejection a verdict that is not clean stands for, with a reason that says what happened."""
    if malware.status == THREATS_FOUND:
        return MalwareFound(", ".join(malware.threats) or "a threat GuardDuty did not name")
    if malware.status == NO_RESULT:
        return unsafe("scan_timeout", "No malware scan result came in time; an unscanned file is never accepted")
    found, message = NOT_SCANNED.get(
        malware.status,
        ("scan_failed", f"GuardDuty answered {malware.status!r}, which is not a clean scan; the file is not accepted"),
    )
    return unsafe(found, message)


# the record --------------------------------------------------------------------------
def recorded(upload: Upload) -> Kept:
    """The verdicts an upload's record holds (Upload.scan)."""
    scan = upload.scan or {}
    structure = Structure(**scan["structure"]) if scan.get("structure") else None
    raw = scan.get("malware")
    malware = Malware(raw["version"], raw["status"], tuple(raw.get("threats") or ())) if raw else None
    return Kept(structure, malware)


def keeping(upload: Upload, kept: Kept) -> Upload:
    """The upload with these verdicts kept (None: that one has not come)."""
    scan: dict[str, Any] = {}
    if kept.structure is not None:
        scan["structure"] = asdict(kept.structure)
    if kept.malware is not None:
        scan["malware"] = {**asdict(kept.malware), "threats": list(kept.malware.threats)}
    return replace(upload, scan=scan or None)
