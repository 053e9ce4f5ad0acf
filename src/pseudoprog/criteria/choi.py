"""Choi criteria: response by size **or** attenuation on CT, the guard against pseudoprogression.

Source: Choi H, Charnsangavej C, Faria SC, et al. *Correlation of computed tomography and
positron emission tomography in patients with metastatic gastrointestinal stromal tumor treated
at a single institution with imatinib mesylate: proposal of new computed tomography response
criteria.* J Clin Oncol 2007;25(13):1753-1759, doi:10.1200/JCO.2006.07.3049. The response table
is quoted from its reproduction as Table 2 of Clin Transl Imaging 2017;5:183-197 (PMC5658474),
"Modified CT response evaluation criteria according to Choi".

Under imatinib, liver metastases of GIST lose enhancement and can grow while they respond; by
size alone this is progression. Choi reads a fall in density as response: size up with
attenuation down is **not** PD. The target sum, the non-target and new-lesion rules and the
overall table come from :mod:`pseudoprog.criteria.recist` (Choi's size is "the sum of longest
diameters of target lesions as defined in RECIST"); Choi's own rules are:

- **Attenuation** of a timepoint: the mean, over the targets still present and measured, of
  each target's mean attenuation (HU, portal venous phase), compared with the mean of the same
  targets at baseline.
- **PR**: the sum at least ``pr_size_decrease_pct`` (10%) below the baseline sum, **or** the
  attenuation at least ``pr_attenuation_decrease_pct`` (15%) below baseline; no new lesions, no
  progression of non-target disease.
- **PD**: the sum at least ``pd_size_increase_pct`` (10%) above the reference
  (``pd_size_reference``: the nadir by default, or the baseline) **and** the attenuation not at
  least 15% below baseline; or an unequivocal new lesion; or a new or growing intratumoral
  nodule (measurement column ``intratumoral_nodule``: ``new`` or ``growing``); or unequivocal
  progression of a non-target (RECIST 1.1, Table 1).
- **CR**: every lesion gone, no new lesion. **SD** otherwise.
- When the size is up by at least 10% and the attenuation was not measured, Choi cannot tell PD
  from PR by density: the target response is **NE**, with a warning.
- **Guard**: each timepoint is also read by RECIST 1.1 on the same data; where RECIST 1.1 reads
  PD and Choi does not, a ``size_only_pd`` reason and a warning say so with both sets of
  numbers (:mod:`pseudoprog.criteria.size_guard`).

The table's PR uses "≥"; the paper's abstract says "more than" 10% and 15%. The table is
followed. The reference of the size change for PD is not stated in the table seen; the nadir
(RECIST's convention) is the default.

Examples
--------
>>> from datetime import date
>>> from pseudoprog.patient import Observation, PatientRecord, TrackedLesion
>>> record = PatientRecord(
...     "G1", date(2021, 1, 10), (TrackedLesion("G1", "L1", organ="liver"),),
...     {"L1": (Observation(date(2021, 1, 5), 50.0, attenuation_hu=80.0),
...             Observation(date(2021, 3, 8), 62.0, attenuation_hu=52.0))})
>>> point = assess(record).timepoints[0]
>>> point.response.value, round(point.change_from_nadir_pct, 1)
('PR', 24.0)
>>> print(point.reasons[-1].message)
size +24.0% from the nadir, attenuation -35.0% from baseline: PR by Choi; RECIST 1.1 would \
read PD on size alone (target sum +24.0% and +12.0 mm from its nadir)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from statistics import fmean
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
from pseudoprog.criteria.recist import (
    TOLERANCE,
    ProgressionRule,
    RecistParameters,
    RecistRule,
    TargetState,
    _baseline_warnings,
    counted_size,
    read_overall,
    target_state,
)
from pseudoprog.criteria.recist import baseline_problems as recist_baseline_problems
from pseudoprog.criteria.result import Reason
from pseudoprog.criteria.size_guard import recist_points, size_only_progression
from pseudoprog.criteria.timepoints import Timepoint, build_timepoints
from pseudoprog.domain import CodedEnum
from pseudoprog.errors import ParameterError
from pseudoprog.patient import LesionRole, Observation, PatientRecord, TrackedLesion

__all__ = [
    "CITATION",
    "SHARED_RULES",
    "Attenuation",
    "ChoiParameters",
    "ChoiRule",
    "SizeReference",
    "assess",
    "attenuation_at",
    "baseline_problems",
]

R = OverallResponse
CITATION = "Choi H, Charnsangavej C, Faria SC, et al. J Clin Oncol 2007;25:1753-1759"
_TABLE = "Choi 2007 table, reproduced in Clin Transl Imaging 2017;5:183-197, Table 2"


class SizeReference(CodedEnum):
    """What Choi's 10% size increase (PD) is measured from.

    Not stated in the reproduced table; ``nadir`` (the default) is RECIST's convention, the
    smallest sum on study, baseline included; ``baseline`` the baseline sum.
    """

    NADIR = "nadir"
    BASELINE = "baseline"

    @classmethod
    def _described_as(cls) -> tuple[str | None, str]:
        return "pd_size_reference", "reference of the size change (Choi PD)"


class ChoiRule(StrEnum):
    """Rules of Choi beyond RECIST 1.1's; the value is the code written in reasons."""

    ATTENUATION = "attenuation"
    TARGET_PR_ATTENUATION = "target_pr_attenuation"
    TARGET_NE_ATTENUATION = "target_ne_attenuation"
    INTRATUMORAL_NODULE = "intratumoral_nodule"
    NO_DISEASE = "no_disease"
    OVERALL = "overall"


