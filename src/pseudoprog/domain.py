"""Domain values of pseudoprog: lesions, treatments, measurements, events and categories.

Everything here is immutable. Enumerations carry their codes (the text used in tables and
JSON) and parse the aliases people write in spreadsheets. A :class:`LesionHistory` is what the
response criteria read: one treated lesion, its size series per MR sequence and the events of
its patient.

Examples
--------
>>> from datetime import date
>>> lesion = Lesion(patient_id="1", lesion_id="1-L1",
...                 treatment=Treatment(date=date(2010, 3, 1), dose_gy=24, fractions=1))
>>> history = LesionHistory.from_measurements(lesion, [
...     Measurement("1-L1", date(2010, 2, 20), Sequence.T1, 20.0),
...     Measurement("1-L1", date(2010, 6, 1), Sequence.T1, 25.0),
... ])
>>> history.series[Sequence.T1].sizes_mm
(20.0, 25.0)
>>> Sequence.parse("T2 FS"), ResponseCategory.parse("opp")
(<Sequence.T2FS: 'T2FS'>, <ResponseCategory.OPP: 'OPP'>)
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Self

from pseudoprog.errors import ParameterError

__all__ = [
    "ClinicalStatus",
    "CodedEnum",
    "Event",
    "EventKind",
    "Evidence",
    "Lesion",
    "LesionHistory",
    "Measurement",
    "PathologyResult",
    "ResponseCategory",
    "Sequence",
    "Sex",
    "Site",
    "SizeSeries",
    "SpinalRegion",
    "Treatment",
    "normalize_token",
    "pathology_evidence",
]

_STRIP = re.compile(r"[\s_\-./]+")


def normalize_token(text: str) -> str:
    """Upper-case ``text`` and drop spaces, dashes, underscores, dots and slashes.

    >>> normalize_token(" t2-fs ")
    'T2FS'
    """
    return _STRIP.sub("", text).upper()


class CodedEnum(StrEnum):
    """A string enum whose members are found by code or by alias, ignoring case and punctuation.

    Subclasses list their aliases in ``_aliases()``; :meth:`parse` accepts the code, the member
    name or an alias, and :meth:`accepted` lists the codes for error messages.

    Members are their codes (``Sequence.T1 == "T1"``), so they serialise as text directly.
    """

    @classmethod
    def _aliases(cls) -> Mapping[str, str]:
        return {}

    @classmethod
    def lookup(cls) -> dict[str, Self]:
        """Every accepted spelling (normalized) mapped to its member."""
        table: dict[str, Self] = {}
        for member in cls:
            table[normalize_token(str(member.value))] = member
            table[normalize_token(member.name)] = member
        for alias, code in cls._aliases().items():
            table[normalize_token(alias)] = cls(code)
        return table

    @classmethod
    def accepted(cls) -> str:
        """The codes, as a user-facing list."""
        return ", ".join(str(m.value) for m in cls)

    @classmethod
    def _described_as(cls) -> tuple[str | None, str]:
        """The argument name (or ``None``) and the noun used in :meth:`parse` errors."""
        return None, cls.__name__

    @classmethod
    def parse(cls, text: Self | str) -> Self:
        """Find the member spelled ``text`` (a member, its code, its name or an alias).

        Raises
        ------
        ParameterError
            If ``text`` names no member; the message lists the accepted codes.
        """
        if isinstance(text, cls):
            return text
        try:
            return cls.lookup()[normalize_token(str(text))]
        except KeyError:
            argument, noun = cls._described_as()
            given = repr(text) if argument is None else f"{argument}={text!r}"
            raise ParameterError(
                f"{given} is not a known {noun}; expected one of {cls.accepted()}"
            ) from None


class Sequence(CodedEnum):
    """MR sequence on which a lesion is measured (Amini et al. 2016, Image Review)."""

    T1 = "T1"
    T2FS = "T2FS"
    T1C = "T1C"

    @property
    def description(self) -> str:
        return _SEQUENCE_DESCRIPTIONS[self]

    @classmethod
    def _aliases(cls) -> Mapping[str, str]:
        return _SEQUENCE_ALIASES


_SEQUENCE_DESCRIPTIONS = {
    Sequence.T1: "sagittal T1-weighted",
    Sequence.T2FS: "T2-weighted fat suppressed",
    Sequence.T1C: "T1-weighted post-contrast",
}

_SEQUENCE_ALIASES = {
    "T1W": "T1",
    "T1WI": "T1",
    "SAG T1": "T1",
    "T1 SAG": "T1",
    "T1 pre": "T1",
    "T1 precontrast": "T1",
    "pre": "T1",
    "precontrast": "T1",
    "T2 FS": "T2FS",
    "T2W FS": "T2FS",
    "T2WI FS": "T2FS",
    "T2 fatsat": "T2FS",
    "T2 fat sat": "T2FS",
    "T2 fat suppressed": "T2FS",
    "T2WI fat suppressed": "T2FS",
    "T2 SPAIR": "T2FS",
    "T1+C": "T1C",
    "T1 C": "T1C",
    "T1CE": "T1C",
    "T1 Gd": "T1C",
    "T1+Gd": "T1C",
    "T1 post": "T1C",
    "T1 postcontrast": "T1C",
    "T1WI+C": "T1C",
    "post": "T1C",
    "postcontrast": "T1C",
    "post Gd": "T1C",
    "Gd": "T1C",
}


class ResponseCategory(CodedEnum):
    """Response of a treated lesion (Amini et al. 2016, Image Review and Analysis).

    ``SUSPECTED_PD`` and ``TREATMENT_EFFECT`` belong to the lesion-level view of a brain
    metastasis treated with stereotactic radiosurgery (``srs-brain``): growth by the RANO-BM
    lesion rule while treatment effect is still possible, and its resolution as treatment
    effect (radiation necrosis or pseudoprogression) rather than progression.
    """

    PR = "PR"
    SD = "SD"
    PD = "PD"
    OPP = "OPP"
    INDETERMINATE = "INDETERMINATE"
    SUSPECTED_PROGRESSION = "SUSPECTED_PD"
    TREATMENT_EFFECT = "TREATMENT_EFFECT"

    @property
    def meaning(self) -> str:
        return _CATEGORY_MEANINGS[self]

    @property
    def is_enlarging(self) -> bool:
        """Whether the category belongs to a lesion that grew by at least the error (Amini
        2016) or by the lesion rule (``srs-brain``)."""
        return self in _ENLARGING

    @classmethod
    def _aliases(cls) -> Mapping[str, str]:
        return _CATEGORY_ALIASES


_CATEGORY_MEANINGS = {
    ResponseCategory.PR: "partial response",
    ResponseCategory.SD: "stable disease",
    ResponseCategory.PD: "progressive disease",
    ResponseCategory.OPP: "osseous pseudoprogression",
    ResponseCategory.INDETERMINATE: "indeterminate, awaiting follow-up",
    ResponseCategory.SUSPECTED_PROGRESSION: (
        "suspected progression, treatment effect still possible: awaiting the next MRI, "
        "advanced imaging or pathology"
    ),
    ResponseCategory.TREATMENT_EFFECT: (
        "treatment effect (radiation necrosis or pseudoprogression), not progression"
    ),
}

_ENLARGING = frozenset(
    {
        ResponseCategory.PD,
        ResponseCategory.OPP,
        ResponseCategory.INDETERMINATE,
        ResponseCategory.SUSPECTED_PROGRESSION,
        ResponseCategory.TREATMENT_EFFECT,
    }
)

_CATEGORY_ALIASES = {
    "partial response": "PR",
    "stable disease": "SD",
    "stable": "SD",
    "progressive disease": "PD",
    "progression": "PD",
    "pseudoprogression": "OPP",
    "osseous pseudoprogression": "OPP",
    "PsP": "OPP",
    "indeterminate": "INDETERMINATE",
    "suspected progressive disease": "SUSPECTED_PD",
    "radiation necrosis": "TREATMENT_EFFECT",
    "radionecrosis": "TREATMENT_EFFECT",
    "radiation effect": "TREATMENT_EFFECT",
    "treatment related changes": "TREATMENT_EFFECT",
}


class EventKind(CodedEnum):
    """Clinical events that the criteria or the inclusion checks read."""

    SYSTEMIC_THERAPY_CHANGE = "systemic_therapy_change"
    OTHER_BONE_LESIONS_ENLARGED = "other_bone_lesions_enlarged"
    OTHER_BONE_LESIONS_DECREASED = "other_bone_lesions_decreased"
    HARDWARE = "hardware"
    FRACTURE = "fracture"
    NEW_BONE_LESIONS = "new_bone_lesions"
    """A bone scan; the event's ``value`` counts the new lesions compared with baseline."""
    SURGERY = "surgery"
    """Resection of the lesion (tie it to the lesion with ``lesion_id``)."""
    REIRRADIATION = "reirradiation"
    """Radiation again to the lesion: repeat SRS, or whole-brain radiotherapy."""
    CORTICOSTEROIDS = "corticosteroids"
    """The corticosteroid dose from this date on; ``value``: dexamethasone mg/day (0: none)."""
    CLINICAL_STATUS = "clinical_status"
    """The patient's clinical status from this date on; ``detail``: a :class:`ClinicalStatus`."""

    @classmethod
    def _aliases(cls) -> Mapping[str, str]:
        return {
            "steroids": "corticosteroids",
            "corticosteroid": "corticosteroids",
            "dexamethasone": "corticosteroids",
            "systemic therapy change": "systemic_therapy_change",
            "chemotherapy change": "systemic_therapy_change",
            "cement": "hardware",
            "cement augmentation": "hardware",
            "surgical hardware": "hardware",
            "vertebroplasty": "hardware",
            "kyphoplasty": "hardware",
            "new bone lesions": "new_bone_lesions",
            "bone scan new lesions": "new_bone_lesions",
            "resection": "surgery",
            "craniotomy": "surgery",
            "repeat srs": "reirradiation",
            "salvage srs": "reirradiation",
            "wbrt": "reirradiation",
            "whole brain radiotherapy": "reirradiation",
        }


