"""A cohort study like Amini et al. 2016, assembled into one :class:`StudyResult`.

:func:`run_study` applies the paper's inclusion criteria where the data allow it, describes
the cohort, counts responses and OPP prevalences, tests fractionation against OPP (Fisher
exact), and, when measurement histories are given, estimates OPP-free survival by
fractionation (Kaplan-Meier, log-rank), the cumulative incidence of OPP and PD as competing
risks, univariate Cox models and the time course of the OPP lesions. Each analysis is present
when its data are; otherwise :attr:`StudyResult.not_computed` says why.

Inputs can be marked synthetic; every section records the inputs it rests on and whether one
of them is synthetic, so a report can say plainly which results describe real patients.

Examples
--------
>>> from datetime import date
>>> from pseudoprog.domain import Lesion, ResponseCategory as R, Treatment
>>> def lesion(i, fractions, response):
...     treatment = Treatment(date(2010, 1, 1), 24 if fractions == 1 else 27, fractions)
...     return Lesion(str(i), f"L{i}", treatment, response=response)
>>> lesions = [lesion(1, 1, R.OPP), lesion(2, 1, R.SD), lesion(3, 3, R.PD), lesion(4, 3, R.PR)]
>>> result = run_study(lesions)
>>> result.n_lesions, str(result.responses.opp_overall)
(4, '1/4 (25%; 95% CI 5-70%, Wilson)')
>>> sorted(result.not_computed)[:2]
['cox_univariate', 'cumulative_incidence']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from collections.abc import Sequence as Seq
from dataclasses import dataclass, field
from enum import Enum
from importlib import metadata
from types import MappingProxyType
from typing import Any

from pseudoprog.criteria.amini2016 import DEFAULT_PARAMETERS, Amini2016Parameters, assess_many
from pseudoprog.criteria.result import Assessment, InclusionCheck
from pseudoprog.domain import Event, Lesion, LesionHistory, ResponseCategory
from pseudoprog.errors import ParameterError
from pseudoprog.stats.association import FisherTest, fisher_exact_test
from pseudoprog.stats.competing import CumulativeIncidence, cumulative_incidence
from pseudoprog.stats.cox import CoxResult, univariate_cox_table
from pseudoprog.stats.descriptive import CohortDescription, describe_cohort
from pseudoprog.stats.inclusion import (
    InclusionSummary,
    checks_without_measurements,
    mark_events_unknown,
    summarize_inclusion,
)
from pseudoprog.stats.proportions import check_confidence
from pseudoprog.stats.responses import (
    ResponseAgreement,
    ResponseSource,
    ResponseSummary,
    compare_responses,
    fraction_opp_table,
    summarize_responses,
)
from pseudoprog.stats.survival import (
    KaplanMeierCurve,
    LogRankTest,
    Outcome,
    SurvivalRecord,
    kaplan_meier,
    logrank_test,
    survival_records,
)
from pseudoprog.stats.timecourse import TimeCourse, Trajectory, opp_time_course, trajectories

__all__ = [
    "DEFAULT_TITLE",
    "SECTION_TITLES",
    "StudyInput",
    "StudyResult",
    "analysis_fields",
    "analysis_lines",
    "run_study",
]

#: Readable names of the sections (the keys of ``StudyResult.sections``).
SECTION_TITLES = {
    "inclusion": "inclusion checks",
    "description": "cohort description",
    "responses": "responses and OPP prevalence",
    "fisher_fraction_opp": "Fisher exact test",
    "kaplan_meier_fraction": "Kaplan-Meier",
    "logrank_fraction": "log-rank test",
    "cumulative_incidence": "cumulative incidence",
    "cox_univariate": "Cox regression",
    "time_course": "time course",
}

DEFAULT_TITLE = "Osseous pseudoprogression after spine radiosurgery: cohort study"
_SINGLE, _MULTI = "single fraction", "multiple fractions"


class StudyInput(Enum):
    """The input tables a result can rest on."""

    LESIONS = "lesions"
    MEASUREMENTS = "measurements"
    EVENTS = "events"


def _software() -> tuple[tuple[str, str], ...]:
    versions = []
    for name in ("pseudoprog", "lifelines", "scipy", "numpy", "pandas"):
        try:
            versions.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            versions.append((name, "unknown"))
    return tuple(versions)


@dataclass(frozen=True)
class StudyResult:
    """Everything a cohort study computed, with what it rests on and what it left out.

    ``not_computed`` maps an analysis (its JSON key) to the reason it is absent;
    ``sections`` maps each section to the inputs it rests on.
    """

    title: str
    parameters: Amini2016Parameters
    confidence: float
    inclusion: InclusionSummary
    description: CohortDescription
    responses: ResponseSummary
    lesions: tuple[Lesion, ...]
    lesion_responses: tuple[ResponseCategory, ...]
    agreement: ResponseAgreement | None = None
    fisher: FisherTest | None = None
    survival: tuple[SurvivalRecord, ...] = ()
    kaplan_meier: tuple[KaplanMeierCurve, ...] = ()
    logrank: LogRankTest | None = None
    incidence: tuple[CumulativeIncidence, ...] = ()
    cox: tuple[CoxResult, ...] = ()
    time_course: TimeCourse | None = None
    trajectories: tuple[Trajectory, ...] = ()
    not_computed: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    sections: Mapping[str, frozenset[StudyInput]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    synthetic_inputs: frozenset[StudyInput] = frozenset()
    sources: tuple[str, ...] = ()
    software: tuple[tuple[str, str], ...] = ()

    @property
    def n_lesions(self) -> int:
        return self.description.n_lesions

    @property
    def n_patients(self) -> int:
        return self.description.n_patients

    @property
    def has_measurements(self) -> bool:
        return self.responses.source is ResponseSource.CLASSIFIER

    def is_synthetic(self, section: str) -> bool:
        """Whether ``section`` rests on an input marked synthetic."""
        return bool(self.sections.get(section, frozenset()) & self.synthetic_inputs)

    @property
    def synthetic_sections(self) -> tuple[str, ...]:
        return tuple(s for s in self.sections if self.is_synthetic(s))

    def summary(self) -> str:
        """The main results in a few lines."""
        r = self.responses
        counts = ", ".join(f"{c.value} {n}" for c, n in r.counts if n)
        lines = [
            self.title,
            f"{self.n_lesions} lesions in {self.n_patients} patients analysed "
            f"({self.inclusion.n_excluded} excluded of {self.inclusion.n_input}); responses "
            f"{r.source.description}: {counts}",
        ]
        lines += analysis_lines(r, self.fisher, self.logrank, self.cox)
        reasons: dict[str, list[str]] = {}
        for key, why in self.not_computed.items():
            reasons.setdefault(why, []).append(SECTION_TITLES.get(key, key))
        for why, keys in reasons.items():
            lines.append(f"Not computed ({', '.join(keys)}): {why}")
        synthetic = self.synthetic_sections
        if synthetic:
            lines.append(
                "SYNTHETIC DATA behind: " + ", ".join(SECTION_TITLES.get(s, s) for s in synthetic)
            )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The ``study.json`` document (see ``docs/study.md`` for every field)."""
        from pseudoprog.stats.published import compare_with_amini2016

        return {
            "title": self.title,
            "n_lesions": self.n_lesions,
            "n_patients": self.n_patients,
            **analysis_fields(
                self.responses,
                fisher=self.fisher,
                description=self.description,
                logrank=self.logrank,
                kaplan_meier=self.kaplan_meier,
                incidence=self.incidence,
                cox=self.cox,
                time_course=self.time_course,
            ),
            "inclusion": self.inclusion.to_dict(),
            "description": self.description.to_dict(),
            "response_agreement": None if self.agreement is None else self.agreement.to_dict(),
            "lesions": [
                {
                    "lesion_id": x.lesion_id,
                    "patient_id": x.patient_id,
                    "response": c.value,
                    "regimen": x.treatment.regimen,
                    "single_fraction": x.treatment.single_fraction,
                }
                for x, c in zip(self.lesions, self.lesion_responses, strict=True)
            ],
            "survival_data": [s.to_dict() for s in self.survival] or None,
            "trajectories": [t.to_dict() for t in self.trajectories] or None,
            "paper_comparison": [c.to_dict() for c in compare_with_amini2016(self)],
            "not_computed": dict(self.not_computed),
            "provenance": {
                "inputs": list(self.sources),
                "synthetic_inputs": sorted(i.value for i in self.synthetic_inputs),
                "sections": {
                    name: {
                        "inputs": sorted(i.value for i in inputs),
                        "synthetic": self.is_synthetic(name),
                    }
                    for name, inputs in self.sections.items()
                },
            },
            "parameters": self.parameters.to_dict(),
            "confidence": self.confidence,
            "software": dict(self.software),
        }


