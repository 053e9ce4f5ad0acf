"""RECIST 1.1: the patient's response at each assessment and the best overall response.

Source: Eisenhauer EA, Therasse P, Bogaerts J, et al. *New response evaluation criteria in solid
tumours: revised RECIST guideline (version 1.1).* Eur J Cancer 2009;45:228-247. Section 3
(measurability and baseline), 4.3 (response of target, non-target and new lesions), 4.4 and
Tables 1-3 (overall response at a timepoint, best overall response).

The rules, with their parameters (every one is recorded in each result):

- **Target response.** The sum of the targets' longest diameters (short axis for a lymph node;
  0 for a target that disappeared; ``too_small_default_mm`` for one present but too small to
  measure). *PD*: the sum is at least ``pd_increase_pct`` (20%) above the nadir — the smallest
  sum on study before this assessment, baseline included — and at least ``pd_min_increase_mm``
  (5 mm) above it. *CR*: every non-nodal target gone and every nodal target below
  ``node_normal_max_mm`` (10 mm). *PR*: the sum at least ``pr_decrease_pct`` (30%) below the
  baseline sum. *SD* otherwise. A target not assessed makes the target response *NE*, unless the
  targets that were measured already reach PD.
- **Non-target response.** *PD* on unequivocal progression of any non-target; *NE* when one was
  not assessed; *CR* when all are absent; *NON_CR_NON_PD* otherwise (an equivocal one is noted).
- **New lesions.** An unequivocal new lesion is PD. An equivocal one is not, and is noted; when
  a later scan confirms it, the reason dates the progression back to the first scan.
- **Overall response** by Tables 1 (targets at baseline) and 2 (non-targets only).
- **Best overall response** by :func:`pseudoprog.criteria.best_response.best_overall_response`,
  with its confirmation parameters.

Examples
--------
>>> from datetime import date
>>> from pseudoprog.patient import Observation, PatientRecord, TrackedLesion
>>> record = PatientRecord(
...     "P1", date(2021, 1, 10), (TrackedLesion("P1", "L1", organ="liver"),),
...     {"L1": (Observation(date(2021, 1, 5), 50.0), Observation(date(2021, 3, 1), 34.0),
...             Observation(date(2021, 5, 1), 40.0))})
>>> result = assess(record)
>>> [(t.date.isoformat(), t.response.value) for t in result.timepoints]
[('2021-03-01', 'PR'), ('2021-05-01', 'SD')]
>>> result.best_overall_response.value
'PR'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import ClassVar

from pseudoprog.criteria.assembly import lowered_nadir, patient_assessment, timepoint_result
from pseudoprog.criteria.best_response import (
    BestResponseParameters,
)
from pseudoprog.criteria.codes import OverallResponse
from pseudoprog.criteria.flat_parameters import FlatParameters
from pseudoprog.criteria.patient_result import (
    PatientAssessment,
    PatientWarning,
    PatientWarningKind,
    TimepointResult,
)
from pseudoprog.criteria.result import Reason
from pseudoprog.criteria.timepoints import Baseline, Timepoint, build_timepoints
from pseudoprog.errors import ParameterError
from pseudoprog.patient import LesionStatus, Observation, PatientRecord, TrackedLesion

__all__ = [
    "TOLERANCE",
    "NonTargetState",
    "ProgressionRule",
    "RecistParameters",
    "RecistRule",
    "TargetState",
    "assess",
    "baseline_problems",
    "counted_size",
    "lesion_warnings",
    "non_target_state",
    "overall_response",
    "target_state",
]

R = OverallResponse
#: Tolerance for comparing sums and percentages, so that exactly 30% counts as 30%.
TOLERANCE = 1e-9


class RecistRule(StrEnum):
    """Rules of RECIST 1.1; the value is the code written in reasons."""

    TARGET_CR = "target_cr"
    TARGET_PR = "target_pr"
    TARGET_SD = "target_sd"
    TARGET_PD = "target_pd"
    TARGET_NE = "target_ne"
    TARGET_PD_PARTIAL = "target_pd_partial"
    NON_TARGET_CR = "non_target_cr"
    NON_TARGET_NON_CR_NON_PD = "non_target_non_cr_non_pd"
    NON_TARGET_PD = "non_target_pd"
    NON_TARGET_NE = "non_target_ne"
    NEW_LESION = "new_lesion"
    NEW_LESION_CONFIRMED = "new_lesion_confirmed"
    NO_DISEASE = "no_disease"
    OVERALL = "overall"


@dataclass(frozen=True, kw_only=True)
class RecistParameters(FlatParameters):
    """Parameters of RECIST 1.1 (Eisenhauer et al. 2009); every result records them.

    Parameters
    ----------
    measurable_min_mm
        Smallest longest diameter of a measurable non-nodal lesion (section 3.1.1: 10 mm on CT).
    node_target_min_mm
        Smallest short axis of a measurable (target) lymph node (section 3.1.1: 15 mm).
    node_normal_max_mm
        A node with a short axis below this is normal (section 3.1.1 and 4.3.1: 10 mm); every
        nodal target must be below it for CR.
    max_targets, max_targets_per_organ
        At most 5 targets, at most 2 per organ, lymph nodes counting as one organ (section 3.3).
    pr_decrease_pct
        PR: the sum at least this far below the baseline sum (section 4.3.1: 30%).
    pd_increase_pct, pd_min_increase_mm
        PD: the sum at least this far above the nadir, and by at least this many mm
        (section 4.3.1: 20% and 5 mm).
    too_small_default_mm
        Size counted for a target recorded as present but too small to measure (section
        4.3.1 and Appendix II of the guideline: 5 mm).
    timepoint_window_days
        Scans at most this many days after the first scan of an assessment belong to it
        (0: every scan date is its own assessment). Not a guideline value: a data convention.
    best_response
        Confirmation rules of the best overall response (section 4.4).
    """

    NAME: ClassVar[str] = "recist1.1"

    measurable_min_mm: float = 10.0
    node_target_min_mm: float = 15.0
    node_normal_max_mm: float = 10.0
    max_targets: int = 5
    max_targets_per_organ: int = 2
    pr_decrease_pct: float = 30.0
    pd_increase_pct: float = 20.0
    pd_min_increase_mm: float = 5.0
    too_small_default_mm: float = 5.0
    timepoint_window_days: int = 0
    best_response: BestResponseParameters = field(default_factory=BestResponseParameters)

    def __post_init__(self) -> None:
        _check_positive(self, "measurable_min_mm", "node_target_min_mm", "node_normal_max_mm")
        _check_positive(self, "pr_decrease_pct", "pd_increase_pct")
        if self.pr_decrease_pct >= 100:
            raise ParameterError(
                f"pr_decrease_pct must be below 100, got {self.pr_decrease_pct}; RECIST 1.1 uses 30"
            )
        for name in ("max_targets", "max_targets_per_organ"):
            if getattr(self, name) < 1:
                raise ParameterError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("pd_min_increase_mm", "too_small_default_mm", "timepoint_window_days"):
            if getattr(self, name) < 0:
                raise ParameterError(f"{name} must not be negative, got {getattr(self, name)}")


def _check_positive(params: object, *names: str) -> None:
    for name in names:
        value = getattr(params, name)
        if not value > 0:
            raise ParameterError(f"{name} must be positive, got {value}")


# ---- baseline checks ------------------------------------------------------------------------


def baseline_problems(
    record: PatientRecord, params: RecistParameters, *, criteria: str = "RECIST 1.1"
) -> list[tuple[TrackedLesion | None, str, str]]:
    """Problems of a patient's baseline: ``(lesion or None, what is wrong, the fix)``.

    Too many targets (in all or in one organ), a target below the measurable size at baseline
    (a node: its short axis), a target with no baseline measurement. ``criteria`` names the
    criteria in the messages (criteria built on RECIST 1.1 reuse these checks).
    """
    problems: list[tuple[TrackedLesion | None, str, str]] = []
    targets = [lesion for lesion in record.lesions if lesion.role.value == "target"]
    if len(targets) > params.max_targets:
        names = ", ".join(t.lesion_id for t in targets)
        problems.append(
            (
                None,
                f"patient {record.patient_id} has {len(targets)} target lesions ({names}); "
                f"{criteria} allows at most {params.max_targets}",
                f"at most {params.max_targets} lesions with role 'target'; "
                "make the others 'non_target'",
            )
        )
    by_organ: dict[str, list[TrackedLesion]] = {}
    for target in targets:
        by_organ.setdefault(target.organ_group, []).append(target)
    for organ, members in by_organ.items():
        if len(members) > params.max_targets_per_organ:
            names = ", ".join(t.lesion_id for t in members)
            problems.append(
                (
                    None,
                    f"patient {record.patient_id} has {len(members)} target lesions in organ "
                    f"{organ} ({names}); {criteria} allows at most "
                    f"{params.max_targets_per_organ} per organ (all lymph nodes are one organ)",
                    f"at most {params.max_targets_per_organ} targets per organ; "
                    "make the others 'non_target'",
                )
            )
    for target in targets:
        base = record.baseline(target.lesion_id)
        if base is None:
            continue  # reported by the reader as a missing baseline
        size = base.size_mm
        minimum = params.node_target_min_mm if target.lymph_node else params.measurable_min_mm
        what = "short axis" if target.lymph_node else "longest diameter"
        if size is None or size < minimum - TOLERANCE:
            got = "no size" if size is None else f"{size:g} mm"
            problems.append(
                (
                    target,
                    f"target {target.lesion_id} is not measurable at baseline ({what} {got}, "
                    f"at least {minimum:g} mm needed)",
                    f"a {what} of at least {minimum:g} mm, or role 'non_target'",
                )
            )
    return problems


# ---- target, non-target and new lesions -------------------------------------------------


@dataclass(frozen=True, slots=True)
class TargetState:
    """Target response at one assessment, with the sum and changes that decided it."""

    response: OverallResponse
    sum_mm: float | None
    change_from_baseline_pct: float | None
    change_from_nadir_pct: float | None
    reason: Reason
    complete: bool
    """Whether every target was measured (only complete sums can become the nadir)."""


def counted_size(observation: Observation | None, params: RecistParameters) -> float | None:
    """A target's size as summed: its diameter, 0 when absent, the default when too small
    to measure; ``None`` when it was not assessed."""
    if observation is None:
        return None
    if observation.size_mm is not None:
        return observation.size_mm
    if observation.status is LesionStatus.ABSENT:
        return 0.0
    if observation.status in (LesionStatus.PRESENT, LesionStatus.EQUIVOCAL):
        return params.too_small_default_mm
    return None


def _pct(value: float, reference: float) -> float | None:
    return None if reference <= 0 else 100.0 * (value - reference) / reference


def _mm(value: float) -> str:
    return f"{value:.1f} mm"


def _signed_pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1f}%"


def reaches_pd(total: float, nadir: float, params: RecistParameters) -> bool:
    """Whether a sum is at least ``pd_increase_pct`` and ``pd_min_increase_mm`` above nadir."""
    rise = total - nadir
    return (
        rise >= params.pd_min_increase_mm - TOLERANCE
        and rise >= nadir * params.pd_increase_pct / 100.0 - TOLERANCE
        and rise > 0
    )


#: A target progression rule other than RECIST 1.1's, for criteria built on :func:`target_state`
#: (RANO-BM): ``(measured sizes by lesion, their sum, the nadir sum) -> (progression?, the rule
#: with its numbers in words)``.
ProgressionRule = Callable[[Mapping[str, float], float, float], tuple[bool, str]]


def target_state(
    lesions: Mapping[str, TrackedLesion],
    observations: Mapping[str, Observation | None],
    *,
    baseline_sum: float,
    nadir: float,
    params: RecistParameters,
    progression: ProgressionRule | None = None,
) -> TargetState:
    """The target response at one assessment (RECIST 1.1, section 4.3.1).

    ``progression`` replaces RECIST 1.1's progression test (:func:`reaches_pd`) and its words;
    the other rules stay.
    """
    sizes = {k: counted_size(o, params) for k, o in observations.items()}
    measured = {k: v for k, v in sizes.items() if v is not None}
    missing = sorted(k for k, v in sizes.items() if v is None)
    total = sum(measured.values())
    from_base = _pct(total, baseline_sum)
    from_nadir = _pct(total, nadir)
    numbers = (
        f"target sum {_mm(total)}: {_signed_pct(from_base)} from baseline {_mm(baseline_sum)}, "
        f"{_signed_pct(from_nadir)} ({total - nadir:+.1f} mm) from nadir {_mm(nadir)}"
    )
    pd_rule = (
        f"PD needs ≥ {params.pd_increase_pct:g}% and ≥ {params.pd_min_increase_mm:g} mm "
        "above the nadir"
    )
    reached = reaches_pd(total, nadir, params)
    if progression is not None:
        reached, pd_rule = progression(measured, total, nadir)
    if missing:
        if reached:
            reason = Reason(
                RecistRule.TARGET_PD_PARTIAL,
                f"Target PD although {', '.join(missing)} not assessed: the measured targets "
                f"alone sum to {_mm(total)}, {_signed_pct(from_nadir)} and "
                f"{total - nadir:+.1f} mm from the nadir {_mm(nadir)} ({pd_rule})",
            )
            return TargetState(R.PD, total, from_base, from_nadir, reason, False)
        reason = Reason(
            RecistRule.TARGET_NE,
            f"Target NE: {', '.join(missing)} not assessed, and the measured targets "
            f"({_mm(total)}) do not reach PD on their own",
        )
        return TargetState(R.NE, None, None, None, reason, False)
    if reached:
        reason = Reason(RecistRule.TARGET_PD, f"Target PD: {numbers} ({pd_rule})")
        return TargetState(R.PD, total, from_base, from_nadir, reason, True)
    nodes_normal = all(
        measured[k] < params.node_normal_max_mm - TOLERANCE
        for k in measured
        if lesions[k].lymph_node
    )
    others_gone = all(measured[k] <= TOLERANCE for k in measured if not lesions[k].lymph_node)
    if nodes_normal and others_gone:
        text = "every non-nodal target has disappeared"
        if any(lesions[k].lymph_node for k in measured):
            text += f" and every nodal target is below {params.node_normal_max_mm:g} mm"
        reason = Reason(RecistRule.TARGET_CR, f"Target CR: {text} ({numbers})")
        return TargetState(R.CR, total, from_base, from_nadir, reason, True)
    if from_base is not None and from_base <= -params.pr_decrease_pct + TOLERANCE:
        reason = Reason(
            RecistRule.TARGET_PR,
            f"Target PR: {numbers} (PR needs ≥ {params.pr_decrease_pct:g}% below baseline)",
        )
        return TargetState(R.PR, total, from_base, from_nadir, reason, True)
    text = (
        f"Target SD: {numbers}; neither ≥ {params.pr_decrease_pct:g}% below baseline nor "
        f"≥ {params.pd_increase_pct:g}% and ≥ {params.pd_min_increase_mm:g} mm above the nadir"
    )
    if progression is not None:
        text = (
            f"Target SD: {numbers}; not ≥ {params.pr_decrease_pct:g}% below baseline, and not "
            f"PD ({pd_rule})"
        )
    reason = Reason(RecistRule.TARGET_SD, text)
    return TargetState(R.SD, total, from_base, from_nadir, reason, True)


@dataclass(frozen=True, slots=True)
class NonTargetState:
    """Non-target response at one assessment, with the lesions that decided it."""

    response: OverallResponse
    reason: Reason
    equivocal: tuple[str, ...] = ()


def non_target_state(observations: Mapping[str, Observation | None]) -> NonTargetState:
    """The non-target response at one assessment (RECIST 1.1, section 4.3.2)."""
    status = {
        k: (None if o is None else (o.status or _status_from_size(o)))
        for k, o in observations.items()
    }
    progressed = sorted(k for k, s in status.items() if s is LesionStatus.UNEQUIVOCAL_PROGRESSION)
    if progressed:
        return NonTargetState(
            R.PD,
            Reason(
                RecistRule.NON_TARGET_PD,
                f"Non-target PD: unequivocal progression of {', '.join(progressed)}",
            ),
        )
    missing = sorted(k for k, s in status.items() if s in (None, LesionStatus.NOT_EVALUATED))
    equivocal = tuple(sorted(k for k, s in status.items() if s is LesionStatus.EQUIVOCAL))
    if missing:
        return NonTargetState(
            R.NE,
            Reason(RecistRule.NON_TARGET_NE, f"Non-target NE: {', '.join(missing)} not assessed"),
            equivocal,
        )
    if all(s is LesionStatus.ABSENT for s in status.values()):
        return NonTargetState(
            R.CR,
            Reason(RecistRule.NON_TARGET_CR, "Non-target CR: every non-target lesion is absent"),
        )
    present = sorted(k for k, s in status.items() if s is not LesionStatus.ABSENT)
    text = f"Non-target non-CR/non-PD: {', '.join(present)} still present"
    if equivocal:
        text += f" ({', '.join(equivocal)} equivocal, not unequivocal progression)"
    return NonTargetState(
        R.NON_CR_NON_PD, Reason(RecistRule.NON_TARGET_NON_CR_NON_PD, text), equivocal
    )


def _status_from_size(observation: Observation) -> LesionStatus:
    return LesionStatus.PRESENT if (observation.size_mm or 0) > 0 else LesionStatus.ABSENT


def overall_response(
    target: OverallResponse | None, non_target: OverallResponse | None, new_lesions: bool
) -> OverallResponse:
    """Overall response from its three parts (RECIST 1.1, Tables 1 and 2).

    >>> overall_response(R.CR, R.NON_CR_NON_PD, False).value
    'PR'
    >>> overall_response(None, R.NON_CR_NON_PD, False).value
    'NON_CR_NON_PD'
    >>> overall_response(R.SD, R.NE, False).value
    'SD'
    """
    if new_lesions or R.PD in (target, non_target):
        return R.PD
    if target is None:  # Table 2: non-target disease only
        return R.NE if non_target is None else non_target
    if target is R.NE:
        return R.NE
    if target is R.CR:
        return R.CR if non_target in (None, R.CR) else R.PR
    return target  # PR or SD, whatever the non-PD non-targets


# ---- the engine ------------------------------------------------------------------------------


def new_lesion_finding(
    point: Timepoint, earlier: tuple[Timepoint, ...]
) -> tuple[bool, Reason | None, tuple[str, ...]]:
    """Whether an unequivocal new lesion is seen; its reason; the equivocal ones.

    A lesion first equivocal and unequivocal later dates the progression back to the first
    scan that showed it (RECIST 1.1, section 4.3.3); the reason says so.
    """
    unequivocal = sorted(
        k for k, o in point.new.items() if o.present and o.status is not LesionStatus.EQUIVOCAL
    )
    equivocal = tuple(sorted(k for k, o in point.new.items() if o.status is LesionStatus.EQUIVOCAL))
    if not unequivocal:
        return False, None, equivocal
    first_seen = {}
    for lesion_id in unequivocal:
        before = [p.new[lesion_id] for p in earlier if lesion_id in p.new]
        shown = [p.date for p in earlier if lesion_id in p.new and p.new[lesion_id].present]
        if shown and all(o.status is LesionStatus.EQUIVOCAL for o in before if o.present):
            first_seen[lesion_id] = shown[0]
    text = f"New lesion: {', '.join(unequivocal)} (unequivocal) is progression"
    rule = RecistRule.NEW_LESION
    if first_seen:
        rule = RecistRule.NEW_LESION_CONFIRMED
        dated = ", ".join(f"{k} from {d.isoformat()}" for k, d in sorted(first_seen.items()))
        text += f"; confirmed now, progression dates from the first scan showing it ({dated})"
    return True, Reason(rule, text), equivocal


def lesion_warnings(
    point: Timepoint, non_target: NonTargetState | None, equivocal_new: tuple[str, ...]
) -> list[PatientWarning]:
    """Warnings of one assessment: equivocal non-targets, equivocal new lesions."""
    warnings = []
    if non_target is not None and non_target.equivocal:
        warnings.append(
            PatientWarning(
                PatientWarningKind.EQUIVOCAL_NON_TARGET,
                f"{point.date.isoformat()}: non-target {', '.join(non_target.equivocal)}"
                " equivocal; progression only when unequivocal",
                point.date,
            )
        )
    if equivocal_new:
        warnings.append(
            PatientWarning(
                PatientWarningKind.EQUIVOCAL_NEW_LESION,
                f"{point.date.isoformat()}: possible new lesion {', '.join(equivocal_new)} "
                "is equivocal: not progression yet; if a later scan confirms it, "
                "progression dates from this scan",
                point.date,
            )
        )
    return warnings


@dataclass(frozen=True, slots=True)
class OverallReading:
    """The non-target, new-lesion and overall part of one assessment, with its reasons."""

    non_target: NonTargetState | None
    new_lesions: bool
    response: OverallResponse
    reasons: tuple[Reason, ...]
    warnings: tuple[PatientWarning, ...]


def read_overall(
    point: Timepoint,
    earlier: tuple[Timepoint, ...],
    *,
    target: TargetState | None,
    has_non_targets: bool,
    no_disease: StrEnum,
    overall: StrEnum,
    source: str,
    other_progression: Reason | None = None,
    other_label: str = "",
) -> OverallReading:
    """Read the non-targets and new lesions of ``point`` and combine them with ``target``.

    Shared by RECIST 1.1 and the criteria built on its overall table (Choi, mRECIST).

    Parameters
    ----------
    point, earlier
        The assessment, and those before it (to date a new lesion first seen equivocal).
    target
        The target state, ``None`` without targets.
    has_non_targets
        Whether the patient has non-target lesions at baseline.
    no_disease, overall
        The criteria's rules for "no lesion at baseline" and the overall response.
    source
        Where the overall table comes from, closing the overall reason.
    other_progression, other_label
        A progression of the criteria's own (Choi: a new or growing intratumoral nodule),
        counted like a new lesion, and its name in the overall reason.
    """
    reasons: list[Reason] = []
    non_target = non_target_state(point.non_targets) if has_non_targets else None
    if non_target is not None:
        reasons.append(non_target.reason)
    new, new_reason, equivocal_new = new_lesion_finding(point, earlier)
    if new_reason is not None:
        reasons.append(new_reason)
    if other_progression is not None:
        reasons.append(other_progression)
    progressed = new or other_progression is not None
    response = overall_response(
        None if target is None else target.response,
        None if non_target is None else non_target.response,
        progressed,
    )
    if target is None and non_target is None and not progressed:
        reasons.append(Reason(no_disease, "NE: no target or non-target lesion at baseline"))
    other = f", {other_label} {'yes' if other_progression else 'no'}" if other_label else ""
    reasons.append(
        Reason(
            overall,
            f"Overall {response.value}: target "
            f"{'none' if target is None else target.response.value}, non-target "
            f"{'none' if non_target is None else non_target.response.value}, new lesions "
            f"{'yes' if new else 'no'}{other} ({source})",
        )
    )
    return OverallReading(
        non_target,
        new,
        response,
        tuple(reasons),
        tuple(lesion_warnings(point, non_target, equivocal_new)),
    )


def assess(
    record: PatientRecord,
    *,
    as_of: date | None = None,
    params: RecistParameters | None = None,
) -> PatientAssessment:
    """RECIST 1.1 response of one patient at each assessment, and the best overall response.

    Parameters
    ----------
    record
        The patient's lesions, observations and treatment start.
    as_of
        See only scans up to this date.
    params
        The criteria parameters (default: the guideline's values).
    """
    params = RecistParameters() if params is None else params
    baseline, points = build_timepoints(
        record, window_days=params.timepoint_window_days, as_of=as_of
    )
    warnings = _baseline_warnings(record, baseline)
    lesions = {lesion.lesion_id: lesion for lesion in record.lesions}
    base_sizes = {k: counted_size(o, params) or 0.0 for k, o in baseline.targets.items()}
    baseline_sum = sum(base_sizes.values()) if baseline.targets else None
    nadir = baseline_sum
    results: list[TimepointResult] = []
    for index, point in enumerate(points):
        reasons: list[Reason] = []
        target = None
        if baseline.targets and baseline_sum is not None and nadir is not None:
            target = target_state(
                {k: lesions[k] for k in baseline.targets},
                point.targets,
                baseline_sum=baseline_sum,
                nadir=nadir,
                params=params,
            )
            reasons.append(target.reason)
        read = read_overall(
            point,
            points[:index],
            target=target,
            has_non_targets=bool(baseline.non_targets),
            no_disease=RecistRule.NO_DISEASE,
            overall=RecistRule.OVERALL,
            source=f"RECIST 1.1, Table {1 if target else 2}",
        )
        warnings.extend(read.warnings)
        results.append(
            timepoint_result(
                day=point.date,
                response=read.response,
                target=target,
                non_target=read.non_target,
                new_lesions=read.new_lesions,
                reasons=[*reasons, *read.reasons],
                nadir_mm=nadir,
            )
        )
        nadir = lowered_nadir(nadir, target)
    return patient_assessment(
        record=record,
        params=params,
        baseline_date=baseline.date,
        baseline_sum_mm=baseline_sum,
        results=results,
        warnings=warnings,
        as_of=as_of,
    )


def _baseline_warnings(record: PatientRecord, baseline: Baseline) -> list[PatientWarning]:
    warnings = []
    if baseline.missing:
        names = ", ".join(lesion.lesion_id for lesion in baseline.missing)
        warnings.append(
            PatientWarning(
                PatientWarningKind.MISSING_BASELINE,
                f"no baseline (on or before {record.treatment_start.isoformat()}) for {names}; "
                "left out of the sums and non-target response",
            )
        )
    if not baseline.targets and not baseline.non_targets:
        warnings.append(
            PatientWarning(
                PatientWarningKind.NO_BASELINE,
                "no target or non-target lesion has a baseline: only new lesions can be judged",
            )
        )
    return warnings
