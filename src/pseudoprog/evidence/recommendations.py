"""What to do next about a lesion, each recommendation with the source it follows from.

The recommendations read the classifier's result, the next MRI, the time course and the
recommendations of the evidence table, and the estimate with its "what if" values; they never
add a number of their own: every number in a text comes from the evidence table, the criteria
parameters or the estimate.

The same function serves every site (:mod:`pseudoprog.evidence.sites`): the undecided and the
treatment-effect categories come from the lesion's route, the caution about early enlargement
from a table with a time course (spine), the tests to propose from the table's weighted
features, and the table's own recommendations (brain) are added with their sources.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

from pseudoprog.criteria.amini2016 import Amini2016Parameters
from pseudoprog.criteria.inclusion import add_months
from pseudoprog.criteria.result import Assessment, CheckStatus, WarningKind
from pseudoprog.criteria.srs_brain import Rule as SrsBrainRule
from pseudoprog.criteria.srs_brain import SrsBrainParameters, SrsBrainWarning
from pseudoprog.domain import ResponseCategory
from pseudoprog.evidence.citation import Citation
from pseudoprog.evidence.features import EvidenceFeature
from pseudoprog.evidence.followup import NextMri
from pseudoprog.evidence.posterior import ProbabilityEstimate
from pseudoprog.evidence.sites import SiteRoute
from pseudoprog.evidence.table import EvidenceTable, FeatureEvidence

__all__ = ["Recommendation", "RecommendationKind", "WhatIf", "recommend"]


class RecommendationKind(Enum):
    """Kinds of recommendation; the value is the code in JSON."""

    DO_NOT_CALL_PROGRESSION = "do_not_call_progression_on_one_scan"
    SERIAL_MRI = "serial_mri"
    TEST_WOULD_CHANGE_ESTIMATE = "test_would_change_estimate"
    LATE_ENLARGEMENT = "enlargement_after_opp_window"
    CONFIRM_DECLINE = "confirm_decline"
    DECIDED = "decided_by_criteria"
    OUTSIDE_SOURCE_POPULATION = "outside_source_population"
    NEXT_MRI = "next_mri"
    NEXT_SCAN = "next_scan"
    """The next CT of a patient judged by patient-level criteria (liver)."""
    FOLLOW_UP_OVERDUE = "follow_up_overdue"
    FROM_EVIDENCE_TABLE = "evidence_table"
    """A recommendation of the evidence table; its code is the table's (``reimage``)."""


