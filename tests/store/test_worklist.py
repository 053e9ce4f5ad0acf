"""The worklist's order, paging and counts against a plain sort in Python; the bulk reads and
writes of imports and statuses against the per-lesion ones, with a bounded number of queries."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import selectinload

from pseudoprog.store import Database
from pseudoprog.store.histories import load_histories
from pseudoprog.store.imports import ImportFiles, import_tables
from pseudoprog.store.models import LesionRow, LesionStatus, PatientRow
from pseudoprog.store.records import evidence_of, history_of
from pseudoprog.store.status import refresh
from pseudoprog.store.worklist import (
    SORT_KEYS,
    SortOrder,
    WorklistQuery,
    selected_ids,
    worklist,
)

TODAY = date(2013, 6, 1)
STATUS_KEYS = ("criteria", "response", "probability", "last_study", "next_due")


def _copies(example_dir: Path, folder: Path, copies: int, *, tag: str = "") -> ImportFiles:
    """``copies`` copies of the example under new patient and lesion names."""
    out = {}
    for table in ("lesions", "measurements", "events"):
        with (example_dir / f"{table}.csv").open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        path = folder / f"{table}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            for k in range(copies):
                for row in rows:
                    changed = dict(row)
                    if "patient_id" in row:
                        changed["patient_id"] = f"{row['patient_id']}-{tag}{k}"
                    if row.get("lesion_id"):
                        changed["lesion_id"] = f"{row['lesion_id']}-{tag}{k}"
                    writer.writerow(changed)
        out[table] = path
    return ImportFiles(**out)


@pytest.fixture
def loaded(db: Database, example_dir: Path, tmp_path: Path) -> Database:
    with db.transaction() as session:
        import_tables(session, _copies(example_dir, tmp_path, 3), user="tester")
    return db


def _all(db: Database) -> list[dict[str, Any]]:
    """Every lesion's sortable values, read plainly."""
    with db.sessions() as session:
        rows = session.scalars(
            select(LesionRow).options(
                selectinload(LesionRow.patient),
                selectinload(LesionRow.treatment),
                selectinload(LesionRow.status),
            )
        ).all()
        out = []
        for r in rows:
            assert r.status is not None
            out.append(
                {
                    "id": r.id,
                    "patient": r.patient.patient_key,
                    "lesion": r.lesion_key,
                    "site": r.site,
                    "treated": r.treatment.date,
                    **{k: getattr(r.status, k) for k in STATUS_KEYS},
                }
            )
        return out


def _expected(rows: list[dict[str, Any]], sort: str, order: SortOrder) -> list[int]:
    valued = [r for r in rows if r[sort] is not None]
    valued.sort(key=lambda r: (r[sort], r["id"]), reverse=order is SortOrder.DESC)
    empty = sorted(r["id"] for r in rows if r[sort] is None)
    return [r["id"] for r in valued] + empty


@pytest.mark.parametrize("sort", list(SORT_KEYS))
@pytest.mark.parametrize("order", list(SortOrder))
def test_pages_follow_the_sort_with_empty_values_last(
    loaded: Database, sort: str, order: SortOrder
) -> None:
    expected = _expected(_all(loaded), sort, order)
    assert len(expected) == 111
    query = WorklistQuery(sort=sort, order=order, page_size=25, today=TODAY)
    got: list[int] = []
    with loaded.sessions() as session:
        for page in range(1, 6):
            found = worklist(session, replace(query, page=page))
            assert found.total == 111
            assert found.pages == 5
            got += [r.id for r in found.rows]
        assert selected_ids(session, query) == expected
    assert got == expected


