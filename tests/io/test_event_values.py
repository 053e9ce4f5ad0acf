"""The optional ``value`` column of the events table (counts of new bone lesions)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pseudoprog.domain import Event, EventKind
from pseudoprog.errors import InputValidationError, Problem
from pseudoprog.io.cohort import EVENT_COLUMNS, Cohort, load_cohort

LESIONS = """patient_id,lesion_id,treatment_date,dose_gy,fractions
P1,L1,2010-01-10,24,1
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


def test_value_is_a_known_optional_column() -> None:
    assert "value" in EVENT_COLUMNS["optional"]
    assert "value" not in EVENT_COLUMNS["required"]


def test_values_are_read(tmp_path: Path) -> None:
    cohort = load(
        tmp_path,
        """patient_id,date,kind,value
P1,2010-01-05,new_bone_lesions,0
P1,2010-03-08,New Bone Lesions,2
P1,2010-05-03,bone scan new lesions,4
P1,2010-02-01,systemic_therapy_change,
P1,2010-02-02,fracture,1.5
""",
    )
    assert [(e.kind, e.value) for e in cohort.events] == [
        (EventKind.NEW_BONE_LESIONS, 0.0),
        (EventKind.NEW_BONE_LESIONS, 2.0),
        (EventKind.NEW_BONE_LESIONS, 4.0),
        (EventKind.SYSTEMIC_THERAPY_CHANGE, None),
        (EventKind.FRACTURE, 1.5),
    ]
    assert cohort.events[1].date == date(2010, 3, 8)
    assert not any("ignored column" in n for n in cohort.notices)


def test_tables_without_value_stay_valid(tmp_path: Path) -> None:
    cohort = load(tmp_path, "patient_id,date,kind,detail\nP1,2010-02-01,fracture,T12\n")
    assert cohort.events == (Event("P1", date(2010, 2, 1), EventKind.FRACTURE, None, "T12"),)
    assert cohort.events[0].value is None


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("", "no count of new lesions for an event of kind new_bone_lesions"),
        ("-1", "not a count of new bone lesions"),
        ("2.5", "not a count of new bone lesions"),
        ("two", "not a number"),
    ],
)
def test_bone_scan_counts_must_be_whole_numbers(tmp_path: Path, cell: str, message: str) -> None:
    found = problems(
        tmp_path,
        f"patient_id,date,kind,value\nP1,2010-02-01,fracture,\nP1,2010-03-08,new_bone_lesions,{cell}\n",
    )
    assert len(found) == 1, [str(p) for p in found]
    problem = found[0]
    assert problem.row == 3
    assert problem.column == "value"
    assert problem.value == cell
    assert message in problem.message
    assert "whole number" in problem.expected or "number" in problem.expected


def test_missing_value_column_is_reported_per_bone_scan_row(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        "patient_id,date,kind\nP1,2010-03-08,new_bone_lesions\nP1,2010-05-03,new_bone_lesions\n",
    )
    assert [(p.row, p.column) for p in found] == [(2, "value"), (3, "value")]
    assert "a whole number of at least 0" in found[0].expected
    assert "row 2, column 'value'" in str(found[0])


def test_other_kinds_accept_any_number(tmp_path: Path) -> None:
    cohort = load(tmp_path, "patient_id,date,kind,value\nP1,2010-02-01,fracture,-3.5\n")
    assert cohort.events[0].value == -3.5
    found = problems(tmp_path, "patient_id,date,kind,value\nP1,2010-02-01,fracture,lots\n")
    assert [(p.row, p.column, p.message) for p in found] == [(2, "value", "not a number")]


def test_event_constructors_without_value_still_work() -> None:
    event = Event("P1", date(2010, 2, 1), EventKind.HARDWARE, "L1", "cement")
    assert event.value is None
    assert Event("P1", date(2010, 2, 1), EventKind.NEW_BONE_LESIONS, value=3).value == 3
    assert EventKind.parse("new bone lesions") is EventKind.NEW_BONE_LESIONS
    assert EventKind.parse("bone scan new lesions") is EventKind.NEW_BONE_LESIONS


def test_a_header_without_rows_records_that_nothing_happened(tmp_path: Path) -> None:
    lesions = tmp_path / "lesions.csv"
    lesions.write_text(LESIONS)
    measurements = tmp_path / "measurements.csv"
    measurements.write_text("lesion_id,date,sequence,size_mm\nL1,2010-01-01,T1,20\n")
    events = tmp_path / "events.csv"
    events.write_text("patient_id,date,kind\n")
    with_header = load_cohort(lesions=lesions, measurements=measurements, events=events)
    assert with_header.events == ()
    (history,) = with_header.histories
    assert history.events == ()
    assert history.events_recorded is True
    (without,) = load_cohort(lesions=lesions, measurements=measurements).histories
    assert without.events_recorded is False


def test_an_events_file_without_a_header_is_still_empty(tmp_path: Path) -> None:
    (problem,) = problems(tmp_path, "")
    assert problem.message == "the file is empty"
    assert "patient_id, date, kind" in problem.expected