@dataclass(frozen=True, slots=True)
class WhatIf:
    """The estimate if a feature that was not reported turned out one way or the other."""

    feature: FeatureEvidence
    if_present: ProbabilityEstimate
    if_absent: ProbabilityEstimate

    def to_dict(self) -> list[dict[str, object]]:
        rule = self.feature.rule
        present = "" if rule is None else rule.describe(True)
        absent = "" if rule is None else rule.describe(False)
        return [
            {
                "finding": present,
                "likelihood_ratio": round(self.if_present.updates[-1].likelihood_ratio, 4),
                "probability": self.if_present.to_dict(),
            },
            {
                "finding": absent,
                "likelihood_ratio": round(self.if_absent.updates[-1].likelihood_ratio, 4),
                "probability": self.if_absent.to_dict(),
            },
        ]


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One recommendation: its kind, a sentence, the source it follows from."""

    kind: RecommendationKind
    text: str
    citation: Citation | None = None
    due: date | None = None
    what_if: WhatIf | None = None
    table_code: str | None = None

    @property
    def code(self) -> str:
        """The kind's code, or the evidence table's code of a table recommendation."""
        return self.table_code or self.kind.value

    def __str__(self) -> str:
        return self.text + ("" if self.citation is None else f" [{self.citation.short}]")

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "code": self.code,
            "text": self.text,
            "source": None if self.citation is None else self.citation.short,
        }
        if self.due is not None:
            out["due"] = self.due.isoformat()
        if self.what_if is not None:
            out["what_if"] = self.what_if.to_dict()
        return out


#: How each test is proposed to the reader.
_ACTIONS = {
    EvidenceFeature.DCE_VP_CHANGE_PCT: (
        "DCE perfusion MRI (plasma volume change from the pre-treatment study)"
    ),
    EvidenceFeature.GROWTH_WITHIN_80PCT_ISODOSE: (
        "Comparing the extent of growth with the 80% isodose line of the treatment plan"
    ),
    EvidenceFeature.T2_SIGNAL_RATIO_CHANGE_PCT: "The T2 signal ratio",
    EvidenceFeature.DSC_RCBV_RATIO: "DSC perfusion MRI (rCBV ratio of the enhancing lesion)",
    EvidenceFeature.AMINO_ACID_PET_TBR_MEAN: "Amino-acid PET ([18F]FET TBRmean)",
}

#: Warnings that a treatment-effect call rests on the latest MRI only, and what to say.
_UNCONFIRMED = {
    WarningKind.DECLINE_UNCONFIRMED: (
        "The decline is seen on the latest study only; OPP requires a sustained decline, so "
        "confirm it on the next MRI."
    ),
    SrsBrainWarning.STABILISATION_UNCONFIRMED: (
        "The stabilisation is seen on the latest MRI only; a later MRI could still show "
        "growth, so confirm it on the next MRI."
    ),
}

_SKIPPED_INCLUSION = {"follow_up"}  # short follow-up is the point-of-care situation itself


def _fmt(value: float) -> str:
    return f"{value:g}"


def recommend(
    assessment: Assessment,
    *,
    table: EvidenceTable,
    route: SiteRoute,
    estimate: ProbabilityEstimate | None,
    what_ifs: Sequence[WhatIf],
    next_mri: NextMri,
    first_enlarged_weeks: float | None,
    site_supported: bool,
    reported: frozenset[EvidenceFeature] = frozenset(),
) -> tuple[Recommendation, ...]:
    """Recommendations for one lesion as of the assessment date, most urgent first.

    ``reported`` are the evidence kinds already reported for the lesion: a table
    recommendation that would supply only those is left out.
    """
    out: list[Recommendation] = []
    lesion = assessment.lesion
    treated = lesion.treatment.date
    status = assessment.category
    deciding = assessment.deciding
    criteria_citation = route.criteria_citation
    enlarging = deciding is not None and deciding.peak_date is not None

    if next_mri.overdue_days is not None:
        out.append(
            Recommendation(
                RecommendationKind.FOLLOW_UP_OVERDUE,
                f"Follow-up MRI is overdue by {next_mri.overdue_days} days: it was due on "
                f"{next_mri.due.isoformat()} ({next_mri.protocol}); obtain it now.",
                next_mri.citation,
                due=next_mri.due,
            )
        )
    if not site_supported:
        out.append(
            Recommendation(
                RecommendationKind.OUTSIDE_SOURCE_POPULATION,
                f"The evidence table covers {table.site.value} lesions ({table.context}); "
                f"this lesion's site is {lesion.site.value}, so no estimate is given.",
            )
        )
    for check in assessment.inclusion:
        if check.status is CheckStatus.NOT_MET and check.criterion not in _SKIPPED_INCLUSION:
            out.append(
                Recommendation(
                    RecommendationKind.OUTSIDE_SOURCE_POPULATION,
                    f"The lesion fails an inclusion criterion of the source study "
                    f"({check.criterion}: {check.detail}); the criteria and the prior come "
                    "from lesions that met it, so read the result with care.",
                    _population_citation(route),
                )
            )

    if enlarging and deciding is not None and status is route.awaiting:
        out.extend(
            _awaiting(
                assessment,
                table,
                route,
                estimate,
                what_ifs,
                first_enlarged_weeks,
                reported,
            )
        )
    elif status is route.effect:
        text = (
            f"{route.effect_text} by the criteria: {assessment.reasons[-1].message}."
            if assessment.reasons
            else f"{route.effect_text} by the criteria."
        )
        out.append(Recommendation(RecommendationKind.DECIDED, text, criteria_citation))
        confirm = next(
            (_UNCONFIRMED[w.kind] for w in assessment.warnings if w.kind in _UNCONFIRMED), None
        )
        if confirm is not None:
            out.append(
                Recommendation(
                    RecommendationKind.CONFIRM_DECLINE,
                    confirm,
                    criteria_citation,
                    due=next_mri.due,
                )
            )
    elif status is ResponseCategory.PD:
        text = (
            f"Progressive disease by the criteria: {assessment.reasons[-1].message}."
            if assessment.reasons
            else "Progressive disease by the criteria."
        )
        out.append(Recommendation(RecommendationKind.DECIDED, text, criteria_citation))

    if next_mri.overdue_days is None:
        out.append(_next_mri(next_mri, treated))
    return tuple(out)


def _population_citation(route: SiteRoute) -> Citation:
    if route.criteria == "amini2016":
        return Citation(route.criteria_source, "Materials and Methods, Patient Population")
    return route.criteria_citation


def _awaiting(
    assessment: Assessment,
    table: EvidenceTable,
    route: SiteRoute,
    estimate: ProbabilityEstimate | None,
    what_ifs: Sequence[WhatIf],
    first_weeks: float | None,
    reported: frozenset[EvidenceFeature],
) -> list[Recommendation]:
    """An enlarging lesion the criteria have not decided: caution, serial MRI, tests, table."""
    out: list[Recommendation] = []
    deciding = assessment.deciding
    if deciding is None or deciding.first_enlarged_date is None or deciding.peak_date is None:
        return out
    treated = assessment.lesion.treatment.date
    first = deciding.first_enlarged_date
    weeks = (first - treated).days / 7.0 if first_weeks is None else first_weeks
    course = table.opp_time_course
    if course is not None:
        out.extend(
            _time_course(
                table, weeks, early=first <= add_months(treated, int(course.caution_months_max))
            )
        )
    out.append(_serial_mri(assessment, route, table))
    proposed: set[EvidenceFeature] = set()
    if estimate is not None:
        for what in what_ifs:
            rule = what.feature.rule
            if rule is None:
                continue
            proposed.add(what.feature.feature)
            out.append(
                Recommendation(
                    RecommendationKind.TEST_WOULD_CHANGE_ESTIMATE,
                    f"{_ACTIONS[what.feature.feature]} would change the estimate of "
                    f"{estimate.estimate:.2f}: to {what.if_present.interval_text()} if "
                    f"{rule.describe(True)}, to {what.if_absent.interval_text()} if "
                    f"{rule.describe(False)}{_decides(assessment, what.feature.feature)}.",
                    what.feature.citation,
                    what_if=what,
                )
            )
    for entry in table.recommendations:
        supplies = set(entry.features)
        if supplies and supplies <= proposed | reported:
            continue  # proposed above with its what-if, or already done
        out.append(
            Recommendation(
                RecommendationKind.FROM_EVIDENCE_TABLE,
                entry.text,
                entry.citation,
                table_code=entry.code,
            )
        )
    return out


#: Parameters of the srs-brain criteria at or above which advanced imaging shows tumour.
_TUMOUR_CUT_OFFS = {
    EvidenceFeature.DSC_RCBV_RATIO: "rcbv_tumour_min",
    EvidenceFeature.AMINO_ACID_PET_TBR_MEAN: "tbr_mean_tumour_min",
}


def _decides(assessment: Assessment, feature: EvidenceFeature) -> str:
    """Where the criteria themselves call a test's result progression (srs-brain)."""
    params = assessment.parameters
    name = _TUMOUR_CUT_OFFS.get(feature)
    if not isinstance(params, SrsBrainParameters) or name is None:
        return ""
    if not params.advanced_imaging_decides:
        return ""
    return f" (at or above {getattr(params, name):g} the {params.criteria} criteria call it PD)"


