"""The bundled example: published Table 1 facts and a reproducible synthetic history."""

from __future__ import annotations

import csv
import runpy
from collections import Counter
from pathlib import Path


def rows(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def test_lesions_table_matches_table_1_counts(example_dir: Path) -> None:
    lesions = rows(example_dir / "lesions.csv")
    # Amini 2016: 37 lesions in 36 patients; patient 17 has two lesions (L1 PR, L2 SD).
    assert len(lesions) == 37
    assert len({r["patient_id"] for r in lesions}) == 36
    assert [(r["level"], r["response"]) for r in lesions if r["patient_id"] == "17"] == [
        ("L1", "PR"),
        ("L2", "SD"),
    ]
    # Results: OPP 5, PD 9; 16 single-fraction, 15 three-fraction, 6 five-fraction.
    responses = Counter(r["response"] for r in lesions)
    assert (responses["OPP"], responses["PD"], responses["PR"] + responses["SD"]) == (5, 9, 23)
    assert Counter(r["fractions"] for r in lesions) == {"1": 16, "3": 15, "5": 6}
    assert all(r["fractions"] == "1" for r in lesions if r["response"] == "OPP")


def test_generator_reproduces_the_bundled_files(example_dir: Path, tmp_path: Path) -> None:
    module = runpy.run_path(str(example_dir / "generate.py"))
    module["main"](tmp_path)
    for name in ("lesions.csv", "measurements.csv", "events.csv"):
        assert (tmp_path / name).read_text() == (example_dir / name).read_text(), name


def test_follow_up_protocol(example_dir: Path) -> None:
    from datetime import date

    treated = {
        r["lesion_id"]: date.fromisoformat(r["treatment_date"])
        for r in rows(example_dir / "lesions.csv")
    }
    by_lesion: dict[str, list[int]] = {}
    for m in rows(example_dir / "measurements.csv"):
        by_lesion.setdefault(m["lesion_id"], []).append(
            (date.fromisoformat(m["date"]) - treated[m["lesion_id"]]).days
        )
    for lesion, days in by_lesion.items():
        before = [d for d in days if d <= 0]
        assert -42 <= max(before) < 0, lesion  # baseline within 6 weeks before SSRS
        assert len(days) - len(before) >= 3, lesion  # three or more follow-up studies
        assert max(days) >= 183, lesion  # the paper required 6 months of follow-up
