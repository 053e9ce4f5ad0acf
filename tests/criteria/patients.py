"""Patient records for the patient-level criteria tests, written in a few words.

A lesion's course maps a day to a value, as a mapping ``{day: value}`` or as ``(day, value)``
pairs: ``day`` counts from :data:`START` (the treatment start; day 0 and earlier are
baseline), ``value`` is a size in mm, a status (``"present"``, ``"absent"``,
``"unequivocal_progression"`` or ``"up"``, ``"equivocal"``, ``"not_evaluated"``), or ``None``
to leave the lesion out of that day's scan (not assessed). Every lesion sits in its own organ
unless ``organs`` says otherwise.

>>> rec = record(targets={"T1": {0: 50, 56: 60}}, new={"N1": {56: 12}})
>>> [lesion.role.value for lesion in rec.lesions], on(56).isoformat()
(['target', 'new'], '2021-03-01')
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from pseudoprog.patient import (
    LesionRole,
    LesionStatus,
    Observation,
    PatientRecord,
    TrackedLesion,
)

#: Treatment start of every test patient: day 0.
START = date(2021, 1, 4)

Value = float | str | None
Course = Mapping[int, Value] | Iterable[tuple[int, Value]]

_STATUS = {"up": "unequivocal_progression"}


def on(day: int, *, start: date = START) -> date:
    """The date ``day`` days after the treatment start."""
    return start + timedelta(days=day)


#: The same, under the name the RECIST tests use.
day = on


def iso(day: int) -> str:
    return on(day).isoformat()


def observation(day: int, value: float | str, *, start: date = START) -> Observation:
    if isinstance(value, str):
        status = LesionStatus.parse(_STATUS.get(value, value))
        return Observation(on(day, start=start), status=status)
    return Observation(on(day, start=start), size_mm=float(value))


def _observations(course: Course, start: date) -> tuple[Observation, ...]:
    pairs = course.items() if isinstance(course, Mapping) else course
    return tuple(
        observation(d, v, start=start)
        for d, v in sorted(pairs, key=lambda p: p[0])
        if v is not None
    )


def record(
    targets: Mapping[str, Course] | None = None,
    non_targets: Mapping[str, Course] | None = None,
    new: Mapping[str, Course] | None = None,
    *,
    nodes: Iterable[str] = (),
    organs: Mapping[str, str] | None = None,
    patient_id: str = "P1",
    start: date = START,
) -> PatientRecord:
    """A patient record from the courses of its targets, non-targets and new lesions."""
    nodes = set(nodes)
    organs = dict(organs or {})
    lesions = []
    observations: dict[str, tuple[Observation, ...]] = {}
    for role, group in (
        (LesionRole.TARGET, targets or {}),
        (LesionRole.NON_TARGET, non_targets or {}),
        (LesionRole.NEW, new or {}),
    ):
        for lesion_id, course in group.items():
            lesions.append(
                TrackedLesion(
                    patient_id,
                    lesion_id,
                    role=role,
                    organ=organs.get(lesion_id, f"organ_{lesion_id}"),
                    lymph_node=lesion_id in nodes,
                )
            )
            observations[lesion_id] = _observations(course, start)
    return PatientRecord(patient_id, start, tuple(lesions), observations)


def shifted(record: PatientRecord, days: int) -> PatientRecord:
    """The same record with every date (treatment start included) moved by ``days``."""
    move = timedelta(days=days)
    return dataclasses.replace(
        record,
        treatment_start=record.treatment_start + move,
        observations={
            k: tuple(dataclasses.replace(o, date=o.date + move) for o in series)
            for k, series in record.observations.items()
        },
    )


def with_lesion(
    record: PatientRecord, lesion_id: str, course: Course, *, organ: str = "liver"
) -> PatientRecord:
    """The record with one more new lesion (last in input order)."""
    lesion = TrackedLesion(record.patient_id, lesion_id, role=LesionRole.NEW, organ=organ)
    observations = dict(record.observations)
    observations[lesion_id] = _observations(course, record.treatment_start)
    return dataclasses.replace(record, lesions=(*record.lesions, lesion), observations=observations)


def codes(result: Any) -> list[str]:
    """The response code of each timepoint of a patient assessment."""
    return [t.response.value for t in result.timepoints]