def analysis_lines(
    responses: ResponseSummary,
    fisher: FisherTest | None,
    logrank: LogRankTest | None,
    cox: Seq[CoxResult],
) -> list[str]:
    """The summary lines of the OPP prevalences, the Fisher and log-rank tests and the Cox
    models (shared by the study of the measurements and that of classification results)."""
    lines = [
        f"OPP overall {responses.opp_overall}",
        f"OPP after single fraction {responses.opp_single_fraction}",
        f"OPP after multiple fractions {responses.opp_multi_fraction}",
        f"OPP among enlarging lesions (OPP + PD) {responses.opp_among_enlarging}",
    ]
    if fisher is not None:
        lines.append(
            f"Fisher exact test, fractionation vs OPP: P = {fisher.p_value:.3g}; "
            f"odds ratio {fisher.odds_ratio_text}"
        )
    if logrank is not None:
        lines.append(
            f"Log-rank test, OPP-free survival by fractionation: P = {logrank.p_value:.3g}"
        )
    for c in cox:
        name = f"Cox, {c.description}"
        if c.estimable:
            lines.append(
                f"{name}: HR {c.hazard_ratio:.2f} ({c.ci_low:.2f}-{c.ci_high:.2f}), "
                f"P = {c.p_value:.3g}"
            )
        else:
            lines.append(f"{name}: {c.note}")
    return lines