class ClinicalStatus(CodedEnum):
    """Clinical status of a patient (``detail`` of a ``clinical_status`` event; RANO-BM).

    ``worse`` means a clinical deterioration not attributable to causes other than the tumour
    (comorbid events, treatment side effects, a steroid taper).
    """

    IMPROVED = "improved"
    STABLE = "stable"
    WORSE = "worse"

    @classmethod
    def _aliases(cls) -> Mapping[str, str]:
        return {
            "better": "improved",
            "unchanged": "stable",
            "worsened": "worse",
            "worsening": "worse",
            "deteriorated": "worse",
            "deterioration": "worse",
        }

    @classmethod
    def _described_as(cls) -> tuple[str | None, str]:
        return None, "clinical status"


class Site(CodedEnum):
    """Anatomical context of a treated lesion."""

    SPINE = "spine"
    BRAIN = "brain"
    LIVER = "liver"


class Sex(CodedEnum):
    """Sex as recorded in the cohort table."""

    FEMALE = "F"
    MALE = "M"

    @classmethod
    def _aliases(cls) -> Mapping[str, str]:
        return {"female": "F", "woman": "F", "male": "M", "man": "M"}


_LEVEL = re.compile(r"^(C|T|TH|D|L|S)(\d{1,2})$")
_LEVEL_LIMITS = {"C": 7, "T": 12, "L": 6, "S": 5}


