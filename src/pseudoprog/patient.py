"""Domain values of patient-level response assessment: lesion roles, statuses and records.

Patient-level criteria (RECIST 1.1, iRECIST, PCWG3 bone) judge all of a patient's lesions
together at each assessment. A :class:`PatientRecord` is what they read: the treatment start,
each :class:`TrackedLesion` with its role (target, non-target or new), organ and whether it is a
lymph node, the :class:`Observation` of each lesion per date (a size, or a status for
non-target and new lesions), and the patient's events.

Examples
--------
>>> from datetime import date
>>> record = PatientRecord(
...     patient_id="P1",
...     treatment_start=date(2021, 1, 10),
...     lesions=(TrackedLesion("P1", "L1", role=LesionRole.TARGET, organ="liver"),),
...     observations={"L1": (Observation(date(2021, 1, 5), size_mm=30.0),
...                          Observation(date(2021, 3, 1), size_mm=20.0))},
... )
>>> record.baseline("L1")
Observation(date=datetime.date(2021, 1, 5), size_mm=30.0, status=None, perpendicular_mm=None, \
attenuation_hu=None, viable_mm=None, intratumoral_nodule=None)
>>> normalize_organ("Lymph node"), LesionStatus.parse("unequivocal progression").value
('lymph_node', 'unequivocal_progression')
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

from pseudoprog.domain import CodedEnum, Event
from pseudoprog.errors import ParameterError

__all__ = [
    "LesionRole",
    "LesionStatus",
    "NoduleFinding",
    "Observation",
    "PatientRecord",
    "TrackedLesion",
    "TreatmentKind",
    "normalize_organ",
]


class LesionRole(CodedEnum):
    """Role of a lesion in a patient-level assessment (RECIST 1.1, section 3.3)."""

    TARGET = "target"
    NON_TARGET = "non_target"
    NEW = "new"

    @classmethod
    def _aliases(cls) -> Mapping[str, str]:
        return {"T": "target", "NT": "non_target", "nontarget": "non_target", "N": "new"}


class LesionStatus(CodedEnum):
    """Status of a non-target or new lesion at one assessment (RECIST 1.1, section 4.3.2)."""

    PRESENT = "present"
    ABSENT = "absent"
    UNEQUIVOCAL_PROGRESSION = "unequivocal_progression"
    EQUIVOCAL = "equivocal"
    NOT_EVALUATED = "not_evaluated"

    @classmethod
    def _aliases(cls) -> Mapping[str, str]:
        return {
            "seen": "present",
            "persistent": "present",
            "yes": "present",
            "gone": "absent",
            "disappeared": "absent",
            "resolved": "absent",
            "no": "absent",
            "progression": "unequivocal_progression",
            "unequivocal": "unequivocal_progression",
            "PD": "unequivocal_progression",
            "NE": "not_evaluated",
            "not evaluable": "not_evaluated",
            "not done": "not_evaluated",
        }


class NoduleFinding(CodedEnum):
    """An enhancing nodule inside a lesion, as the radiologist reads it at one scan.

    Choi et al. (J Clin Oncol 2007;25:1753-1759) count "new intratumoral nodules or increase in
    the size of the existing intratumoral nodules" as progression, whatever the lesion's size:
    ``new`` and ``growing`` are progression, ``present`` (a nodule seen before, not larger) and
    ``absent`` are not.
    """

    ABSENT = "absent"
    PRESENT = "present"
    NEW = "new"
    GROWING = "growing"

    @property
    def progression(self) -> bool:
        """Whether this finding is progression by Choi (a new or a growing nodule)."""
        return self in (NoduleFinding.NEW, NoduleFinding.GROWING)

    @classmethod
    def _aliases(cls) -> Mapping[str, str]:
        return {
            "none": "absent",
            "no": "absent",
            "stable": "present",
            "unchanged": "present",
            "known": "present",
            "enlarging": "growing",
            "enlarged": "growing",
            "increased": "growing",
            "larger": "growing",
        }


class TreatmentKind(CodedEnum):
    """Kind of the treatment whose effect is assessed."""

    SSRS = "ssrs"
    SRS = "srs"
    WBRT = "wbrt"
    CHEMOTHERAPY = "chemotherapy"
    IMMUNOTHERAPY = "immunotherapy"
    TARGETED = "targeted"
    OTHER = "other"

    @classmethod
    def _aliases(cls) -> Mapping[str, str]:
        return {
            "SBRT": "ssrs",
            "spine SBRT": "ssrs",
            "radiosurgery": "srs",
            "whole brain radiotherapy": "wbrt",
            "chemo": "chemotherapy",
            "checkpoint inhibitor": "immunotherapy",
            "ICI": "immunotherapy",
            "io": "immunotherapy",
        }


_ORGAN_ALIASES = {
    "LYMPHNODE": "lymph_node",
    "LN": "lymph_node",
    "NODE": "lymph_node",
    "NODAL": "lymph_node",
    "HEPATIC": "liver",
    "PULMONARY": "lung",
    "OSSEOUS": "bone",
    "SKELETAL": "bone",
    "SPINE": "bone",
    "VERTEBRA": "bone",
    "CEREBRAL": "brain",
    "CNS": "brain",
    "ADRENALGLAND": "adrenal",
    "PERITONEAL": "peritoneum",
}


def normalize_organ(text: str) -> str:
    """Normalise an organ name: lower case, words joined by ``_``, common synonyms merged.

    >>> normalize_organ(" Hepatic "), normalize_organ("LN"), normalize_organ("left lung")
    ('liver', 'lymph_node', 'left_lung')
    """
    words = "_".join(text.strip().lower().replace("-", " ").split())
    key = words.replace("_", "").upper()
    return _ORGAN_ALIASES.get(key, words)


@dataclass(frozen=True, slots=True)
class TrackedLesion:
    """A lesion followed in a patient-level assessment.

    Parameters
    ----------
    patient_id, lesion_id
        Identifiers; ``lesion_id`` is unique across the input.
    role
        Target, non-target, or a lesion new since baseline.
    organ
        Organ, normalised by :func:`normalize_organ`; RECIST counts targets per organ, with all
        lymph nodes as one organ.
    lymph_node
        Whether the lesion is a lymph node, measured by its short axis.
    """

    patient_id: str
    lesion_id: str
    role: LesionRole = LesionRole.TARGET
    organ: str | None = None
    lymph_node: bool = False

    @property
    def organ_group(self) -> str:
        """The organ for per-organ limits: every lymph node counts as one organ."""
        if self.lymph_node:
            return "lymph_node"
        return self.organ or "unspecified"


@dataclass(frozen=True, slots=True)
class Observation:
    """What was seen of one lesion at one date.

    A target gives ``size_mm`` (longest diameter; short axis for a lymph node; 0 when it has
    disappeared); a non-target or new lesion gives a ``status`` (a new lesion may give a size
    too, for iRECIST's new-lesion sums). ``perpendicular_mm`` (RANO-BM), ``attenuation_hu``
    (mean attenuation in HU, portal venous phase; Choi), ``viable_mm`` (longest diameter of the
    arterially enhancing part; mRECIST) and ``intratumoral_nodule`` (Choi) serve the criteria
    that read them.
    """

    date: date
    size_mm: float | None = None
    status: LesionStatus | None = None
    perpendicular_mm: float | None = None
    attenuation_hu: float | None = None
    viable_mm: float | None = None
    intratumoral_nodule: NoduleFinding | None = None

    @property
    def evaluated(self) -> bool:
        """Whether the lesion was assessed (a size, or a status other than not evaluated)."""
        if self.size_mm is not None:
            return True
        return self.status is not None and self.status is not LesionStatus.NOT_EVALUATED

    @property
    def present(self) -> bool:
        """Whether the lesion is there (a positive size, or present/progressing/equivocal)."""
        if self.size_mm is not None:
            return self.size_mm > 0
        return self.status in (
            LesionStatus.PRESENT,
            LesionStatus.UNEQUIVOCAL_PROGRESSION,
            LesionStatus.EQUIVOCAL,
        )


_NO_OBSERVATIONS: Mapping[str, tuple[Observation, ...]] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class PatientRecord:
    """Everything a patient-level criteria engine reads about one patient.

    Parameters
    ----------
    patient_id
        The patient.
    treatment_start
        Start of the treatment assessed. A lesion's baseline is its latest observation on or
        before this date; assessments are the dates after it.
    lesions
        The patient's lesions, in input order.
    observations
        Observations per lesion id, in date order (dates unique per lesion).
    events
        The patient's events, in date order.
    events_recorded
        Whether an events table was given, so that "no event" means none happened.
    """

    patient_id: str
    treatment_start: date
    lesions: tuple[TrackedLesion, ...]
    observations: Mapping[str, tuple[Observation, ...]] = field(
        default_factory=lambda: _NO_OBSERVATIONS
    )
    events: tuple[Event, ...] = ()
    events_recorded: bool = False

    def __post_init__(self) -> None:
        ids = [lesion.lesion_id for lesion in self.lesions]
        if len(set(ids)) != len(ids):
            raise ParameterError(
                f"patient {self.patient_id!r} lists a lesion twice; give each lesion one row"
            )
        for lesion in self.lesions:
            if lesion.patient_id != self.patient_id:
                raise ParameterError(
                    f"lesion {lesion.lesion_id!r} belongs to patient {lesion.patient_id!r}, "
                    f"not {self.patient_id!r}; group lesions by patient"
                )
        for lesion_id, series in self.observations.items():
            if lesion_id not in ids:
                raise ParameterError(
                    f"observations of lesion {lesion_id!r}, which patient "
                    f"{self.patient_id!r} does not list; add it to the lesions"
                )
            days = [o.date for o in series]
            if any(a >= b for a, b in itertools.pairwise(days)):
                raise ParameterError(
                    f"observations of lesion {lesion_id!r} must have increasing, unique dates; "
                    "sort them and merge repeated dates"
                )

    def lesions_by_role(self, role: LesionRole) -> tuple[TrackedLesion, ...]:
        """The lesions of one role, in input order."""
        return tuple(lesion for lesion in self.lesions if lesion.role is role)

    def series(self, lesion_id: str) -> tuple[Observation, ...]:
        """The observations of one lesion (empty when it has none)."""
        return self.observations.get(lesion_id, ())

    def baseline(self, lesion_id: str) -> Observation | None:
        """The latest observation on or before the treatment start, or ``None``."""
        before = [o for o in self.series(lesion_id) if o.date <= self.treatment_start]
        return before[-1] if before else None

    def assessment_dates(self, *, as_of: date | None = None) -> tuple[date, ...]:
        """Dates after the treatment start with any observation, up to ``as_of``."""
        days = {
            o.date
            for series in self.observations.values()
            for o in series
            if o.date > self.treatment_start and (as_of is None or o.date <= as_of)
        }
        return tuple(sorted(days))
