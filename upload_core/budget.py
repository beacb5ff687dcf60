"""The time budget: what each function can decide within its timeout, per file type.

Deciding a file costs, per byte: its download to /tmp (the validator), the inspection (CPU),
the SHA-256 of the served bytes (CPU), the upload of the inspected bytes to files/ (or the
inline PUT), and the clamd scan when CLAMD_ADDRESS is set; plus a fixed cost per decision
(start-up, the record's reads and writes, the event) and the sandbox's own (fork, reap).

Where the figures come from:
- inspection and SHA-256: CPU MB/s measured on one core on real files (Debian's manuals and
  photos), in the generated table `measured_rates.py` (`make bench-real` writes it; re-run
  it when an inspector gets faster). Each type's rate is its slowest real file's (of those
  of at least 1 MB where the type has any), so the budget holds for files as dense as the
  densest one measured. Types with no real files measured take the slowest measured rate.
- Lambda gives CPU in proportion to memory, one vCPU at 1,769 MB: a function's CPU work
  takes (CPU seconds / share) of wall time, share = memory / 1,769 (256 MB: 0.145).
- download, upload and clamd: written-down rates for S3 in one region (no AWS here to
  measure them); check them against the DecisionLatency metric after deploying.
Only SAFETY of a timeout is planned for. The sandbox (inspect/sandbox.py) gives each
inspection the time this plan leaves it, as CPU seconds at the function's share.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import measured_rates

MB = 1_000_000
MiB = 1024 * 1024
# Lambda: one full vCPU at 1,769 MB, in proportion below (AWS Lambda developer guide, memory).
MB_PER_VCPU = 1769
LAMBDA_MEMORY_MB = (128, 10240)

# Written down, not measured (no AWS account here): one stream each, at the functions' sizes.
DOWNLOAD_MB_PER_S = 60.0  # S3 GetObject to /tmp, the validator
UPLOAD_MB_PER_S = 40.0  # PutObject / multipart upload with SHA-256 checksums: promotion and inline PUT
CLAMD_MB_PER_S = 50.0  # INSTREAM to a clamd in the same VPC
SAFETY = 0.8  # plan for this share of a timeout
# Memory the function's own process needs beside one inspection: the runtime, its imports,
# the spool (8 MiB in memory) or the inline body held a few times over, and the pages a
# child copies from its parent. Measured: the validator's process peaks at 55-63 MB, the
# API's at ~95 MB with a 4 MiB inline body (README "Time budget").
VALIDATE_FOOTPRINT_MB = 96
API_FOOTPRINT_MB = 160
# On Lambda the sandbox also keeps this much free beside what the function's process really holds.
RESERVE_MB = 32
# Fixed seconds per decision: start-up, record reads and writes, the event (validator);
# parsing the request and the record write beside the file's PUT (API).
VALIDATE_FIXED_SECONDS = 5.0
API_FIXED_SECONDS = 2.0
# An inspection is never given less than this, whatever the size (it is then refused as
# too large for its type before it starts: see largest_decidable).
MIN_INSPECTION_SECONDS = 1.0

# Which measured rate applies to an extension.
KINDS: dict[str, str] = {
    "png": "png",
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "gif": "gif",
    "webp": "other",
    "pdf": "pdf",
    "docx": "ooxml",
    "xlsx": "ooxml",
    "pptx": "ooxml",
    "doc": "ole2",
    "xls": "ole2",
    "ppt": "ole2",
    "txt": "other",
    "csv": "other",
}


# A kind with no real files measured takes the slowest of its own family: GIF is walked block
# by block like PNG and JPEG (never decoded); anything else, the slowest of all.
_FAMILY: dict[str, tuple[str, ...]] = {"gif": ("jpeg", "png"), "other": ("jpeg", "png")}


def inspect_cpu_mb_per_s(extension: str) -> float:
    """CPU MB/s of inspecting this type on one core: its measured rate, else the slowest
    measured rate of its family, else the slowest measured on files of at least 1 MB (a small
    file's rate is mostly its fixed costs)."""
    rates = measured_rates.INSPECT_CPU_MB_PER_S
    kind = KINDS.get(extension, "other")
    if kind in rates:
        return rates[kind]
    family = [rates[k] for k in _FAMILY.get(kind, ()) if k in rates]
    large = [rate for k, rate in rates.items() if k not in measured_rates.SMALL_FILES_ONLY]
    return min(family or large or rates.values())


def measured(extension: str) -> bool:
    return KINDS.get(extension, "other") in measured_rates.INSPECT_CPU_MB_PER_S


@dataclass(frozen=True)
class Function:
    """A Lambda function that decides files: its memory (hence its CPU share) and timeout."""

    name: str
    memory_mb: int
    timeout_seconds: int
    downloads: bool  # the validator downloads the object first; the API has the bytes
    footprint_mb: int
    fixed_seconds: float

    @property
    def cpu_share(self) -> float:
        return min(1.0, self.memory_mb / MB_PER_VCPU)

    def inspection_memory_bytes(self) -> int:
        """What one inspection (the sandbox's child) may allocate."""
        return max(0, self.memory_mb - self.footprint_mb) * MB

    def transfer_seconds(self, size: int, clamd: bool) -> float:
        """Everything but the inspection, for a file of `size` bytes: wall seconds."""
        mb = size / MB
        seconds = mb / UPLOAD_MB_PER_S + mb / (measured_rates.SHA256_CPU_MB_PER_S * self.cpu_share)
        if self.downloads:
            seconds += mb / DOWNLOAD_MB_PER_S
        if clamd:
            seconds += mb / CLAMD_MB_PER_S
        return self.fixed_seconds + seconds

    def inspection_seconds(self, size: int, clamd: bool) -> float:
        """Wall seconds left for inspecting a file of `size` bytes within SAFETY x the timeout."""
        left = self.timeout_seconds * SAFETY - self.transfer_seconds(size, clamd)
        return max(MIN_INSPECTION_SECONDS, left)

    def inspect_seconds(self, extension: str, size: int) -> float:
        """Wall seconds the inspection of a file as dense as the densest measured takes here."""
        cpu = measured_rates.SANDBOX_CPU_SECONDS + size / MB / inspect_cpu_mb_per_s(extension)
        return cpu / self.cpu_share

    def decide_seconds(self, extension: str, size: int, clamd: bool) -> float:
        return self.transfer_seconds(size, clamd) + self.inspect_seconds(extension, size)

    def largest_decidable(self, extension: str, clamd: bool) -> int:
        """The largest file of this type decided within SAFETY x the timeout (0: none)."""
        per_mb = self.decide_seconds(extension, MB, clamd) - self.decide_seconds(extension, 0, clamd)
        left = self.timeout_seconds * SAFETY - self.decide_seconds(extension, 0, clamd)
        return max(0, int(left / per_mb * MB))


def validator(memory_mb: int, timeout_seconds: int) -> Function:
    return Function("validate", memory_mb, timeout_seconds, True, VALIDATE_FOOTPRINT_MB, VALIDATE_FIXED_SECONDS)


def api(memory_mb: int, timeout_seconds: int) -> Function:
    return Function("api", memory_mb, timeout_seconds, False, API_FOOTPRINT_MB, API_FIXED_SECONDS)
