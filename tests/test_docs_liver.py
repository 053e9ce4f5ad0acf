"""docs/criteria-choi.md and docs/criteria-mrecist.md state what the engines do.

Their worked-example tables are checked against the engines on the example cohorts, their
Python blocks run, their parameter tables list every parameter, and every reason code is
documented.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from pseudoprog.criteria import choi, mrecist, recist
from pseudoprog.criteria.patient_result import (
    PatientAssessment,
    PatientWarningKind,
    TimepointResult,
)
from pseudoprog.criteria.size_guard import GuardRule
from pseudoprog.io.patients import load_patients
from pseudoprog.patient import PatientRecord

ROOT = Path(__file__).parents[1]
CHOI = ROOT / "docs" / "criteria-choi.md"
MRECIST = ROOT / "docs" / "criteria-mrecist.md"


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _section(text: str, heading: str) -> str:
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : None if end < 0 else end]


def _number(cell: str) -> float:
    return float(cell.replace("−", "-").rstrip("%"))


def _patients(folder: str) -> dict[str, PatientRecord]:
    cohort = load_patients(
        lesions=ROOT / "examples" / folder / "lesions.csv",
        measurements=ROOT / "examples" / folder / "measurements.csv",
    )
    return {r.patient_id: r for r in cohort.records}


def _by_date(result: PatientAssessment) -> dict[str, TimepointResult]:
    return {t.date.isoformat(): t for t in result.timepoints}


@pytest.mark.parametrize("path", [CHOI, MRECIST], ids=["choi", "mrecist"])
def test_python_blocks_run(path: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", _text(path), re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, str(path), "exec"), {"__name__": "doc"})


def test_choi_worked_example_table() -> None:
    rows = re.findall(r"^\| (2022-\S+) \| (.+) \|$", _section(_text(CHOI), "Worked example"), re.M)
    assert len(rows) == 3
    record = _patients("liver_gist")["G01"]
    mine = _by_date(choi.assess(record))
    theirs = _by_date(recist.assess(record))
    for day, rest in rows:
        _, _, total, nadir, mean_hu, change, response, other = [c.strip() for c in rest.split("|")]
        point = mine[day]
        assert point.target_sum_mm == pytest.approx(float(total))
        assert point.change_from_nadir_pct == pytest.approx(_number(nadir), abs=0.051)
        assert point.metrics["attenuation_hu"] == pytest.approx(float(mean_hu))
        assert point.metrics["attenuation_change_pct"] == pytest.approx(_number(change), abs=0.051)
        assert point.response.value == response
        assert theirs[day].response.value == other


def test_mrecist_worked_example_table() -> None:
    section = _section(_text(MRECIST), "Worked example")
    rows = re.findall(r"^\| (H\d+) \| (2022-\S+) \| (.+) \|$", section, re.M)
    assert len(rows) == 4
    records = _patients("liver_hcc")
    for patient, day, rest in rows:
        whole, viable, base, nadir, response, other = [c.strip() for c in rest.split("|")]
        point = _by_date(mrecist.assess(records[patient]))[day]
        assert point.target_sum_mm == pytest.approx(float(viable))
        assert point.change_from_baseline_pct == pytest.approx(_number(base), abs=0.051)
        assert point.change_from_nadir_pct == pytest.approx(_number(nadir), abs=0.051)
        assert point.response.value == response
        compared = _by_date(recist.assess(records[patient]))[day]
        assert compared.target_sum_mm == pytest.approx(float(whole))
        assert compared.response.value == other


@pytest.mark.parametrize(
    ("path", "cls"),
    [(CHOI, choi.ChoiParameters), (MRECIST, mrecist.MRecistParameters)],
    ids=["choi", "mrecist"],
)
def test_every_parameter_is_in_the_table(path: Path, cls: type) -> None:
    table = _section(_text(path), "Parameters")
    listed = set(re.findall(r"`(\w+)`", table))
    for field in dataclasses.fields(cls):
        if field.name != "best_response":
            assert field.name in listed, field.name
    assert "confirmation_required" in listed


def test_every_code_is_documented() -> None:
    text = _text(CHOI)
    for code in [*choi.ChoiRule, *GuardRule]:
        assert f"`{code.value}`" in text, code
    for kind in (
        PatientWarningKind.SIZE_ONLY_PROGRESSION,
        PatientWarningKind.ATTENUATION_NOT_MEASURED,
    ):
        assert f"`{kind.value}`" in text
    text = _text(MRECIST)
    for code in [*mrecist.MRecistRule, *GuardRule]:
        assert f"`{code.value}`" in text, code


def test_citations() -> None:
    assert "J Clin Oncol 2007;25(13):1753–1759" in " ".join(_text(CHOI).split())
    assert "Semin Liver Dis 2010;30(1):52–60" in " ".join(_text(MRECIST).split())
