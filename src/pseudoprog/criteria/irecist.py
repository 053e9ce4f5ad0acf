"""iRECIST: RECIST 1.1 for immune-based therapeutics, with confirmation of progression.

Source: Seymour L, Bogaerts J, Perrone A, et al. *iRECIST: guidelines for response criteria for
use in trials testing immunotherapeutics.* Lancet Oncol 2017;18:e143-e152 (Table 2: timepoint
response with and without a previous iUPD; Table 3: best overall response), and the RECIST
working group's iRECIST questions and answers (recist.eortc.org: the confirmation window,
additive increases, non-target and new-lesion progression). The best overall response (iBOR)
follows the iRECIST vignette of the R package admiralonco (pharmaverse).

Immunotherapy can make tumours look larger, or show new lesions, before they shrink
(pseudoprogression). iRECIST therefore calls the first RECIST 1.1 progression *unconfirmed*
(iUPD) and asks the next assessment to confirm it (iCPD). The rules, as this module applies
them, with their parameters (every one is recorded in each result):

- **Until the first progression**, each timepoint is RECIST 1.1's response
  (:mod:`pseudoprog.criteria.recist`, whose parameters apply) with an i prefix: iCR, iPR, iSD,
  iNN (non-iCR/non-iUPD, non-target disease only) or NE.
- **iUPD.** The first RECIST 1.1 progression: target sum ≥ 20% and ≥ 5 mm above the nadir, an
  unequivocal progression of a non-target, or an unequivocal new lesion.
- **New lesions are measured apart**, never added to the baseline target sum. In the order they
  are first seen (input order on one date), a new lesion measurable at first sight (a size of
  at least ``measurable_min_mm``; a node: ``node_target_min_mm``) is a *new-lesion target*
  (NLT) while fewer than ``max_new_targets`` (5) are, and fewer than
  ``max_new_targets_per_organ`` (2) in its organ (all nodes are one organ); every other new
  lesion is a *new-lesion non-target* (NLNT).
- **iCPD.** At an assessment after the iUPD, with no iSD, iPR, iCR or iNN since (the *run* of
  the iUPD), progression is confirmed by any of:

  * the target sum ``icpd_target_increase_mm`` (5 mm) or more above the lowest sum of the run
    (the iUPD's, or a lower one since), when the targets drove the iUPD. Increases add up:
    +4 mm then +2 mm confirms (working group). A target not assessed now leaves the others'
    sum, which can only be smaller than the whole;
  * target progression newly met (RECIST 1.1 target PD) when the targets did not drive the
    iUPD (working group: "'new' progression in other disease categories ... can of course also
    confirm progression");
  * any further increase of non-target disease, which need not be unequivocal. Non-targets are
    followed by status only, and no status says "unchanged since the iUPD": a non-target
    recorded ``unequivocal_progression`` at this assessment counts as an increase (when the
    iUPD was driven by non-targets, as further growth; otherwise as non-target progression
    newly met), while one recorded ``present`` is no longer progression;
  * the NLT sum ``icpd_new_target_increase_mm`` (5 mm) or more above its lowest value in the
    run (over the NLTs measured at both assessments);
  * any increase of a new-lesion non-target: recorded ``unequivocal_progression`` (any new
    lesion so recorded counts), or a recorded size above its smallest in the run;
  * an additional new lesion: one seen now and at no assessment up to the iUPD.

- **The confirmation window.** The confirming assessment is due ``iupd_confirmation_min_days``
  to ``iupd_confirmation_max_days`` (28-56) days after the iUPD. One made fewer than 28 days
  after the first iUPD of the run cannot confirm (working group: scans done less than 4 weeks
  after the first iUPD "should not be used to define iCPD"); it stays iUPD (NE when not
  evaluable), with a ``confirmation_out_of_window`` warning when it would have confirmed. One
  made more than 56 days after the iUPD is used, with the same warning. An unchanged iUPD
  assessment made once the 28 days are over opens the window for the next assessment.
- **Unchanged** progression (still RECIST 1.1 progression, nothing above) stays iUPD; an NE
  assessment leaves the iUPD open. The open iUPD is the result's ``pending``.
- **Reset.** An assessment that is no longer RECIST 1.1 progression (iSD, iPR, iCR or iNN)
  closes the iUPD unconfirmed; a later progression is a new iUPD, against the nadir then.
- **After iCPD** every assessment is iCPD: a confirmed progression is not reset.

The best overall response orders iCR > iPR > iSD > iNN > iCPD > iUPD > NE. Each stretch of
assessments between iUPDs is judged by
:func:`pseudoprog.criteria.best_response.best_overall_response` (codes read as RECIST 1.1's,
the first iUPD of a confirmed progression as PD, so confirmation and the SD minimum apply as for
RECIST 1.1); the iBOR is the best of the stretches. iUPDs that were reset, or are still open,
belong to no stretch (an iUPD between a response and its confirmation breaks it); when nothing
better counts, an open iUPD gives iUPD.

Examples
--------
>>> from datetime import date
>>> from pseudoprog.patient import Observation, PatientRecord, TrackedLesion
>>> def seen(*pairs):
...     return tuple(Observation(date.fromisoformat(d), size) for d, size in pairs)
>>> record = PatientRecord(
...     "P1", date(2021, 1, 10), (TrackedLesion("P1", "L1", organ="liver"),),
...     {"L1": seen(("2021-01-05", 50.0), ("2021-03-01", 60.0), ("2021-04-05", 66.0))})
>>> result = assess(record)
>>> [(t.date.isoformat(), t.response.value) for t in result.timepoints]
[('2021-03-01', 'iUPD'), ('2021-04-05', 'iCPD')]
>>> print(result.timepoints[1].reasons[-2])
iCPD: target sum 66.0 mm, +6.0 mm since iUPD on 2021-03-01 (≥ 5 mm confirms)
>>> print(assess(record, as_of=date(2021, 3, 20)).pending[0].message)
iUPD on 2021-03-01 awaiting confirmation: next scan due between 2021-03-29 and 2021-04-26
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from pseudoprog.criteria.best_response import (
    AssessedResponse,
    BestResponse,
    BestResponseParameters,
    best_overall_response,
)
from pseudoprog.criteria.codes import IRecistResponse, OverallResponse
from pseudoprog.criteria.patient_result import (
    PatientAssessment,
    PatientWarning,
    PatientWarningKind,
    Pending,
    TimepointResult,
)
from pseudoprog.criteria.recist import TOLERANCE, RecistParameters, RecistRule, counted_size
from pseudoprog.criteria.recist import assess as recist_assess
from pseudoprog.criteria.result import Reason
from pseudoprog.criteria.timepoints import Timepoint, build_timepoints
from pseudoprog.errors import ParameterError
from pseudoprog.patient import LesionRole, LesionStatus, Observation, PatientRecord

__all__ = [
    "IRecistParameters",
    "IRecistRule",
    "NewLesionCategories",
    "assess",
    "new_lesion_categories",
]

R = OverallResponse
IR = IRecistResponse


class IRecistRule(StrEnum):
    """Rules of iRECIST; the value is the code written in reasons."""

    RECIST = "recist"
    IUPD = "iupd"
    IUPD_UNCHANGED = "iupd_unchanged"
    IUPD_TOO_EARLY = "iupd_too_early"
    IUPD_OPEN = "iupd_open"
    RESET = "reset"
    ICPD_TARGET = "icpd_target"
    ICPD_TARGET_NEWLY = "icpd_target_newly"
    ICPD_NON_TARGET = "icpd_non_target"
    ICPD_NON_TARGET_NEWLY = "icpd_non_target_newly"
    ICPD_NEW_LESION_TARGET = "icpd_new_lesion_target"
    ICPD_NEW_LESION_NON_TARGET = "icpd_new_lesion_non_target"
    ICPD_NEW_LESION_COUNT = "icpd_new_lesion_count"
    ICPD_CONFIRMED = "icpd_confirmed"
    ICPD_STAYS = "icpd_stays"
    NEW_LESIONS = "new_lesions"
    BEST_RESPONSE = "best_response"


@dataclass(frozen=True, kw_only=True)
class IRecistParameters:
    """Parameters of iRECIST (Seymour et al. 2017); every result records them.

    ``to_dict()`` is flat (the RECIST 1.1 parameters, these, and the best-response rules), and
    :meth:`from_mapping` reads the same flat keys.

    Parameters
    ----------
    recist
        The RECIST 1.1 parameters that decide each timepoint before confirmation, and the
        best-response rules (:class:`~pseudoprog.criteria.recist.RecistParameters`).
    iupd_confirmation_min_days, iupd_confirmation_max_days
        The assessment confirming an iUPD is due this many days after it: 28-56, "4-8 weeks"
        (Seymour 2017). One made earlier than the minimum after the first iUPD cannot confirm
        (RECIST working group, iRECIST FAQ); one made later than the maximum is used, with a
        warning.
    icpd_target_increase_mm
        iCPD when the target sum rises at least this much from its lowest value since the iUPD
        (Seymour 2017, Table 2: 5 mm; rises add up).
    icpd_new_target_increase_mm
        iCPD when the sum of the new-lesion targets rises at least this much from its lowest
        value since the iUPD (Seymour 2017, Table 2: 5 mm).
    max_new_targets, max_new_targets_per_organ
        New lesions measured as new-lesion targets: at most 5, at most 2 per organ (Seymour
        2017); the others are new-lesion non-targets.
    confirmation_required
        Whether a CR or PR must be confirmed for the best overall response (RECIST 1.1 section
        4.4).
    confirmation_min_days
        A CR or PR is confirmed by an assessment at least this many days later (the best
        overall response; not the iUPD window).
    sd_min_days
        iSD and iNN count for the best overall response only this many days after the
        treatment start (NE before).
    max_ne_between, accept_sd_between, missing_as_ne, nd_as_ne, disease_after_cr_as_pd
        Best overall response rules, as for RECIST 1.1 (``pseudoprog criteria show
        recist1.1``).
    """

    recist: RecistParameters = field(default_factory=RecistParameters)
    iupd_confirmation_min_days: int = 28
    iupd_confirmation_max_days: int = 56
    icpd_target_increase_mm: float = 5.0
    icpd_new_target_increase_mm: float = 5.0
    max_new_targets: int = 5
    max_new_targets_per_organ: int = 2

    def __post_init__(self) -> None:
        if not isinstance(self.recist, RecistParameters):
            raise ParameterError(
                f"recist must be RecistParameters, got {self.recist!r}; build them with "
                "RecistParameters(...) or give flat keys to IRecistParameters.from_mapping"
            )
        for name in (
            "iupd_confirmation_min_days",
            "iupd_confirmation_max_days",
            "max_new_targets",
            "max_new_targets_per_organ",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ParameterError(f"{name} must be a whole number, got {value!r}")
            if value < 0:
                raise ParameterError(f"{name} must not be negative, got {value}")
        for name in ("icpd_target_increase_mm", "icpd_new_target_increase_mm"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ParameterError(f"{name} must be a number, got {value!r}")
            if not value > 0:
                raise ParameterError(f"{name} must be positive, got {value}; iRECIST uses 5")
        if self.iupd_confirmation_max_days < self.iupd_confirmation_min_days:
            raise ParameterError(
                f"iupd_confirmation_max_days ({self.iupd_confirmation_max_days}) must not be "
                f"below iupd_confirmation_min_days ({self.iupd_confirmation_min_days}); "
                "iRECIST uses 28 and 56"
            )

    @property
    def criteria(self) -> str:
        """Name of the criteria."""
        return "irecist"

    @property
    def best_response(self) -> BestResponseParameters:
        """The best-response rules (those of :attr:`recist`)."""
        return self.recist.best_response

    def to_dict(self) -> dict[str, Any]:
        """The parameters as flat JSON-ready values: RECIST 1.1's, iRECIST's, best response."""
        base = self.recist.to_dict()
        bor = self.recist.best_response.to_dict()
        recist_own = {k: v for k, v in base.items() if k != "criteria" and k not in bor}
        own = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "recist"}
        return {"criteria": self.criteria, **recist_own, **own, **bor}

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> IRecistParameters:
        """Build parameters from flat keys (those of :meth:`to_dict`, e.g. a TOML file).

        Raises
        ------
        ParameterError
            For an unknown key (the message lists the known ones) or a bad value.
        """
        own_names = {f.name for f in fields(cls)} - {"recist"}
        recist_names = set(RecistParameters().to_dict()) - {"criteria"}
        unknown = sorted(set(values) - own_names - recist_names - {"criteria"})
        if unknown:
            known = ", ".join(sorted(own_names | recist_names))
            raise ParameterError(
                f"unknown parameter {', '.join(map(repr, unknown))} for {cls.__name__}; "
                f"known parameters: {known}"
            )
        recist = RecistParameters.from_mapping(
            {k: v for k, v in values.items() if k in recist_names}
        )
        own = {k: v for k, v in values.items() if k in own_names}
        try:
            return cls(recist=recist, **own)
        except TypeError as exc:
            raise ParameterError(f"bad parameter value: {exc}") from None


# ---- new lesions ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewLesionCategories:
    """New lesions split into new-lesion targets (measured) and non-targets, in order seen."""

    targets: tuple[str, ...]
    non_targets: tuple[str, ...]

    def is_target(self, lesion_id: str) -> bool:
        return lesion_id in self.targets


def _unequivocal(observation: Observation) -> bool:
    return observation.present and observation.status is not LesionStatus.EQUIVOCAL


def new_lesion_categories(
    record: PatientRecord, points: Sequence[Timepoint], params: IRecistParameters
) -> NewLesionCategories:
    """Split the new lesions into new-lesion targets (NLT) and non-targets (NLNT).

    A new lesion is categorised when first seen unequivocally (in date order, input order on one
    date): a target when measurable then (size at least ``measurable_min_mm``; a node's short
    axis at least ``node_target_min_mm``) and within ``max_new_targets`` and
    ``max_new_targets_per_organ`` (all nodes are one organ); otherwise a non-target.
    """
    lesions = {lesion.lesion_id: lesion for lesion in record.lesions_by_role(LesionRole.NEW)}
    targets: list[str] = []
    non_targets: list[str] = []
    per_organ: dict[str, int] = {}
    for point in points:
        for lesion_id in lesions:  # input order
            observation = point.new.get(lesion_id)
            if observation is None or lesion_id in targets or lesion_id in non_targets:
                continue
            if not _unequivocal(observation):
                continue
            lesion = lesions[lesion_id]
            minimum = (
                params.recist.node_target_min_mm
                if lesion.lymph_node
                else params.recist.measurable_min_mm
            )
            organ = lesion.organ_group
            measurable = (
                observation.size_mm is not None and observation.size_mm >= minimum - TOLERANCE
            )
            if (
                measurable
                and len(targets) < params.max_new_targets
                and per_organ.get(organ, 0) < params.max_new_targets_per_organ
            ):
                targets.append(lesion_id)
                per_organ[organ] = per_organ.get(organ, 0) + 1
            else:
                non_targets.append(lesion_id)
    return NewLesionCategories(tuple(targets), tuple(non_targets))


def _seen_new(point: Timepoint) -> set[str]:
    return {k for k, o in point.new.items() if _unequivocal(o)}


def _new_sums(
    now: Mapping[str, Observation | None],
    then: Mapping[str, Observation | None],
    ids: Sequence[str],
    params: RecistParameters,
) -> tuple[float, float, list[str]]:
    """Sums now and then over the new lesions of ``ids`` measured at both, and those lesions.

    A lesion only equivocal then is left out: it was not part of the progression then (if it
    is seen now, it is an additional new lesion).
    """
    common = []
    total_now = total_then = 0.0
    for lesion_id in ids:
        before = then.get(lesion_id)
        if before is not None and before.status is LesionStatus.EQUIVOCAL:
            continue
        size_now = counted_size(now.get(lesion_id), params)
        size_then = counted_size(before, params)
        if size_now is None or size_then is None:
            continue
        common.append(lesion_id)
        total_now += size_now
        total_then += size_then
    return total_now, total_then, common


def _complete(point: Timepoint, params: RecistParameters) -> bool:
    """Whether every target was measured at an assessment."""
    return all(counted_size(o, params) is not None for o in point.targets.values())


def _since(ctx: _Context, start: int, low: int, value: float) -> str:
    """Words for the reference of a rise: the iUPD, or the lowest value since it."""
    first = ctx.points[start].date.isoformat()
    if low == start:
        return f"since iUPD on {first}"
    return (
        f"since {_mm(value)} on {ctx.points[low].date.isoformat()}, the lowest since iUPD on "
        f"{first}"
    )


def _mm(value: float) -> str:
    return f"{value:.1f} mm"


def _names(ids: Sequence[str] | set[str]) -> str:
    return ", ".join(sorted(ids))


# ---- confirmation -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Check:
    """What an assessment after an iUPD shows against it: confirming findings, or none."""

    findings: tuple[Reason, ...]
    unchanged: tuple[str, ...]
    confirmed_parts: frozenset[str]


@dataclass(slots=True)
class _Context:
    record: PatientRecord
    points: tuple[Timepoint, ...]
    recist: tuple[TimepointResult, ...]
    categories: NewLesionCategories
    params: IRecistParameters


def _check(ctx: _Context, index: int, start: int) -> _Check:
    """Whether the assessment ``index`` confirms the iUPD of assessment ``start``."""
    params = ctx.params
    point, then = ctx.points[index], ctx.points[start]
    result, at_iupd = ctx.recist[index], ctx.recist[start]
    since = f"since iUPD on {then.date.isoformat()}"
    findings: list[Reason] = []
    unchanged: list[str] = []
    parts: set[str] = set()

    # target lesions
    if point.targets:
        if at_iupd.target_response is R.PD:
            # The sum of the targets measured now (a target not assessed now could only add
            # to it, as in RECIST 1.1's partial PD) against the lowest sum of the run: the
            # iUPD's, or a lower complete one since.
            now_sum = result.target_sum_mm or 0.0
            refs = [(start, at_iupd.target_sum_mm or 0.0)] + [
                (k, ctx.recist[k].target_sum_mm or 0.0)
                for k in range(start + 1, index)
                if _complete(ctx.points[k], params.recist)
            ]
            low_index, low_sum = min(refs, key=lambda ref: ref[1])
            rise = now_sum - low_sum
            threshold = params.icpd_target_increase_mm
            missing = sorted(
                k for k, o in point.targets.items() if counted_size(o, params.recist) is None
            )
            over = ""
            if missing:
                over = f" ({_names(missing)} not assessed; the others alone)"
            from_low = _since(ctx, start, low_index, low_sum)
            if rise >= threshold - TOLERANCE:
                findings.append(
                    Reason(
                        IRecistRule.ICPD_TARGET,
                        f"iCPD: target sum {_mm(now_sum)}{over}, {rise:+.1f} mm {from_low} "
                        f"(≥ {threshold:g} mm confirms)",
                    )
                )
                parts.add("target")
            else:
                after = "" if low_index == start else f" {from_low}"
                unchanged.append(
                    f"target sum {_mm(now_sum)}{over}, {rise:+.1f} mm{after} (< {threshold:g} mm)"
                )
        elif result.target_response is R.PD:
            nadir = result.nadir_mm
            numbers = f"target sum {_mm(result.target_sum_mm or 0.0)}"
            if nadir is not None and result.change_from_nadir_pct is not None:
                rise = (result.target_sum_mm or 0.0) - nadir
                numbers += (
                    f", {result.change_from_nadir_pct:+.1f}% and {rise:+.1f} mm from the "
                    f"nadir {_mm(nadir)}"
                )
            findings.append(
                Reason(
                    IRecistRule.ICPD_TARGET_NEWLY,
                    f"iCPD: target progression newly met {since} ({numbers}; RECIST 1.1 PD "
                    "in a category that did not drive the iUPD confirms)",
                )
            )
            parts.add("target")
        else:
            unchanged.append("no target progression")

    # non-target lesions
    if point.non_targets:
        progressed = {
            k
            for k, o in point.non_targets.items()
            if o is not None and o.status is LesionStatus.UNEQUIVOCAL_PROGRESSION
        }
        before = {
            k
            for k, o in then.non_targets.items()
            if o is not None and o.status is LesionStatus.UNEQUIVOCAL_PROGRESSION
        }
        if progressed and before:
            findings.append(
                Reason(
                    IRecistRule.ICPD_NON_TARGET,
                    f"iCPD: non-target {_names(progressed)} recorded as unequivocal progression "
                    f"{since}, which was driven by non-target {_names(before)}: read as a "
                    "further increase of non-target disease (any further increase confirms)",
                )
            )
            parts.add("non_target")
        elif progressed:
            findings.append(
                Reason(
                    IRecistRule.ICPD_NON_TARGET_NEWLY,
                    f"iCPD: non-target progression newly met {since}: unequivocal progression "
                    f"of {_names(progressed)}",
                )
            )
            parts.add("non_target")
        else:
            unchanged.append("no non-target recorded as unequivocal progression")

    # new lesions
    seen_by_iupd: set[str] = set()
    for earlier in ctx.points[: start + 1]:
        seen_by_iupd |= _seen_new(earlier)
    seen_now = _seen_new(point)
    additional = seen_now - seen_by_iupd
    if additional:
        had = _names(seen_by_iupd) if seen_by_iupd else "none"
        findings.append(
            Reason(
                IRecistRule.ICPD_NEW_LESION_COUNT,
                f"iCPD: additional new lesion {_names(additional)} {since} (new lesions seen "
                f"by then: {had}; now: {_names(seen_now)}); more new lesions confirm",
            )
        )
        parts.add("new")
    elif seen_by_iupd:
        unchanged.append("no additional new lesion")
    best_rise: tuple[float, int, float, list[str]] | None = None
    for k in range(start, index):
        nlt_now, nlt_then, nlt_common = _new_sums(
            point.new, ctx.points[k].new, ctx.categories.targets, params.recist
        )
        if nlt_common and (best_rise is None or nlt_now - nlt_then > best_rise[0] + TOLERANCE):
            best_rise = (nlt_now - nlt_then, k, nlt_now, nlt_common)
    if best_rise is not None:
        rise, k, nlt_now, nlt_common = best_rise
        threshold = params.icpd_new_target_increase_mm
        from_low = _since(ctx, start, k, nlt_now - rise)
        if rise >= threshold - TOLERANCE:
            findings.append(
                Reason(
                    IRecistRule.ICPD_NEW_LESION_TARGET,
                    f"iCPD: new-lesion target sum {_mm(nlt_now)} ({_names(nlt_common)}), "
                    f"{rise:+.1f} mm {from_low} (≥ {threshold:g} mm confirms)",
                )
            )
            parts.add("new")
        else:
            after = "" if k == start else f" {from_low}"
            unchanged.append(
                f"new-lesion target sum {_mm(nlt_now)}, {rise:+.1f} mm{after} (< {threshold:g} mm)"
            )
    grown = []
    for lesion_id, observation in sorted(point.new.items()):
        if observation.status is LesionStatus.UNEQUIVOCAL_PROGRESSION:
            grown.append(f"{lesion_id} recorded as unequivocal progression")
            continue
        if ctx.categories.is_target(lesion_id):
            continue
        sizes_before = [
            o.size_mm
            for o in (ctx.points[k].new.get(lesion_id) for k in range(start, index))
            if o is not None and o.size_mm is not None and o.status is not LesionStatus.EQUIVOCAL
        ]
        if (
            sizes_before
            and observation.size_mm is not None
            and observation.size_mm > min(sizes_before) + TOLERANCE
        ):
            grown.append(f"{lesion_id} {min(sizes_before):.1f} → {observation.size_mm:.1f} mm")
    if grown:
        findings.append(
            Reason(
                IRecistRule.ICPD_NEW_LESION_NON_TARGET,
                f"iCPD: new-lesion non-target increase {since}: {'; '.join(grown)} (any "
                "increase confirms)",
            )
        )
        parts.add("new")
    elif ctx.categories.non_targets and seen_by_iupd & set(ctx.categories.non_targets):
        unchanged.append("no new-lesion non-target increase")
    return _Check(tuple(findings), tuple(unchanged), frozenset(parts))


# ---- the engine ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Run:
    """A run of iUPD assessments: where it started, its window, and how it ended."""

    start: int
    window_from: int
    end: int | None = None
    outcome: str = "open"  # "open", "reset" or "confirmed"


def _drivers(result: TimepointResult) -> list[str]:
    drivers = []
    if result.target_response is R.PD:
        drivers.append("target progression")
    if result.non_target_response is R.PD:
        drivers.append("non-target unequivocal progression")
    if result.new_lesions:
        drivers.append("new lesion")
    return drivers


def _component(value: StrEnum | None, confirmed: bool) -> IRecistResponse | None:
    """The iRECIST code of a target or non-target response."""
    if value is None:
        return None
    if value is R.PD:
        return IR.ICPD if confirmed else IR.IUPD
    return IR.from_recist(R(value))


def assess(
    record: PatientRecord,
    *,
    as_of: date | None = None,
    params: IRecistParameters | None = None,
) -> PatientAssessment:
    """iRECIST response of one patient at each assessment, and the best overall response.

    Parameters
    ----------
    record
        The patient's lesions, observations and treatment start.
    as_of
        See only scans up to this date; an iUPD still open then is the result's ``pending``.
    params
        The criteria parameters (default: the guideline's values).
    """
    params = IRecistParameters() if params is None else params
    if not isinstance(params, IRecistParameters):
        raise ParameterError(
            f"params must be IRecistParameters, got {params!r}; build them with "
            "IRecistParameters(...) or IRecistParameters.from_mapping(...)"
        )
    recist = recist_assess(record, as_of=as_of, params=params.recist)
    _, points = build_timepoints(
        record, window_days=params.recist.timepoint_window_days, as_of=as_of
    )
    ctx = _Context(
        record,
        points,
        recist.timepoints,
        new_lesion_categories(record, points, params),
        params,
    )
    warnings = [w for w in recist.warnings if w.kind is not PatientWarningKind.BEST_RESPONSE]
    low, high = params.iupd_confirmation_min_days, params.iupd_confirmation_max_days
    runs: list[_Run] = []
    run: _Run | None = None
    confirmed: _Run | None = None
    results: list[TimepointResult] = []
    for index, (point, result) in enumerate(zip(points, recist.timepoints, strict=True)):
        given = OverallResponse(result.response)
        reasons = [r for r in result.reasons if r.rule is not RecistRule.OVERALL]
        new_reason = _new_lesion_reason(ctx, point)
        if new_reason is not None:
            reasons.append(new_reason)
        parts: frozenset[str] = frozenset()
        if confirmed is not None:
            response = IR.ICPD
            first = points[confirmed.start].date.isoformat()
            on = points[confirmed.start if confirmed.end is None else confirmed.end].date
            reasons.append(
                Reason(
                    IRecistRule.ICPD_STAYS,
                    f"iCPD: progression confirmed on {on.isoformat()} "
                    f"(iUPD on {first}); a confirmed progression is not reset",
                )
            )
            parts = frozenset({"target", "non_target"})
        elif run is None:
            if given is R.PD:
                response = IR.IUPD
                run = _Run(index, index)
                runs.append(run)
                again = " after a reset" if len(runs) > 1 else ""
                reasons.append(
                    Reason(
                        IRecistRule.IUPD,
                        f"iUPD: RECIST 1.1 progression{again} ({', '.join(_drivers(result))}), "
                        f"unconfirmed: the next assessment, due {low}-{high} days later "
                        f"({(point.date + timedelta(days=low)).isoformat()} to "
                        f"{(point.date + timedelta(days=high)).isoformat()}), confirms or "
                        "resets it",
                    )
                )
            else:
                response = IR.from_recist(given)
                after = " (after a reset)" if runs else ""
                reasons.append(
                    Reason(
                        IRecistRule.RECIST,
                        f"{response.value}: RECIST 1.1 {given.value}{after}, no progression "
                        "awaiting confirmation",
                    )
                )
        else:
            step = _after_iupd(ctx, index, run, given)
            response, parts = step.response, step.parts
            reasons.extend(step.reasons)
            warnings.extend(step.warnings)
            if step.outcome != "open":
                run.end, run.outcome = index, step.outcome
                if step.outcome == "confirmed":
                    confirmed = run
                run = None
        results.append(
            TimepointResult(
                date=point.date,
                response=response,
                target_response=_component(result.target_response, "target" in parts),
                non_target_response=_component(result.non_target_response, "non_target" in parts),
                new_lesions=result.new_lesions,
                target_sum_mm=result.target_sum_mm,
                change_from_baseline_pct=result.change_from_baseline_pct,
                change_from_nadir_pct=result.change_from_nadir_pct,
                reasons=tuple(reasons),
                nadir_mm=result.nadir_mm,
            )
        )

    pending: tuple[Pending, ...] = ()
    if run is not None:
        pending = (_pending(points, run, params, as_of),)
    best = _best_response(record, results, runs, params)
    warnings.extend(best.warnings)
    return PatientAssessment(
        patient_id=record.patient_id,
        criteria=params.criteria,
        baseline_date=recist.baseline_date,
        baseline_sum_mm=recist.baseline_sum_mm,
        timepoints=tuple(results),
        best_overall_response=best.response,
        best_response_date=best.date,
        best_response_confirmed=best.confirmed,
        best_response_reasons=best.reasons,
        warnings=tuple(warnings),
        parameters=params,
        as_of=as_of,
        pending=pending,
    )


@dataclass(frozen=True, slots=True)
class _Step:
    """The iRECIST response of an assessment after an open iUPD, and what became of the iUPD."""

    response: IRecistResponse
    outcome: str  # "open", "reset" or "confirmed"
    reasons: tuple[Reason, ...]
    warnings: tuple[PatientWarning, ...] = ()
    parts: frozenset[str] = frozenset()


def _after_iupd(ctx: _Context, index: int, run: _Run, given: OverallResponse) -> _Step:
    """Confirm, keep or reset the open iUPD ``run`` at assessment ``index``.

    The minimum wait counts from the first iUPD of the run (iRECIST FAQ: scans "prior to 4
    weeks after 1st iUPD" do not define iCPD); the maximum from the latest iUPD assessment made
    once that wait was over (each opens the window for the next).
    """
    low = ctx.params.iupd_confirmation_min_days
    high = ctx.params.iupd_confirmation_max_days
    point = ctx.points[index]
    first, window = ctx.points[run.start].date, ctx.points[run.window_from].date
    since_first, since_window = (point.date - first).days, (point.date - window).days
    late: tuple[PatientWarning, ...] = ()
    if since_window > high:
        late = (
            PatientWarning(
                PatientWarningKind.CONFIRMATION_OUT_OF_WINDOW,
                f"{point.date.isoformat()}: the assessment after iUPD on {window.isoformat()} "
                f"came {since_window} days later, after the {low}-{high}-day window; used all "
                "the same",
                point.date,
            ),
        )
    if given not in (R.PD, R.NE):
        response = IR.from_recist(given)
        reason = Reason(
            IRecistRule.RESET,
            f"{response.value}: RECIST 1.1 {given.value} after iUPD on {first.isoformat()}: "
            "progression no longer met, so the iUPD is reset unconfirmed; a later progression "
            "is a new iUPD against the nadir",
        )
        return _Step(response, "reset", (reason,), late)
    check = _check(ctx, index, run.start)
    if check.findings and since_first < low:
        response = IR.IUPD if given is R.PD else IR.NE
        reason = Reason(
            IRecistRule.IUPD_TOO_EARLY,
            f"{response.value}: {since_first} days after iUPD on {first.isoformat()}, fewer "
            f"than {low}: too early to confirm progression (iRECIST FAQ), although "
            f"{'; '.join(_bare(r) for r in check.findings)}",
        )
        warning = PatientWarning(
            PatientWarningKind.CONFIRMATION_OUT_OF_WINDOW,
            f"{point.date.isoformat()}: {since_first} days after iUPD on {first.isoformat()}, "
            f"before the {low}-{high}-day window: it cannot confirm the progression it shows; "
            f"a scan from {(first + timedelta(days=low)).isoformat()} on can",
            point.date,
        )
        return _Step(response, "open", (reason,), (warning,))
    if check.findings:
        reason = Reason(
            IRecistRule.ICPD_CONFIRMED,
            f"iCPD: progression confirmed {since_window} days after iUPD on "
            f"{window.isoformat()} (window {low}-{high} days); progression dates from the "
            f"iUPD on {first.isoformat()}",
        )
        return _Step(IR.ICPD, "confirmed", (*check.findings, reason), late, check.confirmed_parts)
    if given is R.NE:
        reason = Reason(
            IRecistRule.IUPD_OPEN,
            f"NE: not evaluable; the iUPD on {first.isoformat()} stays open (awaiting "
            "confirmation)",
        )
        return _Step(IR.NE, "open", (reason,))
    if since_first >= low:
        run.window_from = index
    reason = Reason(
        IRecistRule.IUPD_UNCHANGED,
        f"iUPD: still RECIST 1.1 progression, no further increase since iUPD on "
        f"{first.isoformat()} ({'; '.join(check.unchanged)}): stays unconfirmed",
    )
    return _Step(IR.IUPD, "open", (reason,), late)


def _bare(reason: Reason) -> str:
    return reason.message.removeprefix("iCPD: ")


def _new_lesion_reason(ctx: _Context, point: Timepoint) -> Reason | None:
    """The new lesions of an assessment, measured apart from the targets."""
    seen = [k for k in point.new if _unequivocal(point.new[k])]
    if not seen:
        return None
    nlt = [k for k in ctx.categories.targets if k in point.new]
    nlnt = [k for k in seen if not ctx.categories.is_target(k)]
    parts = []
    if nlt:
        sizes = [(k, counted_size(point.new[k], ctx.params.recist)) for k in nlt]
        measured = [(k, s) for k, s in sizes if s is not None]
        shown = ", ".join(f"{k} {_mm(s)}" for k, s in measured)
        total = sum(s for _, s in measured)
        parts.append(f"new-lesion targets {shown} (sum {_mm(total)})")
    if nlnt:
        parts.append(f"new-lesion non-targets {_names(nlnt)}")
    return Reason(
        IRecistRule.NEW_LESIONS,
        f"New lesions measured apart, never added to the target sum: {'; '.join(parts)}",
    )


def _pending(
    points: Sequence[Timepoint], run: _Run, params: IRecistParameters, as_of: date | None
) -> Pending:
    window = points[run.window_from].date
    due_from = window + timedelta(days=params.iupd_confirmation_min_days)
    due_by = window + timedelta(days=params.iupd_confirmation_max_days)
    first = points[run.start].date
    head = f"iUPD on {window.isoformat()}"
    if first != window:
        head += f" (first on {first.isoformat()})"
    message = (
        f"{head} awaiting confirmation: next scan due between {due_from.isoformat()} and "
        f"{due_by.isoformat()}"
    )
    if as_of is not None and as_of > due_by:
        message += f"; overdue as of {as_of.isoformat()}"
    return Pending("iupd_confirmation", first, due_from, due_by, message)


# ---- best overall response ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Best:
    response: IRecistResponse | None
    date: date | None
    confirmed: bool | None
    reasons: tuple[Reason, ...]
    warnings: tuple[PatientWarning, ...]


#: Order of the iRECIST best overall response, best first.
_ORDER = (IR.ICR, IR.IPR, IR.ISD, IR.INN, IR.ICPD, IR.IUPD, IR.NE)
_FROM_BOR = {
    R.CR: IR.ICR,
    R.PR: IR.IPR,
    R.SD: IR.ISD,
    R.NON_CR_NON_PD: IR.INN,
    R.NE: IR.NE,
    R.ND: IR.NE,
}


def _best_response(
    record: PatientRecord,
    results: Sequence[TimepointResult],
    runs: Sequence[_Run],
    params: IRecistParameters,
) -> _Best:
    """The iBOR: the RECIST 1.1 best-response rules on each stretch between iUPDs, the best kept."""
    skipped: set[int] = set()
    confirmed_start: int | None = None
    for run in runs:
        if run.outcome == "confirmed":
            confirmed_start = run.start
        else:
            stop = len(results) if run.end is None else run.end
            skipped.update(range(run.start, stop))
    stretches: list[list[AssessedResponse]] = [[]]
    for index, result in enumerate(results):
        if index == confirmed_start:
            stretches[-1].append(AssessedResponse(result.date, R.PD))
            break
        if index in skipped:
            if stretches[-1]:
                stretches.append([])
            continue
        stretches[-1].append(AssessedResponse(result.date, IRecistResponse(result.response).recist))
    judged = [
        best_overall_response(
            stretch, treatment_start=record.treatment_start, params=params.best_response
        )
        for stretch in stretches
        if stretch
    ]
    if not judged:
        judged = [
            best_overall_response(
                [], treatment_start=record.treatment_start, params=params.best_response
            )
        ]

    def code(found: BestResponse, stretch_has_confirmed: bool) -> IRecistResponse | None:
        value = found.best_overall_response
        if value is None:
            return None
        if value is R.PD:
            return IR.ICPD if stretch_has_confirmed else IR.IUPD
        return _FROM_BOR[value]

    last_has_confirmed = confirmed_start is not None
    coded = [
        (code(found, last_has_confirmed and k == len(judged) - 1), found)
        for k, found in enumerate(judged)
    ]
    ranked = [(c, f) for c, f in coded if c is not None]
    warnings = tuple(
        PatientWarning(PatientWarningKind.BEST_RESPONSE, w.message)
        for found in judged
        for w in found.warnings
    )
    best_code: IRecistResponse | None = None
    best: BestResponse = judged[0]
    if ranked:
        best_code, best = min(ranked, key=lambda cf: _ORDER.index(cf[0]))
    open_run = next((run for run in runs if run.outcome == "open"), None)
    note = (
        f" (the assessments read as RECIST 1.1 codes, {len(judged)} stretches between "
        "iUPDs judged apart)"
        if len(judged) > 1
        else " (the assessments read as RECIST 1.1 codes)"
    )
    if open_run is not None and (
        best_code is None or _ORDER.index(best_code) > _ORDER.index(IR.IUPD)
    ):
        day = results[open_run.start].date
        reason = Reason(
            IRecistRule.BEST_RESPONSE,
            f"iUPD: the iUPD on {day.isoformat()} is neither confirmed nor reset, and no "
            "assessment counts as better (iUPD ranks above NE)",
        )
        confirmed = False if params.best_response.confirmation_required else None
        return _Best(IR.IUPD, day, confirmed, (reason, *best.reasons), warnings)
    if best_code is None:
        return _Best(None, None, best.confirmed, best.reasons, warnings)
    head = Reason(
        IRecistRule.BEST_RESPONSE,
        f"{best_code.value}: best overall response by the RECIST 1.1 rules{note}; order "
        "iCR > iPR > iSD > iNN > iCPD > iUPD > NE",
    )
    return _Best(best_code, best.date, best.confirmed, (head, *best.reasons), warnings)