class SpinalRegion(StrEnum):
    """Region of the spine a vertebral level belongs to."""

    CERVICAL = "cervical"
    THORACIC = "thoracic"
    LUMBAR = "lumbar"
    SACRAL = "sacral"

    @staticmethod
    def normalize_level(level: str) -> str:
        """Return the canonical spelling of a vertebral level (``th12`` -> ``T12``).

        Lumbar levels go up to L6, a transitional vertebra that occurs in Table 1 of Amini et
        al. 2016 (patient 36).

        Raises
        ------
        ParameterError
            If ``level`` is not a vertebral level.
        """
        match = _LEVEL.match(normalize_token(level))
        if match is None:
            raise ParameterError(
                f"unknown vertebral level {level!r}; expected C1-C7, T1-T12, L1-L6 or S1-S5"
            )
        letter = {"TH": "T", "D": "T"}.get(match.group(1), match.group(1))
        number = int(match.group(2))
        if not 1 <= number <= _LEVEL_LIMITS[letter]:
            raise ParameterError(
                f"unknown vertebral level {level!r}; expected C1-C7, T1-T12, L1-L6 or S1-S5"
            )
        return f"{letter}{number}"

    @classmethod
    def from_level(cls, level: str) -> SpinalRegion:
        """Region of a vertebral level.

        >>> SpinalRegion.from_level("T12")
        <SpinalRegion.THORACIC: 'thoracic'>
        """
        letter = cls.normalize_level(level)[0]
        return {"C": cls.CERVICAL, "T": cls.THORACIC, "L": cls.LUMBAR, "S": cls.SACRAL}[letter]


