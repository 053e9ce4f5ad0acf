"""Evidence at the point of care for a patient judged by patient-level criteria (liver, Choi).

Under systemic therapy, above all imatinib for GIST, liver metastases can lose enhancement
and grow while they respond; read by size alone this is progression (seed: Pearls and Pitfalls
in Abdominal Imaging, Cambridge University Press 2010, Case 15). :func:`assess_patient_evidence`
takes a patient's result by the criteria of the site's :class:`~pseudoprog.evidence.sites.
PatientRoute` (liver: ``choi``) and asks whether the question arises at the latest CT:

* the size guard flagged it (RECIST 1.1 would read PD on size alone, the criteria do not);
* the target sum grew at least as much as the criteria's PD size threshold and the criteria do
  not call PD (the attenuation fell enough);
* the criteria call PD on the size alone (no new lesion, nodule or non-target progression)
  while the attenuation fell, by less than the criteria's threshold.

Then every finding is shown with what it does: a row of the evidence table with counts gives a
likelihood ratio (the attenuation change, measured in the measurements table, or an
``attenuation_change_pct`` row of the evidence table when the measurements lack it); a row
without counts (FDG-PET SUVmax, tumour marker, course at other sites) is shown with the
direction it points and never changes a number. The packaged liver table gives no prior (its
``no_prior`` says why), so no probability is given: the combined likelihood ratio, with its
interval, multiplies whatever odds of response the reader holds before the evidence. The
recommendations come from the table with their sources, and the next CT is dated by the
patient's own interval between scans.

Examples
--------
>>> from datetime import date
>>> from pseudoprog.criteria import choi
>>> from pseudoprog.patient import Observation, PatientRecord, TrackedLesion
>>> record = PatientRecord(
...     "G1", date(2022, 1, 10), (TrackedLesion("G1", "L1", organ="liver"),),
...     {"L1": (Observation(date(2022, 1, 3), 50.0, attenuation_hu=75.0),
...             Observation(date(2022, 3, 7), 56.0, attenuation_hu=57.0))})
>>> found = assess_patient_evidence(choi.assess(record), record=record)
>>> found.question.value, found.probability_note[:30]
('grew_not_pd', 'the evidence table gives no pr')
>>> item = found.items[0]
>>> item.feature, item.value_text, round(item.likelihood_ratio, 2), item.leaning.value
('attenuation_change_pct', '-24%', 15.29, 'response')
>>> round(found.combined.estimate, 2), round(found.combined.pretest_for(0.5), 3)
(15.29, 0.061)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum
from typing import Any

from pseudoprog.criteria.choi import ChoiParameters, SizeReference
from pseudoprog.criteria.codes import OverallResponse
from pseudoprog.criteria.patient_result import PatientAssessment, TimepointResult
from pseudoprog.domain import Evidence
from pseudoprog.errors import ParameterError
from pseudoprog.evidence.citation import Citation
from pseudoprog.evidence.features import EvidenceFeature, SiteCourse, ValueKind
from pseudoprog.evidence.packaged import packaged_table
from pseudoprog.evidence.posterior import (
    LikelihoodRatioEstimate,
    ModelParameters,
    Update,
    combine_likelihood_ratios,
)
from pseudoprog.evidence.recommendations import Recommendation, RecommendationKind
from pseudoprog.evidence.result import EvidenceItem
from pseudoprog.evidence.sites import LIVER_ROUTE, PatientRoute
from pseudoprog.evidence.table import EvidenceTable, FeatureEvidence
from pseudoprog.patient import PatientRecord

__all__ = [
    "DirectedItem",
    "Leaning",
    "PatientEvidenceAssessment",
    "Question",
    "assess_patient_evidence",
]

#: Reason codes of the criteria read here (Choi, the size guard).
_GUARD = "size_only_pd"
_NODULE = "intratumoral_nodule"
_ATTENUATION = "attenuation_change_pct"


class Question(Enum):
    """Whether the latest CT raises the question of response vs progression, and why."""

    SIZE_ONLY_PD = "size_only_pd"
    GREW_NOT_PD = "grew_not_pd"
    PD_ON_SIZE_ATTENUATION_FELL = "pd_on_size_attenuation_fell"
    NO_FOLLOW_UP = "no_follow_up"
    NOT_GROWING = "not_growing"
    PROGRESSION_BY_CRITERIA = "progression_by_criteria"

    @property
    def asked(self) -> bool:
        """Whether the evidence is weighed (the first three)."""
        return self in _ASKED


_ASKED = frozenset(
    {Question.SIZE_ONLY_PD, Question.GREW_NOT_PD, Question.PD_ON_SIZE_ATTENUATION_FELL}
)


class Leaning(Enum):
    """Which way a finding points: towards the table's outcome (response) or against it."""

    RESPONSE = "response"
    PROGRESSION = "progression"
    NEITHER = "neither"