def analysis_fields(
    responses: ResponseSummary,
    *,
    fisher: FisherTest | None,
    description: CohortDescription | None,
    logrank: LogRankTest | None,
    kaplan_meier: Seq[KaplanMeierCurve],
    incidence: Seq[CumulativeIncidence],
    cox: Seq[CoxResult],
    time_course: TimeCourse | None,
) -> dict[str, Any]:
    """The ``study.json`` fields of the responses and the analyses, in their order (shared
    by the study of the measurements and that of classification results)."""
    r = responses.to_dict()
    return {
        "response_source": r["source"],
        "response_counts": r["response_counts"],
        "opp_prevalence": r["opp_prevalence"],
        "opp_prevalence_single_fraction": r["opp_prevalence_single_fraction"],
        "opp_prevalence_multi_fraction": r["opp_prevalence_multi_fraction"],
        "opp_among_enlarging": r["opp_among_enlarging"],
        "enlarging": r["enlarging"],
        "stable_or_responding": r["stable_or_responding"],
        "pd_among_enlarging": r["pd_among_enlarging"],
        "indeterminate_left_out": r["indeterminate_left_out"],
        "fisher_fraction_opp": None if fisher is None else fisher.to_dict(),
        "regimens": None if description is None else [g.to_dict() for g in description.regimens],
        "logrank_fraction": None if logrank is None else logrank.to_dict(),
        "kaplan_meier_fraction": [c.to_dict() for c in kaplan_meier] or None,
        "cumulative_incidence": [c.to_dict() for c in incidence] or None,
        "cox_univariate": [c.to_dict() for c in cox] or None,
        "time_course": None if time_course is None else time_course.to_dict(),
    }


