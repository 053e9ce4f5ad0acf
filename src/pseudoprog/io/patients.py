"""The input tables read by patient-level criteria (RECIST 1.1, iRECIST, PCWG3 bone).

The same ``lesions``, ``measurements`` and ``events`` tables as for the lesion-level criteria,
with the optional columns that patient-level criteria read:

- ``lesions``: ``role`` (``target``, ``non_target``, ``new``; default ``target``), ``organ``,
  ``lymph_node`` (yes/no), ``treatment`` (kind); ``dose_gy``, ``fractions``, ``site``, ``level``
  as for the lesion-level criteria, not required here. ``treatment_date`` is the start of the
  treatment assessed, one date per patient.
- ``measurements``: ``lesion_id, date`` and, per row, ``size_mm`` (longest diameter, short axis
  for a lymph node, 0 for a target that disappeared) or ``status`` (``present``, ``absent``,
  ``unequivocal_progression``, ``equivocal``, ``not_evaluated``); optionally ``sequence``,
  ``perpendicular_mm`` (RANO-BM), ``attenuation_hu`` (mean attenuation in HU, portal venous
  phase; Choi), ``viable_mm`` (longest diameter of the arterially enhancing part; mRECIST, where
  it may stand in for ``size_mm``) and ``intratumoral_nodule`` (``absent``, ``present``,
  ``new``, ``growing``; Choi).

:func:`load_patients` checks the whole input and the baseline of every patient against the
criteria (too many targets, a target not measurable at baseline, a non-target given a size, a
new lesion dated before treatment) and reports every problem at once with file, row and column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from pseudoprog.domain import Event
from pseudoprog.errors import Problem
from pseudoprog.io.cohort import (
    EVENT_COLUMNS,
    MAX_SIZE_MM,
    _Lesions,
    _note_unknown_columns,
    _parse_events,
    _repeated,
    locate_table,
)
from pseudoprog.io.tabular import ProblemLog, RawTable, read_workbook
from pseudoprog.patient import (
    LesionRole,
    LesionStatus,
    NoduleFinding,
    Observation,
    PatientRecord,
    TrackedLesion,
    TreatmentKind,
    normalize_organ,
)

__all__ = [
    "PATIENT_LESION_COLUMNS",
    "PATIENT_MEASUREMENT_COLUMNS",
    "BaselineCheck",
    "PatientCohort",
    "load_patients",
]

#: Required and optional columns of the tables as patient-level criteria read them.
PATIENT_LESION_COLUMNS = {
    "required": ("patient_id", "lesion_id", "treatment_date"),
    "optional": (
        "role",
        "organ",
        "lymph_node",
        "treatment",
        "site",
        "level",
        "dose_gy",
        "fractions",
        "histology",
        "age",
        "sex",
        "response",
        "in_vertebral_body",
        "body_involvement_pct",
    ),
}
PATIENT_MEASUREMENT_COLUMNS = {
    "required": ("lesion_id", "date"),
    "optional": (
        "size_mm",
        "status",
        "sequence",
        "perpendicular_mm",
        "attenuation_hu",
        "viable_mm",
        "intratumoral_nodule",
    ),
}

#: A check of one patient's baseline: ``(lesion or None, problem, fix)`` for each problem.
BaselineCheck = Callable[[PatientRecord], Iterable[tuple[TrackedLesion | None, str, str]]]


@dataclass(frozen=True)
class PatientCohort:
    """Validated patient-level input: one :class:`PatientRecord` per patient, in input order."""

    records: tuple[PatientRecord, ...]
    events: tuple[Event, ...]
    notices: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


@dataclass
class _ParsedLesions:
    table: RawTable
    ids: np.ndarray[Any, Any]
    patients: np.ndarray[Any, Any]
    treated: np.ndarray[Any, Any]
    roles: np.ndarray[Any, Any]
    organs: np.ndarray[Any, Any]
    nodes: np.ndarray[Any, Any]

    def as_cohort_lesions(self) -> _Lesions:
        return _Lesions(self.table, self.ids, self.patients, self.treated, {})


def _parse_lesions(table: RawTable, log: ProblemLog) -> _ParsedLesions | None:
    if not table.require(PATIENT_LESION_COLUMNS["required"], log):
        return None
    _note_unknown_columns(table, PATIENT_LESION_COLUMNS, log)
    patients = table.parse_text("patient_id", log, required=True)
    ids = table.parse_text("lesion_id", log, required=True)
    treated = table.parse_dates("treatment_date", log, required=True)
    roles = table.parse_enum("role", LesionRole, log, required=False)
    organs = table.parse_text("organ", log, required=False)
    nodes = table.parse_bools("lymph_node", log)
    table.parse_enum("treatment", TreatmentKind, log, required=False)
    if table.has("dose_gy"):
        table.parse_numbers("dose_gy", log, required=False, unit="Gy", minimum=0)
    if table.has("fractions"):
        table.parse_numbers("fractions", log, required=False, minimum=1, integer=True)
    dup = _repeated(ids) & (ids != "")
    first_row: dict[str, int] = {}
    for i, value in enumerate(ids.tolist()):
        first_row.setdefault(value, i + 2)
    for k in np.flatnonzero(dup).tolist():
        log.add(
            Problem(
                table.label,
                f"duplicate lesion_id (first on row {first_row[ids[k]]})",
                expected="one row per lesion with a unique lesion_id",
                row=k + 2,
                column="lesion_id",
                value=str(ids[k]),
            )
        )
    start: dict[str, tuple[int, Any]] = {}
    for i, (patient, day) in enumerate(zip(patients.tolist(), treated.tolist(), strict=True)):
        if patient == "" or day is None:
            continue
        if patient not in start:
            start[patient] = (i + 2, day)
        elif start[patient][1] != day:
            row, first = start[patient]
            log.add(
                Problem(
                    table.label,
                    f"patient {patient} has a different treatment_date than on row {row} "
                    f"({first.isoformat()})",
                    expected="one treatment start per patient: the start of the treatment "
                    "whose response is assessed",
                    row=i + 2,
                    column="treatment_date",
                    value=day.isoformat(),
                )
            )
    return _ParsedLesions(table, ids, patients, treated, roles, organs, nodes)


def _parse_observations(
    table: RawTable, lesions: _ParsedLesions | None, log: ProblemLog
) -> dict[str, list[tuple[int, Observation]]] | None:
    if not table.require(PATIENT_MEASUREMENT_COLUMNS["required"], log):
        return None
    _note_unknown_columns(table, PATIENT_MEASUREMENT_COLUMNS, log)
    ids = table.parse_text("lesion_id", log, required=True)
    dates = table.parse_dates("date", log, required=True)
    sizes = table.parse_numbers(
        "size_mm", log, required=False, unit="mm", minimum=0, maximum=MAX_SIZE_MM
    )
    statuses = table.parse_enum("status", LesionStatus, log, required=False)
    nodules = table.parse_enum("intratumoral_nodule", NoduleFinding, log, required=False)
    extra = {
        name: table.parse_numbers(name, log, required=False, unit=unit, minimum=low, maximum=high)
        for name, unit, low, high in (
            ("perpendicular_mm", "mm", 0.0, MAX_SIZE_MM),
            ("attenuation_hu", "HU", -1024.0, 3071.0),
            ("viable_mm", "mm", 0.0, MAX_SIZE_MM),
        )
    }
    no_value = table.empty("size_mm") & table.empty("status") & table.empty("viable_mm")
    table.report(
        log,
        no_value & (ids != ""),
        "size_mm" if table.has("size_mm") or not table.has("status") else "status",
        "neither a size nor a status",
        "size_mm for a target lesion (or viable_mm, the enhancing diameter, for mRECIST), or "
        "status (present, absent, unequivocal_progression, equivocal, not_evaluated) for a "
        "non-target or new lesion",
    )
    if lesions is None:
        return None
    index = {lesion_id: i for i, lesion_id in enumerate(lesions.ids.tolist()) if lesion_id}
    by_lesion: dict[str, list[tuple[int, Observation]]] = {}
    for i in range(len(table)):
        lesion_id = str(ids[i])
        if lesion_id == "":
            continue
        if lesion_id not in index:
            log.add(
                Problem(
                    table.label,
                    "measurement for a lesion that is not in the lesions table",
                    expected=f"a lesion_id listed in {lesions.table.label}",
                    row=i + 2,
                    column="lesion_id",
                    value=lesion_id,
                )
            )
            continue
        if np.isnat(dates[i]) or no_value[i]:
            continue
        size = None if np.isnan(sizes[i]) else float(sizes[i])
        observation = Observation(
            date=dates[i].astype(object),
            size_mm=size,
            status=statuses[i],
            perpendicular_mm=_number(extra["perpendicular_mm"][i]),
            attenuation_hu=_number(extra["attenuation_hu"][i]),
            viable_mm=_number(extra["viable_mm"][i]),
            intratumoral_nodule=nodules[i],
        )
        by_lesion.setdefault(lesion_id, []).append((i + 2, observation))
    return by_lesion


def _number(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _check_observations(
    lesion: TrackedLesion,
    treated: date,
    rows: list[tuple[int, Observation]],
    label: str,
    log: ProblemLog,
) -> tuple[Observation, ...]:
    """Check one lesion's observations against its role; return them sorted and unique."""
    rows = sorted(rows, key=lambda item: (item[1].date, item[0]))
    kept: list[Observation] = []
    seen: dict[date, tuple[int, Observation]] = {}
    for row, obs in rows:
        if obs.date in seen:
            first_row, first = seen[obs.date]
            if first == obs:
                continue
            log.add(
                Problem(
                    label,
                    f"lesion {lesion.lesion_id} has two different observations on "
                    f"{obs.date.isoformat()} (rows {first_row} and {row})",
                    expected="one row per lesion and date (patient-level criteria read one "
                    "measurement per lesion and assessment): delete or correct one row",
                    row=row,
                    column="date",
                    value=obs.date.isoformat(),
                )
            )
            continue
        seen[obs.date] = (row, obs)
        if lesion.role is LesionRole.NON_TARGET and obs.size_mm is not None:
            log.add(
                Problem(
                    label,
                    f"non-target lesion {lesion.lesion_id} is given a size; non-target "
                    "lesions are followed by status, not measured",
                    expected="an empty size_mm and a status (present, absent, "
                    "unequivocal_progression, equivocal, not_evaluated), or role 'target' "
                    "in the lesions table",
                    row=row,
                    column="size_mm",
                    value=f"{obs.size_mm:g}",
                )
            )
        if lesion.role is LesionRole.NEW and obs.date <= treated:
            log.add(
                Problem(
                    label,
                    f"new lesion {lesion.lesion_id} is dated on or before the treatment start "
                    f"{treated.isoformat()}; a lesion seen at baseline is not new",
                    expected="a date after treatment_date, or role 'target'/'non_target'",
                    row=row,
                    column="date",
                    value=obs.date.isoformat(),
                )
            )
        nodule = obs.intratumoral_nodule
        if nodule is not None and nodule.progression and obs.date <= treated:
            log.add(
                Problem(
                    label,
                    f"lesion {lesion.lesion_id} has a {nodule.value} intratumoral nodule on "
                    f"{obs.date.isoformat()}, on or before the treatment start "
                    f"{treated.isoformat()}; a nodule is new or growing only compared with an "
                    "earlier scan on treatment",
                    expected="present (or absent) at baseline; new or growing only on scans "
                    "after treatment_date",
                    row=row,
                    column="intratumoral_nodule",
                    value=nodule.value,
                )
            )
        if (
            lesion.role is LesionRole.TARGET
            and obs.size_mm is None
            and obs.status in (LesionStatus.UNEQUIVOCAL_PROGRESSION,)
        ):
            log.add(
                Problem(
                    label,
                    f"target lesion {lesion.lesion_id} is given a status where a size is expected",
                    expected="size_mm (0 when it has disappeared), or status absent, present "
                    "(too small to measure) or not_evaluated",
                    row=row,
                    column="status",
                    value=str(obs.status),
                )
            )
        kept.append(obs)
    return tuple(kept)