@dataclass(frozen=True, slots=True)
class Treatment:
    """A course of radiosurgery.

    Parameters
    ----------
    date
        Date of the (first) fraction.
    dose_gy
        Prescribed dose to the gross tumour volume, in Gy.
    fractions
        Number of fractions.
    """

    date: date
    dose_gy: float
    fractions: int

    def __post_init__(self) -> None:
        if self.fractions < 1:
            raise ParameterError(f"fractions must be at least 1, got {self.fractions}")
        if self.dose_gy < 0:
            raise ParameterError(f"dose_gy must not be negative, got {self.dose_gy}")

    @property
    def single_fraction(self) -> bool:
        """Whether the course was given in one fraction."""
        return self.fractions == 1

    @property
    def regimen(self) -> str:
        """The dose/fraction regimen as written in the paper, e.g. ``24 Gy/1 fx``."""
        return f"{self.dose_gy:g} Gy/{self.fractions} fx"


@dataclass(frozen=True, slots=True)
class Lesion:
    """A treated lesion and what is known about its patient."""

    patient_id: str
    lesion_id: str
    treatment: Treatment
    site: Site = Site.SPINE
    level: str | None = None
    histology: str | None = None
    age: float | None = None
    sex: Sex | None = None
    response: ResponseCategory | None = None
    """A response already assigned elsewhere (e.g. a cohort copied from a paper)."""
    in_vertebral_body: bool | None = None
    """Whether the lesion lies in the vertebral body (Amini 2016 exclusion criterion 4)."""
    body_involvement_pct: float | None = None
    """Share of the vertebral body cross-section the lesion occupies, in percent."""

    @property
    def region(self) -> SpinalRegion | None:
        """Spinal region of :attr:`level`; ``None`` when unknown or not a spinal lesion."""
        if self.level is None or self.site is not Site.SPINE:
            return None
        try:
            return SpinalRegion.from_level(self.level)
        except ParameterError:
            return None


@dataclass(frozen=True, slots=True)
class Measurement:
    """One size measurement of a lesion on one sequence and date.

    ``size_mm`` is the greatest anteroposterior extent of signal abnormality, in mm
    (Amini et al. 2016, Image Review and Analysis).
    """

    lesion_id: str
    date: date
    sequence: Sequence
    size_mm: float


@dataclass(frozen=True, slots=True)
class SizeSeries:
    """Sizes of one lesion on one sequence, in date order (dates are unique)."""

    sequence: Sequence
    dates: tuple[date, ...]
    sizes_mm: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.dates) != len(self.sizes_mm):
            raise ParameterError(
                f"{self.sequence.value} series has {len(self.dates)} dates but "
                f"{len(self.sizes_mm)} sizes; give one size per date"
            )
        if not all(map(operator.lt, self.dates, self.dates[1:])):
            raise ParameterError(
                f"{self.sequence.value} series dates must be strictly increasing; "
                "sort them and merge repeated dates"
            )

    def __len__(self) -> int:
        return len(self.dates)

    @classmethod
    def from_sorted(
        cls, sequence: Sequence, dates: tuple[date, ...], sizes_mm: tuple[float, ...]
    ) -> SizeSeries:
        """Build a series from dates already known to be strictly increasing.

        Readers that sort and de-duplicate whole tables use this to skip the per-series
        check; everyone else uses the constructor.
        """
        series = object.__new__(cls)
        object.__setattr__(series, "sequence", sequence)
        object.__setattr__(series, "dates", dates)
        object.__setattr__(series, "sizes_mm", sizes_mm)
        return series


@dataclass(frozen=True, slots=True)
class Event:
    """A clinical event of a patient, optionally tied to one of its lesions.

    ``value`` is a number the event carries, e.g. the count of new lesions on a bone scan
    (kind ``new_bone_lesions``).
    """

    patient_id: str
    date: date
    kind: EventKind
    lesion_id: str | None = None
    detail: str | None = None
    value: float | None = None


