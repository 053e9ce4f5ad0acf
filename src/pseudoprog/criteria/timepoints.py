"""Timepoints of a patient: what each assessment shows of the target, non-target and new lesions.

The patient-level engines (RECIST 1.1, iRECIST) read a :class:`PatientRecord` through
:func:`build_timepoints`: the baseline of each lesion (its latest observation on or before the
treatment start), then one :class:`Timepoint` per assessment after it. Observations within
``window_days`` of the first date of an assessment belong to that assessment, so that a chest CT
and a liver MRI a few days apart are judged together; the assessment is dated by its first scan.

Examples
--------
>>> from datetime import date
>>> from pseudoprog.patient import Observation, PatientRecord, TrackedLesion
>>> record = PatientRecord(
...     "P1", date(2021, 1, 10), (TrackedLesion("P1", "L1"),),
...     {"L1": (Observation(date(2021, 1, 5), 30.0), Observation(date(2021, 3, 1), 21.0),
...             Observation(date(2021, 3, 3), 20.0))})
>>> baseline, points = build_timepoints(record, window_days=7)
>>> [(p.date.isoformat(), p.targets["L1"].size_mm) for p in points]
[('2021-03-01', 20.0)]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from pseudoprog.patient import LesionRole, Observation, PatientRecord, TrackedLesion

__all__ = ["Baseline", "Timepoint", "build_timepoints"]

#: ``datetime.date``, for annotations inside classes that have a field named ``date``.
Day = date


@dataclass(frozen=True, slots=True)
class Baseline:
    """The baseline of a patient: each target's and non-target's latest pre-treatment look.

    ``date`` is the latest baseline observation date (``None`` when no lesion has one).
    Lesions without a baseline observation are listed in ``missing``.
    """

    date: date | None
    targets: Mapping[str, Observation]
    non_targets: Mapping[str, Observation]
    missing: tuple[TrackedLesion, ...]


@dataclass(frozen=True, slots=True)
class Timepoint:
    """One assessment after the treatment start.

    ``targets`` and ``non_targets`` map every baseline lesion of that role to its observation
    at this assessment, or ``None`` when it was not assessed; ``new`` maps each new lesion
    observed at this assessment to that observation. ``dates`` lists every scan date grouped
    into the assessment.
    """

    date: date
    dates: tuple[Day, ...]
    targets: Mapping[str, Observation | None]
    non_targets: Mapping[str, Observation | None]
    new: Mapping[str, Observation]


def _group_dates(days: tuple[date, ...], window_days: int) -> list[tuple[date, ...]]:
    groups: list[list[date]] = []
    for day in days:
        if groups and (day - groups[-1][0]).days <= window_days:
            groups[-1].append(day)
        else:
            groups.append([day])
    return [tuple(g) for g in groups]


def _latest_in(series: tuple[Observation, ...], days: tuple[date, ...]) -> Observation | None:
    """The latest observation of a lesion among the dates of one assessment."""
    wanted = set(days)
    found = [o for o in series if o.date in wanted]
    return found[-1] if found else None


def build_timepoints(
    record: PatientRecord, *, window_days: int = 0, as_of: date | None = None
) -> tuple[Baseline, tuple[Timepoint, ...]]:
    """The baseline and the assessments of a patient, up to ``as_of``.

    Parameters
    ----------
    record
        The patient's lesions and observations.
    window_days
        Observations at most this many days after the first scan of an assessment belong to
        it (0: every scan date is its own assessment).
    as_of
        Ignore observations after this date.
    """
    base_targets: dict[str, Observation] = {}
    base_non_targets: dict[str, Observation] = {}
    missing: list[TrackedLesion] = []
    for lesion in record.lesions:
        if lesion.role is LesionRole.NEW:
            continue
        observation = record.baseline(lesion.lesion_id)
        if observation is None:
            missing.append(lesion)
        elif lesion.role is LesionRole.TARGET:
            base_targets[lesion.lesion_id] = observation
        else:
            base_non_targets[lesion.lesion_id] = observation
    seen = [o.date for o in (*base_targets.values(), *base_non_targets.values())]
    baseline = Baseline(max(seen) if seen else None, base_targets, base_non_targets, tuple(missing))

    points = []
    for days in _group_dates(record.assessment_dates(as_of=as_of), window_days):
        targets = {k: _latest_in(record.series(k), days) for k in base_targets}
        non_targets = {k: _latest_in(record.series(k), days) for k in base_non_targets}
        new: dict[str, Observation] = {}
        for lesion in record.lesions_by_role(LesionRole.NEW):
            found = _latest_in(record.series(lesion.lesion_id), days)
            if found is not None:
                new[lesion.lesion_id] = found
        points.append(Timepoint(days[0], days, targets, non_targets, new))
    return baseline, tuple(points)
