"""mRECIST: RECIST 1.1 on the viable (arterially enhancing) part of each target.

Source: Lencioni R, Llovet JM. *Modified RECIST (mRECIST) assessment for hepatocellular
carcinoma.* Semin Liver Dis 2010;30(1):52-60, doi:10.1055/s-0030-1247132. Viable tumour is
"tumoral tissue showing uptake in arterial phase of contrast-enhanced radiologic imaging". The
response table is quoted from its reproduction in Korean J Radiol 2022;23(12):1126 (Table 11,
PMC9747269); target eligibility from Abdom Radiol 2018 (Table 4, PMC5771991).

A treated tumour can keep its size, or grow, while its enhancing part dies; measured whole it
is stable or progressing, measured by its viable part it responds. The rules, with their
parameters (every result records them):

- **Targets** are measurable in one dimension as at least ``measurable_min_mm`` (10 mm) **and
  show intratumoral arterial enhancement**: a non-nodal target needs a viable diameter
  (``viable_mm``, the longest diameter of the arterially enhancing part) of at least 10 mm at
  baseline. At most 5 targets, 2 per organ, as RECIST 1.1. A lymph node is measured by its
  short axis as in RECIST 1.1.
- **Target response** on the sum of the viable diameters. *CR*: no intratumoral arterial
  enhancement left in any target (every viable diameter 0). *PR*: the sum at least
  ``pr_decrease_pct`` (30%) below the baseline sum. *PD*: the sum at least ``pd_increase_pct``
  (20%) above the nadir, the smallest sum since treatment started, with no absolute floor
  (``pd_min_increase_mm`` 0: mRECIST has no 5 mm rule). *SD* otherwise; a target not assessed
  makes it NE unless the measured ones already reach PD.
- **Non-targets** by status, where ``absent`` means no intratumoral arterial enhancement left:
  CR when none enhances, NON_CR_NON_PD (mRECIST's "incomplete response/stable disease") while
  one does, PD on unequivocal progression. **New lesions** as RECIST 1.1: an unequivocal one is
  PD; record a nodule as ``equivocal`` until it is typical of HCC or has grown.
- **Overall response** by RECIST 1.1's table; **best overall response** by its rules.
- **Guard**: RECIST 1.1 reads the same patients on the whole-lesion sizes (``size_mm``) where
  they are given; where it reads PD and mRECIST does not, a ``size_only_pd`` reason and a warning
  say so (:mod:`pseudoprog.criteria.size_guard`).

Examples
--------
>>> from datetime import date
>>> from pseudoprog.patient import Observation, PatientRecord, TrackedLesion
>>> record = PatientRecord(
...     "H1", date(2021, 1, 10), (TrackedLesion("H1", "L1", organ="liver"),),
...     {"L1": (Observation(date(2021, 1, 5), 40.0, viable_mm=40.0),
...             Observation(date(2021, 3, 8), 50.0, viable_mm=20.0),
...             Observation(date(2021, 5, 3), 50.0, viable_mm=0.0))})
>>> [(t.response.value, t.target_sum_mm) for t in assess(record).timepoints]
[('PR', 20.0), ('CR', 0.0)]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import ClassVar

from pseudoprog.criteria.assembly import lowered_nadir, patient_assessment, timepoint_result
from pseudoprog.criteria.best_response import (
    BestResponseParameters,
)
from pseudoprog.criteria.codes import OverallResponse
from pseudoprog.criteria.flat_parameters import FlatParameters
from pseudoprog.criteria.patient_result import (
    PatientAssessment,
    TimepointResult,
)
from pseudoprog.criteria.recist import (
    TOLERANCE,
    ProgressionRule,
    RecistParameters,
    TargetState,
    _baseline_warnings,
    counted_size,
    reaches_pd,
    read_overall,
    target_state,
)
from pseudoprog.criteria.recist import baseline_problems as recist_baseline_problems
from pseudoprog.criteria.result import Reason
from pseudoprog.criteria.size_guard import recist_points, size_only_progression
from pseudoprog.criteria.timepoints import build_timepoints
from pseudoprog.errors import ParameterError
from pseudoprog.patient import LesionRole, Observation, PatientRecord, TrackedLesion

__all__ = [
    "CITATION",
    "MRecistParameters",
    "MRecistRule",
    "assess",
    "baseline_problems",
    "viable_record",
]

R = OverallResponse
CITATION = "Lencioni R, Llovet JM. Semin Liver Dis 2010;30:52-60"
_TABLE = "mRECIST table, reproduced in Korean J Radiol 2022;23:1126, Table 11"


class MRecistRule(StrEnum):
    """Rules of mRECIST beyond RECIST 1.1's; the value is the code written in reasons."""

    TARGET_CR_VIABLE = "target_cr_viable"
    VIABLE = "viable"
    NO_DISEASE = "no_disease"
    OVERALL = "overall"


