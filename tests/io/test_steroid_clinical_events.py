"""Events read by RANO-BM: ``corticosteroids`` (value: mg/day) and ``clinical_status`` (detail)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pseudoprog.domain import ClinicalStatus, Event, EventKind
from pseudoprog.errors import InputValidationError, ParameterError, Problem
from pseudoprog.io.cohort import Cohort, load_cohort
from pseudoprog.io.patients import load_patients

LESIONS = """patient_id,lesion_id,treatment_date,dose_gy,fractions
P1,L1,2022-01-10,20,1
"""


def load(tmp_path: Path, events: str) -> Cohort:
    lesions = tmp_path / "lesions.csv"
    lesions.write_text(LESIONS)
    table = tmp_path / "events.csv"
    table.write_text(events)
    return load_cohort(lesions=lesions, events=table, require_measurements=False)


def problems(tmp_path: Path, events: str) -> list[Problem]:
    with pytest.raises(InputValidationError) as info:
        load(tmp_path, events)
    return list(info.value.problems)


def test_kinds_and_their_aliases() -> None:
    assert EventKind.parse("corticosteroids") is EventKind.CORTICOSTEROIDS
    assert EventKind.parse("Steroids") is EventKind.CORTICOSTEROIDS
    assert EventKind.parse("dexamethasone") is EventKind.CORTICOSTEROIDS
    assert EventKind.parse("clinical status") is EventKind.CLINICAL_STATUS
    assert ClinicalStatus.parse("Worse") is ClinicalStatus.WORSE
    assert ClinicalStatus.parse("deteriorated") is ClinicalStatus.WORSE
    assert ClinicalStatus.parse("unchanged") is ClinicalStatus.STABLE
    with pytest.raises(ParameterError, match="not a known clinical status"):
        ClinicalStatus.parse("so-so")


def test_doses_and_statuses_are_read(tmp_path: Path) -> None:
    cohort = load(
        tmp_path,
        "patient_id,date,kind,detail,value\n"
        "P1,2022-01-05,dexamethasone,for oedema,4\n"
        "P1,2022-02-01,steroids,,0\n"
        "P1,2022-03-07,clinical status, Worse ,\n"
        "P1,2022-04-01,clinical_status,improved,\n",
    )
    assert cohort.events == (
        Event("P1", date(2022, 1, 5), EventKind.CORTICOSTEROIDS, None, "for oedema", 4.0),
        Event("P1", date(2022, 2, 1), EventKind.CORTICOSTEROIDS, None, None, 0.0),
        Event("P1", date(2022, 3, 7), EventKind.CLINICAL_STATUS, None, "worse", None),
        Event("P1", date(2022, 4, 1), EventKind.CLINICAL_STATUS, None, "improved", None),
    )


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("P1,2022-02-01,corticosteroids,,", "value", "no dose for an event of kind"),
        ("P1,2022-02-01,steroids,,-2", "value", "a negative dose"),
        ("P1,2022-02-01,steroids,,lots", "value", "not a number"),
        ("P1,2022-02-01,clinical_status,,", "detail", "no clinical status for an event"),
        ("P1,2022-02-01,clinical_status,so-so,", "detail", "unknown clinical status"),
    ],
)
def test_bad_rows_are_named_by_row_and_column(
    tmp_path: Path, row: str, column: str, message: str
) -> None:
    found = problems(
        tmp_path, f"patient_id,date,kind,detail,value\nP1,2022-01-20,fracture,,\n{row}\n"
    )
    assert len(found) == 1, [str(p) for p in found]
    assert (found[0].row, found[0].column) == (3, column)
    assert message in str(found[0])


def test_a_status_needs_the_detail_column(tmp_path: Path) -> None:
    found = problems(tmp_path, "patient_id,date,kind\nP1,2022-02-01,clinical_status\n")
    assert [(p.row, p.column) for p in found] == [(2, "detail")]
    assert "improved, stable, worse" in str(found[0])


def test_patient_level_input_reads_them_too(tmp_path: Path) -> None:
    lesions = tmp_path / "lesions.csv"
    lesions.write_text("patient_id,lesion_id,treatment_date\nP1,L1,2022-01-10\n")
    measurements = tmp_path / "measurements.csv"
    measurements.write_text("lesion_id,date,size_mm,perpendicular_mm\nL1,2022-01-03,14,10\n")
    events = tmp_path / "events.csv"
    events.write_text("patient_id,date,kind,detail,value\nP1,2022-03-01,clinical_status,stable,\n")
    cohort = load_patients(lesions=lesions, measurements=measurements, events=events)
    (record,) = cohort.records
    assert record.events_recorded
    assert record.events[0].detail == "stable"
    events.write_text("patient_id,date,kind,detail,value\nP1,2022-03-01,steroids,,\n")
    with pytest.raises(InputValidationError, match="row 2, column 'value'"):
        load_patients(lesions=lesions, measurements=measurements, events=events)