@dataclass(frozen=True, kw_only=True)
class ChoiParameters(FlatParameters):
    """Parameters of the Choi criteria (Choi et al. 2007); every result records them.

    ``to_dict()`` is flat (these and the best-response rules), and :meth:`from_mapping` reads
    the same keys.

    Parameters
    ----------
    pr_size_decrease_pct
        PR: the sum of longest diameters at least this far below the baseline sum (Choi 2007
        table: a decrease in size of ≥ 10%).
    pr_attenuation_decrease_pct
        PR: the mean attenuation (HU, portal venous phase) at least this far below baseline
        (Choi 2007 table: a decrease in tumour density of ≥ 15%); the same number keeps a
        growing lesion from being PD.
    pd_size_increase_pct
        PD: the sum at least this far above the reference (Choi 2007 table: an increase in
        tumour size of ≥ 10%), with the attenuation not down by pr_attenuation_decrease_pct.
    pd_size_reference
        What the size increase for PD is measured from: nadir (the smallest sum on study,
        baseline included) or baseline. Not stated in the Choi table; nadir is RECIST's
        convention.
    measurable_min_mm
        Smallest longest diameter of a target at baseline (RECIST 1.1 section 3.1.1: 10 mm;
        Choi's targets are RECIST's).
    node_target_min_mm
        Smallest short axis of a nodal target (RECIST 1.1: 15 mm).
    node_normal_max_mm
        A node below this short axis is normal (RECIST 1.1: 10 mm); needed of every nodal
        target for CR.
    max_targets, max_targets_per_organ
        At most 5 targets, at most 2 per organ (RECIST 1.1 section 3.3).
    too_small_default_mm
        Size counted for a target present but too small to measure (RECIST 1.1: 5 mm).
    timepoint_window_days
        Scans at most this many days after the first scan of an assessment belong to it (0:
        every scan date is its own assessment). Not a guideline value: a data convention.
    best_response
        Rules of the best overall response (RECIST 1.1 section 4.4).
    """

    NAME: ClassVar[str] = "choi"

    pr_size_decrease_pct: float = 10.0
    pr_attenuation_decrease_pct: float = 15.0
    pd_size_increase_pct: float = 10.0
    pd_size_reference: SizeReference = SizeReference.NADIR
    measurable_min_mm: float = 10.0
    node_target_min_mm: float = 15.0
    node_normal_max_mm: float = 10.0
    max_targets: int = 5
    max_targets_per_organ: int = 2
    too_small_default_mm: float = 5.0
    timepoint_window_days: int = 0
    best_response: BestResponseParameters = field(default_factory=BestResponseParameters)

    def __post_init__(self) -> None:
        for name in (
            "pr_size_decrease_pct",
            "pr_attenuation_decrease_pct",
            "pd_size_increase_pct",
            "measurable_min_mm",
            "node_target_min_mm",
            "node_normal_max_mm",
            "too_small_default_mm",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ParameterError(f"{name} must be a number, got {value!r}")
            if not (math.isfinite(value) and value >= 0):
                raise ParameterError(f"{name} must be a number of at least 0, got {value}")
            object.__setattr__(self, name, float(value))
        for name in ("pr_size_decrease_pct", "pr_attenuation_decrease_pct"):
            if not 0 < getattr(self, name) < 100:
                raise ParameterError(
                    f"{name} must be above 0 and below 100, got {getattr(self, name)}; "
                    "Choi uses 10 (size) and 15 (attenuation)"
                )
        if not self.pd_size_increase_pct > 0:
            raise ParameterError(
                f"pd_size_increase_pct must be positive, got {self.pd_size_increase_pct}; "
                "Choi uses 10"
            )
        for name, minimum in (
            ("max_targets", 1),
            ("max_targets_per_organ", 1),
            ("timepoint_window_days", 0),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ParameterError(f"{name} must be a whole number, got {value!r}")
            if value < minimum:
                raise ParameterError(f"{name} must be at least {minimum}, got {value}")
        object.__setattr__(self, "pd_size_reference", SizeReference.parse(self.pd_size_reference))
        if not isinstance(self.best_response, BestResponseParameters):
            raise ParameterError(
                f"best_response must be BestResponseParameters, got {self.best_response!r}"
            )

    @property
    def recist(self) -> RecistParameters:
        """The RECIST 1.1 parameters of the shared target rules, with Choi's size thresholds."""
        return replace(
            self.recist_reference,
            pr_decrease_pct=self.pr_size_decrease_pct,
            pd_increase_pct=self.pd_size_increase_pct,
            pd_min_increase_mm=0.0,
        )

    @property
    def recist_reference(self) -> RecistParameters:
        """RECIST 1.1 with its own thresholds on the same targets: the pseudoprogression guard."""
        return RecistParameters(
            measurable_min_mm=self.measurable_min_mm,
            node_target_min_mm=self.node_target_min_mm,
            node_normal_max_mm=self.node_normal_max_mm,
            max_targets=self.max_targets,
            max_targets_per_organ=self.max_targets_per_organ,
            too_small_default_mm=self.too_small_default_mm,
            timepoint_window_days=self.timepoint_window_days,
            best_response=self.best_response,
        )


# ---- baseline checks ------------------------------------------------------------------------


def baseline_problems(
    record: PatientRecord, params: ChoiParameters
) -> list[tuple[TrackedLesion | None, str, str]]:
    """Problems of a patient's baseline: ``(lesion or None, what is wrong, the fix)``.

    RECIST 1.1's (number of targets, measurable size), and for every target an attenuation at
    baseline above 0 HU: Choi reads the change of the mean attenuation in percent.
    """
    problems = recist_baseline_problems(record, params.recist, criteria="Choi")
    for target in record.lesions_by_role(LesionRole.TARGET):
        base = record.baseline(target.lesion_id)
        if base is None:
            continue  # reported by the reader as a missing baseline
        hu = base.attenuation_hu
        if hu is None:
            problems.append(
                (
                    target,
                    f"target {target.lesion_id} has no attenuation_hu at its baseline scan "
                    f"({base.date.isoformat()}); Choi reads each target's mean attenuation "
                    "(HU, portal venous phase) beside its size",
                    "attenuation_hu in the measurements table for every target's scans; or "
                    "criteria that fit the input: --criteria mrecist (viable_mm, arterially "
                    "enhancing diameters) or --criteria recist1.1 (size alone)",
                )
            )
        elif hu <= 0:
            problems.append(
                (
                    target,
                    f"target {target.lesion_id} has attenuation_hu {hu:g} at its baseline scan "
                    f"({base.date.isoformat()}); Choi reads the change in percent from "
                    "baseline, which needs a baseline above 0 HU (0 HU or below is fluid or "
                    "fat, not enhancing tumour)",
                    "the lesion's mean attenuation in the portal venous phase (above 0 HU), or "
                    "role 'non_target'",
                )
            )
    return problems


# ---- attenuation and nodules ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attenuation:
    """The attenuation of the targets at one assessment.

    ``lesions`` are the targets present and measured now, averaged both now (``mean_hu``) and
    at baseline (``baseline_hu``); ``missing`` the targets present now without an attenuation
    (then no change is computed). ``change_pct`` is ``None`` when there is nothing to compare.
    """

    mean_hu: float | None
    baseline_hu: float | None
    change_pct: float | None
    lesions: tuple[str, ...]
    missing: tuple[str, ...]

    @property
    def measured(self) -> bool:
        """Whether a change could be computed."""
        return self.change_pct is not None

    def meets_pr(self, params: ChoiParameters) -> bool:
        """Whether the attenuation is at least ``pr_attenuation_decrease_pct`` below baseline."""
        return (
            self.change_pct is not None
            and self.change_pct <= -params.pr_attenuation_decrease_pct + TOLERANCE
        )

    def short(self) -> str:
        """``attenuation -35.0% from baseline``, or why there is none."""
        if self.change_pct is not None:
            return f"attenuation {self.change_pct:+.1f}% from baseline"
        if self.missing:
            return f"attenuation not measured ({', '.join(self.missing)})"
        if not self.lesions:
            return "no target left to measure the attenuation of"
        return "attenuation not comparable (baseline at or below 0 HU)"

    def text(self, params: ChoiParameters) -> str:
        """The numbers and the rule, for a reason."""
        rule = f"PR by attenuation needs ≥ {params.pr_attenuation_decrease_pct:g}% below baseline"
        if self.change_pct is not None and self.mean_hu is not None:
            return (
                f"Attenuation: mean {self.mean_hu:.1f} HU over {', '.join(self.lesions)} "
                f"(baseline {self.baseline_hu:.1f} HU), {self.change_pct:+.1f}% ({rule}; mean "
                f"HU in the portal venous phase, {_TABLE})"
            )
        return f"Attenuation: {self.short()} ({rule})"


def attenuation_at(
    baseline: Mapping[str, Observation],
    now: Mapping[str, Observation | None],
    params: ChoiParameters,
) -> Attenuation:
    """The targets' attenuation now and at baseline (the targets gone or not assessed left out).

    >>> from datetime import date
    >>> base = {"A": Observation(date(2021, 1, 5), 40.0, attenuation_hu=90.0),
    ...         "B": Observation(date(2021, 1, 5), 30.0, attenuation_hu=70.0)}
    >>> now = {"A": Observation(date(2021, 3, 1), 42.0, attenuation_hu=60.0),
    ...        "B": Observation(date(2021, 3, 1), 0.0)}
    >>> found = attenuation_at(base, now, ChoiParameters())
    >>> found.lesions, found.mean_hu, round(found.change_pct, 1)
    (('A',), 60.0, -33.3)
    """
    rules = params.recist
    read: dict[str, tuple[float, float]] = {}
    missing: list[str] = []
    for lesion_id in sorted(now):
        observation = now[lesion_id]
        size = counted_size(observation, rules)
        if observation is None or size is None or size <= TOLERANCE:
            continue  # not assessed (the size rules say NE) or gone
        base = baseline.get(lesion_id)
        if observation.attenuation_hu is None or base is None or base.attenuation_hu is None:
            missing.append(lesion_id)
        else:
            read[lesion_id] = (observation.attenuation_hu, base.attenuation_hu)
    if missing or not read:
        return Attenuation(None, None, None, tuple(read), tuple(missing))
    mean_now = fmean(hu for hu, _ in read.values())
    mean_base = fmean(hu for _, hu in read.values())
    change = None if mean_base <= 0 else 100.0 * (mean_now - mean_base) / mean_base
    return Attenuation(mean_now, mean_base, change, tuple(read), ())


def nodule_finding(point: Timepoint) -> Reason | None:
    """A new or growing intratumoral nodule in a target or non-target, as progression."""
    found = [
        (lesion_id, observation.intratumoral_nodule)
        for lesion_id, observation in sorted({**point.targets, **point.non_targets}.items())
        if observation is not None
        and observation.intratumoral_nodule is not None
        and observation.intratumoral_nodule.progression
    ]
    if not found:
        return None
    listed = ", ".join(f"{finding.value} nodule in {lesion_id}" for lesion_id, finding in found)
    return Reason(
        ChoiRule.INTRATUMORAL_NODULE,
        f"Intratumoral nodule: {listed} is progression whatever the size (Choi: new "
        "intratumoral nodules or increase in the size of the existing intratumoral nodules)",
    )


# ---- the engine ------------------------------------------------------------------------------


def _reference(params: ChoiParameters) -> str:
    return "nadir" if params.pd_size_reference is SizeReference.NADIR else "baseline"


def _progression_rule(
    attenuation: Attenuation, baseline_sum: float, params: ChoiParameters
) -> ProgressionRule:
    """Choi's target progression: size ≥ 10% up and the attenuation not ≥ 15% down."""

    def rule(measured: Mapping[str, float], total: float, nadir: float) -> tuple[bool, str]:
        reference = nadir if params.pd_size_reference is SizeReference.NADIR else baseline_sum
        rise = total - reference
        size_met = rise > 0 and rise >= reference * params.pd_size_increase_pct / 100.0 - TOLERANCE
        change = "n/a" if reference <= 0 else f"{100.0 * rise / reference:+.1f}%"
        guarded = attenuation.meets_pr(params)
        text = (
            f"Choi PD needs the size ≥ {params.pd_size_increase_pct:g}% above the "
            f"{_reference(params)} ({'met' if size_met else 'not met'}: {change}) and the "
            f"attenuation not ≥ {params.pr_attenuation_decrease_pct:g}% below baseline "
            f"({'not met' if guarded else 'met'}: {attenuation.short()})"
        )
        return size_met and attenuation.measured and not guarded, text

    return rule


def _size_change(target: TargetState, params: ChoiParameters) -> float | None:
    if params.pd_size_reference is SizeReference.NADIR:
        return target.change_from_nadir_pct
    return target.change_from_baseline_pct


def _choi_target(
    target: TargetState, attenuation: Attenuation, params: ChoiParameters
) -> tuple[TargetState, bool]:
    """Choi's reading of a target state from the shared rules: PR by attenuation, NE when the
    size is up and the attenuation unknown. Returns the state and whether the attenuation was
    needed and missing."""
    if target.response is not R.SD:
        return target, False
    if attenuation.meets_pr(params):
        reason = Reason(
            ChoiRule.TARGET_PR_ATTENUATION,
            f"Target PR by attenuation: {attenuation.short()} (≥ "
            f"{params.pr_attenuation_decrease_pct:g}% below baseline), whatever the size "
            f"(sum {_signed(target.change_from_baseline_pct)} from baseline, "
            f'{_signed(target.change_from_nadir_pct)} from the nadir); {_TABLE}: "a decrease '
            'in size of ≥10% or a decrease in tumor density (HU) ≥15%"',
        )
        return replace(target, response=R.PR, reason=reason), False
    change = _size_change(target, params)
    grew = change is not None and change >= params.pd_size_increase_pct - TOLERANCE
    if grew and not attenuation.measured and attenuation.lesions + attenuation.missing:
        reason = Reason(
            ChoiRule.TARGET_NE_ATTENUATION,
            f"Target NE: size {change:+.1f}% from the {_reference(params)} (≥ "
            f"{params.pd_size_increase_pct:g}%), but {attenuation.short()}: Choi calls PD only "
            f"when the attenuation has not fallen ≥ {params.pr_attenuation_decrease_pct:g}%, "
            "which cannot be checked",
        )
        return replace(target, response=R.NE, reason=reason), True
    return target, bool(attenuation.missing)


def _signed(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1f}%"


def assess(
    record: PatientRecord,
    *,
    as_of: date | None = None,
    params: ChoiParameters | None = None,
) -> PatientAssessment:
    """Choi response of one patient at each assessment, and the best overall response.

    Parameters
    ----------
    record
        The patient's lesions with sizes and attenuations (``attenuation_hu``), intratumoral
        nodule findings, and the treatment start.
    as_of
        See only scans up to this date.
    params
        The criteria parameters (default: Choi's values).
    """
    params = ChoiParameters() if params is None else params
    rules = params.recist
    baseline, timepoints = build_timepoints(
        record, window_days=params.timepoint_window_days, as_of=as_of
    )
    warnings = _baseline_warnings(record, baseline)
    by_recist = recist_points(record, as_of=as_of, params=params.recist_reference)
    lesions = {lesion.lesion_id: lesion for lesion in record.lesions}
    base_sizes = {k: counted_size(o, rules) or 0.0 for k, o in baseline.targets.items()}
    baseline_sum = sum(base_sizes.values()) if baseline.targets else None
    nadir = baseline_sum
    results: list[TimepointResult] = []
    for index, point in enumerate(timepoints):
        reasons: list[Reason] = []
        target = None
        attenuation = None
        if baseline.targets and baseline_sum is not None and nadir is not None:
            attenuation = attenuation_at(baseline.targets, point.targets, params)
            shared = target_state(
                {k: lesions[k] for k in baseline.targets},
                point.targets,
                baseline_sum=baseline_sum,
                nadir=nadir,
                params=rules,
                progression=_progression_rule(attenuation, baseline_sum, params),
            )
            target, unmeasured = _choi_target(shared, attenuation, params)
            reasons += [target.reason, Reason(ChoiRule.ATTENUATION, attenuation.text(params))]
            if unmeasured:
                warnings.append(
                    PatientWarning(
                        PatientWarningKind.ATTENUATION_NOT_MEASURED,
                        f"{point.date.isoformat()}: {attenuation.short()}; Choi's PR by "
                        "attenuation (and, when the size grows, its PD) cannot be judged: give "
                        "attenuation_hu for every target, measured in the portal venous phase "
                        "as at baseline",
                        point.date,
                    )
                )
        read = read_overall(
            point,
            timepoints[:index],
            target=target,
            has_non_targets=bool(baseline.non_targets),
            no_disease=ChoiRule.NO_DISEASE,
            overall=ChoiRule.OVERALL,
            source="Choi et al., J Clin Oncol 2007; overall table of RECIST 1.1",
            other_progression=nodule_finding(point),
            other_label="new or growing intratumoral nodule",
        )
        reasons.extend(read.reasons)
        warnings.extend(read.warnings)
        response, non_target, new = read.response, read.non_target, read.new_lesions
        guard = size_only_progression(
            response=response,
            criteria="Choi",
            recist_point=by_recist.get(point.date),
            evidence=_evidence(target, attenuation, params),
        )
        if guard is not None:
            reasons.append(guard.reason)
            warnings.append(guard.warning)
        metrics: dict[str, float | None] = {}
        if attenuation is not None:
            metrics = {
                "attenuation_hu": attenuation.mean_hu,
                "baseline_attenuation_hu": attenuation.baseline_hu,
                "attenuation_change_pct": attenuation.change_pct,
            }
        results.append(
            timepoint_result(
                day=point.date,
                response=response,
                target=target,
                non_target=non_target,
                new_lesions=new,
                reasons=reasons,
                nadir_mm=nadir,
                metrics=metrics,
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


def _evidence(
    target: TargetState | None, attenuation: Attenuation | None, params: ChoiParameters
) -> str:
    """``size +24.0% from the nadir, attenuation -35.0% from baseline`` for the guard."""
    if target is None:
        return "no target lesions"
    change = _size_change(target, params)
    size = "size n/a" if change is None else f"size {change:+.1f}% from the {_reference(params)}"
    return size if attenuation is None else f"{size}, {attenuation.short()}"


#: Reason codes of RECIST 1.1 that Choi's results carry too (documented with Choi's own).
SHARED_RULES = (
    RecistRule.TARGET_CR,
    RecistRule.TARGET_PR,
    RecistRule.TARGET_SD,
    RecistRule.TARGET_PD,
    RecistRule.TARGET_NE,
    RecistRule.TARGET_PD_PARTIAL,
    RecistRule.NON_TARGET_CR,
    RecistRule.NON_TARGET_NON_CR_NON_PD,
    RecistRule.NON_TARGET_PD,
    RecistRule.NON_TARGET_NE,
    RecistRule.NEW_LESION,
    RecistRule.NEW_LESION_CONFIRMED,
)