def _time_course(table: EvidenceTable, weeks: float, *, early: bool) -> list[Recommendation]:
    """Caution by the published time course of a table that has one (spine)."""
    course = table.time_course
    if weeks > course.peak_weeks_max:
        return [
            Recommendation(
                RecommendationKind.LATE_ENLARGEMENT,
                f"The enlargement began {weeks:.1f} weeks after treatment, later than any "
                f"published OPP peak ({_fmt(course.peak_weeks_min)}-"
                f"{_fmt(course.peak_weeks_max)} weeks); the published prior is for lesions "
                "that enlarged on the early scans, so no probability is given. Growth this "
                "late is outside the published OPP time course.",
                course.peak_citation,
            )
        ]
    if not early:
        return []
    prior = table.known_prior
    k = sum(s.pseudoprogression for s in prior.strata)
    n = sum(s.enlarging for s in prior.strata)
    return [
        Recommendation(
            RecommendationKind.DO_NOT_CALL_PROGRESSION,
            f"Do not call progression on this scan alone: the lesion first enlarged "
            f"{weeks:.1f} weeks after treatment, and enlargement on MRI "
            f"{_fmt(course.caution_months_min)}-{_fmt(course.caution_months_max)} months "
            f"after SSRS should be treated with caution ({k} of {n} enlarging lesions were "
            f"pseudoprogression in {prior.citation.source.key}).",
            course.caution_citation,
        )
    ]


def _serial_mri(assessment: Assessment, route: SiteRoute, table: EvidenceTable) -> Recommendation:
    """What the next MRI would decide, by the lesion's criteria."""
    params = assessment.parameters
    deciding = assessment.deciding
    course = table.opp_time_course
    citation = route.criteria_citation if course is None else course.caution_citation
    if (
        isinstance(params, Amini2016Parameters)
        and deciding is not None
        and deciding.peak_date is not None
    ):
        window = params.decline_window_days
        decides = deciding.peak_date + timedelta(days=window)
        text = (
            "Serial MRI is needed to determine the true response: OPP requires a sustained "
            f"decline of at least {_fmt(params.error_mm)} mm per {window} days from the peak "
            f"of {deciding.peak_date.isoformat()}; growth persisting more than {window} days "
            f"after the peak (after {decides.isoformat()}) is progression."
        )
        return Recommendation(RecommendationKind.SERIAL_MRI, text, citation)
    step = next(
        (r.message for r in reversed(assessment.reasons) if r.code == SrsBrainRule.RECOMMENDATION),
        None,
    )
    text = "Serial MRI is needed to determine the true response" + (
        "." if step is None else f" (srs-brain criteria): {step}."
    )
    return Recommendation(RecommendationKind.SERIAL_MRI, text, citation)


def _next_mri(plan: NextMri, treated: date) -> Recommendation:
    since = (
        f"after the latest study of {plan.last_study.isoformat()}"
        if plan.last_study is not None and plan.last_study > treated
        else "after treatment"
    )
    return Recommendation(
        RecommendationKind.NEXT_MRI,
        f"Next MRI due by {plan.due.isoformat()}, {since} ({plan.protocol}).",
        plan.citation,
        due=plan.due,
    )
