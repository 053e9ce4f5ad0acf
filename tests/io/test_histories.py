"""Lazily built histories behave like a tuple of the eagerly built ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from pseudoprog.domain import LesionHistory
from pseudoprog.io import histories as module
from pseudoprog.io.cohort import load_cohort


@pytest.fixture(scope="module")
def cohort(example_dir: Path) -> object:
    return load_cohort(
        lesions=example_dir / "lesions.csv",
        measurements=example_dir / "measurements.csv",
        events=example_dir / "events.csv",
    )


def eager(c: object, example_dir: Path) -> list[LesionHistory]:
    """Histories rebuilt one by one from loose measurements (the reference)."""
    import csv
    from datetime import date

    from pseudoprog.domain import Measurement, Sequence

    with (example_dir / "measurements.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    measurements = [
        Measurement(
            r["lesion_id"],
            date.fromisoformat(r["date"]),
            Sequence.parse(r["sequence"]),
            float(r["size_mm"]),
        )
        for r in rows
    ]
    return [
        LesionHistory.from_measurements(lesion, measurements, c.events)  # type: ignore[attr-defined]
        for lesion in c.lesions  # type: ignore[attr-defined]
    ]


def as_plain(h: LesionHistory) -> tuple[object, ...]:
    return (h.lesion, {s: (r.dates, r.sizes_mm) for s, r in h.series.items()}, h.events)


def test_items_slices_and_iteration_match_the_reference(
    cohort: object, example_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(module, "_BATCH", 5)  # several batches while iterating
    histories = cohort.histories  # type: ignore[attr-defined]
    reference = [as_plain(h) for h in eager(cohort, example_dir)]
    assert len(histories) == 37
    assert [as_plain(h) for h in histories] == reference
    assert [as_plain(h) for h in histories[10:20]] == reference[10:20]
    assert [as_plain(h) for h in histories[::7]] == reference[::7]
    assert as_plain(histories[-1]) == reference[-1]
    assert histories[3:3] == ()
    with pytest.raises(IndexError, match="out of range for 37 lesions"):
        histories[37]
