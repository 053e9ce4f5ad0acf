"""RANO-BM: response of brain metastases, with corticosteroids and clinical status.

Source: Lin NU, Lee EQ, Aoyama H, et al. *Response assessment criteria for brain metastases:
proposal from the RANO group.* Lancet Oncol 2015;16:e270-e278. The rules are quoted from the
reprints of its tables (Rep Pract Oncol Radiother 2020;25:500-506, Table 2; PMC6499019, Table
4) and the 2014 RANO-BM abstract (Wen PY et al., Neuro-Oncology 2014;16(Suppl 2):ii15). RANO-BM
is "a modification of RECIST 1.1": the target, non-target and new-lesion responses come from
:mod:`pseudoprog.criteria.recist`, with RANO-BM's own progression rule. The CNS is scored as a
compartment of its own: give only the intracranial lesions.

The rules, with their parameters (every result records them):

- **Measurable** at baseline: longest diameter ≥ ``measurable_min_mm`` (10 mm) and the diameter
  perpendicular to it ≥ ``perpendicular_min_mm`` (5 mm); at most ``max_targets`` (5) targets,
  with no limit per organ (:func:`baseline_problems`).
- **Target response** on the sum of the targets' longest diameters. *PD*: the sum at least
  ``pd_increase_pct`` (20%) above the nadir (the smallest sum on study, baseline included)
  **and** at least one target lesion at least ``pd_lesion_increase_mm`` (5 mm) larger — the
  absolute rule is per lesion, not of the sum ("in addition to the relative increase of 20%,
  at least one lesion must increase by an absolute value of 5 mm or more"). Each lesion's
  increase is measured from its size at the nadir (``lesion_increase_from``). *CR*: every
  target gone. *PR*: the sum at least ``pr_decrease_pct`` (30%) below the baseline sum. *SD*
  otherwise.
- **Non-target response** and **new lesions** as RECIST 1.1: unequivocal progression of a
  non-target, or an unequivocal new lesion, is PD; an equivocal new lesion confirmed later
  dates the progression back to the scan that first showed it (as RANO-BM says).
- **Corticosteroids and clinical status** (events ``corticosteroids``, value dexamethasone
  mg/day, and ``clinical_status``, detail ``improved``/``stable``/``worse``). *CR* needs no
  corticosteroids (at most ``cr_max_steroid_mg``, 0) and clinical status stable or improved;
  *PR* needs a dose stable or decreased (compared with ``steroid_reference``: the dose at the
  treatment start) and clinical status stable or improved. Clinical status *worse* is PD. An
  increase of corticosteroids alone is not PD. Without an events table neither is known: CR and
  PR are then by imaging alone, with an ``events_not_recorded`` warning.
- **Sustained response.** CR and PR must be "sustained for at least 4 weeks": a timepoint is
  CR (PR) only when the CR (CR or PR) criteria hold from a first scan to a scan at least
  ``sustain_days`` (28) later, with no other response between (NE scans are skipped). Until
  then the timepoint is reported as SD (NON_CR_NON_PD without targets) and ``pending`` says
  from which date a scan can confirm it; a response not sustained stays SD.
- **Best overall response** by :func:`pseudoprog.criteria.best_response.best_overall_response`
  on these timepoints.

Examples
--------
>>> from datetime import date
>>> from pseudoprog.patient import Observation, PatientRecord, TrackedLesion
>>> def seen(day, size):
...     return Observation(date.fromisoformat(day), size, perpendicular_mm=size * 0.8)
>>> record = PatientRecord(
...     "P1", date(2021, 1, 10), (TrackedLesion("P1", "L1", organ="brain"),),
...     {"L1": (seen("2021-01-05", 20.0), seen("2021-03-01", 12.0), seen("2021-04-05", 11.0))},
...     events_recorded=True)
>>> result = assess(record)
>>> [(t.date.isoformat(), t.response.value) for t in result.timepoints]
[('2021-03-01', 'PR'), ('2021-04-05', 'PR')]
>>> early = assess(record, as_of=date(2021, 3, 20))
>>> early.timepoints[0].response.value, early.timepoints[0].target_response.value
('SD', 'PR')
>>> print(early.pending[0].message)
PR since 2021-03-01 is reported once a scan from 2021-03-29 (≥ 28 days later) still meets it
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import ClassVar

from pseudoprog.criteria.assembly import patient_assessment, timepoint_result
from pseudoprog.criteria.best_response import (
    BestResponseParameters,
)
from pseudoprog.criteria.codes import OverallResponse
from pseudoprog.criteria.flat_parameters import FlatParameters
from pseudoprog.criteria.patient_result import (
    PatientAssessment,
    PatientWarning,
    PatientWarningKind,
    Pending,
    TimepointResult,
)
from pseudoprog.criteria.recist import (
    TOLERANCE,
    NonTargetState,
    ProgressionRule,
    RecistParameters,
    TargetState,
    _baseline_warnings,
    counted_size,
    new_lesion_finding,
    non_target_state,
    overall_response,
    target_state,
)
from pseudoprog.criteria.recist import baseline_problems as recist_baseline_problems
from pseudoprog.criteria.result import Reason
from pseudoprog.criteria.timepoints import Timepoint, build_timepoints
from pseudoprog.domain import ClinicalStatus, CodedEnum, EventKind
from pseudoprog.errors import ParameterError
from pseudoprog.patient import LesionRole, PatientRecord, TrackedLesion

__all__ = [
    "Conditions",
    "LesionIncreaseReference",
    "RanoBmParameters",
    "RanoBmRule",
    "SteroidReference",
    "assess",
    "baseline_problems",
    "conditions_at",
]

R = OverallResponse
CITATION = "Lin NU, Lee EQ, Aoyama H, et al. Lancet Oncol 2015;16:e270-e278"


class LesionIncreaseReference(CodedEnum):
    """What a target's 5 mm increase (RANO-BM progression) is measured from.

    RANO-BM does not say; ``nadir`` (the default) reads it like the sum, from the assessment
    with the smallest sum on study (baseline included); ``smallest`` from the lesion's own
    smallest size on study.
    """

    NADIR = "nadir"
    SMALLEST = "smallest"


class SteroidReference(CodedEnum):
    """The dose a "stable or decreased" corticosteroid dose is compared with.

    RANO-BM does not say; ``baseline`` (the default) is the dose at the treatment start,
    ``previous`` the dose at the previous assessment.
    """

    BASELINE = "baseline"
    PREVIOUS = "previous"


class RanoBmRule(StrEnum):
    """Rules of RANO-BM beyond RECIST 1.1's; the value is the code written in reasons."""

    CLINICAL_DETERIORATION = "clinical_deterioration"
    STEROIDS_BLOCK_CR = "steroids_block_cr"
    STEROIDS_BLOCK_PR = "steroids_block_pr"
    STEROID_INCREASE_NOT_PD = "steroid_increase_not_pd"
    CONDITIONS_MET = "conditions_met"
    CONDITIONS_NOT_RECORDED = "conditions_not_recorded"
    SUSTAINED = "sustained"
    NOT_YET_SUSTAINED = "not_yet_sustained"
    NOT_SUSTAINED = "not_sustained"
    NO_DISEASE = "no_disease"
    OVERALL = "overall"