def load_patients(
    *,
    lesions: str | Path | None = None,
    measurements: str | Path | None = None,
    events: str | Path | None = None,
    workbook: str | Path | None = None,
    baseline_check: BaselineCheck | None = None,
) -> PatientCohort:
    """Read and validate the input tables for patient-level criteria.

    Parameters
    ----------
    lesions, measurements, events
        CSV (or single-sheet Excel) files; a file given here takes precedence over the sheet
        of the same name in ``workbook``.
    workbook
        An Excel workbook with sheets ``lesions``, ``measurements`` and optionally ``events``.
    baseline_check
        The criteria's check of each patient's baseline (e.g.
        :func:`pseudoprog.criteria.recist.baseline_problems` with its parameters); each problem
        it finds is reported on the lesion's row of the lesions table.

    Raises
    ------
    InputValidationError
        Listing every problem found in every table; nothing is returned then.
    """
    log = ProblemLog()
    sheets = None if workbook is None else read_workbook(workbook, log)

    def locate(name: str, given: str | Path | None, *, needed: bool) -> RawTable | None:
        spec = PATIENT_LESION_COLUMNS if name == "lesions" else PATIENT_MEASUREMENT_COLUMNS
        columns = EVENT_COLUMNS["required"] if name == "events" else spec["required"]
        return locate_table(
            name,
            given,
            needed=needed,
            columns=columns,
            workbook=workbook,
            sheets=sheets,
            log=log,
        )

    lesion_table = locate("lesions", lesions, needed=True)
    measurement_table = locate("measurements", measurements, needed=True)
    event_table = locate("events", events, needed=False)
    parsed = _parse_lesions(lesion_table, log) if lesion_table is not None else None
    observed = (
        _parse_observations(measurement_table, parsed, log)
        if measurement_table is not None
        else None
    )
    parsed_events = (
        _parse_events(event_table, parsed.as_cohort_lesions(), log)
        if event_table is not None and parsed is not None
        else None
    )
    if parsed is None or observed is None or measurement_table is None:
        log.raise_if_any()
        return PatientCohort((), ())
    records = _build_records(
        parsed, observed, parsed_events, measurement_table.label, baseline_check, log
    )
    log.raise_if_any()
    sources = tuple(
        t.label for t in (lesion_table, measurement_table, event_table) if t is not None
    )
    return PatientCohort(records, tuple(parsed_events or ()), tuple(log.notices), sources)