@dataclass(frozen=True, slots=True)
class DirectedItem:
    """A finding (:class:`~pseudoprog.evidence.result.EvidenceItem`) and which way it points.

    ``weighted`` tells whether its likelihood ratio enters the combined ratio; ``origin`` is
    where the value came from (``measurements`` or ``evidence``).
    """

    item: EvidenceItem
    leaning: Leaning
    weighted: bool
    origin: str

    @property
    def feature(self) -> str:
        return self.item.feature

    @property
    def value_text(self) -> str:
        return self.item.value_text

    @property
    def likelihood_ratio(self) -> float | None:
        return self.item.likelihood_ratio

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.item.to_dict(),
            "favours": self.leaning.value,
            "weighted": self.weighted,
            "from": self.origin,
        }

    def line(self) -> str:
        weight = "weighted" if self.weighted else "shown, not weighted"
        return f"{self.item.line()} -> favours {self.leaning.value} ({weight})"


@dataclass(frozen=True, slots=True)
class PatientEvidenceAssessment:
    """What the evidence says about a patient's latest CT (see the module docstring).

    ``combined`` is ``None`` when the question does not arise; ``probability`` is always
    ``None`` with the packaged liver table (``probability_note`` says why).
    """

    patient_id: str
    criteria: str
    as_of: date | None
    scan_date: date | None
    response: str | None
    question: Question
    question_note: str
    size_change_pct: float | None
    attenuation_change_pct: float | None
    items: tuple[DirectedItem, ...]
    combined: LikelihoodRatioEstimate | None
    probability_note: str
    meanings: tuple[str, ...]
    recommendations: tuple[Recommendation, ...]
    assumptions: tuple[str, ...]
    warnings: tuple[str, ...]
    next_scan_due: date | None
    table: EvidenceTable
    route: PatientRoute

    @property
    def probability(self) -> None:
        """No probability: the table gives no prior (see :attr:`probability_note`)."""
        return None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary; the keys are the documented output fields."""
        combined = self.combined
        return {
            "evidence_table": self.table.name,
            "question": self.question.value,
            "question_asked": self.question.asked,
            "question_note": self.question_note,
            "date": None if self.scan_date is None else self.scan_date.isoformat(),
            "response": self.response,
            "size_change_pct": _round(self.size_change_pct, 1),
            "attenuation_change_pct": _round(self.attenuation_change_pct, 1),
            "probability_of_response": None,
            "probability_note": self.probability_note,
            "combined_likelihood_ratio": None if combined is None else combined.to_dict(),
            "pretest_for_even_odds": (
                None if combined is None else _round(combined.pretest_for(0.5), 4)
            ),
            "evidence": [i.to_dict() for i in self.items],
            "what_results_mean": list(self.meanings),
            "recommendations": [r.to_dict() for r in self.recommendations],
            "next_scan_due": None if self.next_scan_due is None else self.next_scan_due.isoformat(),
            "assumptions": list(self.assumptions),
            "warnings": list(self.warnings),
        }

    def summary(self) -> str:
        """A few lines a reader can paste into a report."""
        when = "" if self.scan_date is None else f" on {self.scan_date.isoformat()}"
        lines = [
            f"Patient {self.patient_id} by {self.criteria}{when}: {self.response or 'no CT'}",
            f"  Question: {self.question_note}",
        ]
        if self.items:
            lines.append("  Evidence:")
            lines += [f"    {i.line()}" for i in self.items]
        if self.combined is not None:
            c = self.combined
            lines.append(
                f"  Combined likelihood ratio of {self.route.outcome}: {c.interval_text()}; "
                f"{self.route.outcome} is more likely than not after this evidence for any "
                f"probability above {c.pretest_for(0.5):.3f} before it"
            )
            lines.append(f"  No probability: {self.probability_note}")
            lines += [f"  If obtained: {m}" for m in self.meanings]
        lines += [f"  Recommendation: {r}" for r in self.recommendations]
        lines += [f"  Warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


# ---- the question ---------------------------------------------------------------------------


def _size_change(point: TimepointResult, result: PatientAssessment) -> tuple[float | None, float]:
    """The size change the criteria read for PD, and their PD threshold (Choi: 10%)."""
    params = result.parameters
    if isinstance(params, ChoiParameters):
        change = (
            point.change_from_baseline_pct
            if params.pd_size_reference is SizeReference.BASELINE
            else point.change_from_nadir_pct
        )
        return change, params.pd_size_increase_pct
    return point.change_from_nadir_pct, 20.0  # mRECIST/RECIST 1.1: 20% above the nadir


def _question(
    point: TimepointResult | None, result: PatientAssessment
) -> tuple[Question, str, float | None, float | None]:
    if point is None:
        return Question.NO_FOLLOW_UP, "no CT after the start of treatment yet", None, None
    change, threshold = _size_change(point, result)
    hu = point.metrics.get(_ATTENUATION)
    codes = {str(r.code) for r in point.reasons}
    size = "n/a" if change is None else f"{change:+.1f}%"
    att = "not measured" if hu is None else f"{hu:+.1f}% from baseline"
    numbers = f"size {size}, attenuation {att}"
    response = point.response.value
    if _GUARD in codes:
        return (
            Question.SIZE_ONLY_PD,
            f"{numbers}: {response} by {result.criteria}, but RECIST 1.1 would read PD on size "
            "alone",
            change,
            hu,
        )
    grew = change is not None and change >= threshold
    if not grew:
        return (
            Question.NOT_GROWING,
            f"{numbers}: the targets did not grow by {threshold:g}% or more; the question of "
            "response vs progression does not arise",
            change,
            hu,
        )
    if point.response is not OverallResponse.PD:
        return (
            Question.GREW_NOT_PD,
            f"{numbers}: grew by {threshold:g}% or more, {response} by {result.criteria}",
            change,
            hu,
        )
    on_size = (
        point.target_response is OverallResponse.PD
        and not point.new_lesions
        and _NODULE not in codes
        and point.non_target_response is not OverallResponse.PD
    )
    if on_size and hu is not None and hu < 0:
        return (
            Question.PD_ON_SIZE_ATTENUATION_FELL,
            f"{numbers}: PD by {result.criteria} on the size alone while the attenuation fell "
            "(too little for response)",
            change,
            hu,
        )
    return (
        Question.PROGRESSION_BY_CRITERIA,
        f"{numbers}: PD by {result.criteria} "
        + (
            "with the attenuation not falling"
            if on_size
            else "(new lesion, intratumoral nodule or non-target progression)"
        ),
        change,
        hu,
    )


# ---- the findings ---------------------------------------------------------------------------


def _latest(
    evidence: Iterable[Evidence], record: PatientRecord, as_of: date | None
) -> tuple[dict[EvidenceFeature, Evidence], list[str]]:
    """The latest row of each kind among the patient's lesions, seen as of the date."""
    ids = {lesion.lesion_id for lesion in record.lesions}
    chosen: dict[EvidenceFeature, Evidence] = {}
    warnings: list[str] = []
    for row in sorted(evidence, key=lambda e: e.date):
        if row.lesion_id not in ids or (as_of is not None and row.date > as_of):
            continue
        try:
            feature = EvidenceFeature.parse(row.kind)
        except ParameterError:
            warnings.append(f"evidence of unknown kind {row.kind!r} ignored")
            continue
        if row.date < record.treatment_start:
            warnings.append(
                f"{feature.value} dated {row.date.isoformat()}, before the start of treatment "
                f"on {record.treatment_start.isoformat()}, ignored"
            )
            continue
        chosen[feature] = row
    return chosen, warnings