@dataclass(frozen=True, kw_only=True)
class RanoBmParameters(FlatParameters):
    """Parameters of RANO-BM (Lin et al. 2015); every result records them.

    ``to_dict()`` is flat (these and the best-response rules), and :meth:`from_mapping` reads
    the same keys.

    Parameters
    ----------
    measurable_min_mm
        Smallest longest diameter of a measurable (target) lesion (RANO-BM: 10 mm).
    perpendicular_min_mm
        Smallest diameter perpendicular to the longest one of a measurable lesion (RANO-BM:
        5 mm).
    max_targets
        At most this many target lesions, with no limit per organ: the CNS is one compartment
        (RANO-BM: up to 5).
    pr_decrease_pct
        PR: the sum at least this far below the baseline sum (RANO-BM: 30%).
    pd_increase_pct
        PD: the sum at least this far above the nadir, the smallest sum on study (RANO-BM: 20%).
    pd_lesion_increase_mm
        PD also needs at least one target lesion this much larger (RANO-BM: 5 mm, per lesion,
        not of the sum).
    lesion_increase_from
        What the lesion's increase is measured from: nadir (its size at the assessment with
        the smallest sum) or smallest (its own smallest size on study). Not stated by RANO-BM.
    sustain_days
        CR and PR count only when sustained at least this many days (RANO-BM: 4 weeks).
    cr_max_steroid_mg
        CR needs a corticosteroid dose (dexamethasone mg/day) of at most this (RANO-BM: none,
        0; a protocol allowing a physiological replacement dose may raise it).
    steroid_reference
        The dose a stable or decreased dose (PR) is compared with: baseline (the dose at the
        treatment start) or previous (at the previous assessment). Not stated by RANO-BM.
    too_small_default_mm
        Size counted for a target recorded as present but too small to measure (RECIST 1.1's
        5 mm; RANO-BM does not say).
    timepoint_window_days
        Scans at most this many days after the first scan of an assessment belong to it (0:
        every scan date is its own assessment). Not a guideline value: a data convention.
    best_response
        Rules of the best overall response (RECIST 1.1 section 4.4); the sustained-response
        rule already applies to the timepoints.
    """

    NAME: ClassVar[str] = "rano-bm"

    measurable_min_mm: float = 10.0
    perpendicular_min_mm: float = 5.0
    max_targets: int = 5
    pr_decrease_pct: float = 30.0
    pd_increase_pct: float = 20.0
    pd_lesion_increase_mm: float = 5.0
    lesion_increase_from: LesionIncreaseReference = LesionIncreaseReference.NADIR
    sustain_days: int = 28
    cr_max_steroid_mg: float = 0.0
    steroid_reference: SteroidReference = SteroidReference.BASELINE
    too_small_default_mm: float = 5.0
    timepoint_window_days: int = 0
    best_response: BestResponseParameters = field(default_factory=BestResponseParameters)

    def __post_init__(self) -> None:
        for name in (
            "measurable_min_mm",
            "perpendicular_min_mm",
            "pr_decrease_pct",
            "pd_increase_pct",
            "pd_lesion_increase_mm",
            "cr_max_steroid_mg",
            "too_small_default_mm",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ParameterError(f"{name} must be a number, got {value!r}")
            if not (math.isfinite(value) and value >= 0):
                raise ParameterError(f"{name} must be a number of at least 0, got {value}")
            object.__setattr__(self, name, float(value))
        for name in ("measurable_min_mm", "pr_decrease_pct", "pd_increase_pct"):
            if not getattr(self, name) > 0:
                raise ParameterError(f"{name} must be positive, got {getattr(self, name)}")
        if self.pr_decrease_pct >= 100:
            raise ParameterError(
                f"pr_decrease_pct must be below 100, got {self.pr_decrease_pct}; RANO-BM uses 30"
            )
        for name, minimum in (
            ("max_targets", 1),
            ("sustain_days", 0),
            ("timepoint_window_days", 0),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ParameterError(f"{name} must be a whole number, got {value!r}")
            if value < minimum:
                raise ParameterError(f"{name} must be at least {minimum}, got {value}")
        object.__setattr__(
            self,
            "lesion_increase_from",
            LesionIncreaseReference.parse(self.lesion_increase_from),
        )
        object.__setattr__(
            self, "steroid_reference", SteroidReference.parse(self.steroid_reference)
        )
        if not isinstance(self.best_response, BestResponseParameters):
            raise ParameterError(
                f"best_response must be BestResponseParameters, got {self.best_response!r}"
            )

    @property
    def recist(self) -> RecistParameters:
        """The RECIST 1.1 parameters that the shared target and non-target rules read."""
        return RecistParameters(
            measurable_min_mm=self.measurable_min_mm,
            max_targets=self.max_targets,
            max_targets_per_organ=self.max_targets,
            pr_decrease_pct=self.pr_decrease_pct,
            pd_increase_pct=self.pd_increase_pct,
            too_small_default_mm=self.too_small_default_mm,
            timepoint_window_days=self.timepoint_window_days,
            best_response=self.best_response,
        )


# ---- baseline checks ------------------------------------------------------------------------


def baseline_problems(
    record: PatientRecord, params: RanoBmParameters
) -> list[tuple[TrackedLesion | None, str, str]]:
    """Problems of a patient's baseline: ``(lesion or None, what is wrong, the fix)``.

    More than ``max_targets`` targets; a target whose longest diameter is below
    ``measurable_min_mm``, or whose perpendicular diameter is missing or below
    ``perpendicular_min_mm``; a target marked as a lymph node (RANO-BM scores CNS lesions).
    """
    targets = record.lesions_by_role(LesionRole.TARGET)
    # the CNS is one compartment: no limit per organ beyond the limit of all targets
    rules = replace(params.recist, max_targets_per_organ=max(len(targets), 1))
    problems = recist_baseline_problems(record, rules, criteria="RANO-BM")
    for target in targets:
        if target.lymph_node:
            problems.append(
                (
                    target,
                    f"target {target.lesion_id} is marked as a lymph node; RANO-BM scores "
                    "intracranial (CNS) lesions only",
                    "lymph_node 'no' for a brain lesion, or leave extracranial lesions out",
                )
            )
            continue
        base = record.baseline(target.lesion_id)
        if (
            base is None
            or base.size_mm is None
            or base.size_mm < params.measurable_min_mm - TOLERANCE
        ):
            continue  # no baseline, or too small: reported above
        across = base.perpendicular_mm
        minimum = params.perpendicular_min_mm
        if across is None or across < minimum - TOLERANCE:
            got = "none given" if across is None else f"{across:g} mm"
            problems.append(
                (
                    target,
                    f"target {target.lesion_id} is not measurable at baseline "
                    f"({base.date.isoformat()}): perpendicular diameter {got}, RANO-BM needs "
                    f"at least {minimum:g} mm",
                    f"perpendicular_mm of at least {minimum:g} mm in the measurements, or "
                    "role 'non_target'",
                )
            )
    return problems


# ---- corticosteroids and clinical status -------------------------------------------------


@dataclass(frozen=True, slots=True)
class Conditions:
    """Corticosteroids and clinical status at one assessment, from the events table.

    ``dose_mg`` is the dexamethasone dose (mg/day) in effect (0 without a ``corticosteroids``
    event on or before the date), ``dose_since`` the date of the event that set it;
    ``reference_mg`` the dose it is compared with. ``clinical`` is the latest clinical status
    recorded after the treatment start (``None``: none recorded, read as stable).
    """

    dose_mg: float
    dose_since: date | None
    reference_mg: float
    reference_label: str
    clinical: ClinicalStatus | None
    clinical_since: date | None

    @property
    def steroids_increased(self) -> bool:
        return self.dose_mg > self.reference_mg + TOLERANCE

    @property
    def worse(self) -> bool:
        return self.clinical is ClinicalStatus.WORSE

    def dose_text(self) -> str:
        since = "" if self.dose_since is None else f" (since {self.dose_since.isoformat()})"
        return f"{self.dose_mg:g} mg/day{since}"

    def clinical_text(self) -> str:
        if self.clinical is None or self.clinical_since is None:
            return "clinical status stable (none recorded since the treatment start)"
        return f"clinical status {self.clinical.value} ({self.clinical_since.isoformat()})"


def _dose(record: PatientRecord, day: date) -> tuple[float, date | None]:
    """The corticosteroid dose in effect on ``day`` and the date of the event that set it."""
    found: tuple[float, date | None] = (0.0, None)
    for event in record.events:
        if event.kind is not EventKind.CORTICOSTEROIDS or event.date > day:
            continue
        value = event.value
        if value is None or not (math.isfinite(value) and value >= 0):
            raise ParameterError(
                f"patient {record.patient_id!r}: the corticosteroids event on "
                f"{event.date.isoformat()} has value {value!r}; expected the dose in "
                "dexamethasone mg/day, a number of at least 0 (0: none)"
            )
        if found[1] is None or event.date >= found[1]:
            found = (float(value), event.date)
    return found


def _clinical(record: PatientRecord, day: date) -> tuple[ClinicalStatus | None, date | None]:
    """The latest clinical status recorded after the treatment start and on or before ``day``."""
    found: tuple[ClinicalStatus | None, date | None] = (None, None)
    for event in record.events:
        if event.kind is not EventKind.CLINICAL_STATUS:
            continue
        if not (record.treatment_start < event.date <= day):
            continue
        try:
            status = ClinicalStatus.parse(event.detail or "")
        except ParameterError:
            raise ParameterError(
                f"patient {record.patient_id!r}: the clinical_status event on "
                f"{event.date.isoformat()} has detail {event.detail!r}; expected one of "
                f"{ClinicalStatus.accepted()}"
            ) from None
        if found[1] is None or event.date >= found[1]:
            found = (status, event.date)
    return found


def conditions_at(
    record: PatientRecord, day: date, *, previous: date | None, params: RanoBmParameters
) -> Conditions | None:
    """Corticosteroids and clinical status on ``day`` (``None`` without an events table).

    ``previous`` is the date of the previous assessment (``None`` for the first), the
    reference of the dose with ``steroid_reference = previous``.

    Raises
    ------
    ParameterError
        For a corticosteroids event without a dose of at least 0, or a clinical status event
        whose detail is not a clinical status.
    """
    if not record.events_recorded:
        return None
    dose, since = _dose(record, day)
    if params.steroid_reference is SteroidReference.PREVIOUS and previous is not None:
        reference, _ = _dose(record, previous)
        label = f"{reference:g} mg/day at the previous assessment ({previous.isoformat()})"
    else:
        reference, _ = _dose(record, record.treatment_start)
        label = f"{reference:g} mg/day at the treatment start"
    clinical, clinical_since = _clinical(record, day)
    return Conditions(dose, since, reference, label, clinical, clinical_since)


# ---- the engine ------------------------------------------------------------------------------


def _progression_rule(references: Mapping[str, float], params: RanoBmParameters) -> ProgressionRule:
    """RANO-BM's target progression: the sum ≥ 20% above the nadir and one lesion ≥ 5 mm larger."""
    where = (
        "at the nadir"
        if params.lesion_increase_from is LesionIncreaseReference.NADIR
        else "its smallest on study"
    )

    def rule(measured: Mapping[str, float], total: float, nadir: float) -> tuple[bool, str]:
        rise = total - nadir
        sum_met = rise > 0 and rise >= nadir * params.pd_increase_pct / 100.0 - TOLERANCE
        growth = {k: measured[k] - references[k] for k in sorted(measured) if k in references}
        largest = max(growth, key=lambda k: growth[k]) if growth else None
        lesion_met = (
            largest is not None and growth[largest] >= params.pd_lesion_increase_mm - TOLERANCE
        )
        text = (
            f"PD needs the sum ≥ {params.pd_increase_pct:g}% above the nadir "
            f"({'met' if sum_met else 'not met'}) and one target ≥ "
            f"{params.pd_lesion_increase_mm:g} mm larger than {where} "
        )
        if largest is None:
            text += "(no target measured)"
        else:
            text += (
                f"({'met' if lesion_met else 'not met'}: largest increase {largest} "
                f"{growth[largest]:+.1f} mm, {references[largest]:.1f} → "
                f"{measured[largest]:.1f} mm)"
            )
        return sum_met and lesion_met, text

    return rule


@dataclass
class _Point:
    """One assessment while the engine walks them (its response revised by sustainment)."""

    timepoint: Timepoint
    target: TargetState | None
    non_target: NonTargetState | None
    new_lesions: bool
    provisional: OverallResponse
    fallback: OverallResponse
    conditions: Conditions | None
    reasons: list[Reason]
    nadir: float | None
    response: OverallResponse = R.NE

    @property
    def date(self) -> date:
        return self.timepoint.date


def _with_conditions(
    imaging: OverallResponse,
    has_targets: bool,
    conditions: Conditions | None,
    params: RanoBmParameters,
) -> tuple[OverallResponse, list[Reason]]:
    """The response once corticosteroids and clinical status are applied (not yet sustained)."""
    if conditions is None:
        if imaging.is_response:
            text = (
                f"{imaging.value} by imaging alone: corticosteroids and clinical status not "
                "recorded (no events table), so the conditions of CR and PR on them were not "
                "checked"
            )
            return imaging, [Reason(RanoBmRule.CONDITIONS_NOT_RECORDED, text)]
        return imaging, []
    dose = conditions.dose_text()
    if conditions.worse:
        text = (
            f"PD: {conditions.clinical_text()}, a clinical deterioration (read as not "
            "attributable to other causes); RANO-BM: clinical status worse is progression"
        )
        if conditions.steroids_increased:
            text += (
                f", here with corticosteroids increased from {conditions.reference_label} to {dose}"
            )
        return R.PD, [Reason(RanoBmRule.CLINICAL_DETERIORATION, text)]
    if imaging in (R.PD, R.NE):
        return imaging, []
    reasons: list[Reason] = []
    response = imaging
    if response is R.CR and conditions.dose_mg > params.cr_max_steroid_mg + TOLERANCE:
        response = R.PR if has_targets else R.NON_CR_NON_PD
        limit = (
            "none"
            if params.cr_max_steroid_mg == 0
            else f"at most {params.cr_max_steroid_mg:g} mg/day"
        )
        reasons.append(
            Reason(
                RanoBmRule.STEROIDS_BLOCK_CR,
                f"Not CR: corticosteroids {dose}; CR needs {limit} (RANO-BM: no use of "
                f"corticosteroids); {response.value} instead",
            )
        )
    if conditions.steroids_increased:
        change = f"corticosteroids increased from {conditions.reference_label} to {dose}"
        if response is R.PR:
            response = R.SD
            reasons.append(
                Reason(
                    RanoBmRule.STEROIDS_BLOCK_PR,
                    f"Not PR: {change}; PR needs a stable or decreased dose. SD: an increase "
                    "of corticosteroids alone is not progression (RANO-BM)",
                )
            )
        else:
            reasons.append(
                Reason(
                    RanoBmRule.STEROID_INCREASE_NOT_PD,
                    f"{change[0].upper()}{change[1:]}: not progression on its own (RANO-BM: an "
                    "increase in corticosteroids alone is not progression without persistent "
                    "clinical deterioration)",
                )
            )
    if response.is_response:
        reasons.append(
            Reason(
                RanoBmRule.CONDITIONS_MET,
                f"{response.value} conditions met: corticosteroids {dose} (reference "
                f"{conditions.reference_label}), {conditions.clinical_text()}",
            )
        )
    return response, reasons


def _sustain(points: list[_Point], params: RanoBmParameters) -> list[Pending]:
    """Set each point's response: CR and PR only where sustained ``sustain_days``.

    A run is a stretch of assessments whose conditions-applied response is CR or PR (NE ones
    skipped); a member is PR when the run spans ``sustain_days``, CR when its stretch of CRs
    does; otherwise SD (NON_CR_NON_PD without targets). Returns what the last run awaits.
    """
    for point in points:
        point.response = point.provisional
    runs: list[list[int]] = []
    current: list[int] = []
    for index, point in enumerate(points):
        if point.provisional.is_response:
            current.append(index)
        elif point.provisional is not R.NE and current:
            runs.append(current)
            current = []
    open_run = current
    if current:
        runs.append(current)
    pending: list[Pending] = []
    for run in runs:
        is_open = run is open_run
        after = None if is_open else _next_other(points, run[-1])
        groups = _cr_groups(points, run)
        for index in run:
            point = points[index]
            group = next((g for g in groups if index in g), None)
            if group is not None and _span(points, group) >= params.sustain_days:
                point.response = R.CR
                point.reasons.append(_sustained(R.CR, points, group, params))
                continue
            if _span(points, run) >= params.sustain_days and point.fallback is R.SD:
                point.response = R.PR
                if group is not None:
                    point.reasons.append(
                        _not_sustained(R.CR, points, group, params, R.PR, is_open, after)
                    )
                point.reasons.append(_sustained(R.PR, points, run, params))
                continue
            point.response = point.fallback
            members = run if group is None else group
            point.reasons.append(
                _not_sustained(
                    point.provisional, points, members, params, point.fallback, is_open, after
                )
            )
        last = points[run[-1]]
        if is_open and last.response is not R.CR:
            tail = groups[-1] if groups and groups[-1][-1] == run[-1] else None
            if (
                last.response is not R.PR
                and last.fallback is R.SD
                and (tail is None or tail[0] != run[0])
            ):
                pending.append(_pending(R.PR, points[run[0]].date, params))
            if tail is not None:
                pending.append(_pending(R.CR, points[tail[0]].date, params))
    return pending


def _span(points: list[_Point], members: list[int]) -> int:
    """Days from the first to the last of ``members``."""
    return (points[members[-1]].date - points[members[0]].date).days


def _next_other(points: list[_Point], last: int) -> _Point | None:
    """The assessment that ended a run: the first after it neither CR, PR nor NE."""
    for point in points[last + 1 :]:
        if point.provisional is not R.NE and not point.provisional.is_response:
            return point
    return None


def _cr_groups(points: list[_Point], run: list[int]) -> list[list[int]]:
    """Consecutive CR members of a run (NE between them skipped)."""
    groups: list[list[int]] = []
    current: list[int] = []
    for index in run:
        if points[index].provisional is R.CR:
            current.append(index)
        elif current:
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


def _sustained(
    level: OverallResponse, points: list[_Point], members: list[int], params: RanoBmParameters
) -> Reason:
    first, last = points[members[0]].date, points[members[-1]].date
    return Reason(
        RanoBmRule.SUSTAINED,
        f"{level.value} sustained: its criteria met from {first.isoformat()} to "
        f"{last.isoformat()} ({_span(points, members)} days, ≥ {params.sustain_days} needed; "
        "RANO-BM: sustained for at least 4 weeks)",
    )


def _not_sustained(
    level: OverallResponse,
    points: list[_Point],
    members: list[int],
    params: RanoBmParameters,
    now: OverallResponse,
    is_open: bool,
    after: _Point | None,
) -> Reason:
    first = points[members[0]].date
    if is_open:
        due = first + timedelta(days=params.sustain_days)
        return Reason(
            RanoBmRule.NOT_YET_SUSTAINED,
            f"{level.value} criteria met since {first.isoformat()}, not yet sustained "
            f"≥ {params.sustain_days} days: {level.value} once a scan from {due.isoformat()} "
            f"still meets them, {now.value} until then (RANO-BM: sustained for at least 4 "
            "weeks)",
        )
    last = points[members[-1]].date
    met = (
        f"on {first.isoformat()} only"
        if first == last
        else f"from {first.isoformat()} to {last.isoformat()} ({_span(points, members)} days)"
    )
    ended = (
        "" if after is None else f", not on {after.date.isoformat()} ({after.provisional.value})"
    )
    return Reason(
        RanoBmRule.NOT_SUSTAINED,
        f"{level.value} criteria met {met}{ended}: not sustained ≥ {params.sustain_days} days, "
        f"so {now.value} (RANO-BM: sustained for at least 4 weeks)",
    )


def _pending(level: OverallResponse, since: date, params: RanoBmParameters) -> Pending:
    due = since + timedelta(days=params.sustain_days)
    return Pending(
        f"{level.value} sustained",
        since,
        due,
        None,
        f"{level.value} since {since.isoformat()} is reported once a scan from "
        f"{due.isoformat()} (≥ {params.sustain_days} days later) still meets it",
    )


def _lesion_warnings(
    point: Timepoint, non_target: NonTargetState | None, equivocal_new: Sequence[str]
) -> list[PatientWarning]:
    warnings = []
    if non_target is not None and non_target.equivocal:
        warnings.append(
            PatientWarning(
                PatientWarningKind.EQUIVOCAL_NON_TARGET,
                f"{point.date.isoformat()}: non-target {', '.join(non_target.equivocal)} "
                "equivocal; progression only when unequivocal",
                point.date,
            )
        )
    if equivocal_new:
        warnings.append(
            PatientWarning(
                PatientWarningKind.EQUIVOCAL_NEW_LESION,
                f"{point.date.isoformat()}: possible new lesion {', '.join(equivocal_new)} is "
                "equivocal: not progression yet; if a later scan confirms it, progression "
                "dates from this scan (RANO-BM)",
                point.date,
            )
        )
    return warnings


def assess(
    record: PatientRecord,
    *,
    as_of: date | None = None,
    params: RanoBmParameters | None = None,
) -> PatientAssessment:
    """RANO-BM response of one patient at each assessment, and the best overall response.

    Parameters
    ----------
    record
        The patient's intracranial lesions, observations, treatment start and events
        (``corticosteroids`` and ``clinical_status``).
    as_of
        See only scans and events up to this date.
    params
        The criteria parameters (default: RANO-BM's values).

    Raises
    ------
    ParameterError
        For a corticosteroids event without a dose, or a clinical status event whose detail is
        not ``improved``, ``stable`` or ``worse``.
    """
    params = RanoBmParameters() if params is None else params
    rules = params.recist
    baseline, timepoints = build_timepoints(
        record, window_days=params.timepoint_window_days, as_of=as_of
    )
    warnings = _baseline_warnings(record, baseline)
    if not record.events_recorded:
        warnings.append(
            PatientWarning(
                PatientWarningKind.EVENTS_NOT_RECORDED,
                "no events table: corticosteroid doses and clinical status are unknown, so CR "
                "and PR are by imaging alone (their conditions on corticosteroids and clinical "
                "status not checked) and clinical deterioration cannot be seen; give "
                "corticosteroids and clinical_status events to check them",
            )
        )
    lesions = {lesion.lesion_id: lesion for lesion in record.lesions}
    base_sizes = {k: counted_size(o, rules) or 0.0 for k, o in baseline.targets.items()}
    baseline_sum = sum(base_sizes.values()) if baseline.targets else None
    nadir = baseline_sum
    at_nadir = dict(base_sizes)
    smallest = dict(base_sizes)
    points: list[_Point] = []
    previous: date | None = None
    for index, timepoint in enumerate(timepoints):
        reasons: list[Reason] = []
        target = None
        if baseline.targets and baseline_sum is not None and nadir is not None:
            references = (
                at_nadir
                if params.lesion_increase_from is LesionIncreaseReference.NADIR
                else smallest
            )
            target = target_state(
                {k: lesions[k] for k in baseline.targets},
                timepoint.targets,
                baseline_sum=baseline_sum,
                nadir=nadir,
                params=rules,
                progression=_progression_rule(references, params),
            )
            reasons.append(target.reason)
        non_target = non_target_state(timepoint.non_targets) if baseline.non_targets else None
        if non_target is not None:
            reasons.append(non_target.reason)
        new, new_reason, equivocal_new = new_lesion_finding(timepoint, timepoints[:index])
        if new_reason is not None:
            reasons.append(new_reason)
        warnings.extend(_lesion_warnings(timepoint, non_target, equivocal_new))
        imaging = overall_response(
            None if target is None else target.response,
            None if non_target is None else non_target.response,
            new,
        )
        if target is None and non_target is None and not new:
            reasons.append(
                Reason(RanoBmRule.NO_DISEASE, "NE: no target or non-target lesion at baseline")
            )
        conditions = conditions_at(record, timepoint.dates[-1], previous=previous, params=params)
        provisional, more = _with_conditions(imaging, target is not None, conditions, params)
        reasons.extend(more)
        points.append(
            _Point(
                timepoint,
                target,
                non_target,
                new,
                provisional,
                R.SD if target is not None else R.NON_CR_NON_PD,
                conditions,
                reasons,
                nadir,
            )
        )
        previous = timepoint.dates[-1]
        if target is not None:
            sizes = {k: counted_size(o, rules) for k, o in timepoint.targets.items()}
            for k, size in sizes.items():
                if size is not None:
                    smallest[k] = min(smallest[k], size)
            if target.complete and target.sum_mm is not None and nadir is not None:
                if target.sum_mm < nadir - TOLERANCE:
                    at_nadir = {k: v for k, v in sizes.items() if v is not None}
                nadir = min(nadir, target.sum_mm)
    pending = _sustain(points, params)
    results = [_result(point) for point in points]
    return patient_assessment(
        record=record,
        params=params,
        baseline_date=baseline.date,
        baseline_sum_mm=baseline_sum,
        results=results,
        warnings=warnings,
        as_of=as_of,
        pending=pending,
    )


def _result(point: _Point) -> TimepointResult:
    target, non_target, conditions = point.target, point.non_target, point.conditions
    if conditions is None:
        extra = "corticosteroids and clinical status not recorded"
    else:
        extra = (
            f"corticosteroids {conditions.dose_text()} (reference {conditions.reference_label}), "
            f"{conditions.clinical_text()}"
        )
    overall = Reason(
        RanoBmRule.OVERALL,
        f"Overall {point.response.value}: target "
        f"{'none' if target is None else target.response.value}, non-target "
        f"{'none' if non_target is None else non_target.response.value}, new lesions "
        f"{'yes' if point.new_lesions else 'no'}; {extra} (RANO-BM, {CITATION})",
    )
    return timepoint_result(
        day=point.date,
        response=point.response,
        target=target,
        non_target=non_target,
        new_lesions=point.new_lesions,
        reasons=(*point.reasons, overall),
        nadir_mm=point.nadir,
    )