def _build_records(
    parsed: _ParsedLesions,
    observed: dict[str, list[tuple[int, Observation]]],
    events: list[Event] | None,
    measurement_label: str,
    baseline_check: BaselineCheck | None,
    log: ProblemLog,
) -> tuple[PatientRecord, ...]:
    by_patient: dict[str, list[tuple[int, TrackedLesion]]] = {}
    starts: dict[str, date] = {}
    seen: set[str] = set()
    for i in range(len(parsed.ids)):
        lesion_id, patient = str(parsed.ids[i]), str(parsed.patients[i])
        if not lesion_id or not patient or lesion_id in seen or np.isnat(parsed.treated[i]):
            continue
        seen.add(lesion_id)
        organ = str(parsed.organs[i])
        lesion = TrackedLesion(
            patient,
            lesion_id,
            role=parsed.roles[i] or LesionRole.TARGET,
            organ=normalize_organ(organ) if organ else None,
            lymph_node=bool(parsed.nodes[i]),
        )
        by_patient.setdefault(patient, []).append((i + 2, lesion))
        starts.setdefault(patient, parsed.treated[i].astype(object))
    patient_events: dict[str, list[Event]] = {}
    for event in events or ():
        patient_events.setdefault(event.patient_id, []).append(event)
    records = []
    for patient, members in by_patient.items():
        start = starts[patient]
        observations = {}
        for row, lesion in members:
            series = _check_observations(
                lesion, start, observed.get(lesion.lesion_id, []), measurement_label, log
            )
            if series:
                observations[lesion.lesion_id] = series
            if lesion.role is not LesionRole.NEW and not any(o.date <= start for o in series):
                log.add(
                    Problem(
                        parsed.table.label,
                        f"{lesion.role.value} lesion {lesion.lesion_id} has no observation on "
                        f"or before the treatment start {start.isoformat()}, so there is no "
                        "baseline",
                        expected="a baseline scan (dated on or before treatment_date) in the "
                        "measurements table, or role 'new'",
                        row=row,
                        column="lesion_id",
                        value=lesion.lesion_id,
                    )
                )
        record = PatientRecord(
            patient_id=patient,
            treatment_start=start,
            lesions=tuple(lesion for _, lesion in members),
            observations=MappingProxyType(observations),
            events=tuple(sorted(patient_events.get(patient, ()), key=lambda e: e.date)),
            events_recorded=events is not None,
        )
        if baseline_check is not None:
            rows = {lesion.lesion_id: row for row, lesion in members}
            for culprit, message, fix in baseline_check(record):
                log.add(
                    Problem(
                        parsed.table.label,
                        message,
                        expected=fix,
                        row=members[0][0] if culprit is None else rows[culprit.lesion_id],
                        column="role" if culprit is None else "lesion_id",
                        value=None if culprit is None else culprit.lesion_id,
                    )
                )
        records.append(record)
    return tuple(records)
