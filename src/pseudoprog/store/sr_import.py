"""DICOM SR reports as the measurements of an import, checked by the readers of the tables.

:func:`stage_reports` reads the uploaded TID 1500 reports
(:func:`~pseudoprog.io.dicom_sr_read.read_measurement_files`, as ``pseudoprog import-sr``)
and writes what they measure as a measurements table beside the import's other files, so
that :func:`~pseudoprog.store.imports.import_tables` checks and stores it exactly as it does
a CSV file: all or nothing. A lesion of a report is the stored lesion of its lesion id, or
the stored lesion whose tracking UID the report gives (a viewer that tags a measurement with
the UID of the lesion pseudoprog exported). Without a lesions table in the import the
lesions must be stored already; their stored rows and sizes then go into the tables too,
so that a report of a follow-up study finds its baseline.

Problems name the report file (and the lesion, date and sequence), never the staged tables.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from pseudoprog.domain import Sequence as MrSequence
from pseudoprog.errors import InputValidationError, Problem
from pseudoprog.io.dicom_sr_read import SrMeasurement, read_measurement_files
from pseudoprog.store.models import LesionRow, MeasurementRow
from pseudoprog.store.records import lesion_of
from pseudoprog.store.validation import lesion_cells

__all__ = ["StagedReports", "stage_reports"]

_MEASUREMENTS = "sr-measurements.csv"
_LESIONS = "sr-stored-lesions.csv"


@dataclass(frozen=True)
class StagedReports:
    """The tables written from the reports, and where each of their rows came from."""

    measurements: Path
    lesions: Path | None
    notes: tuple[str, ...]
    measurement_rows: dict[int, tuple[str, str]] = field(default_factory=dict)
    """Row number -> (source, ``lesion L on DATE (SEQUENCE)``)."""
    lesion_rows: dict[int, str] = field(default_factory=dict)
    """Row number -> the source of a stored lesion's row (the first report naming it)."""

    def translate(self, error: InputValidationError) -> InputValidationError:
        """``error`` with the problems of the staged tables told of the reports instead."""
        problems = []
        for p in error.problems:
            if _MEASUREMENTS in p.source and p.row in self.measurement_rows:
                source, what = self.measurement_rows[p.row]
                problems.append(replace(p, source=source, message=f"{what}: {p.message}", row=None))
            elif self.lesions is not None and _LESIONS in p.source and p.row in self.lesion_rows:
                problems.append(replace(p, source=self.lesion_rows[p.row], row=None))
            else:
                problems.append(p)
        return InputValidationError(problems)


def _label(path: Path) -> str:
    return f"SR file {path.name}"


