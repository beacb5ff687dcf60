"""Multipart uploads, the pure part (S3's limits are in limits.py): how to cut a file into parts, and whether the parts
a client lists at completion are the parts S3 holds.

S3's limits: every part but the last is at least 5 MiB, a part is at most 5 GiB, an
upload has at most 10,000 parts (so an object is at most 5 TiB). Nothing here knows
about Flask or boto3; the store feeds it S3's ListParts answer.
"""

from __future__ import annotations

import base64
import binascii
import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from ..errors import BadRequest, TooLarge, UploadError
from .limits import MAX_PART_BYTES, MAX_PARTS, MIN_PART_BYTES, MiB

# Parts of 16 MiB to 64 MiB keep the number of requests low and the in-flight memory of
# a client modest; past 625 GiB the 10,000-part limit makes them bigger.
PREFERRED_PARTS = 64
MAX_PREFERRED_PART_BYTES = 64 * MiB


@dataclass(frozen=True)
class PartPlan:
    size: int
    part_size: int

    @property
    def count(self) -> int:
        return max(1, math.ceil(self.size / self.part_size))

    def length(self, part_number: int) -> int:
        """Bytes in part `part_number` (1-based): part_size, the last one the remainder."""
        if not 1 <= part_number <= self.count:
            raise ValueError(f"part {part_number} is outside 1..{self.count}")
        return min(self.part_size, self.size - (part_number - 1) * self.part_size)

    def offset(self, part_number: int) -> int:
        return (part_number - 1) * self.part_size


def plan_parts(size: int) -> PartPlan:
    """Part size for a file of `size` bytes: whole MiB, at least 5 MiB, about 64 parts up
    to 64 MiB each, and never more than 10,000 parts."""
    if size <= 0:
        raise ValueError("a multipart upload needs at least one byte")
    wanted = min(MAX_PREFERRED_PART_BYTES, _ceil_mib(size / PREFERRED_PARTS))
    part_size = max(MIN_PART_BYTES, wanted, _ceil_mib(size / MAX_PARTS))
    if part_size > MAX_PART_BYTES:
        raise ValueError(f"{size} bytes do not fit in {MAX_PARTS} parts of at most {MAX_PART_BYTES}")
    return PartPlan(size=size, part_size=part_size)


def unsized_part_limit(max_upload_bytes: int) -> int:
    """The most parts an upload of unknown size can need (Companion: @uppy/aws-s3 sends no
    size). Uppy cuts chunks of max(5 MiB, size / 10,000) bytes, or larger with a custom
    getChunkSize, so a file of at most `max_upload_bytes` never needs more than this."""
    return max(1, min(MAX_PARTS, math.ceil(max_upload_bytes / MIN_PART_BYTES)))


def _ceil_mib(value: float) -> int:
    return math.ceil(value / MiB) * MiB


def normalize_etag(etag: str | None) -> str:
    """ETags come quoted from S3 and from browsers' header reads, unquoted from some
    clients; compare them without quotes (and without a weak W/ prefix)."""
    value = (etag or "").strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip('"')


def check_sha256(value: Any, field: str) -> str:
    """A base64 SHA-256 digest as S3's x-amz-checksum-sha256 takes it."""
    if not isinstance(value, str):
        raise BadRequest("invalid_request", f"'{field}' must be a base64 string")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise BadRequest("invalid_request", f"'{field}' must be the base64 of a 32-byte SHA-256 digest")
    return value


def check_part_number(value: Any, limit: int = MAX_PARTS) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= limit:
        raise BadRequest("invalid_request", f"Part numbers are whole numbers from 1 to {limit}, not {value!r}")
    return value


def completion_parts(
    listed: Iterable[Mapping[str, Any]],
    held: Iterable[Mapping[str, Any]],
    declared_size: int | None,
    max_size: int,
) -> list[dict[str, Any]]:
    """The Parts list for CompleteMultipartUpload, built from what S3 holds (`held`:
    ListParts entries) once the client's list (`listed`: {PartNumber, ETag}) is checked
    against it. Raises UploadError (parts_mismatch, size_mismatch, too_large)."""
    by_number = {int(p["PartNumber"]): p for p in held}
    wanted: dict[int, str] = {}
    for entry in listed:
        number, etag = entry["PartNumber"], normalize_etag(entry["ETag"])
        if number in wanted:
            raise _mismatch(f"Part {number} is listed twice")
        wanted[number] = etag
    if not wanted:
        raise _mismatch("No parts were listed")
    missing = sorted(set(wanted) - set(by_number))
    if missing:
        raise _mismatch(f"S3 has no part {_numbers(missing)}", missing_parts=missing)
    extra = sorted(set(by_number) - set(wanted))
    if extra:
        raise _mismatch(f"S3 holds part {_numbers(extra)}, which the list leaves out", unlisted_parts=extra)
    for number, etag in wanted.items():
        if normalize_etag(by_number[number]["ETag"]) != etag:
            raise _mismatch(f"Part {number}'s ETag differs from the one S3 holds", part_number=number)
    numbers = sorted(wanted)
    for number in numbers[:-1]:
        if int(by_number[number]["Size"]) < MIN_PART_BYTES:
            raise _mismatch(f"Part {number} is under 5 MiB and is not the last part", part_number=number)
    total = sum(int(by_number[n]["Size"]) for n in numbers)
    if declared_size is not None and total != declared_size:
        raise UploadError(
            "size_mismatch",
            f"The parts hold {total} bytes but {declared_size} were declared",
            received_size=total,
            declared_size=declared_size,
        )
    if total > max_size:
        raise TooLarge(
            "too_large", f"The parts hold {total} bytes; the largest accepted is {max_size}", max_upload_bytes=max_size
        )
    return [_complete_entry(by_number[n]) for n in numbers]


def _complete_entry(part: Mapping[str, Any]) -> dict[str, Any]:
    """A part as CompleteMultipartUpload takes it, with every checksum S3 holds for it: S3
    refuses a completion that leaves out a part checksum of the upload's algorithm, and on
    AWS that can be any of them, CRC64NVME included (CompletedPart in the S3 API reference):
    every Checksum* field ListParts gave is passed on, whichever algorithm it names."""
    entry = {"PartNumber": int(part["PartNumber"]), "ETag": part["ETag"]}
    for name, value in part.items():
        if name.startswith("Checksum") and name != "ChecksumType" and value:
            entry[name] = value
    return entry


def _mismatch(message: str, **extra: Any) -> UploadError:
    return UploadError("parts_mismatch", message, **extra)


def _numbers(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10])
    return shown + (" ..." if len(numbers) > 10 else "")
