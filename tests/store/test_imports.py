"""Imports: the CLI's validation, all or nothing, idempotent, statuses from the same core."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pseudoprog.criteria.amini2016 import assess_many
from pseudoprog.errors import InputValidationError
from pseudoprog.io.cohort import load_cohort
from pseudoprog.store import Database
from pseudoprog.store.imports import ImportFiles, import_tables
from pseudoprog.store.models import (
    AuditEntry,
    EventRow,
    ImportRow,
    LesionRow,
    LesionStatus,
    MeasurementRow,
    PatientRow,
)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _files(folder: Path) -> ImportFiles:
    return ImportFiles(
        lesions=folder / "lesions.csv",
        measurements=folder / "measurements.csv",
        events=folder / "events.csv",
    )


def _counts(db: Database) -> dict[str, int]:
    with db.sessions() as session:
        return {
            m.__tablename__: session.scalar(select(func.count()).select_from(m)) or 0
            for m in (PatientRow, LesionRow, MeasurementRow, EventRow, LesionStatus)
        }


def test_example_is_stored_with_the_statuses_of_classify(db: Database, example_dir: Path) -> None:
    with db.transaction() as session:
        result = import_tables(session, _files(example_dir), user="tester")
    lesions = _rows(example_dir / "lesions.csv")
    sizes = _rows(example_dir / "measurements.csv")
    assert result.added["lesions"] == len(lesions)
    assert result.added["patients"] == len({r["patient_id"] for r in lesions})
    assert result.added["measurements"] == len(sizes)
    assert result.added["events"] == len(_rows(example_dir / "events.csv"))
    cohort = load_cohort(
        lesions=example_dir / "lesions.csv",
        measurements=example_dir / "measurements.csv",
        events=example_dir / "events.csv",
    )
    expected = {a.lesion.lesion_id: a.to_dict() for a in assess_many(cohort.histories)}
    with db.sessions() as session:
        stored = {
            key: (status.response, status.result)
            for key, status in session.execute(
                select(LesionRow.lesion_key, LesionStatus).join(LesionStatus)
            )
        }
    assert set(stored) == set(expected)
    for key, (response, found) in stored.items():
        assert response == expected[key]["response"].value
        assert found is not None
        assert found["reasons"] == expected[key]["reasons"]
        assert found["time_to_peak_weeks"] == expected[key]["time_to_peak_weeks"]


def test_same_files_twice_add_nothing(db: Database, example_dir: Path) -> None:
    with db.transaction() as session:
        import_tables(session, _files(example_dir), user="tester")
    before = _counts(db)
    with db.transaction() as session:
        again = import_tables(session, _files(example_dir), user="tester")
    assert _counts(db) == before
    assert sum(again.added.values()) == 0
    assert again.unchanged["measurements"] == len(_rows(example_dir / "measurements.csv"))


def _broken_copy(example_dir: Path, folder: Path) -> Path:
    for name in ("lesions.csv", "measurements.csv", "events.csv"):
        shutil.copy(example_dir / name, folder / name)
    rows = (folder / "measurements.csv").read_text(encoding="utf-8").splitlines()
    head, first, second = rows[0], rows[1].split(","), rows[2].split(",")
    first[3] = "-4"  # size out of range
    second[1] = "2010-02-30"  # no such date
    (folder / "measurements.csv").write_text(
        "\n".join([head, ",".join(first), ",".join(second), *rows[3:]]) + "\n", encoding="utf-8"
    )
    return folder


def test_a_file_with_problems_lists_them_all_and_stores_nothing(
    db: Database, example_dir: Path, tmp_path: Path
) -> None:
    folder = _broken_copy(example_dir, tmp_path)
    with pytest.raises(InputValidationError) as caught, db.transaction() as session:
        import_tables(session, _files(folder), user="tester")
    where = {(p.row, p.column) for p in caught.value.problems}
    assert {(2, "size_mm"), (3, "date")} <= where
    assert set(_counts(db).values()) == {0}
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(ImportRow)) == 0


def test_rows_that_contradict_stored_ones_are_problems(
    db: Database, example_dir: Path, tmp_path: Path
) -> None:
    with db.transaction() as session:
        import_tables(session, _files(example_dir), user="tester")
    before = _counts(db)
    for name in ("lesions.csv", "events.csv"):
        shutil.copy(example_dir / name, tmp_path / name)
    sizes = _rows(example_dir / "measurements.csv")
    changed = dict(sizes[0], size_mm=str(float(sizes[0]["size_mm"]) + 5))
    with (tmp_path / "measurements.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(sizes[0]))
        writer.writeheader()
        writer.writerows([changed, *sizes[1:]])
    with pytest.raises(InputValidationError) as caught, db.transaction() as session:
        import_tables(session, _files(tmp_path), user="tester")
    assert [p.column for p in caught.value.problems] == ["size_mm"]
    assert changed["lesion_id"] in caught.value.problems[0].message
    assert _counts(db) == before


def test_every_created_lesion_has_an_audit_entry(db: Database, example_dir: Path) -> None:
    with db.transaction() as session:
        import_tables(session, _files(example_dir), user="importer")
    with db.sessions() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.entity == "lesion")).all()
        lesions = session.scalar(select(func.count()).select_from(LesionRow))
    assert len(entries) == lesions
    assert {e.user_name for e in entries} == {"importer"}
    assert all(e.after is not None and e.after["created"] for e in entries)


def test_workbook_import_matches_csv_import(
    db: Database, example_dir: Path, tmp_path: Path
) -> None:
    import pandas as pd

    book = tmp_path / "cohort.xlsx"
    with pd.ExcelWriter(book) as writer:
        for name in ("lesions", "measurements", "events"):
            pd.read_csv(example_dir / f"{name}.csv", dtype=str).to_excel(
                writer, sheet_name=name, index=False
            )
    with db.transaction() as session:
        from_book = import_tables(session, ImportFiles(workbook=book), user="tester")
    with db.transaction() as session:
        from_csv = import_tables(session, _files(example_dir), user="tester")
    assert from_book.added["lesions"] == len(_rows(example_dir / "lesions.csv"))
    assert sum(from_csv.added.values()) == 0
