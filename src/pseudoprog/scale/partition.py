"""Partitions of a cohort: contiguous runs of the lesions table that never split a patient.

Every lesion-level result depends on the lesion's history and its patient's events only, and
patient-level summaries (how many patients) add up over partitions when no patient is split.
Keeping each partition a contiguous run of the lesions table keeps the output in the order of
the single-machine path: the partitions' outputs, concatenated in order, are that output.

Examples
--------
>>> plan_partitions(["P1", "P1", "P2", "P3", "P3", "P4"], 2)
(Partition(index=0, start=0, stop=3, patients=2), Partition(index=1, start=3, stop=6, patients=2))
>>> plan_partitions(["P1", "P2", "P1", "P3"], 4)  # P1 holds lesions 0 and 2 together
(Partition(index=0, start=0, stop=3, patients=2), Partition(index=1, start=3, stop=4, patients=1))
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pseudoprog.errors import ParameterError

__all__ = ["Partition", "default_partitions", "plan_partitions"]

#: Lesions per partition aimed at when no count is given.
TARGET_LESIONS = 100_000


@dataclass(frozen=True, slots=True)
class Partition:
    """Lesions ``start:stop`` of the lesions table, holding ``patients`` whole patients."""

    index: int
    start: int
    stop: int
    patients: int

    @property
    def lesions(self) -> int:
        return self.stop - self.start


def default_partitions(n_lesions: int, workers: int) -> int:
    """Partitions when none are asked for: two per worker at least, about 100,000 lesions each."""
    return max(2 * workers, -(-n_lesions // TARGET_LESIONS), 1)


def plan_partitions(patient_ids: Sequence[str], requested: int) -> tuple[Partition, ...]:
    """Cut the lesions (given by their patients, in table order) into ``requested`` partitions.

    A cut falls only where every patient before it has no lesion after it, so a table that
    interleaves patients' lesions gives fewer partitions than asked (sort the lesions table
    by patient to avoid it). Cuts are placed as near to equal sizes as those places allow.

    Raises
    ------
    ParameterError
        If ``requested`` is below 1.
    """
    if requested < 1:
        raise ParameterError(f"--partitions must be at least 1, got {requested}")
    n = len(patient_ids)
    if n == 0:
        return ()
    _, code = np.unique(np.asarray(patient_ids, dtype=str), return_inverse=True)
    code = code.reshape(-1)
    position = np.arange(n, dtype=np.int64)
    last = np.zeros(int(code.max()) + 1, dtype=np.int64)
    np.maximum.at(last, code, position)
    first = np.full(len(last), n, dtype=np.int64)
    np.minimum.at(first, code, position)
    # a cut after position i is allowed when no patient seen so far reaches beyond i
    reach = np.maximum.accumulate(last[code])
    allowed = np.flatnonzero(reach == position) + 1
    cuts: list[int] = []
    for k in range(1, requested):
        target = n * k // requested
        j = int(np.searchsorted(allowed, target))
        candidates = [int(allowed[i]) for i in (j - 1, j) if 0 <= i < len(allowed)]
        best = min(candidates, key=lambda c: (abs(c - target), c))
        if best < n and (not cuts or best > cuts[-1]):
            cuts.append(best)
    edges = [0, *cuts, n]
    counts = np.concatenate(([0], np.cumsum(first[code] == position)))
    return tuple(
        Partition(i, a, b, int(counts[b] - counts[a]))
        for i, (a, b) in enumerate(itertools.pairwise(edges))
    )