def _leaning(row: FeatureEvidence | None, value: float | bool, ratio: float | None) -> Leaning:
    if ratio is not None:
        if ratio > 1:
            return Leaning.RESPONSE
        return Leaning.PROGRESSION if ratio < 1 else Leaning.NEITHER
    feature = None if row is None else row.feature
    if feature is EvidenceFeature.OTHER_SITES_RESPONSE:
        course = SiteCourse.from_score(float(value))
        return {SiteCourse.RESPONSE: Leaning.RESPONSE, SiteCourse.STABLE: Leaning.NEITHER}.get(
            course, Leaning.PROGRESSION
        )
    rule = None if row is None else row.leaning
    if rule is None or isinstance(value, bool):
        return Leaning.NEITHER
    if rule.applies(value):
        return Leaning.RESPONSE
    return Leaning.NEITHER if float(value) == rule.threshold else Leaning.PROGRESSION


def _item(
    feature: EvidenceFeature,
    value: float | bool,
    day: date | None,
    table: EvidenceTable,
    origin: str,
) -> tuple[DirectedItem, Update | None]:
    row = table.feature(feature)
    text = feature.format_value(value)
    if row is None:
        note = f"the evidence table {table.name} has no row for {feature.value}: not used"
        item = EvidenceItem(feature.value, value, text, day, None, None, None, note)
        return DirectedItem(item, Leaning.NEITHER, False, origin), None
    update = row.update_for(value)
    if update is None or row.rule is None or row.counts is None:
        meaning = "" if row.leaning is None else f"; {row.leaning.describe(True)} favours response"
        note = f"no published counts: shown, not weighted{meaning}"
        item = EvidenceItem(feature.value, value, text, day, None, None, row.citation, note)
        return DirectedItem(item, _leaning(row, value, None), False, origin), None
    ratio = update.likelihood_ratio
    item = EvidenceItem(
        feature.value,
        value,
        text,
        day,
        ratio,
        row.rule.describe(update.present),
        row.citation,
        f"counts {row.counts.describe()} (here the pseudoprogression group is response)",
    )
    return DirectedItem(item, _leaning(row, value, ratio), True, origin), update


