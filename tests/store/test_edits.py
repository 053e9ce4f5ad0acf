"""Edits of one row: the input checks, versions (stale edits refused), audit, status."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from pseudoprog.criteria.amini2016 import assess
from pseudoprog.domain import LesionHistory, Measurement
from pseudoprog.io.cohort import load_cohort
from pseudoprog.store import Database
from pseudoprog.store.audit import history as audit_history
from pseudoprog.store.edits import Kind, StaleEditError, delete_row, save_row
from pseudoprog.store.imports import ImportFiles, import_tables
from pseudoprog.store.models import LesionRow, LesionStatus, MeasurementRow
from pseudoprog.store.validation import FormError


@pytest.fixture
def stored(db: Database, example_dir: Path) -> Database:
    files = ImportFiles(
        lesions=example_dir / "lesions.csv",
        measurements=example_dir / "measurements.csv",
        events=example_dir / "events.csv",
    )
    with db.transaction() as session:
        import_tables(session, files, user="importer")
    return db


def _lesion(db: Database, response: str) -> tuple[int, str]:
    with db.sessions() as session:
        row = session.execute(
            select(LesionRow.id, LesionRow.lesion_key)
            .join(LesionStatus)
            .where(LesionStatus.response == response)
            .order_by(LesionRow.lesion_key)
        ).first()
    assert row is not None
    return row[0], row[1]


def test_a_new_measurement_moves_the_status_as_the_core_says(
    stored: Database, example_dir: Path
) -> None:
    lesion_id, key = _lesion(stored, "SD")
    cohort = load_cohort(
        lesions=example_dir / "lesions.csv",
        measurements=example_dir / "measurements.csv",
        events=example_dir / "events.csv",
    )
    history = next(h for h in cohort.histories if h.lesion.lesion_id == key)
    series = history.series[next(iter(history.series))]
    last, size = series.dates[-1], series.sizes_mm[-1]
    day = last.replace(year=last.year + 1)
    values = {"date": day.isoformat(), "sequence": series.sequence.value, "size_mm": str(size + 15)}
    with stored.transaction() as session:
        save_row(session, Kind.MEASUREMENT, lesion_id=lesion_id, values=values, user="ed")

    grown = LesionHistory.from_measurements(
        history.lesion,
        [
            *(
                Measurement(key, d, s, v)
                for s, ser in history.series.items()
                for d, v in zip(ser.dates, ser.sizes_mm, strict=True)
            ),
            Measurement(key, day, series.sequence, size + 15),
        ],
        history.events,
    )
    with stored.sessions() as session:
        status = session.get(LesionStatus, lesion_id)
        assert status is not None
        assert status.response == assess(grown).category.value
        assert status.response != "SD"
        entries = audit_history(session, lesion_id=lesion_id)
    assert entries[0].action == "create"
    assert entries[0].user_name == "ed"
    assert entries[0].after is not None
    assert entries[0].after["size_mm"] == size + 15
    assert entries[0].before is None


def test_bad_values_come_back_by_field_and_nothing_is_stored(stored: Database) -> None:
    lesion_id, _ = _lesion(stored, "PR")
    with stored.sessions() as session:
        count = len(session.scalars(select(MeasurementRow.id)).all())
    values = {"date": "2012-02-30", "sequence": "T7", "size_mm": "0"}
    with pytest.raises(FormError) as caught, stored.transaction() as session:
        save_row(session, Kind.MEASUREMENT, lesion_id=lesion_id, values=values, user="ed")
    assert set(caught.value.fields) == {"date", "sequence", "size_mm"}
    assert "YYYY-MM-DD" in caught.value.fields["date"]
    with stored.sessions() as session:
        assert len(session.scalars(select(MeasurementRow.id)).all()) == count


def test_a_stale_edit_is_refused_and_loses_nothing(stored: Database) -> None:
    lesion_id, _ = _lesion(stored, "PR")
    with stored.sessions() as session:
        row = session.scalars(
            select(MeasurementRow).where(MeasurementRow.lesion_id == lesion_id)
        ).all()[-1]
        first = {"date": row.date.isoformat(), "sequence": row.sequence}
        row_id, version, size = row.id, row.version, row.size_mm
    with stored.transaction() as session:
        save_row(
            session,
            Kind.MEASUREMENT,
            lesion_id=lesion_id,
            values={**first, "size_mm": str(size + 1)},
            user="first",
            row_id=row_id,
            version=version,
        )
    with pytest.raises(StaleEditError) as caught, stored.transaction() as session:
        save_row(
            session,
            Kind.MEASUREMENT,
            lesion_id=lesion_id,
            values={**first, "size_mm": str(size + 2)},
            user="second",
            row_id=row_id,
            version=version,
        )
    assert caught.value.current is not None
    assert caught.value.current["size_mm"] == size + 1
    with stored.sessions() as session:
        kept = session.get(MeasurementRow, row_id)
        assert kept is not None
        assert (kept.size_mm, kept.version) == (size + 1, version + 1)


def test_deleting_the_only_baseline_is_refused(stored: Database) -> None:
    lesion_id, _ = _lesion(stored, "PR")
    with stored.sessions() as session:
        lesion = session.get(LesionRow, lesion_id)
        assert lesion is not None
        treated = lesion.treatment.date
        rows = [m for m in lesion.measurements if m.date <= treated]
    for row in rows[:-1]:
        with stored.transaction() as session:
            delete_row(
                session,
                Kind.MEASUREMENT,
                lesion_id=lesion_id,
                row_id=row.id,
                version=row.version,
                user="ed",
            )
    last = rows[-1]
    with pytest.raises(FormError) as caught, stored.transaction() as session:
        delete_row(
            session,
            Kind.MEASUREMENT,
            lesion_id=lesion_id,
            row_id=last.id,
            version=last.version,
            user="ed",
        )
    assert any("baseline" in g for g in caught.value.general)


def test_events_and_evidence_are_checked_like_their_tables(stored: Database) -> None:
    lesion_id, _ = _lesion(stored, "OPP")
    with pytest.raises(FormError) as caught, stored.transaction() as session:
        save_row(
            session,
            Kind.EVENT,
            lesion_id=lesion_id,
            values={"date": "2012-01-01", "kind": "holiday"},
            user="ed",
        )
    assert set(caught.value.fields) == {"kind"}
    with pytest.raises(FormError) as caught, stored.transaction() as session:
        save_row(
            session,
            Kind.EVIDENCE,
            lesion_id=lesion_id,
            values={"date": "2013-01-01", "kind": "growth_within_80pct_isodose", "value": "maybe"},
            user="ed",
        )
    assert set(caught.value.fields) == {"value"}
    with stored.transaction() as session:
        saved = save_row(
            session,
            Kind.EVIDENCE,
            lesion_id=lesion_id,
            values={"date": "2013-01-01", "kind": "growth_within_80pct_isodose", "value": "yes"},
            user="ed",
        )
    assert saved["flag"] is True
