"""The validator's time budget: how large an object it can decide within its timeout.

Deciding an object costs, per byte: its download to /tmp, the inspection of every byte,
the clamd scan when CLAMD_ADDRESS is set, and S3's copy to files/. The rates below are
per-object throughputs; inspection's is the slowest type measured on the 2-core
development machine (`make bench`: GIF at ~190 MB/s for a 1 GiB file; JPEG, PNG, PDF and
stored DOCX media run at 400-1,100 MB/s), halved for Lambda's smaller CPU share at 256 MB.
The download, scan and copy rates cannot be measured here (no AWS): they are cautious
figures for S3 in one region, written down so that a deployment can check them. A DOCX's
XML (18 MB/s) is bounded by the inflate limit (1 GiB) and counted as a fixed cost.
Config refuses, at start, a MAX_UPLOAD_BYTES that the validator could not decide.
"""

from __future__ import annotations

MB = 1_000_000

DOWNLOAD_BYTES_PER_SECOND = 60 * MB  # S3 GetObject, one stream, 256 MB function (assumed)
INSPECT_BYTES_PER_SECOND = 95 * MB  # slowest measured type, halved
CLAMD_BYTES_PER_SECOND = 50 * MB  # INSTREAM to a clamd in the same VPC (assumed)
COPY_BYTES_PER_SECOND = 100 * MB  # UploadPartCopy inside S3, 4 parts at a time (assumed)
FIXED_SECONDS = 60.0  # a DOCX's XML at its inflate limit; start-up; the record writes
SAFETY = 0.8  # use at most this share of the timeout


def seconds_for(size: int, clamd: bool) -> float:
    """The time the validator needs to decide an object of `size` bytes, by these rates."""
    per_byte = 1 / DOWNLOAD_BYTES_PER_SECOND + 1 / INSPECT_BYTES_PER_SECOND + 1 / COPY_BYTES_PER_SECOND
    if clamd:
        per_byte += 1 / CLAMD_BYTES_PER_SECOND
    return FIXED_SECONDS + size * per_byte


def largest_decidable(timeout_seconds: int, clamd: bool) -> int:
    """The largest object the validator decides within SAFETY x its timeout."""
    per_byte = seconds_for(1, clamd) - FIXED_SECONDS
    return max(0, int((timeout_seconds * SAFETY - FIXED_SECONDS) / per_byte))