def _items(
    chosen: Mapping[EvidenceFeature, Evidence],
    point: TimepointResult | None,
    hu: float | None,
    table: EvidenceTable,
) -> tuple[list[DirectedItem], list[Update], list[str]]:
    items: list[DirectedItem] = []
    updates: list[Update] = []
    notes: list[str] = []
    given = chosen.get(EvidenceFeature.ATTENUATION_CHANGE_PCT)
    if hu is not None and point is not None:
        item, update = _item(
            EvidenceFeature.ATTENUATION_CHANGE_PCT, round(hu, 1), point.date, table, "measurements"
        )
        items.append(item)
        updates += [] if update is None else [update]
        if given is not None:
            notes.append(
                f"attenuation_change_pct of {given.date.isoformat()} in the evidence table not "
                f"used: the measurements give {hu:+.1f}% on {point.date.isoformat()}"
            )
    for feature in EvidenceFeature:
        row = chosen.get(feature)
        if row is None or (feature is EvidenceFeature.ATTENUATION_CHANGE_PCT and hu is not None):
            continue
        if feature.value_kind is ValueKind.PATHOLOGY:
            text = feature.format_value(row.value)
            note = "pathology is not read by the liver evidence: shown, not used"
            plain = EvidenceItem(feature.value, row.value, text, row.date, None, None, None, note)
            items.append(DirectedItem(plain, Leaning.NEITHER, False, "evidence"))
            continue
        item, update = _item(feature, row.value, row.date, table, "evidence")
        items.append(item)
        updates += [] if update is None else [update]
    return items, updates, notes


