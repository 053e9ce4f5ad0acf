"""The input tables: parsing, aliases and one test per kind of bad input."""

from __future__ import annotations

import warnings
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from pseudoprog.domain import EventKind, ResponseCategory, Sequence, Sex
from pseudoprog.errors import InputValidationError, Problem
from pseudoprog.io.cohort import load_cohort

LESIONS = """patient_id,lesion_id,treatment_date,dose_gy,fractions,level,age,sex,response
P1,L1,2010-01-10,24,1,T12,57,F,OPP
P2,L2,2010-02-01,27,3,L6,46,M,PD
"""
MEASUREMENTS = """lesion_id,date,sequence,size_mm
L1,2010-01-01,T1,20
L1,2010-04-01,T1,26
L1,2010-07-01,T1,21
L2,2010-01-20,T1,15
L2,2010-05-01,T1,15.5
"""
EVENTS = """patient_id,date,kind,lesion_id,detail
P1,2010-03-01,systemic_therapy_change,,new drug
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def load(
    tmp_path: Path,
    lesions: str = LESIONS,
    measurements: str | None = MEASUREMENTS,
    events: str | None = None,
) -> object:
    return load_cohort(
        lesions=write(tmp_path, "lesions.csv", lesions),
        measurements=None if measurements is None else write(tmp_path, "m.csv", measurements),
        events=None if events is None else write(tmp_path, "events.csv", events),
        require_measurements=measurements is not None,
    )


def problems(tmp_path: Path, **tables: str | None) -> list[Problem]:
    with pytest.raises(InputValidationError) as info:
        load(tmp_path, **tables)  # type: ignore[arg-type]
    return list(info.value.problems)


def only(found: list[Problem]) -> Problem:
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


def test_valid_input_builds_the_domain(tmp_path: Path) -> None:
    cohort = load(tmp_path, events=EVENTS)
    lesion = cohort.lesions[0]  # type: ignore[attr-defined]
    assert lesion.treatment.date == date(2010, 1, 10)
    assert lesion.treatment.single_fraction
    assert lesion.level == "T12"
    assert lesion.sex is Sex.FEMALE
    assert lesion.response is ResponseCategory.OPP
    assert cohort.lesions[1].level == "L6"  # type: ignore[attr-defined]
    h = cohort.histories[0]  # type: ignore[attr-defined]
    assert h.series[Sequence.T1].sizes_mm == (20.0, 26.0, 21.0)
    assert h.events[0].kind is EventKind.SYSTEMIC_THERAPY_CHANGE
    assert cohort.histories[1].events == ()  # type: ignore[attr-defined]
    assert cohort.patients == ("P1", "P2")  # type: ignore[attr-defined]


def test_column_names_are_case_insensitive_and_sequences_accept_aliases(tmp_path: Path) -> None:
    measurements = """ Lesion_ID ,DATE,Sequence,Size MM
