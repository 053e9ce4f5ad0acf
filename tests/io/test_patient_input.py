"""The tables as patient-level criteria read them: every problem at once, with row and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from pseudoprog.criteria import recist
from pseudoprog.errors import InputValidationError
from pseudoprog.io.patients import load_patients
from pseudoprog.patient import LesionRole, LesionStatus

EXAMPLE = Path(__file__).parents[2] / "examples" / "recist"

LESIONS = "patient_id,lesion_id,treatment_date,role,organ,lymph_node\n"
MEASUREMENTS = "lesion_id,date,size_mm,status\n"


def write(tmp_path: Path, lesions: str, measurements: str) -> dict[str, Path]:
    (tmp_path / "l.csv").write_text(LESIONS + lesions, encoding="utf-8")
    (tmp_path / "m.csv").write_text(MEASUREMENTS + measurements, encoding="utf-8")
    return {"lesions": tmp_path / "l.csv", "measurements": tmp_path / "m.csv"}


def check(record):
    return recist.baseline_problems(record, recist.RecistParameters())


def problems(paths, **kwargs) -> list[str]:
    with pytest.raises(InputValidationError) as info:
        load_patients(**paths, baseline_check=check, **kwargs)
    return [str(p) for p in info.value.problems]


def test_example_cohort_reads() -> None:
    cohort = load_patients(
        lesions=EXAMPLE / "lesions.csv",
        measurements=EXAMPLE / "measurements.csv",
        baseline_check=check,
    )
    assert [r.patient_id for r in cohort.records][:3] == ["R01", "R02", "R03"]
    r02 = cohort.records[1]
    node = r02.lesions[0]
    assert (node.lesion_id, node.lymph_node, node.organ, node.role) == (
        "R02-N1",
        True,
        "lymph_node",
        LesionRole.TARGET,
    )
    r04 = cohort.records[3]
    assert r04.series("R04-N1")[0].status is LesionStatus.EQUIVOCAL


def test_every_problem_is_reported_with_row_and_column(tmp_path: Path) -> None:
    paths = write(
        tmp_path,
        "P1,A,2022-01-10,target,liver,no\n"
        "P1,B,2022-01-10,non_target,lung,no\n"
        "P1,N,2022-01-10,new,liver,no\n"
        "P1,C,2022-01-10,target,liver,no\n"
        "P1,D,2022-01-10,target,liver,no\n"
        "P1,E,2022-01-10,target,lung,no\n",
        "A,2022-01-03,30,\n"
        "B,2022-01-03,12,\n"  # a non-target with a size
        "N,2022-01-05,,present\n"  # a new lesion before treatment
        "C,2022-01-03,8,\n"  # too small to be a target
        "D,2022-01-03,20,\n"
        "E,2022-03-03,20,\n"  # no baseline
        "A,2022-03-07,25,\n"
        "A,2022-03-07,26,\n",  # two sizes on one date
    )
    found = problems(paths)
    lesions, measurements = str(paths["lesions"]), str(paths["measurements"])
    expected_fragments = [
        (measurements, "row 3, column 'size_mm'", "non-target lesion B is given a size"),
        (measurements, "row 4, column 'date'", "new lesion N is dated on or before"),
        (measurements, "row 9, column 'date'", "lesion A has two different observations"),
        (lesions, "row 7, column 'lesion_id'", "target lesion E has no observation on or before"),
        (lesions, "row 5, column 'lesion_id'", "target C is not measurable at baseline"),
        (lesions, "row 2, column 'role'", "3 target lesions in organ liver (A, C, D)"),
    ]
    for source, where, what in expected_fragments:
        assert any(source in p and where in p and what in p for p in found), (what, found)


def test_more_than_five_targets(tmp_path: Path) -> None:
    lesions = "".join(f"P1,L{i},2022-01-10,target,organ{i},no\n" for i in range(6))
    measurements = "".join(f"L{i},2022-01-03,20,\n" for i in range(6))
    found = problems(write(tmp_path, lesions, measurements))
    assert any("6 target lesions (L0, L1, L2, L3, L4, L5)" in p and "at most 5" in p for p in found)


def test_one_treatment_start_per_patient(tmp_path: Path) -> None:
    found = problems(
        write(
            tmp_path,
            "P1,A,2022-01-10,target,liver,no\nP1,B,2022-01-12,target,lung,no\n",
            "A,2022-01-03,30,\nB,2022-01-03,30,\n",
        )
    )
    assert any("row 3, column 'treatment_date'" in p and "one treatment start" in p for p in found)


def test_bad_cells(tmp_path: Path) -> None:
    found = problems(
        write(
            tmp_path,
            "P1,A,2022-01-10,boss,liver,maybe\n",
            "A,2022-01-03,30,\nA,2022-02-30,,\nA,2022-03-03,,gone-ish\nB,2022-03-03,5,\n",
        )
    )
    joined = "\n".join(found)
    assert "row 2, column 'role': unknown role (got 'boss')" in joined
    assert "row 2, column 'lymph_node': not a yes/no value" in joined
    assert "row 3, column 'date': not a valid date" in joined
    assert "neither a size nor a status" in joined
    assert "row 4, column 'status': unknown status (got 'gone-ish')" in joined
    assert (
        "row 5, column 'lesion_id': measurement for a lesion that is not in the lesions" in joined
    )


def test_defaults_when_columns_are_absent(tmp_path: Path) -> None:
    (tmp_path / "l.csv").write_text(
        "patient_id,lesion_id,treatment_date\nP1,A,2022-01-10\n", encoding="utf-8"
    )
    (tmp_path / "m.csv").write_text(
        "lesion_id,date,size_mm\nA,2022-01-03,30\nA,2022-03-01,20\n", encoding="utf-8"
    )
    cohort = load_patients(lesions=tmp_path / "l.csv", measurements=tmp_path / "m.csv")
    (record,) = cohort.records
    assert record.lesions[0].role is LesionRole.TARGET
    assert [o.size_mm for o in record.series("A")] == [30, 20]