def stage_reports(
    session: Session,
    files: Sequence[Path],
    *,
    folder: Path,
    lesions_given: bool,
    sequence: MrSequence = MrSequence.T1,
) -> StagedReports:
    """Read the reports and write the tables to import into ``folder``.

    Raises
    ------
    InputValidationError
        A file that is not a DICOM SR report, a report the reader refuses, a lesion that is
        not stored (without a lesions table), a lesion of another patient, or a size that
        contradicts a stored one; each problem names the report file.
    """
    try:
        found = read_measurement_files(files, sequence=sequence, every_file=True)
    except InputValidationError as exc:
        names = {str(path): _label(path) for path in files}
        raise InputValidationError(
            [replace(p, source=names.get(p.source, p.source)) for p in exc.problems]
        ) from None
    keys = {m.lesion_id for m in found.measurements}
    uids = {x.tracking_uid for x in found.lesions if x.tracking_uid}
    stored: dict[str, LesionRow] = {}
    by_uid: dict[str, LesionRow] = {}
    for column, values in ((LesionRow.lesion_key, keys), (LesionRow.uid, uids)):
        wanted = sorted(values)
        for start in range(0, len(wanted), 900):
            for found_row in session.scalars(
                select(LesionRow)
                .where(column.in_(wanted[start : start + 900]))
                .options(joinedload(LesionRow.patient), selectinload(LesionRow.treatment))
            ):
                stored[found_row.lesion_key] = found_row
                by_uid[found_row.uid] = found_row
    renamed: dict[str, str] = {}
    for lesion in found.lesions:
        if lesion.lesion_id not in stored and lesion.tracking_uid in by_uid:
            renamed[lesion.lesion_id] = by_uid[lesion.tracking_uid].lesion_key
    patients = {x.lesion_id: x.patient_id for x in found.lesions}
    measurements = [
        m if m.lesion_id not in renamed else replace(m, lesion_id=renamed[m.lesion_id])
        for m in found.measurements
    ]
    problems: list[Problem] = []
    first_source: dict[str, Path] = {}
    for m, original in zip(measurements, found.measurements, strict=True):
        first_source.setdefault(m.lesion_id, m.source)
        row = stored.get(m.lesion_id)
        patient = patients.get(original.lesion_id, "")
        if row is None:
            if not lesions_given:
                problems.append(
                    Problem(
                        _label(m.source),
                        f"lesion {m.lesion_id} of patient {patient} is not stored",
                        "a stored lesion: import its lesions table first (patient_id, "
                        "lesion_id, treatment_date, dose_gy, fractions; 'pseudoprog import-sr "
                        "--lesions-output' writes one to complete), or upload it with the reports",
                    )
                )
            continue
        if row.patient.patient_key != patient:
            problems.append(
                Problem(
                    _label(m.source),
                    f"lesion {m.lesion_id} is stored for patient {row.patient.patient_key}, "
                    f"but the report is of patient {patient} (PatientID)",
                    "the report of the lesion's own patient",
                )
            )
    ids = sorted({r.id for r in stored.values()})
    sizes: dict[tuple[int, str, str], float] = {}
    for start in range(0, len(ids), 900):
        for lesion_id, day, seq, size in session.execute(
            select(
                MeasurementRow.lesion_id,
                MeasurementRow.date,
                MeasurementRow.sequence,
                MeasurementRow.size_mm,
            ).where(MeasurementRow.lesion_id.in_(ids[start : start + 900]))
        ):
            sizes[(lesion_id, day.isoformat(), seq)] = size
    fresh: list[SrMeasurement] = []
    for m in measurements:
        row = stored.get(m.lesion_id)
        old = None if row is None else sizes.get((row.id, m.date.isoformat(), m.sequence.value))
        if old is None:
            fresh.append(m)
        elif abs(old - m.size_mm) > 1e-6:
            problems.append(
                Problem(
                    _label(m.source),
                    f"lesion {m.lesion_id} has {m.sequence.value} size {old:g} mm stored on "
                    f"{m.date.isoformat()}, the report gives {m.size_mm:g} mm",
                    "the stored size (or edit the stored measurement first)",
                )
            )
    if problems:
        raise InputValidationError(problems)
    return _write(folder, fresh, stored, sizes, first_source, lesions_given, found.notes)


def _write(
    folder: Path,
    fresh: list[SrMeasurement],
    stored: dict[str, LesionRow],
    sizes: dict[tuple[int, str, str], float],
    first_source: dict[str, Path],
    lesions_given: bool,
    notes: tuple[str, ...],
) -> StagedReports:
    measurement_rows: dict[int, tuple[str, str]] = {}
    lesion_rows: dict[int, str] = {}
    path = folder / _MEASUREMENTS
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["lesion_id", "date", "sequence", "size_mm"])
        number = 1
        if not lesions_given:  # the stored sizes of the lesions, for their baselines
            keys = {row.id: key for key, row in stored.items()}
            for (lesion_id, day, seq), size in sorted(sizes.items()):
                number += 1
                writer.writerow([keys[lesion_id], day, seq, repr(size)])
                label = f"stored measurements of lesion {keys[lesion_id]}"
                measurement_rows[number] = (label, f"{day} ({seq})")
        for m in fresh:
            number += 1
            day = m.date.isoformat()
            writer.writerow([m.lesion_id, day, m.sequence.value, f"{m.size_mm:g}"])
            what = f"lesion {m.lesion_id} on {day} ({m.sequence.value})"
            measurement_rows[number] = (_label(m.source), what)
    lesions = None
    if not lesions_given:
        lesions = folder / _LESIONS
        with lesions.open("w", encoding="utf-8", newline="") as handle:
            rows = [lesion_cells(lesion_of(row)) for _, row in sorted(stored.items())]
            header = list(rows[0]) if rows else ["patient_id", "lesion_id"]
            table = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
            table.writeheader()
            for number, cells in enumerate(rows, start=2):
                table.writerow(cells)
                lesion_rows[number] = _label(first_source[cells["lesion_id"]])
    return StagedReports(path, lesions, notes, measurement_rows, lesion_rows)
