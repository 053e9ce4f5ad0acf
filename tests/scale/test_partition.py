"""Partitions never split a patient and keep the lesions table's order."""

from __future__ import annotations

import pytest

from pseudoprog.errors import ParameterError
from pseudoprog.scale.partition import Partition, default_partitions, plan_partitions


def test_contiguous_patients_are_cut_near_equal_sizes() -> None:
    patients = [f"P{i // 3}" for i in range(30)]  # ten patients of three lesions
    parts = plan_partitions(patients, 5)
    assert [(p.start, p.stop, p.patients) for p in parts] == [
        (0, 6, 2), (6, 12, 2), (12, 18, 2), (18, 24, 2), (24, 30, 2),
    ]  # fmt: skip
    assert [p.index for p in parts] == list(range(5))


def test_interleaved_patients_are_kept_together() -> None:
    patients = ["A", "B", "A", "C", "D", "C", "E", "E", "F"]
    parts = plan_partitions(patients, 9)
    for part in parts:
        inside = set(patients[part.start : part.stop])
        outside = set(patients[: part.start] + patients[part.stop :])
        assert not inside & outside
    assert [(p.start, p.stop) for p in parts] == [(0, 3), (3, 6), (6, 8), (8, 9)]
    assert sum(p.patients for p in parts) == 6


def test_more_partitions_than_patients_and_edge_cases() -> None:
    assert plan_partitions([], 4) == ()
    assert plan_partitions(["A", "A"], 4) == (Partition(0, 0, 2, 1),)
    assert plan_partitions(["A", "B"], 1) == (Partition(0, 0, 2, 2),)
    with pytest.raises(ParameterError, match="at least 1"):
        plan_partitions(["A"], 0)
    assert default_partitions(10, 2) == 4
    assert default_partitions(1_000_000, 2) == 10
