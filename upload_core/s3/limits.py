"""S3's own limits, defined once. Config checks the settings against them; the part
planner and the store obey them."""

from __future__ import annotations

MiB = 1024 * 1024
GiB = 1024 * MiB

MIN_PART_BYTES = 5 * MiB  # every part but the last
MAX_PART_BYTES = 5 * GiB
MAX_PARTS = 10_000
MAX_OBJECT_BYTES = 5 * 1024 * GiB
MAX_SINGLE_PUT_BYTES = 5 * GiB
MAX_SINGLE_COPY_BYTES = 5 * GiB  # CopyObject (the service copies nothing: served objects are written, served.py)
MAX_PRESIGN_TTL_SECONDS = 7 * 24 * 3600  # SigV4 presigned URLs
# The algorithms S3 can record for an object, in the order the store reports them.
CHECKSUM_ALGORITHMS = ("SHA256", "CRC32", "CRC32C", "SHA1", "CRC64NVME")