def _responses_of(
    lesions: Seq[Lesion], histories: Seq[LesionHistory] | None, params: Amini2016Parameters
) -> tuple[list[ResponseCategory], list[Assessment] | None]:
    if histories is None:
        missing = [x.lesion_id for x in lesions if x.response is None]
        if missing:
            shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
            raise ParameterError(
                f"{len(missing)} lesion(s) have no response ({shown}); give measurements so "
                "the classifier assigns responses, or fill the response column"
            )
        return [x.response for x in lesions if x.response is not None], None
    if [h.lesion.lesion_id for h in histories] != [x.lesion_id for x in lesions]:
        raise ParameterError("histories must be given for every lesion, in the same order")
    assessments = assess_many(histories, params=params)
    return [a.category for a in assessments], assessments


def run_study(
    lesions: Seq[Lesion],
    *,
    histories: Seq[LesionHistory] | None = None,
    events: Iterable[Event] = (),
    events_available: bool | None = None,
    params: Amini2016Parameters = DEFAULT_PARAMETERS,
    apply_exclusions: bool = True,
    synthetic_inputs: Iterable[StudyInput] = (),
    title: str = DEFAULT_TITLE,
    sources: Seq[str] = (),
    confidence: float = 0.95,
) -> StudyResult:
    """Run every analysis the data allow.

    Parameters
    ----------
    lesions
        The cohort's lesions.
    histories
        Measurement histories, one per lesion in the same order; responses then come from the
        Amini 2016 classifier. Without them, each lesion's ``response`` is used.
    events
        Events of the cohort (used for inclusion checks without measurements).
    events_available
        Whether an events table was given (default: whether ``events`` is non-empty). Without
        one, the hardware and fracture criteria are unknown.
    params
        Criteria parameters of the classifier and the inclusion checks.
    apply_exclusions
        Leave lesions that fail an inclusion criterion out of the analyses (default).
    synthetic_inputs
        Inputs that are synthetic; results resting on them are marked.
    title, sources
        Written into the result (``sources``: the input file names).
    confidence
        Level of every interval.

    Raises
    ------
    ParameterError
        If no lesions are given, a lesion has no response and no histories are given, or the
        histories do not match the lesions.
    """
    confidence = check_confidence(confidence)
    lesions = list(lesions)
    if not lesions:
        raise ParameterError("no lesions given; a study needs at least one lesion")
    event_list = list(events)
    has_events = bool(event_list) if events_available is None else events_available
    responses, assessments = _responses_of(lesions, histories, params)

    if assessments is not None:
        checks: list[tuple[InclusionCheck, ...]] = [
            mark_events_unknown(a.inclusion, events_available=has_events) for a in assessments
        ]
    else:
        checks = [
            checks_without_measurements(x, event_list, events_available=has_events, params=params)
            for x in lesions
        ]
    inclusion = summarize_inclusion(zip(lesions, checks, strict=True), apply=apply_exclusions)
    keep = [not (apply_exclusions and x.lesion_id in inclusion.excluded_ids) for x in lesions]
    kept = [x for x, k in zip(lesions, keep, strict=True) if k]
    kept_responses = [r for r, k in zip(responses, keep, strict=True) if k]
    if not kept:
        raise ParameterError(
            "every lesion failed an inclusion criterion; nothing is left to analyse "
            "(see the inclusion checks, or keep excluded lesions)"
        )
    source = ResponseSource.TABLE if assessments is None else ResponseSource.CLASSIFIER
    not_computed: dict[str, str] = {}
    summary = summarize_responses(kept, kept_responses, source=source, confidence=confidence)
    table = fraction_opp_table(kept, kept_responses)
    fisher = None
    if sum(table[0]) and sum(table[1]):
        fisher = fisher_exact_test(
            table, rows=(_SINGLE, _MULTI), columns=("OPP", "not OPP"), confidence=confidence
        )
    else:
        not_computed["fisher_fraction_opp"] = (
            "all lesions had the same fractionation (single or multiple), so there is "
            "nothing to compare"
        )

    all_inputs = frozenset(StudyInput)
    response_inputs = all_inputs if assessments is not None else frozenset({StudyInput.LESIONS})
    sections: dict[str, frozenset[StudyInput]] = {
        "inclusion": all_inputs,
        "description": frozenset({StudyInput.LESIONS}),
        "responses": response_inputs,
        "fisher_fraction_opp": response_inputs,
    }
    extra: dict[str, Any] = {}
    if assessments is None:
        why = (
            "no measurements were given, so there are no imaging dates and no times to "
            "events (the responses come from the lesions table)"
        )
        for key in (
            "kaplan_meier_fraction",
            "logrank_fraction",
            "cumulative_incidence",
            "cox_univariate",
            "time_course",
        ):
            not_computed[key] = why
    else:
        kept_assessments = [a for a, k in zip(assessments, keep, strict=True) if k]
        kept_histories = [h for h, k in zip(histories or (), keep, strict=True) if k]
        extra = _time_analyses(kept, kept_assessments, kept_histories, confidence, not_computed)
        for key in (
            "kaplan_meier_fraction",
            "logrank_fraction",
            "cumulative_incidence",
            "cox_univariate",
            "time_course",
        ):
            sections[key] = all_inputs
    agreement = compare_responses(kept, kept_responses) if assessments is not None else None
    return StudyResult(
        title=title,
        parameters=params,
        confidence=confidence,
        inclusion=inclusion,
        description=describe_cohort(kept, confidence=confidence),
        responses=summary,
        lesions=tuple(kept),
        lesion_responses=tuple(kept_responses),
        agreement=agreement,
        fisher=fisher,
        not_computed=MappingProxyType(not_computed),
        sections=MappingProxyType(sections),
        synthetic_inputs=frozenset(synthetic_inputs),
        sources=tuple(sources),
        software=_software(),
        **extra,
    )