def _meanings(
    table: EvidenceTable, route: PatientRoute, reported: frozenset[EvidenceFeature]
) -> list[str]:
    """What each result of each row of the table not reported yet would mean."""
    out = []
    for row in table.features:
        if row.feature in reported:
            continue
        if row.rule is not None and row.counts is not None:
            out.append(
                f"{row.feature.value}: {row.rule.describe(True)} multiplies the odds of "
                f"{route.outcome} by {row.counts.lr_positive:.3g}, "
                f"{row.rule.describe(False)} by {row.counts.lr_negative:.3g} "
                f"[{row.citation.short}]"
            )
        elif row.feature is EvidenceFeature.OTHER_SITES_RESPONSE:
            out.append(
                f"{row.feature.value}: response elsewhere points towards {route.outcome}, "
                f"progression elsewhere towards {route.alternative}, stable disease neither "
                f"way; shown, not weighted [{row.citation.short}]"
            )
        elif row.leaning is not None:
            out.append(
                f"{row.feature.value}: {row.leaning.describe(True)} points towards "
                f"{route.outcome}, above {row.leaning.threshold:g}% towards "
                f"{route.alternative}; shown, not weighted [{row.citation.short}]"
            )
    return out


# ---- what to do -----------------------------------------------------------------------------


def _scan_dates(record: PatientRecord, result: PatientAssessment) -> list[date]:
    days = [] if result.baseline_date is None else [result.baseline_date]
    return days + [p.date for p in result.timepoints]


def _next_scan(
    record: PatientRecord, result: PatientAssessment, route: PatientRoute
) -> tuple[date | None, Recommendation | None]:
    days = _scan_dates(record, result)
    if len(days) < 2:
        return None, None
    interval = (days[-1] - days[-2]).days
    due = days[-1] + timedelta(days=interval)
    text = (
        f"Next CT, in the portal venous phase, by {due.isoformat()}: the patient's own "
        f"interval of {interval} days between its last two CT scans. The sources of the "
        f"evidence table give no re-imaging interval for a growing liver lesion (Choi 2007 "
        "compared CT before treatment and at 2 months)."
    )
    citation = Citation(route.criteria_source, "Abstract, Patients and Methods")
    return due, Recommendation(RecommendationKind.NEXT_SCAN, text, citation, due=due)


def _recommendations(
    question: Question,
    note: str,
    table: EvidenceTable,
    route: PatientRoute,
    reported: frozenset[EvidenceFeature],
    next_scan: Recommendation | None,
    overdue: str | None,
) -> list[Recommendation]:
    out: list[Recommendation] = []
    if overdue is not None and next_scan is not None:
        out.append(
            Recommendation(
                RecommendationKind.FOLLOW_UP_OVERDUE, overdue, next_scan.citation, next_scan.due
            )
        )
    if question is Question.PD_ON_SIZE_ATTENUATION_FELL or question is (
        Question.PROGRESSION_BY_CRITERIA
    ):
        out.append(
            Recommendation(
                RecommendationKind.DECIDED,
                f"Progressive disease by {route.criteria}: {note}.",
                route.criteria_citation,
            )
        )
    if question.asked:
        for entry in table.recommendations:
            supplies = set(entry.features)
            if supplies and supplies <= reported:
                continue  # already done
            if (
                entry.code == "do_not_stop_on_size"
                and question is not Question.GREW_NOT_PD
                and (question is not Question.SIZE_ONLY_PD)
            ):
                continue  # the criteria themselves call PD
            out.append(
                Recommendation(
                    RecommendationKind.FROM_EVIDENCE_TABLE,
                    entry.text,
                    entry.citation,
                    table_code=entry.code,
                )
            )
    if next_scan is not None and overdue is None:
        out.append(next_scan)
    return out


def _assumptions(
    table: EvidenceTable,
    route: PatientRoute,
    combined: LikelihoodRatioEstimate,
    items: Iterable[DirectedItem],
) -> list[str]:
    model = combined.parameters
    out = [
        f"No probability of {route.outcome} is given: {table.no_prior}"
        if table.prior is None
        else "The table's prior is counted by radiotherapy fractionation and does not apply "
        "to a patient under systemic therapy: no probability is given.",
        "Findings are conditionally independent given the true state "
        f"({route.outcome} or {route.alternative}), so their likelihood ratios multiply; the "
        "combined ratio multiplies the odds held before the evidence (odds after = odds "
        f"before x {combined.estimate:.3g}).",
        f"The {model.level:.0%} interval of the combined ratio is the equal-tailed percentiles "
        f"of {model.draws} Monte Carlo draws over the Beta({model.hyperprior_a:g}, "
        f"{model.hyperprior_b:g}) posteriors of every count, seed {model.seed}.",
    ]
    seen = {i.feature for i in items}
    for row in table.features:
        if row.feature.value in seen or row.quantitative:
            out.extend(f"{row.feature.value}: {text}" for text in row.assumptions)
    out.append(
        "Only evidence dated on or after the start of treatment and on or before the "
        "assessment date is used; for each kind the latest value. Tumour markers and other "
        "sites are findings of the patient: they may be given on any of the patient's lesions."
    )
    return out


