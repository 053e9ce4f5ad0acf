"""Concise builders of patient records for the patient-level criteria tests.

Days are offsets from :data:`START` (the treatment start); day 0 or earlier is baseline.
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

START = date(2022, 1, 10)

Series = Iterable[tuple[int, float | str | None]]


def day(offset: int) -> date:
    return START + timedelta(days=offset)


def _observation(offset: int, value: float | str | None) -> Observation | None:
    if value is None:
        return None
    if isinstance(value, str):
        return Observation(day(offset), status=LesionStatus.parse(value))
    return Observation(day(offset), size_mm=float(value))


def record(
    targets: Mapping[str, Series] | None = None,
    non_targets: Mapping[str, Series] | None = None,
    new: Mapping[str, Series] | None = None,
    *,
    nodes: Iterable[str] = (),
    organs: Mapping[str, str] | None = None,
    patient_id: str = "P",
    start: date = START,
) -> PatientRecord:
    """A record: each lesion maps to ``(day, size or status or None)`` pairs.

    ``None`` leaves the lesion out of that day's scan (not assessed).
    """
    nodes = set(nodes)
    organs = dict(organs or {})
    lesions = []
    observations: dict[str, tuple[Observation, ...]] = {}
    groups = (
        (LesionRole.TARGET, targets or {}),
        (LesionRole.NON_TARGET, non_targets or {}),
        (LesionRole.NEW, new or {}),
    )
    for role, members in groups:
        for lesion_id, series in members.items():
            lesions.append(
                TrackedLesion(
                    patient_id,
                    lesion_id,
                    role=role,
                    organ=organs.get(lesion_id, f"organ-{lesion_id}"),
                    lymph_node=lesion_id in nodes,
                )
            )
            found = [_observation(d, v) for d, v in sorted(series, key=lambda p: p[0])]
            observations[lesion_id] = tuple(
                o if start == START else _shift(o, start) for o in found if o is not None
            )
    return PatientRecord(patient_id, start, tuple(lesions), observations)


def _shift(observation: Observation, start: date) -> Observation:
    return dataclasses.replace(observation, date=observation.date - START + start)
