"""Inputs the fuzzer (tests/fuzz_strategies.py) found crashing, each now a clear problem."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from pseudoprog.cli import _register, app
from pseudoprog.domain import Evidence
from pseudoprog.errors import InputValidationError, Problem
from pseudoprog.io.cohort import load_cohort
from pseudoprog.io.dce import read_aif_csv, write_evidence_rows
from pseudoprog.io.evidence import load_evidence_table

LESIONS = "patient_id,lesion_id,treatment_date,dose_gy,fractions\nP1,L1,{day},24,1\n"
MEASUREMENTS = "lesion_id,date,sequence,size_mm\nL1,{first},T1,20\nL1,{second},T1,26\n"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(**tables: Path) -> list[Problem]:
    with pytest.raises(InputValidationError) as caught:
        load_cohort(**tables)  # type: ignore[arg-type]
    return list(caught.value.problems)


# ---- a column named twice (was KeyError: 'Field "lesion_id" exists 2 times in schema') ----


def test_repeated_column_is_a_problem_naming_both_columns(tmp_path: Path) -> None:
    lesions = write(
        tmp_path,
        "l.csv",
        "patient_id,lesion_id,lesion_id,treatment_date,dose_gy,fractions\n"
        "P1,L1,L1,2010-01-10,24,1\n",
    )
    measurements = write(
        tmp_path, "m.csv", MEASUREMENTS.format(first="2010-01-01", second="2010-04-01")
    )
    (problem,) = problems(lesions=lesions, measurements=measurements)
    assert str(lesions) in problem.source
    assert (problem.row, problem.column) == (1, "lesion_id")
    assert "appears 2 times in the header (columns 2, 3)" in problem.message
    assert "delete or rename" in problem.expected


def test_columns_that_are_the_same_once_normalized_are_repeated(tmp_path: Path) -> None:
    lesions = write(tmp_path, "l.csv", LESIONS.format(day="2010-01-10"))
    measurements = write(
        tmp_path,
        "m.csv",
        "lesion_id,date,Sequence,sequence,size_mm\nL1,2010-01-01,T1,T1,20\n",
    )
    (problem,) = problems(lesions=lesions, measurements=measurements)
    assert problem.column == "sequence"
    assert "(columns 3, 4)" in problem.message


def test_repeated_column_in_a_workbook_sheet(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "lesions"
    sheet.append(["patient_id", "Lesion ID", "lesion_id", "treatment_date", "dose_gy", "fractions"])
    sheet.append(["P1", "L1", "L1", datetime(2010, 1, 10), 24, 1])
    path = tmp_path / "book.xlsx"
    book.save(path)
    found = problems(workbook=path)
    assert any(p.column == "lesion_id" and "appears 2 times" in p.message for p in found)


def test_unnamed_columns_may_repeat(tmp_path: Path) -> None:
    """Trailing commas (empty header cells), as spreadsheets export them, are still read."""
    lesions = write(
        tmp_path,
        "l.csv",
        "patient_id,lesion_id,treatment_date,dose_gy,fractions,,\nP1,L1,2010-01-10,24,1,,\n",
    )
    measurements = write(
        tmp_path, "m.csv", MEASUREMENTS.format(first="2010-01-01", second="2010-04-01")
    )
    cohort = load_cohort(lesions=lesions, measurements=measurements)
    assert [lesion.lesion_id for lesion in cohort.lesions] == ["L1"]


def test_repeated_column_of_the_evidence_table(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "mine.csv",
        "feature,citation,location,location\ngrowth_within_80pct_isodose,X,Y,Z\n",
    )
    with pytest.raises(InputValidationError, match="appears 2 times"):
        load_evidence_table(path)


# ---- far dates (was ValueError: year 10000 is out of range, in the criteria) ----------------


@pytest.mark.parametrize(
    ("day", "first", "second"),
    [
        ("9999-12-01", "9999-11-01", "9999-12-31"),  # treatment + 6 months overflowed
        ("0001-01-02", "0001-01-01", "0001-03-01"),
        ("2200-01-01", "2199-12-01", "2200-03-01"),
    ],
)
def test_dates_out_of_range_are_problems(tmp_path: Path, day: str, first: str, second: str) -> None:
    lesions = write(tmp_path, "l.csv", LESIONS.format(day=day))
    measurements = write(tmp_path, "m.csv", MEASUREMENTS.format(first=first, second=second))
    found = problems(lesions=lesions, measurements=measurements)
    far = [p for p in found if p.message == "date out of range"]
    assert {(p.column, p.value) for p in far} >= {("treatment_date", day)}
    assert far[0].row == 2
    assert "between 1900-01-01 and 2199-12-31" in far[0].expected


def test_dates_at_the_ends_of_the_range_are_read(tmp_path: Path) -> None:
    lesions = write(tmp_path, "l.csv", LESIONS.format(day="1900-01-02"))
    measurements = write(
        tmp_path, "m.csv", MEASUREMENTS.format(first="1900-01-01", second="1900-04-01")
    )
    cohort = load_cohort(lesions=lesions, measurements=measurements)
    assert cohort.lesions[0].treatment.date == date(1900, 1, 2)


def test_far_workbook_date_is_a_problem(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "lesions"
    sheet.append(["patient_id", "lesion_id", "treatment_date", "dose_gy", "fractions"])
    sheet.append(["P1", "L1", datetime(1, 1, 1), 24, 1])
    path = tmp_path / "l.xlsx"
    book.save(path)
    found = problems(lesions=path, measurements=write(tmp_path, "m.csv", MEASUREMENTS))
    assert any(p.message == "date out of range" and p.value == "0001-01-01" for p in found)


def test_far_date_through_the_command_line(tmp_path: Path) -> None:
    lesions = write(tmp_path, "l.csv", LESIONS.format(day="9999-12-01"))
    measurements = write(
        tmp_path, "m.csv", MEASUREMENTS.format(first="9999-11-01", second="9999-12-31")
    )
    output = tmp_path / "out" / "result.json"
    _register()
    args = ["classify", "--lesions", str(lesions), "--measurements", str(measurements)]
    result = CliRunner().invoke(app, [*args, "--format", "json", "--output", str(output)])
    assert result.exit_code == 2, result.output
    assert "date out of range" in result.output
    assert "Traceback" not in result.output
    assert not output.exists()


# ---- cells longer than the csv module's limit (was _csv.Error: field larger than ...) ------


def test_aif_with_a_huge_cell(tmp_path: Path) -> None:
    path = write(tmp_path, "aif.csv", "time_s,cp_mM\n0,0\n5," + "9" * 200_000 + "\n")
    with pytest.raises(InputValidationError) as caught:
        read_aif_csv(path, [0.0, 5.0])  # type: ignore[arg-type]
    (problem,) = caught.value.problems
    assert problem.source == str(path)
    assert "cannot be read as CSV (line 3: field larger than field limit" in problem.message


def test_evidence_table_to_append_to_with_a_huge_cell(tmp_path: Path) -> None:
    text = "lesion_id,date,kind,value,note\nL1,2010-01-01,dce_vp_change_pct,-5," + "x" * 200_000
    path = write(tmp_path, "evidence.csv", text)
    row = Evidence("L1", date(2010, 5, 1), "dce_vp_change_pct", -12.5)
    with pytest.raises(InputValidationError, match=r"cannot be read as CSV \(line 2"):
        write_evidence_rows(path, [row])
    assert path.read_text(encoding="utf-8") == text