class PathologyResult(CodedEnum):
    """Histopathology of a resected or biopsied lesion (``pathology`` evidence).

    ``mixed`` (viable tumour beside necrosis) counts as viable tumour: the seed case of
    Ruzevick et al. (Neurosurg Rev 2014;37:193-201, Fig. 1) is radiation necrosis "without
    evidence of any viable tumor".
    """

    NECROSIS = "necrosis"
    TUMOUR = "tumour"
    MIXED = "mixed"

    @property
    def viable_tumour(self) -> bool:
        """Whether viable tumour was seen (``tumour`` or ``mixed``)."""
        return self is not PathologyResult.NECROSIS

    @classmethod
    def _aliases(cls) -> Mapping[str, str]:
        return {
            "radiation necrosis": "necrosis",
            "necrosis only": "necrosis",
            "treatment effect": "necrosis",
            "tumor": "tumour",
            "viable tumour": "tumour",
            "viable tumor": "tumour",
            "recurrence": "tumour",
            "tumour recurrence": "tumour",
            "tumor recurrence": "tumour",
            "mixed tumour and necrosis": "mixed",
            "mixed tumor and necrosis": "mixed",
            "tumour and necrosis": "mixed",
            "tumor and necrosis": "mixed",
        }

    @classmethod
    def _described_as(cls) -> tuple[str | None, str]:
        return None, "pathology result"


@dataclass(frozen=True, slots=True)
class Evidence:
    """A finding that bears on pseudoprogression versus progression (``evidence`` table).

    ``value`` is a number or yes/no. For ``pathology`` it is whether viable tumour was seen,
    and ``detail`` is the result as reported, a :class:`PathologyResult` code (build it with
    :func:`pathology_evidence`).
    """

    lesion_id: str
    date: date
    kind: str
    value: float | bool
    detail: str | None = None


def pathology_evidence(lesion_id: str, day: date, result: PathologyResult | str) -> Evidence:
    """The ``pathology`` evidence of a lesion: ``necrosis``, ``tumour`` or ``mixed``.

    >>> found = pathology_evidence("1-L1", date(2011, 10, 20), "radiation necrosis")
    >>> found.kind, found.value, found.detail
    ('pathology', False, 'necrosis')

    Raises
    ------
    ParameterError
        If ``result`` is not a pathology result.
    """
    found = PathologyResult.parse(result)
    return Evidence(lesion_id, day, "pathology", found.viable_tumour, found.value)


_EMPTY: Mapping[Sequence, SizeSeries] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class LesionHistory:
    """Everything the response criteria read about one lesion.

    Parameters
    ----------
    lesion
        The lesion and its treatment.
    series
        Size series per sequence.
    events
        Events of the lesion's patient that are not tied to another lesion.
    events_recorded
        Whether the patient's events were recorded at all (an events table was given), so
        that "no event" means none happened. ``None`` infers it: recorded when ``events`` is
        not empty. Without a record, the systemic-therapy rule and the hardware and fracture
        checks cannot be judged, and results say so.
    """

    lesion: Lesion
    series: Mapping[Sequence, SizeSeries] = field(default_factory=lambda: _EMPTY)
    events: tuple[Event, ...] = ()
    events_recorded: bool | None = None

    @property
    def events_known(self) -> bool:
        """Whether the absence of an event can be read as "it did not happen"."""
        return bool(self.events) if self.events_recorded is None else self.events_recorded

    @classmethod
    def from_measurements(
        cls,
        lesion: Lesion,
        measurements: Iterable[Measurement],
        events: Iterable[Event] | None = None,
    ) -> LesionHistory:
        """Build a history from loose measurements and events.

        Measurements of other lesions and events of other patients or lesions are ignored.
        ``events=None`` means no events were recorded; an empty list means none happened.

        Raises
        ------
        ParameterError
            If one sequence has two different sizes on the same date.
        """
        by_sequence: dict[Sequence, dict[date, float]] = {}
        for m in measurements:
            if m.lesion_id != lesion.lesion_id:
                continue
            sizes = by_sequence.setdefault(m.sequence, {})
            if m.date in sizes and sizes[m.date] != m.size_mm:
                raise ParameterError(
                    f"lesion {lesion.lesion_id!r} has two {m.sequence.value} sizes on "
                    f"{m.date}: {sizes[m.date]} and {m.size_mm}; keep one"
                )
            sizes[m.date] = m.size_mm
        series = {
            seq: SizeSeries(seq, tuple(sorted(sizes)), tuple(sizes[d] for d in sorted(sizes)))
            for seq, sizes in by_sequence.items()
        }
        relevant = tuple(
            sorted(
                (
                    e
                    for e in events or ()
                    if e.patient_id == lesion.patient_id
                    and (e.lesion_id is None or e.lesion_id == lesion.lesion_id)
                ),
                key=lambda e: e.date,
            )
        )
        return cls(lesion, MappingProxyType(series), relevant, events is not None)
