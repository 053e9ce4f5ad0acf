"""Importing input tables into the database: checked like the CLI's input, all or nothing.

:func:`import_tables` reads the files with :func:`~pseudoprog.io.cohort.load_cohort` and
:func:`~pseudoprog.io.evidence.load_evidence` (the readers of ``pseudoprog classify`` and
``assess``), then compares every row with what is stored: a row already stored is skipped, a
row that contradicts a stored one (another treatment for a stored lesion, another size on the
same lesion, date and sequence) is a problem. Any problem raises one
:class:`~pseudoprog.errors.InputValidationError` listing them all, before anything is written;
otherwise every new row, the status of every lesion concerned, an audit entry per lesion and
the import's record are written in the caller's transaction. Importing the same files twice
adds nothing. DICOM SR reports (TID 1500) may stand for the measurements table: they are read
into one by :func:`~pseudoprog.store.sr_import.stage_reports` and checked as it is.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, joinedload, selectinload

from pseudoprog.domain import Event, Evidence, Lesion, LesionHistory, Sequence
from pseudoprog.errors import InputValidationError, Problem
from pseudoprog.io.cohort import load_cohort
from pseudoprog.io.evidence import load_evidence
from pseudoprog.io.tabular import ProblemLog, read_workbook
from pseudoprog.store import status
from pseudoprog.store.audit import Action, record, record_many
from pseudoprog.store.models import (
    Base,
    EventRow,
    EvidenceRow,
    ImportRow,
    LesionRow,
    MeasurementRow,
    PatientRow,
    TreatmentRow,
    new_tracking_uid,
)
from pseudoprog.store.validation import lesion_cells

__all__ = ["ImportFiles", "ImportResult", "import_tables"]

_TABLES = ("patients", "lesions", "measurements", "events", "evidence")


@dataclass(frozen=True)
class ImportFiles:
    """The files of one import: CSV or Excel tables, or one workbook with sheets; DICOM SR
    reports (``sr``) instead of the measurements table, lengths that name no MR sequence
    taken as ``sr_sequence``."""

    lesions: Path | None = None
    measurements: Path | None = None
    events: Path | None = None
    evidence: Path | None = None
    workbook: Path | None = None
    sr: tuple[Path, ...] = ()
    sr_sequence: Sequence = Sequence.T1

    def given(self) -> dict[str, Path]:
        named = {
            "lesions": self.lesions,
            "measurements": self.measurements,
            "events": self.events,
            "evidence": self.evidence,
            "workbook": self.workbook,
        }
        return {k: v for k, v in named.items() if v is not None}


@dataclass(frozen=True)
class ImportResult:
    """What an import added (by table), what it found already stored, and notices."""

    import_id: int
    added: dict[str, int]
    unchanged: dict[str, int]
    notices: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "import_id": self.import_id,
            "added": self.added,
            "unchanged": self.unchanged,
            "notices": list(self.notices),
        }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _event_key(e: Event) -> tuple[Any, ...]:
    return (e.patient_id, e.lesion_id, e.date, e.kind.value, e.detail, e.value)


def _evidence_value(e: Evidence) -> tuple[float | None, bool | None]:
    if isinstance(e.value, bool):
        return None, e.value
    return float(e.value), None


@dataclass
class _Plan:
    """What is stored already, and what the import would add."""

    patients: dict[str, PatientRow]
    lesions: dict[str, LesionRow]
    new_lesions: list[Lesion] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    added: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_TABLES, 0))
    unchanged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_TABLES, 0))


def _stored_lesion_cells(row: LesionRow) -> dict[str, str]:
    from pseudoprog.store.records import lesion_of

    return lesion_cells(lesion_of(row))


def _plan_lesions(session: Session, lesions: Iterable[Lesion], source: str) -> _Plan:
    lesions = list(lesions)
    keys = [x.lesion_id for x in lesions]
    patients = {x.patient_id for x in lesions}
    stored_patients = {
        p.patient_key: p
        for p in session.scalars(select(PatientRow).where(PatientRow.patient_key.in_(patients)))
    }
    stored: dict[str, LesionRow] = {}
    for start in range(0, len(keys), 900):
        chunk = keys[start : start + 900]
        stored.update(
            (x.lesion_key, x)
            for x in session.scalars(
                select(LesionRow)
                .where(LesionRow.lesion_key.in_(chunk))
                .options(joinedload(LesionRow.patient), selectinload(LesionRow.treatment))
            )
        )
    plan = _Plan(stored_patients, stored)
    for lesion in lesions:
        row = stored.get(lesion.lesion_id)
        if row is None:
            plan.new_lesions.append(lesion)
            continue
        old, new = _stored_lesion_cells(row), lesion_cells(lesion)
        differ = [c for c in new if old[c] != new[c]]
        if differ:
            shown = ", ".join(f"{c} {old[c] or '(empty)'!s}" for c in differ)
            plan.problems.append(
                Problem(
                    source,
                    f"lesion {lesion.lesion_id} is stored already with {shown}",
                    expected="the stored values (or edit the stored lesion first)",
                    column=differ[0],
                    value=new[differ[0]],
                )
            )
        else:
            plan.unchanged["lesions"] += 1
    return plan


def import_tables(session: Session, files: ImportFiles, *, user: str) -> ImportResult:
    """Check the files and store what they add (see the module's description).

    Raises
    ------
    InputValidationError
        Listing every problem in the files and every contradiction with stored rows; nothing
        is written then.
    """
    if files.sr:
        with tempfile.TemporaryDirectory(prefix="pseudoprog-sr-") as folder:
            return _import_reports(session, files, Path(folder), user=user)
    return _import(session, files, user=user)


def _import_reports(
    session: Session, files: ImportFiles, folder: Path, *, user: str
) -> ImportResult:
    """An import whose measurements are DICOM SR reports (see the module's description)."""
    from dataclasses import replace

    from pseudoprog.store.sr_import import stage_reports

    if files.measurements is not None or files.workbook is not None:
        raise InputValidationError(
            [
                Problem(
                    "import",
                    "DICOM SR reports came with a measurements table or a workbook",
                    expected="the reports (with a lesions table for lesions not stored yet), "
                    "or the tables: import them one after the other",
                )
            ]
        )
    staged = stage_reports(
        session,
        files.sr,
        folder=folder,
        lesions_given=files.lesions is not None,
        sequence=files.sr_sequence,
    )
    tables = replace(
        files, measurements=staged.measurements, lesions=files.lesions or staged.lesions
    )
    try:
        result = _import(session, tables, user=user, record_files=files)
    except InputValidationError as exc:
        raise staged.translate(exc) from None
    return replace(result, notices=result.notices + staged.notes)


def _import(
    session: Session, files: ImportFiles, *, user: str, record_files: ImportFiles | None = None
) -> ImportResult:
    given = (record_files or files).given()
    if files.lesions is None and files.workbook is None:
        raise InputValidationError(
            [Problem("import", "no lesions table given", expected="a lesions file or a workbook")]
        )
    notices: list[str] = []
    cohort = load_cohort(
        lesions=files.lesions,
        measurements=files.measurements,
        events=files.events,
        workbook=files.workbook,
    )
    notices.extend(cohort.notices)
    found_evidence = load_evidence(
        files.evidence,
        lesions=cohort.lesions,
        workbook=None if files.evidence else files.workbook,
        notices=notices,
    )
    events_given = files.events is not None or _workbook_has(files.workbook, "events")
    source = cohort.sources[0] if cohort.sources else "lesions table"
    plan = _plan_lesions(session, cohort.lesions, source)
    histories = {h.lesion.lesion_id: h for h in cohort.histories}
    measurements = _plan_measurements(session, plan, histories)
    evidence = _plan_evidence(session, plan, found_evidence)
    events = _plan_events(session, plan, cohort.events)
    if plan.problems:
        raise InputValidationError(plan.problems)
    touched = _write(
        session, plan, cohort.lesions, measurements, evidence, events, events_given, user=user
    )
    status.refresh(session, touched)
    summary = ImportRow(
        user_name=user,
        at=datetime.now(UTC),
        files=_recorded(given, (record_files or files).sr),
        added=dict(plan.added),
    )
    session.add(summary)
    session.flush()
    record(
        session,
        user=user,
        action=Action.IMPORT,
        entity="import",
        entity_id=summary.id,
        after={"files": summary.files, "added": plan.added},
    )
    return ImportResult(summary.id, dict(plan.added), dict(plan.unchanged), tuple(notices))


def _recorded(given: dict[str, Path], reports: tuple[Path, ...]) -> dict[str, Any]:
    """The files of the import's record: name and SHA-256 of each (a list for the reports)."""
    files: dict[str, Any] = {k: {"name": v.name, "sha256": _sha256(v)} for k, v in given.items()}
    if reports:
        files["sr"] = [{"name": p.name, "sha256": _sha256(p)} for p in reports]
    return files


def _workbook_has(workbook: Path | None, sheet: str) -> bool:
    if workbook is None:
        return False
    book = read_workbook(workbook, ProblemLog())
    return book is not None and sheet in book.sheets


_Size = tuple[str, Any, str, float]


def _plan_measurements(
    session: Session, plan: _Plan, histories: dict[str, LesionHistory]
) -> list[_Size]:
    stored: dict[tuple[int, Any, str], float] = {}
    ids = [x.id for x in plan.lesions.values()]
    for start in range(0, len(ids), 900):
        rows = session.execute(
            select(
                MeasurementRow.lesion_id,
                MeasurementRow.date,
                MeasurementRow.sequence,
                MeasurementRow.size_mm,
            ).where(MeasurementRow.lesion_id.in_(ids[start : start + 900]))
        )
        stored.update(((r[0], r[1], r[2]), r[3]) for r in rows)
    new: list[_Size] = []
    for key, history in histories.items():
        row = plan.lesions.get(key)
        for sequence, series in history.series.items():
            for day, size in zip(series.dates, series.sizes_mm, strict=True):
                old = None if row is None else stored.get((row.id, day, sequence.value))
                if old is None:
                    new.append((key, day, sequence.value, size))
                elif old == size:
                    plan.unchanged["measurements"] += 1
                else:
                    plan.problems.append(
                        Problem(
                            "measurements table",
                            f"lesion {key} has {sequence.value} size {old:g} mm stored on "
                            f"{day.isoformat()}, the file gives {size:g} mm",
                            expected="the stored size (or edit the stored measurement first)",
                            column="size_mm",
                            value=f"{size:g}",
                        )
                    )
    return new


def _plan_evidence(session: Session, plan: _Plan, found: Iterable[Evidence]) -> list[Evidence]:
    ids = {x.id: k for k, x in plan.lesions.items()}
    stored: dict[tuple[str, str, Any], tuple[float | None, bool | None, str | None]] = {}
    keys = list(ids)
    for start in range(0, len(keys), 900):
        for e in session.scalars(
            select(EvidenceRow).where(EvidenceRow.lesion_id.in_(keys[start : start + 900]))
        ):
            stored[(ids[e.lesion_id], e.kind, e.date)] = (e.number, e.flag, e.detail)
    new = []
    for item in found:
        old = stored.get((item.lesion_id, item.kind, item.date))
        number, flag = _evidence_value(item)
        if old is None:
            new.append(item)
        elif old == (number, flag, item.detail):
            plan.unchanged["evidence"] += 1
        else:
            plan.problems.append(
                Problem(
                    "evidence table",
                    f"lesion {item.lesion_id} has another {item.kind} value stored on "
                    f"{item.date.isoformat()}",
                    expected="the stored value (or edit the stored evidence first)",
                    column="value",
                    value=str(item.detail or item.value),
                )
            )
    return new


def _plan_events(session: Session, plan: _Plan, found: Iterable[Event]) -> list[Event]:
    patient_ids = {p.id: k for k, p in plan.patients.items()}
    stored: set[tuple[Any, ...]] = set()
    if patient_ids:
        lesion_keys = {
            r[0]: r[1]
            for r in session.execute(
                select(LesionRow.id, LesionRow.lesion_key).where(
                    LesionRow.patient_id.in_(list(patient_ids))
                )
            )
        }
        for e in session.scalars(
            select(EventRow).where(EventRow.patient_id.in_(list(patient_ids)))
        ):
            lesion = None if e.lesion_id is None else lesion_keys.get(e.lesion_id)
            stored.add((patient_ids[e.patient_id], lesion, e.date, e.kind, e.detail, e.value))
    new = []
    for event in found:
        key = _event_key(event)
        if key in stored:
            plan.unchanged["events"] += 1
        else:
            stored.add(key)
            new.append(event)
    return new


def _ids(session: Session, column: Any, key: Any, keys: list[str]) -> dict[str, int]:
    """Row ids by key, for keys just inserted."""
    found: dict[str, int] = {}
    for start in range(0, len(keys), 900):
        found.update(
            (k, i)
            for k, i in session.execute(
                select(key, column).where(key.in_(keys[start : start + 900]))
            )
        )
    return found


def _insert(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """One multi-row INSERT per 5,000 rows (SQLAlchemy Core: no ORM object per row)."""
    for start in range(0, len(rows), 5000):
        session.execute(
            insert(Base.metadata.tables[model.__tablename__]), rows[start : start + 5000]
        )


def _write(
    session: Session,
    plan: _Plan,
    lesions: Iterable[Lesion],
    measurements: list[_Size],
    evidence: list[Evidence],
    events: list[Event],
    events_given: bool,
    *,
    user: str,
) -> set[int]:
    session.flush()
    now = datetime.now(UTC)
    lesions = list(lesions)
    patients = {k: p.id for k, p in plan.patients.items()}
    new_patients = sorted({x.patient_id for x in lesions} - set(patients))
    _insert(
        session,
        PatientRow,
        [
            {"patient_key": k, "events_recorded": events_given, "created_at": now}
            for k in new_patients
        ],
    )
    patients.update(_ids(session, PatientRow.id, PatientRow.patient_key, new_patients))
    plan.added["patients"] = len(new_patients)
    if events_given:
        patients_table = Base.metadata.tables[PatientRow.__tablename__]
        stored = sorted(p.id for p in plan.patients.values() if not p.events_recorded)
        for start in range(0, len(stored), 900):
            session.execute(
                update(patients_table)
                .where(patients_table.c.id.in_(stored[start : start + 900]))
                .values(events_recorded=True)
            )
    _insert(
        session,
        LesionRow,
        [
            {
                "uid": new_tracking_uid(),
                "patient_id": patients[x.patient_id],
                "lesion_key": x.lesion_id,
                "site": x.site.value,
                "level": x.level,
                "histology": x.histology,
                "age": x.age,
                "sex": None if x.sex is None else x.sex.value,
                "response": None if x.response is None else x.response.value,
                "in_vertebral_body": x.in_vertebral_body,
                "body_involvement_pct": x.body_involvement_pct,
                "version": 1,
                "created_at": now,
            }
            for x in plan.new_lesions
        ],
    )
    rows = {k: r.id for k, r in plan.lesions.items()}
    created_keys = [x.lesion_id for x in plan.new_lesions]
    rows.update(_ids(session, LesionRow.id, LesionRow.lesion_key, created_keys))
    _insert(
        session,
        TreatmentRow,
        [
            {
                "lesion_id": rows[x.lesion_id],
                "date": x.treatment.date,
                "dose_gy": x.treatment.dose_gy,
                "fractions": x.treatment.fractions,
                "version": 1,
            }
            for x in plan.new_lesions
        ],
    )
    plan.added["lesions"] = len(plan.new_lesions)
    counts: dict[int, dict[str, int]] = {}

    def count(lesion_id: int, what: str) -> None:
        counts.setdefault(lesion_id, {}).setdefault(what, 0)
        counts[lesion_id][what] += 1

    _insert(
        session,
        MeasurementRow,
        [
            {"lesion_id": rows[k], "date": d, "sequence": s, "size_mm": v, "version": 1}
            for k, d, s, v in measurements
        ],
    )
    for k, *_ in measurements:
        count(rows[k], "measurements")
    plan.added["measurements"] = len(measurements)
    found = []
    for item in evidence:
        number, flag = _evidence_value(item)
        lesion_id = rows[item.lesion_id]
        found.append(
            {
                "lesion_id": lesion_id,
                "date": item.date,
                "kind": item.kind,
                "number": number,
                "flag": flag,
                "detail": item.detail,
                "version": 1,
            }
        )
        count(lesion_id, "evidence")
    _insert(session, EvidenceRow, found)
    plan.added["evidence"] = len(evidence)
    _insert(
        session,
        EventRow,
        [
            {
                "patient_id": patients[e.patient_id],
                "lesion_id": None if e.lesion_id is None else rows[e.lesion_id],
                "date": e.date,
                "kind": e.kind.value,
                "detail": e.detail,
                "value": e.value,
                "version": 1,
            }
            for e in events
        ],
    )
    plan.added["events"] = len(events)
    event_patients = {e.patient_id for e in events}
    created = {rows[k] for k in created_keys}
    touched = set(counts) | created
    if event_patients or events_given:
        owner = {x.lesion_id: x.patient_id for x in lesions}
        owner.update((k, r.patient.patient_key) for k, r in plan.lesions.items())
        touched |= {i for k, i in rows.items() if events_given or owner.get(k) in event_patients}
    record_many(
        session,
        user=user,
        action=Action.IMPORT,
        entity="lesion",
        entries=[
            {
                "entity_id": i,
                "lesion_id": i,
                "after": {"created": i in created, **counts.get(i, {})},
            }
            for i in sorted(touched)
            if i in created or counts.get(i)
        ],
    )
    return touched
