"""The ``evidence`` input table: every bad row reported, nothing half-imported."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pseudoprog.errors import InputValidationError
from pseudoprog.io.cohort import Cohort
from pseudoprog.io.evidence import load_evidence

HEADER = "lesion_id,date,kind,value\n"


def write(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "evidence.csv"
    path.write_text(header + body, encoding="utf-8")
    return path


def rejected(path: Path, cohort: Cohort) -> str:
    with pytest.raises(InputValidationError) as caught:
        load_evidence(path, lesions=cohort.lesions)
    return "\n".join(str(p) for p in caught.value.problems)


def test_valid_rows(tmp_path: Path, cohort: Cohort) -> None:
    path = write(
        tmp_path,
        "P04-T12,2009-05-21,dce_vp_change_pct,-45\n"
        "P04-T12,2009-05-21,80% isodose,yes\n"
        "P04-T12,2009-05-21,T2 ratio change,12.5\n"
        "P04-T12,2009-08-12,DCE vp change,0\n",
    )
    rows = load_evidence(path, lesions=cohort.lesions)
    assert [(r.kind, r.value) for r in rows] == [
        ("dce_vp_change_pct", -45.0),
        ("growth_within_80pct_isodose", True),
        ("t2_signal_ratio_change_pct", 12.5),
        ("dce_vp_change_pct", 0.0),
    ]
    assert rows[0].date == date(2009, 5, 21)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (
            "P99-L1,2009-05-21,dce_vp_change_pct,-45\n",
            "row 2, column 'lesion_id': evidence for a lesion that is not in the lesions table",
        ),
        (
            "P04-T12,2009-05-21,fdg_suv_change,-45\n",
            "row 2, column 'kind': unknown kind (got 'fdg_suv_change'); expected one of "
            "growth_within_80pct_isodose, dce_vp_change_pct, t2_signal_ratio_change_pct",
        ),
        (
            "P04-T12,2009-05-21,growth_within_80pct_isodose,perhaps\n",
            "row 2, column 'value': not a yes/no value (got 'perhaps')",
        ),
        ("P04-T12,2009-05-21,growth_within_80pct_isodose,\n", "row 2, column 'value': empty cell"),
        (
            "P04-T12,2009-05-21,dce_vp_change_pct,yes\n",
            "row 2, column 'value': not a number (got 'yes'); expected a number in percent",
        ),
        (
            "P04-T12,2009-05-21,dce_vp_change_pct,-150\n",
            "row 2, column 'value': value too small (got '-150'); "
            "expected a number in percent at least -100",
        ),
        ("P04-T12,2009-05-21,dce_vp_change_pct,\n", "row 2, column 'value': empty cell"),
        ("P04-T12,21/05/2009,dce_vp_change_pct,-45\n", "row 2, column 'date': not a valid date"),
        (
            "P04-T12,2008-05-21,dce_vp_change_pct,-45\n",
            "row 2, column 'date': evidence dated before the lesion's treatment on 2009-02-12",
        ),
        (
            "P04-T12,2009-05-21,dce_vp_change_pct,-45\nP04-T12,2009-05-21,dce_vp_change_pct,-40\n",
            "row 3, column 'value': lesion P04-T12 has two different dce_vp_change_pct values on "
            "2009-05-21 (row 2: -45.0, row 3: -40.0)",
        ),
    ],
    ids=[
        "unknown-lesion",
        "unknown-kind",
        "bad-boolean",
        "empty-boolean",
        "text-for-number",
        "below-minus-100",
        "empty-number",
        "ambiguous-date",
        "before-treatment",
        "conflicting-duplicate",
    ],
)
def test_bad_rows_are_rejected(tmp_path: Path, cohort: Cohort, body: str, fragment: str) -> None:
    text = rejected(write(tmp_path, body), cohort)
    assert fragment in text, text
    assert text.startswith(f"evidence table {tmp_path / 'evidence.csv'}, row ")


def test_every_bad_row_is_reported(tmp_path: Path, cohort: Cohort) -> None:
    body = (
        "P99-L1,2009-05-21,dce_vp_change_pct,-45\n"
        "P04-T12,2009-05-21,growth_within_80pct_isodose,-45\n"
        "P04-T12,2009-05-21,dce_vp_change_pct,true\n"
        "P04-T12,2009-05-21,t2_signal_ratio_change_pct,12\n"
    )
    text = rejected(write(tmp_path, body), cohort)
    assert "row 2" in text
    assert "row 3" in text
    assert "row 4" in text
    assert "row 5" not in text


def test_missing_column(tmp_path: Path, cohort: Cohort) -> None:
    text = rejected(
        write(tmp_path, "P04-T12,2009-05-21,-45\n", header="lesion_id,date,value\n"), cohort
    )
    assert "required column 'kind' is missing" in text


def test_identical_duplicates_are_merged_with_a_notice(tmp_path: Path, cohort: Cohort) -> None:
    notices: list[str] = []
    path = write(
        tmp_path,
        "P04-T12,2009-05-21,dce_vp_change_pct,-45\nP04-T12,2009-05-21,dce_vp_change_pct,-45.0\n",
    )
    rows = load_evidence(path, lesions=cohort.lesions, notices=notices)
    assert len(rows) == 1
    assert any("row 3 repeats row 2" in n for n in notices)


def test_missing_file(tmp_path: Path, cohort: Cohort) -> None:
    with pytest.raises(InputValidationError, match="file not found"):
        load_evidence(tmp_path / "nope.csv", lesions=cohort.lesions)
