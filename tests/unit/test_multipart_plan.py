"""Part planning and completion checks: pure functions, S3's limits."""

from __future__ import annotations

import pytest

from upload_core.errors import UploadError
from upload_core.s3.parts import (
    MAX_PART_BYTES,
    MAX_PARTS,
    MIN_PART_BYTES,
    MiB,
    PartPlan,
    completion_parts,
    normalize_etag,
    plan_parts,
)

GiB, TiB = 1024 * MiB, 1024 * 1024 * MiB


@pytest.mark.parametrize(
    "size, part_size, count",
    [
        (1, 5 * MiB, 1),
        (5 * MiB, 5 * MiB, 1),
        (12 * MiB, 5 * MiB, 3),
        (100 * MiB, 5 * MiB, 20),
        (GiB, 16 * MiB, 64),
        (5 * GiB, 64 * MiB, 80),
        (625 * GiB, 64 * MiB, 10_000),
        (640 * GiB, 66 * MiB, 9_930),
        (5 * TiB, 525 * MiB, 9_987),
    ],
)
def test_plans(size, part_size, count):
    plan = plan_parts(size)
    assert (plan.part_size, plan.count) == (part_size, count)


@pytest.mark.parametrize("size", [1, 5 * MiB - 1, 5 * MiB + 1, 3 * GiB + 7, 700 * GiB + 3, 5 * TiB])
def test_every_plan_keeps_s3s_limits(size):
    plan = plan_parts(size)
    assert MIN_PART_BYTES <= plan.part_size <= MAX_PART_BYTES
    assert plan.count <= MAX_PARTS
    assert plan.part_size % MiB == 0
    lengths = [plan.length(n) for n in range(1, plan.count + 1)] if plan.count < 20_000 else []
    assert sum(lengths) == size
    assert all(length == plan.part_size for length in lengths[:-1])
    assert 0 < lengths[-1] <= plan.part_size
    assert plan.offset(plan.count) + lengths[-1] == size


def test_part_numbers_outside_the_plan_have_no_length():
    plan = PartPlan(size=12 * MiB, part_size=5 * MiB)
    with pytest.raises(ValueError):
        plan.length(4)
    with pytest.raises(ValueError):
        plan.length(0)


def test_too_big_or_empty_cannot_be_planned():
    with pytest.raises(ValueError):
        plan_parts(0)
    with pytest.raises(ValueError):
        plan_parts(MAX_PARTS * MAX_PART_BYTES + 1)


@pytest.mark.parametrize("etag", ['"abc"', "abc", 'W/"abc"', ' "abc" '])
def test_etags_compare_without_quotes(etag):
    assert normalize_etag(etag) == "abc"


def held(*sizes: int, checksum: bool = False) -> list[dict]:
    return [
        {"PartNumber": n, "ETag": f'"e{n}"', "Size": size, **({"ChecksumSHA256": f"c{n}"} if checksum else {})}
        for n, size in enumerate(sizes, start=1)
    ]


def listed(*numbers: int, etag=lambda n: f"e{n}") -> list[dict]:
    return [{"PartNumber": n, "ETag": etag(n)} for n in numbers]


def test_a_matching_list_completes_from_what_s3_holds():
    parts = completion_parts(listed(2, 1), held(5 * MiB, 10, checksum=True), 5 * MiB + 10, GiB)
    assert parts == [
        {"PartNumber": 1, "ETag": '"e1"', "ChecksumSHA256": "c1"},
        {"PartNumber": 2, "ETag": '"e2"', "ChecksumSHA256": "c2"},
    ]


def test_no_declared_size_skips_the_sum_but_not_the_limit():
    assert len(completion_parts(listed(1, 2), held(5 * MiB, 10), None, GiB)) == 2
    with pytest.raises(UploadError) as err:
        completion_parts(listed(1, 2), held(5 * MiB, 10), None, 5 * MiB)
    assert (err.value.code, err.value.status) == ("too_large", 413)


@pytest.mark.parametrize(
    "client_list, s3_parts, declared, code, words",
    [
        (listed(1, 2), held(5 * MiB, 10), 5 * MiB + 11, "size_mismatch", "declared"),
        (listed(1, 2, 3), held(5 * MiB, 10), None, "parts_mismatch", "no part 3"),
        (listed(1), held(5 * MiB, 10), None, "parts_mismatch", "leaves out"),
        (listed(1, 2, etag=lambda n: "zz"), held(5 * MiB, 10), None, "parts_mismatch", "ETag"),
        (listed(1, 2), held(MiB, 10), None, "parts_mismatch", "under 5 MiB"),
        (listed(1, 1), held(5 * MiB), None, "parts_mismatch", "twice"),
        ([], held(5 * MiB), None, "parts_mismatch", "No parts"),
    ],
    ids=["sum", "missing", "unlisted", "etag", "small-part", "duplicate", "empty"],
)
def test_mismatches(client_list, s3_parts, declared, code, words):
    with pytest.raises(UploadError) as err:
        completion_parts(client_list, s3_parts, declared, GiB)
    assert err.value.code == code
    assert err.value.status == 400
    assert words in err.value.message
