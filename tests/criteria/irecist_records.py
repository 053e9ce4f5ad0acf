"""Patient records for the iRECIST tests, written in a few words.

A lesion's course is a mapping ``{day: value}``: ``day`` counts from :data:`START` (the
treatment start; day 0 and earlier are baseline), ``value`` is a size in mm or a status
(``"present"``, ``"absent"``, ``"unequivocal_progression"`` or ``"up"``, ``"equivocal"``,
``"not_evaluated"``). Every lesion sits in its own organ unless ``organs`` says otherwise.

>>> rec = patient(targets={"T1": {0: 50, 56: 60}}, new={"N1": {56: 12}})
>>> [lesion.role.value for lesion in rec.lesions], on(56).isoformat()
(['target', 'new'], '2021-03-01')
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from pseudoprog.patient import (
    LesionRole,
    LesionStatus,
    Observation,
    PatientRecord,
    TrackedLesion,
)

#: Treatment start of every test patient: day 0.
START = date(2021, 1, 4)

Course = Mapping[int, float | str]

_STATUS = {"up": "unequivocal_progression"}


def on(day: int) -> date:
    """The date ``day`` days after :data:`START`."""
    return START + timedelta(days=day)


def iso(day: int) -> str:
    return on(day).isoformat()


def observation(day: int, value: float | str) -> Observation:
    if isinstance(value, str):
        return Observation(on(day), status=LesionStatus.parse(_STATUS.get(value, value)))
    return Observation(on(day), size_mm=float(value))


def patient(
    targets: Mapping[str, Course] | None = None,
    non_targets: Mapping[str, Course] | None = None,
    new: Mapping[str, Course] | None = None,
    *,
    nodes: Iterable[str] = (),
    organs: Mapping[str, str] | None = None,
    patient_id: str = "P1",
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
            observations[lesion_id] = tuple(observation(d, course[d]) for d in sorted(course))
    return PatientRecord(patient_id, START, tuple(lesions), observations)


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
    observations[lesion_id] = tuple(observation(d, course[d]) for d in sorted(course))
    return dataclasses.replace(record, lesions=(*record.lesions, lesion), observations=observations)


def codes(result: object) -> list[str]:
    """The response code of each timepoint of a patient assessment."""
    return [t.response.value for t in result.timepoints]  # type: ignore[attr-defined]
