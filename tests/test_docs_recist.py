"""The worked examples of docs/criteria-recist.md are what the RECIST 1.1 engine gives."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pseudoprog.criteria import recist
from pseudoprog.io.patients import load_patients

ROOT = Path(__file__).parents[1]
DOC = ROOT / "docs" / "criteria-recist.md"
BLOCK = re.compile(r"```text worked-example (\S+)\n(.*?)```", re.S)


def examples() -> list[tuple[str, str]]:
    found = BLOCK.findall(DOC.read_text(encoding="utf-8"))
    assert found, "no worked example in the doc"
    return found


@pytest.mark.parametrize(("patient", "block"), examples())
def test_worked_example(patient: str, block: str) -> None:
    cohort = load_patients(
        lesions=ROOT / "examples" / "recist" / "lesions.csv",
        measurements=ROOT / "examples" / "recist" / "measurements.csv",
    )
    (record,) = [r for r in cohort.records if r.patient_id == patient]
    result = recist.assess(record)
    lines = block.strip().splitlines()
    rows = [line.split() for line in lines[1:-1]]
    assert len(rows) == len(result.timepoints)
    for row, point in zip(rows, result.timepoints, strict=True):
        day, target, total, base, nadir, overall = row
        assert day == point.date.isoformat()
        assert target == point.target_response.value
        assert float(total) == pytest.approx(point.target_sum_mm)
        assert float(base) == pytest.approx(point.change_from_baseline_pct, abs=0.051)
        assert float(nadir) == pytest.approx(point.change_from_nadir_pct, abs=0.051)
        assert overall == point.response.value
    assert lines[-1] == f"best: {result.best_overall_response.value}"
