"""What to do next about a lesion, each recommendation with the source it follows from.

The recommendations read the classifier's result, the follow-up protocol and the time course
of the evidence table, and the estimate with its "what if" values; they never add a number of
their own: every number in a text comes from the evidence table, the criteria parameters or
the estimate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

from pseudoprog.criteria.amini2016 import Amini2016Parameters
from pseudoprog.criteria.inclusion import add_months
from pseudoprog.criteria.result import Assessment, CheckStatus, WarningKind
from pseudoprog.domain import ResponseCategory
from pseudoprog.evidence.citation import Citation
from pseudoprog.evidence.features import EvidenceFeature
from pseudoprog.evidence.posterior import ProbabilityEstimate
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
    FOLLOW_UP_OVERDUE = "follow_up_overdue"


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

    @property
    def code(self) -> str:
        return self.kind.value

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
}

_SKIPPED_INCLUSION = {"follow_up"}  # short follow-up is the point-of-care situation itself


@dataclass(frozen=True, slots=True)
class _Schedule:
    last_study: date | None
    next_due: date
    overdue_days: int | None


def _fmt(value: float) -> str:
    return f"{value:g}"


def recommend(
    assessment: Assessment,
    *,
    table: EvidenceTable,
    criteria_citation: Citation,
    estimate: ProbabilityEstimate | None,
    what_ifs: Sequence[WhatIf],
    last_study: date | None,
    next_due: date,
    overdue_days: int | None,
    first_enlarged_weeks: float | None,
    site_supported: bool,
) -> tuple[Recommendation, ...]:
    """Recommendations for one lesion as of the assessment date, most urgent first."""
    out: list[Recommendation] = []
    lesion = assessment.lesion
    treated = lesion.treatment.date
    status = assessment.category
    deciding = assessment.deciding
    follow = table.follow_up
    enlarging = deciding is not None and deciding.peak_date is not None
    schedule = _Schedule(last_study, next_due, overdue_days)

    if overdue_days is not None:
        out.append(
            Recommendation(
                RecommendationKind.FOLLOW_UP_OVERDUE,
                f"Follow-up MRI is overdue by {overdue_days} days: it was due on "
                f"{next_due.isoformat()} ({follow.describe()}); obtain it now.",
                follow.citation,
                due=next_due,
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
                    Citation(criteria_citation.source, "Materials and Methods, Patient Population"),
                )
            )

    if enlarging and deciding is not None and status is ResponseCategory.INDETERMINATE:
        out.extend(
            _indeterminate(
                assessment, table, criteria_citation, estimate, what_ifs, first_enlarged_weeks
            )
        )
    elif status is ResponseCategory.OPP:
        unconfirmed = any(w.kind is WarningKind.DECLINE_UNCONFIRMED for w in assessment.warnings)
        text = (
            f"Osseous pseudoprogression by the criteria: {assessment.reasons[-1].message}."
            if assessment.reasons
            else "Osseous pseudoprogression by the criteria."
        )
        out.append(Recommendation(RecommendationKind.DECIDED, text, criteria_citation))
        if unconfirmed:
            out.append(
                Recommendation(
                    RecommendationKind.CONFIRM_DECLINE,
                    "The decline is seen on the latest study only; OPP requires a sustained "
                    "decline, so confirm it on the next MRI.",
                    criteria_citation,
                    due=next_due,
                )
            )
    elif status is ResponseCategory.PD:
        text = (
            f"Progressive disease by the criteria: {assessment.reasons[-1].message}."
            if assessment.reasons
            else "Progressive disease by the criteria."
        )
        out.append(Recommendation(RecommendationKind.DECIDED, text, criteria_citation))

    if overdue_days is None:
        out.append(_next_mri(schedule, follow.describe(), follow.citation, treated))
    return tuple(out)


def _indeterminate(
    assessment: Assessment,
    table: EvidenceTable,
    criteria_citation: Citation,
    estimate: ProbabilityEstimate | None,
    what_ifs: Sequence[WhatIf],
    first_weeks: float | None,
) -> list[Recommendation]:
    out: list[Recommendation] = []
    deciding = assessment.deciding
    if deciding is None or deciding.first_enlarged_date is None or deciding.peak_date is None:
        return out
    course = table.time_course
    treated = assessment.lesion.treatment.date
    first = deciding.first_enlarged_date
    weeks = (first - treated).days / 7.0 if first_weeks is None else first_weeks
    early = first <= add_months(treated, int(course.caution_months_max))
    if weeks > course.peak_weeks_max:
        out.append(
            Recommendation(
                RecommendationKind.LATE_ENLARGEMENT,
                f"The enlargement began {weeks:.1f} weeks after treatment, later than any "
                f"published OPP peak ({_fmt(course.peak_weeks_min)}-"
                f"{_fmt(course.peak_weeks_max)} weeks); the published prior is for lesions "
                "that enlarged on the early scans, so no probability is given. Growth this "
                "late is outside the published OPP time course.",
                course.peak_citation,
            )
        )
    elif early:
        k = sum(s.pseudoprogression for s in table.prior.strata)
        n = sum(s.enlarging for s in table.prior.strata)
        out.append(
            Recommendation(
                RecommendationKind.DO_NOT_CALL_PROGRESSION,
                f"Do not call progression on this scan alone: the lesion first enlarged "
                f"{weeks:.1f} weeks after treatment, and enlargement on MRI "
                f"{_fmt(course.caution_months_min)}-{_fmt(course.caution_months_max)} months "
                f"after SSRS should be treated with caution ({k} of {n} enlarging lesions were "
                f"pseudoprogression in {table.prior.citation.source.key}).",
                course.caution_citation,
            )
        )
    params = assessment.parameters
    if isinstance(params, Amini2016Parameters):
        window = params.decline_window_days
        decides = deciding.peak_date + timedelta(days=window)
        text = (
            "Serial MRI is needed to determine the true response: OPP requires a sustained "
            f"decline of at least {_fmt(params.error_mm)} mm per {window} days from the peak "
            f"of {deciding.peak_date.isoformat()}; growth persisting more than {window} days "
            f"after the peak (after {decides.isoformat()}) is progression."
        )
    else:
        text = "Serial MRI is needed to determine the true response."
    out.append(Recommendation(RecommendationKind.SERIAL_MRI, text, course.caution_citation))
    if estimate is not None:
        for what in what_ifs:
            rule = what.feature.rule
            if rule is None:
                continue
            out.append(
                Recommendation(
                    RecommendationKind.TEST_WOULD_CHANGE_ESTIMATE,
                    f"{_ACTIONS[what.feature.feature]} would change the estimate of "
                    f"{estimate.estimate:.2f}: to {what.if_present.interval_text()} if "
                    f"{rule.describe(True)}, to {what.if_absent.interval_text()} if "
                    f"{rule.describe(False)}.",
                    what.feature.citation,
                    what_if=what,
                )
            )
    return out


def _next_mri(
    schedule: _Schedule, protocol: str, citation: Citation, treated: date
) -> Recommendation:
    since = (
        f"after the latest study of {schedule.last_study.isoformat()}"
        if schedule.last_study is not None and schedule.last_study > treated
        else "after treatment"
    )
    return Recommendation(
        RecommendationKind.NEXT_MRI,
        f"Next MRI due by {schedule.next_due.isoformat()}, {since} ({protocol}).",
        citation,
        due=schedule.next_due,
    )
