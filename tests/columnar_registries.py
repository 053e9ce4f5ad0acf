"""Registries written as table files, and the reference output the column engine must match.

The reference output is what ``pseudoprog classify`` wrote before the column engine: the
tables read by :func:`pseudoprog.io.cohort.load_cohort`, each lesion assessed by
:func:`pseudoprog.criteria.amini2016.assess`, the text written by
:func:`pseudoprog.io.bulk.classify_serialized` and the Parquet table by
:func:`pseudoprog.io.parquet_results.assessments_to_table`.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from pseudoprog.criteria.amini2016 import Amini2016Parameters, assess_many
from pseudoprog.criteria.result import Assessment
from pseudoprog.io.bulk import SerialFormat, classify_serialized
from pseudoprog.io.cohort import load_cohort
from pseudoprog.io.parquet_results import assessments_to_table

__all__ = [
    "Registry",
    "reference_assessments",
    "reference_table",
    "reference_text",
    "seeded_registry",
]

SEQUENCES = ("T1", "T2FS", "T1C")


@dataclass
class Registry:
    """Rows of the lesions, measurements and (optional) events tables."""

    lesions: list[dict[str, str]] = field(default_factory=list)
    measurements: list[tuple[str, str, str, str]] = field(default_factory=list)
    events: list[dict[str, str]] | None = None

    def write(self, folder: Path) -> tuple[Path, Path, Path | None]:
        """Write the tables as CSV files in ``folder``; return their paths."""
        folder.mkdir(parents=True, exist_ok=True)
        lesions = folder / "lesions.csv"
        columns = list(dict.fromkeys(k for row in self.lesions for k in row))
        with lesions.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, columns)
            writer.writeheader()
            writer.writerows(self.lesions)
        measurements = folder / "measurements.csv"
        with measurements.open("w", newline="", encoding="utf-8") as handle:
            writer_m = csv.writer(handle)
            writer_m.writerow(["lesion_id", "date", "sequence", "size_mm"])
            writer_m.writerows(self.measurements)
        events = None
        if self.events is not None:
            events = folder / "events.csv"
            with events.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, ["patient_id", "date", "kind", "lesion_id"])
                writer.writeheader()
                writer.writerows(self.events)
        return lesions, measurements, events


def reference_assessments(
    lesions: Path,
    measurements: Path,
    events: Path | None,
    *,
    params: Amini2016Parameters,
    as_of: date | None,
) -> list[Assessment]:
    cohort = load_cohort(lesions=lesions, measurements=measurements, events=events)
    return assess_many(cohort.histories, as_of=as_of, params=params)


def reference_text(
    lesions: Path,
    measurements: Path,
    events: Path | None,
    *,
    params: Amini2016Parameters,
    as_of: date | None,
    output_format: str,
) -> bytes:
    cohort = load_cohort(lesions=lesions, measurements=measurements, events=events)
    pieces = classify_serialized(
        cohort.histories,
        params=params,
        as_of=as_of,
        output_format=SerialFormat(output_format),
        notices=cohort.notices,
        jobs=1,
    )
    return b"".join(pieces)


def reference_table(
    lesions: Path,
    measurements: Path,
    events: Path | None,
    *,
    params: Amini2016Parameters,
    as_of: date | None,
) -> pa.Table:
    return assessments_to_table(
        reference_assessments(lesions, measurements, events, params=params, as_of=as_of)
    )


def _shape(rng: np.random.Generator, n: int, error: float) -> list[float]:
    """Size changes from the baseline over ``n`` follow-ups, of one of several courses."""
    kind = rng.integers(0, 9)
    t = np.arange(1, n + 1)
    change: np.ndarray
    if kind == 0:  # stable
        change = rng.normal(0, 0.4, n)
    elif kind == 1:  # shrinking
        change = -0.9 * t
    elif kind == 2:  # growing
        change = 1.5 * t
    elif kind == 3:  # transient growth
        change = np.where(t == 1, 3 * error, np.where(t == 2, 1.0, 0.0))
    elif kind == 4:  # a decline that comes back
        change = np.where(t == 1, 3 * error, np.where(t == 2, 0.0, 3 * error))
    elif kind == 5:  # a slow decline
        change = np.maximum(3 * error - 0.3 * (t - 1), 0.0)
    elif kind == 6:  # growth on two studies, then a plateau
        change = np.minimum(t, 2) * error
    elif kind == 7:  # exactly the error: the tolerance decides
        change = np.where(t % 2 == 1, error, -error)
    else:  # a decline seen on the latest study only
        change = np.where(t == n, 0.0, 2 * error)
    return [float(x) for x in change]


def seeded_registry(
    n_lesions: int, *, seed: int, events: bool, error: float = 2.0, odd_ids: bool = True
) -> Registry:
    """A registry whose courses exercise every rule of the criteria."""
    rng = np.random.default_rng(seed)
    registry = Registry(events=[] if events else None)
    start = date(2008, 1, 1)
    for i in range(n_lesions):
        patient = f"P{i // 3}"
        lesion_id = f"L{i}"
        if odd_ids and i % 97 == 5:
            lesion_id = f'L"{i}, odd\\id'
        if odd_ids and i % 89 == 7:
            lesion_id = f"Lésion-{i}"
        treated = start + timedelta(days=int(rng.integers(0, 2000)))
        row = {
            "patient_id": patient,
            "lesion_id": lesion_id,
            "treatment_date": treated.isoformat(),
            "dose_gy": "24",
            "fractions": str(int(rng.choice([1, 3, 5]))),
            "in_vertebral_body": ["", "yes", "no"][int(rng.integers(0, 3))],
            "body_involvement_pct": ["", str(rng.integers(0, 201) / 2)][int(rng.integers(0, 2))],
        }
        registry.lesions.append(row)
        for s, sequence in enumerate(SEQUENCES):
            if s and rng.random() < 0.2:
                continue
            n = int(rng.integers(0, 8))
            gaps = rng.integers(20, 130, n)
            days = np.cumsum(gaps).tolist()
            base_day = -int(rng.integers(0, 40))
            if s and rng.random() < 0.1:
                base_day = int(days[0]) if n else 5  # no baseline on this sequence
                days = days[1:]
            base = float(rng.integers(50, 400)) / 10
            if rng.random() < 0.1:
                base += float(rng.integers(1, 99)) / 1000  # more decimals than 0.1 mm
            sizes = [base, *(base + c for c in _shape(rng, len(days), error))]
            for day, size in zip([base_day, *days], sizes, strict=True):
                size = max(round(size, 3), 0.5)
                when = treated + timedelta(days=int(day))
                registry.measurements.append((lesion_id, when.isoformat(), sequence, f"{size:g}"))
        if events and rng.random() < 0.3:
            kind = [
                "systemic_therapy_change",
                "other_bone_lesions_enlarged",
                "hardware",
                "fracture",
                "other_bone_lesions_decreased",
                "surgery",
            ][int(rng.integers(0, 6))]
            when = treated + timedelta(days=int(rng.integers(0, 300)))
            own = lesion_id if rng.random() < 0.5 else ""
            assert registry.events is not None
            registry.events.append(
                {"patient_id": patient, "date": when.isoformat(), "kind": kind, "lesion_id": own}
            )
            if kind == "systemic_therapy_change" and rng.random() < 0.5:
                later = when + timedelta(days=int(rng.integers(1, 60)))
                registry.events.append(
                    {
                        "patient_id": patient,
                        "date": later.isoformat(),
                        "kind": "other_bone_lesions_enlarged",
                        "lesion_id": own,
                    }
                )
    return registry


def rule_codes(assessments: Sequence[Assessment]) -> set[str]:
    """Every rule code in the results' per-sequence reasons."""
    return {
        reason.code for a in assessments for r in a.per_sequence.values() for reason in r.reasons
    }