def _time_analyses(
    lesions: list[Lesion],
    assessments: list[Assessment],
    histories: list[LesionHistory],
    confidence: float,
    not_computed: dict[str, str],
) -> dict[str, Any]:
    records = survival_records(assessments)
    out: dict[str, Any] = {
        "survival": records,
        "trajectories": trajectories(histories, assessments),
    }
    if len(records) < len(assessments):
        not_computed["survival_data"] = (
            f"{len(assessments) - len(records)} lesion(s) without a follow-up study were left "
            "out of the time-to-event analyses"
        )
    single = [r for r in records if r.single_fraction]
    multi = [r for r in records if not r.single_fraction]
    curves = tuple(
        kaplan_meier(
            [r.weeks for r in group],
            [r.opp_event for r in group],
            label=label,
            confidence=confidence,
        )
        for label, group in ((_SINGLE, single), (_MULTI, multi))
        if group
    )
    out["kaplan_meier"] = curves
    if not single or not multi:
        not_computed["logrank_fraction"] = "all lesions had the same fractionation"
    elif not any(r.opp_event for r in records):
        not_computed["logrank_fraction"] = "no OPP event: the log-rank test is not defined"
    else:
        try:
            out["logrank"] = logrank_test(
                [r.weeks for r in single],
                [r.opp_event for r in single],
                [r.weeks for r in multi],
                [r.opp_event for r in multi],
                groups=(_SINGLE, _MULTI),
            )
        except ParameterError as exc:
            not_computed["logrank_fraction"] = str(exc)
    if records:
        durations = [r.weeks for r in records]
        causes = [r.outcome.value for r in records]
        out["incidence"] = tuple(
            cumulative_incidence(
                durations, causes, cause=o.value, label=o.name, confidence=confidence
            )
            for o in (Outcome.OPP, Outcome.PD)
        )
        out["cox"] = univariate_cox_table(
            records, {x.lesion_id: x for x in lesions}, confidence=confidence
        )
    else:
        for key in ("cumulative_incidence", "cox_univariate"):
            not_computed[key] = "no lesion has a follow-up study"
    course = opp_time_course(assessments, confidence=confidence)
    if course is None:
        not_computed["time_course"] = "no lesion was classified OPP"
    out["time_course"] = course
    return out