L1,2010-01-01,t1,20
L1,2010-01-01,T2 FS,21
L1,2010-01-01,T1+C,20.5
L1,2010-04-01,post,22
L1,2010-04-01,T2-FS,23
L1,2010-04-01,sag T1,24
L2,2010-01-20,t2fs,15
"""
    cohort = load(tmp_path, measurements=measurements)
    series = cohort.histories[0].series  # type: ignore[attr-defined]
    assert series[Sequence.T1C].sizes_mm == (20.5, 22.0)
    assert series[Sequence.T2FS].sizes_mm == (21.0, 23.0)
    assert series[Sequence.T1].sizes_mm == (20.0, 24.0)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputValidationError) as info:
        load_cohort(lesions=tmp_path / "nope.csv", measurements=tmp_path / "none.csv")
    messages = [str(p) for p in info.value.problems]
    assert len(messages) == 2
    assert all("file not found" in m for m in messages)
    assert "nope.csv" in messages[0]


def test_empty_file(tmp_path: Path) -> None:
    found = only(problems(tmp_path, measurements=""))
    assert found.source == f"measurements table {tmp_path / 'm.csv'}"
    assert found.message == "the file is empty"
    assert found.expected == "a header row with lesion_id, date, sequence, size_mm"
    found = only(problems(tmp_path, measurements="lesion_id,date,sequence,size_mm\n"))
    assert found.message == "the file has a header row but no data rows"


def test_missing_required_column(tmp_path: Path) -> None:
    found = only(problems(tmp_path, lesions=LESIONS.replace("dose_gy", "dose")))
    assert found.column == "dose_gy"
    assert "missing" in found.message
    assert "dose" in found.expected  # lists what was found


@pytest.mark.parametrize("bad", ["2010-13-01", "01/04/2010", "yesterday", "2010-02-30"])
def test_unparseable_date(tmp_path: Path, bad: str) -> None:
    found = only(problems(tmp_path, measurements=MEASUREMENTS.replace("2010-04-01", bad)))
    assert (found.row, found.column, found.value) == (3, "date", bad)
    assert "YYYY-MM-DD" in found.expected


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("abc", "not a number"),
        ("0", "value too small"),
        ("-3", "value too small"),
        ("301", "value too large"),
        ("", "empty cell"),
    ],
)
def test_bad_size(tmp_path: Path, bad: str, message: str) -> None:
    found = only(
        problems(
            tmp_path,
            measurements=MEASUREMENTS.replace("L1,2010-04-01,T1,26", f"L1,2010-04-01,T1,{bad}"),
        )
    )
    assert (found.row, found.column, found.message) == (3, "size_mm", message)


def test_size_of_300_mm_is_accepted(tmp_path: Path) -> None:
    load(tmp_path, measurements=MEASUREMENTS.replace(",26\n", ",300\n"))


def test_unknown_sequence(tmp_path: Path) -> None:
    found = only(
        problems(
            tmp_path, measurements=MEASUREMENTS.replace("L2,2010-05-01,T1", "L2,2010-05-01,DWI")
        )
    )
    assert (found.row, found.column, found.value) == (6, "sequence", "DWI")
    assert "T1, T2FS, T1C" in found.expected


@pytest.mark.parametrize(
    ("bad", "message"),
    [("0", "value too small"), ("1.5", "not a whole number"), ("x", "not a number")],
)
def test_bad_fractions(tmp_path: Path, bad: str, message: str) -> None:
    found = only(problems(tmp_path, lesions=LESIONS.replace("27,3,L6", f"27,{bad},L6")))
    assert (found.row, found.column, found.message) == (3, "fractions", message)


@pytest.mark.parametrize("bad", ["-24", "0"])
def test_negative_or_zero_dose(tmp_path: Path, bad: str) -> None:
    found = only(problems(tmp_path, lesions=LESIONS.replace("24,1,T12", f"{bad},1,T12")))
    assert (found.row, found.column) == (2, "dose_gy")
    assert "greater than 0" in found.expected


def test_measurement_for_unknown_lesion(tmp_path: Path) -> None:
    found = only(problems(tmp_path, measurements=MEASUREMENTS + "L9,2010-05-01,T1,10\n"))
    assert (found.row, found.column, found.value) == (7, "lesion_id", "L9")
    assert "not in the lesions table" in found.message


def test_event_for_unknown_patient_or_lesion(tmp_path: Path) -> None:
    events = (
        EVENTS
        + "P9,2010-03-01,fracture,,\nP1,2010-03-01,hardware,L9,\nP1,2010-03-01,hardware,L2,\n"
    )
    found = problems(tmp_path, events=events)
    assert [(p.row, p.column, p.value) for p in found] == [
        (3, "patient_id", "P9"),
        (4, "lesion_id", "L9"),
        (5, "lesion_id", "L2"),
    ]
    assert "belongs to patient P2" in found[2].message


def test_unknown_event_kind(tmp_path: Path) -> None:
    found = only(problems(tmp_path, events=EVENTS.replace("systemic_therapy_change", "dialysis")))
    assert (found.column, found.value) == ("kind", "dialysis")


def test_duplicate_lesion_ids(tmp_path: Path) -> None:
    found = only(problems(tmp_path, lesions=LESIONS + "P3,L1,2010-01-10,24,1,T11,50,F,SD\n"))
    assert (found.row, found.column, found.value) == (4, "lesion_id", "L1")
    assert "first on row 2" in found.message


def test_conflicting_duplicate_measurement(tmp_path: Path) -> None:
    found = only(problems(tmp_path, measurements=MEASUREMENTS + "L1,2010-04-01,T1,27\n"))
    assert "two different T1 sizes on 2010-04-01" in found.message
    assert "row 3: 26 mm" in found.message
    assert "row 7: 27 mm" in found.message


def test_identical_duplicates_are_merged_with_a_notice(tmp_path: Path) -> None:
    cohort = load(tmp_path, measurements=MEASUREMENTS + "L1,2010-04-01,T1,26.0\n")
    assert cohort.histories[0].series[Sequence.T1].sizes_mm == (20.0, 26.0, 21.0)  # type: ignore[attr-defined]
    assert any("1 identical duplicate row" in n for n in cohort.notices)  # type: ignore[attr-defined]


def test_lesion_without_baseline(tmp_path: Path) -> None:
    found = only(
        problems(tmp_path, measurements=MEASUREMENTS.replace("L2,2010-01-20", "L2,2010-02-20"))
    )
    assert (found.row, found.column, found.value) == (3, "lesion_id", "L2")
    assert "no measurement on or before its treatment date 2010-02-01" in found.message


def test_lesion_with_no_measurements_at_all_has_no_baseline(tmp_path: Path) -> None:
    found = only(
        problems(tmp_path, measurements="lesion_id,date,sequence,size_mm\nL1,2010-01-01,T1,20\n")
    )
    assert found.value == "L2"
    assert "no baseline" in found.message


def test_unknown_level_sex_response(tmp_path: Path) -> None:
    bad = LESIONS.replace("T12,57,F,OPP", "T13,57,X,maybe")
    found = problems(tmp_path, lesions=bad)
    assert sorted(p.column or "" for p in found) == ["level", "response", "sex"]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    lesions = LESIONS.replace("24,1,T12", "-1,0,T12")
    measurements = MEASUREMENTS.replace("T1,26", "T9,26").replace("2010-07-01", "soon")
    found = problems(
        tmp_path, lesions=lesions, measurements=measurements, events="patient_id,date\n"
    )
    columns = sorted((p.source.split("/")[-1], p.column or "") for p in found)
    assert columns == [
        ("events.csv", "kind"),  # no rows is fine for events, a missing column is not
        ("lesions.csv", "dose_gy"),
        ("lesions.csv", "fractions"),
        ("m.csv", "date"),
        ("m.csv", "sequence"),
    ]


def test_problem_text_names_file_row_column_value_and_fix(tmp_path: Path) -> None:
    found = only(problems(tmp_path, measurements=MEASUREMENTS.replace(",26\n", ",big\n")))
    text = str(found)
    assert (
        "m.csv, row 3, column 'size_mm': not a number (got 'big'); expected a number in mm" in text
    )


def test_responses_only_cohort(tmp_path: Path) -> None:
    cohort = load(tmp_path, measurements=None)
    assert cohort.histories == ()  # type: ignore[attr-defined]
    assert [lesion.response for lesion in cohort.lesions] == [  # type: ignore[attr-defined]
        ResponseCategory.OPP,
        ResponseCategory.PD,
    ]


def workbook(tmp_path: Path, sheets: dict[str, str]) -> Path:
    from io import StringIO

    path = tmp_path / "cohort.xlsx"
    with pd.ExcelWriter(path) as writer:
        for name, text in sheets.items():
            frame = pd.read_csv(StringIO(text), dtype=str, keep_default_na=False)
            for column in ("date", "treatment_date"):
                if column in frame:
                    frame[column] = pd.to_datetime(frame[column])  # real Excel dates
            frame.to_excel(writer, sheet_name=name, index=False)
    return path


def test_workbook_with_sheets(tmp_path: Path) -> None:
    path = workbook(tmp_path, {"Lesions": LESIONS, "measurements": MEASUREMENTS, "events": EVENTS})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cohort = load_cohort(workbook=path)
    assert [lesion.lesion_id for lesion in cohort.lesions] == ["L1", "L2"]
    assert cohort.histories[0].series[Sequence.T1].dates[1] == date(2010, 4, 1)
    assert len(cohort.events) == 1


def test_workbook_missing_sheet(tmp_path: Path) -> None:
    path = workbook(tmp_path, {"lesions": LESIONS})
    with pytest.raises(InputValidationError) as info:
        load_cohort(workbook=path)
    found = only(list(info.value.problems))
    assert found.source == f"measurements sheet of {path}"
    assert found.message == "the workbook has no sheet named 'measurements'"
    assert found.expected == "a sheet named 'measurements' (sheets found: 'lesions')"


def test_not_a_workbook(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.xlsx", "this is not a zip file")
    with pytest.raises(InputValidationError) as info:
        load_cohort(workbook=path)
    found = only(list(info.value.problems))
    assert found.source == f"workbook {path}"
    assert found.message == "not an Excel workbook: the file holds text"