@dataclass(frozen=True, kw_only=True)
class MRecistParameters(FlatParameters):
    """Parameters of mRECIST (Lencioni & Llovet 2010); every result records them.

    ``to_dict()`` is flat (these and the best-response rules), and :meth:`from_mapping` reads
    the same keys.

    Parameters
    ----------
    measurable_min_mm
        Smallest viable (arterially enhancing) diameter of a non-nodal target at baseline
        (mRECIST: measurable as at least 1 cm and showing intratumoral arterial enhancement).
    node_target_min_mm
        Smallest short axis of a nodal target (RECIST 1.1: 15 mm).
    node_normal_max_mm
        A node below this short axis is normal (RECIST 1.1: 10 mm); needed of every nodal
        target for CR.
    max_targets, max_targets_per_organ
        At most 5 targets, at most 2 per organ (mRECIST takes RECIST 1.1's target selection).
    pr_decrease_pct
        PR: the sum of viable diameters at least this far below the baseline sum (mRECIST: at
        least 30%).
    pd_increase_pct
        PD: the sum of viable diameters at least this far above the smallest sum recorded since
        treatment started (mRECIST: at least 20%).
    pd_min_increase_mm
        PD also needs the sum this many mm above that smallest sum (mRECIST: none, 0; RECIST
        1.1's 5 mm came later).
    too_small_default_mm
        Size counted for a target whose enhancing part is present but too small to measure
        (RECIST 1.1: 5 mm).
    timepoint_window_days
        Scans at most this many days after the first scan of an assessment belong to it (0:
        every scan date is its own assessment). Not a guideline value: a data convention.
    best_response
        Rules of the best overall response (RECIST 1.1 section 4.4).
    """

    NAME: ClassVar[str] = "mrecist"

    measurable_min_mm: float = 10.0
    node_target_min_mm: float = 15.0
    node_normal_max_mm: float = 10.0
    max_targets: int = 5
    max_targets_per_organ: int = 2
    pr_decrease_pct: float = 30.0
    pd_increase_pct: float = 20.0
    pd_min_increase_mm: float = 0.0
    too_small_default_mm: float = 5.0
    timepoint_window_days: int = 0
    best_response: BestResponseParameters = field(default_factory=BestResponseParameters)

    def __post_init__(self) -> None:
        for name in (
            "measurable_min_mm",
            "node_target_min_mm",
            "node_normal_max_mm",
            "pr_decrease_pct",
            "pd_increase_pct",
            "pd_min_increase_mm",
            "too_small_default_mm",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ParameterError(f"{name} must be a number, got {value!r}")
            if not (math.isfinite(value) and value >= 0):
                raise ParameterError(f"{name} must be a number of at least 0, got {value}")
            object.__setattr__(self, name, float(value))
        if not 0 < self.pr_decrease_pct < 100:
            raise ParameterError(
                f"pr_decrease_pct must be above 0 and below 100, got {self.pr_decrease_pct}; "
                "mRECIST uses 30"
            )
        for name in ("measurable_min_mm", "pd_increase_pct"):
            if not getattr(self, name) > 0:
                raise ParameterError(f"{name} must be positive, got {getattr(self, name)}")
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
        if not isinstance(self.best_response, BestResponseParameters):
            raise ParameterError(
                f"best_response must be BestResponseParameters, got {self.best_response!r}"
            )

    @property
    def recist(self) -> RecistParameters:
        """The RECIST 1.1 parameters of the shared rules, with mRECIST's thresholds."""
        return replace(
            self.recist_reference,
            pr_decrease_pct=self.pr_decrease_pct,
            pd_increase_pct=self.pd_increase_pct,
            pd_min_increase_mm=self.pd_min_increase_mm,
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


# ---- the viable view of a patient ----------------------------------------------------------


def _viable(observation: Observation) -> Observation:
    """A non-nodal target's or non-target's observation with its viable diameter as the size."""
    size = observation.viable_mm
    if size is None and observation.size_mm is not None and observation.size_mm <= 0:
        size = 0.0  # the lesion has gone, and its enhancement with it
    return Observation(observation.date, size, observation.status)


def viable_record(record: PatientRecord) -> PatientRecord:
    """The patient with each non-nodal target's and non-target's size replaced by its viable
    diameter (``viable_mm``; 0 when the lesion has gone). Lymph nodes keep their short axis;
    new lesions are kept as they are (the new-lesion rule reads only whether they are there).
    """
    observations = {}
    for lesion in record.lesions:
        series = record.series(lesion.lesion_id)
        if not series:
            continue
        if lesion.lymph_node or lesion.role is LesionRole.NEW:
            observations[lesion.lesion_id] = series
        else:
            observations[lesion.lesion_id] = tuple(_viable(o) for o in series)
    return replace(record, observations=MappingProxyType(observations))


# ---- baseline checks ------------------------------------------------------------------------


def baseline_problems(
    record: PatientRecord, params: MRecistParameters
) -> list[tuple[TrackedLesion | None, str, str]]:
    """Problems of a patient's baseline: ``(lesion or None, what is wrong, the fix)``.

    RECIST 1.1's number of targets and, for nodal targets, their short axis; every non-nodal
    target must enhance at baseline with a viable diameter of at least ``measurable_min_mm``;
    a viable diameter larger than the lesion's own is an error on any scan.
    """
    problems = [
        problem
        for problem in recist_baseline_problems(record, params.recist, criteria="mRECIST")
        if problem[0] is None or problem[0].lymph_node
    ]
    minimum = params.measurable_min_mm
    for target in record.lesions_by_role(LesionRole.TARGET):
        larger = [
            o
            for o in record.series(target.lesion_id)
            if o.viable_mm is not None
            and o.size_mm is not None
            and o.viable_mm > o.size_mm + TOLERANCE
        ]
        if larger:
            first = larger[0]
            problems.append(
                (
                    target,
                    f"target {target.lesion_id} has a viable diameter ({first.viable_mm:g} mm) "
                    f"larger than the lesion ({first.size_mm:g} mm) on "
                    f"{first.date.isoformat()}",
                    "viable_mm at most size_mm: the enhancing part lies within the lesion",
                )
            )
        base = record.baseline(target.lesion_id)
        if base is None or target.lymph_node:
            continue
        viable = base.viable_mm
        if viable is None or viable < minimum - TOLERANCE:
            got = "no viable_mm" if viable is None else f"a viable diameter of {viable:g} mm"
            problems.append(
                (
                    target,
                    f"target {target.lesion_id} has {got} at its baseline scan "
                    f"({base.date.isoformat()}); mRECIST targets must show intratumoral "
                    f"arterial enhancement measurable as at least {minimum:g} mm",
                    f"viable_mm (longest diameter of the arterially enhancing part) of at least "
                    f"{minimum:g} mm, or role 'non_target'; for size alone, --criteria recist1.1",
                )
            )
    return problems


# ---- the engine ------------------------------------------------------------------------------


def _progression_rule(params: MRecistParameters) -> ProgressionRule:
    rules = params.recist

    def rule(measured: Mapping[str, float], total: float, nadir: float) -> tuple[bool, str]:
        floor = (
            "no absolute floor"
            if params.pd_min_increase_mm == 0
            else f"and ≥ {params.pd_min_increase_mm:g} mm"
        )
        text = (
            f"mRECIST PD needs the viable sum ≥ {params.pd_increase_pct:g}% above the smallest "
            f"sum since treatment started, {floor}"
        )
        return reaches_pd(total, nadir, rules), text

    return rule


def _viable_target(target: TargetState) -> TargetState:
    if target.response is not R.CR:
        return target
    reason = Reason(
        MRecistRule.TARGET_CR_VIABLE,
        "Target CR: no intratumoral arterial enhancement left in any target (viable sum "
        f"{target.sum_mm or 0.0:.1f} mm; every nodal target below the normal short axis); "
        f"{_TABLE}",
    )
    return replace(target, reason=reason)


def assess(
    record: PatientRecord,
    *,
    as_of: date | None = None,
    params: MRecistParameters | None = None,
) -> PatientAssessment:
    """mRECIST response of one patient at each assessment, and the best overall response.

    Parameters
    ----------
    record
        The patient's lesions with viable diameters (``viable_mm``), and sizes (``size_mm``)
        for the comparison with RECIST 1.1; the treatment start.
    as_of
        See only scans up to this date.
    params
        The criteria parameters (default: mRECIST's values).
    """
    params = MRecistParameters() if params is None else params
    rules = params.recist
    viable = viable_record(record)
    baseline, timepoints = build_timepoints(
        viable, window_days=params.timepoint_window_days, as_of=as_of
    )
    warnings = _baseline_warnings(viable, baseline)
    by_recist = recist_points(record, as_of=as_of, params=params.recist_reference)
    lesions = {lesion.lesion_id: lesion for lesion in record.lesions}
    base_sizes = {k: counted_size(o, rules) or 0.0 for k, o in baseline.targets.items()}
    baseline_sum = sum(base_sizes.values()) if baseline.targets else None
    nadir = baseline_sum
    results: list[TimepointResult] = []
    for index, point in enumerate(timepoints):
        reasons: list[Reason] = []
        target = None
        if baseline.targets and baseline_sum is not None and nadir is not None:
            target = _viable_target(
                target_state(
                    {k: lesions[k] for k in baseline.targets},
                    point.targets,
                    baseline_sum=baseline_sum,
                    nadir=nadir,
                    params=rules,
                    progression=_progression_rule(params),
                )
            )
            reasons.append(target.reason)
            reasons.append(
                Reason(
                    MRecistRule.VIABLE,
                    "Viable diameters (arterially enhancing part; lymph nodes by short axis): "
                    + ", ".join(
                        f"{k} {_mm(counted_size(o, rules))}" for k, o in point.targets.items()
                    ),
                )
            )
        read = read_overall(
            point,
            timepoints[:index],
            target=target,
            has_non_targets=bool(baseline.non_targets),
            no_disease=MRecistRule.NO_DISEASE,
            overall=MRecistRule.OVERALL,
            source="mRECIST, Lencioni & Llovet, Semin Liver Dis 2010; overall table of RECIST 1.1",
        )
        reasons.extend(read.reasons)
        warnings.extend(read.warnings)
        response, non_target, new = read.response, read.non_target, read.new_lesions
        guard = size_only_progression(
            response=response,
            criteria="mRECIST",
            recist_point=by_recist.get(point.date),
            evidence=_evidence(target),
        )
        if guard is not None:
            reasons.append(guard.reason)
            warnings.append(guard.warning)
        results.append(
            timepoint_result(
                day=point.date,
                response=response,
                target=target,
                non_target=non_target,
                new_lesions=new,
                reasons=reasons,
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


def _mm(value: float | None) -> str:
    return "not assessed" if value is None else f"{value:.1f} mm"


def _evidence(target: TargetState | None) -> str:
    """``viable tumour -40.0% from the nadir`` for the guard."""
    if target is None or target.change_from_nadir_pct is None:
        return "viable tumour not measured"
    return (
        f"viable tumour {target.change_from_nadir_pct:+.1f}% from the nadir "
        f"({_signed(target.change_from_baseline_pct)} from baseline)"
    )


def _signed(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.1f}%"