def test_counts_and_total_follow_the_filters(loaded: Database) -> None:
    rows = _all(loaded)
    by_status: dict[str, int] = {}
    for r in rows:
        by_status[r["response"] or "-"] = by_status.get(r["response"] or "-", 0) + 1
    assert by_status == {"PR": 33, "SD": 36, "PD": 27, "OPP": 15}
    with loaded.sessions() as session:
        everything = worklist(session, WorklistQuery(today=TODAY))
        assert everything.counts == by_status
        assert everything.total == 111
        opp = worklist(session, WorklistQuery(response="opp", sort="next_due", today=TODAY))
        assert opp.counts == by_status  # counts ignore the status filter
        assert opp.total == 15
        assert {r.response for r in opp.rows} == {"OPP"}
        one = worklist(session, WorklistQuery(patient=rows[0]["patient"], today=TODAY))
        mine = [r for r in rows if r["patient"] == rows[0]["patient"]]
        assert one.total == len(mine)
        assert [r.id for r in one.rows] == sorted(r["id"] for r in mine)
        late = worklist(session, WorklistQuery(overdue=True, sort="next_due", today=TODAY))
        overdue = [r for r in rows if r["next_due"] is not None and r["next_due"] < TODAY]
        assert late.total == len(overdue) > 0
        assert all(r.overdue_days and r.overdue_days > 0 for r in late.rows)
        past = worklist(session, WorklistQuery(page=9, today=TODAY))
        assert past.rows == []
        assert past.total == 111


def test_bulk_histories_equal_the_per_lesion_ones(loaded: Database) -> None:
    with loaded.sessions() as session:
        rows = session.scalars(
            select(LesionRow).options(
                selectinload(LesionRow.treatment),
                selectinload(LesionRow.measurements),
                selectinload(LesionRow.evidence),
                selectinload(LesionRow.patient).selectinload(PatientRow.events),
                selectinload(LesionRow.patient).selectinload(PatientRow.lesions),
            )
        ).all()
        bulk = {x.id: x for x in load_histories(session, [r.id for r in rows] + [10**6])}
        assert len(bulk) == len(rows) == 111
        for row in rows:
            assert bulk[row.id].history == history_of(row)
            assert bulk[row.id].evidence == evidence_of(row)


@contextmanager
def _statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_import_and_refresh_take_a_fixed_number_of_queries(
    db: Database, example_dir: Path, tmp_path: Path
) -> None:
    small, large = tmp_path / "small", tmp_path / "large"
    small.mkdir()
    large.mkdir()
    with _statements(db) as few, db.transaction() as session:
        import_tables(session, _copies(example_dir, small, 1), user="tester")
    with _statements(db) as many, db.transaction() as session:
        import_tables(session, _copies(example_dir, large, 5, tag="x"), user="tester")
    assert [q.split()[0] for q in many] == [q.split()[0] for q in few], "\n".join(many)
    with db.sessions() as session:
        ids = list(session.scalars(select(LesionRow.id)))
        assert len(ids) == 37 * 6
        with _statements(db) as statements:
            assert refresh(session, ids) == len(ids)
        assert len(statements) == 6  # (select ×4, delete, insert) for 222 lesions: one round
        session.rollback()


def test_refresh_shows_new_values_on_loaded_statuses(loaded: Database) -> None:
    with loaded.sessions() as session:
        row = session.scalars(
            select(LesionRow).join(LesionStatus).where(LesionStatus.response == "OPP").limit(1)
        ).one()
        assert row.status is not None
        row.status.response = "changed"
        session.flush()
        refresh(session, [row.id])
        assert row.status.response == "OPP"


def test_counts_are_kept_until_a_write_raises_the_data_version(loaded: Database) -> None:
    from sqlalchemy import update

    from pseudoprog.store.audit import Action, data_version, record

    query = WorklistQuery(today=TODAY)
    with loaded.sessions() as session:
        before = worklist(session, query).counts
        version = data_version(session)
    assert version >= 1  # the import raised it
    # A change that bypasses the store's writes (and so the data version) is not seen ...
    with loaded.transaction() as session:
        some = session.scalar(select(LesionStatus.lesion_id).where(LesionStatus.response == "SD"))
        session.execute(
            update(LesionStatus).where(LesionStatus.lesion_id == some).values(response="PD")
        )
    with loaded.sessions() as session:
        assert worklist(session, query).counts == before
        assert data_version(session) == version
    # ... until a write, recorded in the audit log, raises the version.
    with loaded.transaction() as session:
        record(session, user="test", action=Action.UPDATE, entity="lesion_status", entity_id=some)
    with loaded.sessions() as session:
        assert data_version(session) == version + 1
        after = worklist(session, query).counts
    assert after == {**before, "SD": before["SD"] - 1, "PD": before["PD"] + 1}