def assess_patient_evidence(
    result: PatientAssessment,
    *,
    record: PatientRecord,
    evidence: Iterable[Evidence] = (),
    table: EvidenceTable | None = None,
    route: PatientRoute = LIVER_ROUTE,
    model: ModelParameters | None = None,
    overdue_after_days: int = 0,
) -> PatientEvidenceAssessment:
    """Weigh the evidence at a patient's latest CT (see the module docstring).

    Parameters
    ----------
    result
        The patient's result by the route's patient-level criteria (e.g. ``choi``).
    record
        The same patient's record (its lesions name the evidence rows that belong to it).
    evidence
        Rows of the ``evidence`` table; those of other patients are ignored.
    table
        Evidence table (default: the route's packaged table, ``liver_choi``).
    route
        The site's patient-level route (default: liver).
    model
        Hyperprior, Monte Carlo draws, seed and interval level.
    overdue_after_days
        The next CT counts as overdue once the assessment date is more than this many days
        past its due date.

    Raises
    ------
    ParameterError
        If ``overdue_after_days`` is negative or ``record`` is another patient's.
    """
    if overdue_after_days < 0:
        raise ParameterError(f"overdue_after_days must not be negative, got {overdue_after_days}")
    if record.patient_id != result.patient_id:
        raise ParameterError(
            f"record of patient {record.patient_id!r} given with the result of "
            f"{result.patient_id!r}; pass the same patient's record"
        )
    table = table or packaged_table(route.table)
    model = model or ModelParameters()
    point = result.current
    question, note, size, hu = _question(point, result)
    chosen, warnings = _latest(evidence, record, result.as_of)
    items, updates, notes = _items(chosen, point, hu, table)
    warnings += notes
    if table.site is not route.site:
        warnings.append(
            f"the evidence table {table.name} covers {table.site.value} lesions, not "
            f"{route.site.value}: its rows may not apply"
        )
    combined = combine_likelihood_ratios(updates, parameters=model) if question.asked else None
    due, next_scan = _next_scan(record, result, route)
    overdue = None
    as_of = result.as_of
    if due is not None and as_of is not None and (as_of - due).days > overdue_after_days:
        overdue = (
            f"The next CT is overdue by {(as_of - due).days} days: it was due on "
            f"{due.isoformat()}; obtain it now."
        )
        warnings.append(f"next CT overdue by {(as_of - due).days} days (due {due.isoformat()})")
    reported = frozenset(chosen) | (
        frozenset({EvidenceFeature.ATTENUATION_CHANGE_PCT}) if hu is not None else frozenset()
    )
    recommendations = _recommendations(question, note, table, route, reported, next_scan, overdue)
    return PatientEvidenceAssessment(
        patient_id=result.patient_id,
        criteria=result.criteria,
        as_of=as_of,
        scan_date=None if point is None else point.date,
        response=None if point is None else point.response.value,
        question=question,
        question_note=note,
        size_change_pct=size,
        attenuation_change_pct=hu,
        items=tuple(items),
        combined=combined,
        probability_note=(
            f"the evidence table gives no prior: {table.no_prior}"
            if table.prior is None
            else "the evidence table's prior is by radiotherapy fractionation and does not "
            "apply to a patient under systemic therapy"
        ),
        meanings=tuple(_meanings(table, route, reported)) if question.asked else (),
        recommendations=tuple(recommendations),
        assumptions=tuple(
            _assumptions(table, route, combined, items) if combined is not None else ()
        ),
        warnings=tuple(warnings),
        next_scan_due=due,
        table=table,
        route=route,
    )
