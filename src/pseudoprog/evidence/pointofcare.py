"""Point-of-care assessment of a treated lesion: is its enlargement pseudoprogression?

:func:`assess_lesion` answers, for one lesion as of a date: the classifier's status (Amini
2016 criteria, seeing only the studies up to that date); for an enlarging lesion that is still
undecided (INDETERMINATE), the probability that the enlargement is pseudoprogression, from the
prior of its fractionation stratum moved by the likelihood ratio of each reported finding; the
recommendations that follow; and the assumptions behind the numbers.

What gets a probability. Only an enlarging lesion awaiting follow-up (status INDETERMINATE
with growth of at least the measurement error), whose site is that of the evidence table and
whose enlargement began no later than the latest published OPP peak. A lesion the criteria
have already decided (OPP or PD) gets ``None`` with the reason: serial MRI, the reference
standard of the source study, has answered the question.

Examples
--------
>>> from datetime import date
>>> from pseudoprog.domain import Evidence, Lesion, LesionHistory, SizeSeries, Sequence, Treatment
>>> lesion = Lesion("1", "1-L1", Treatment(date(2012, 1, 10), 24, 1))
>>> series = SizeSeries(Sequence.T1, (date(2012, 1, 2), date(2012, 4, 10)), (20.0, 25.0))
>>> history = LesionHistory(lesion, {Sequence.T1: series})
>>> result = assess_lesion(history, as_of=date(2012, 4, 12))
>>> result.status.value, round(result.probability.estimate, 3)
('INDETERMINATE', 0.611)
>>> dce = Evidence("1-L1", date(2012, 4, 10), "dce_vp_change_pct", -45.0)
>>> round(assess_lesion(history, evidence=[dce], as_of=date(2012, 4, 12)).probability.estimate, 3)
0.938
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from pseudoprog.criteria.amini2016 import DEFAULT_PARAMETERS, Amini2016Parameters
from pseudoprog.criteria.amini2016 import assess as classify
from pseudoprog.criteria.result import Assessment
from pseudoprog.domain import Evidence, LesionHistory, ResponseCategory
from pseudoprog.errors import ParameterError
from pseudoprog.evidence.citation import Citation
from pseudoprog.evidence.features import TIMING_FEATURE, EvidenceFeature
from pseudoprog.evidence.packaged import default_table
from pseudoprog.evidence.posterior import ModelParameters, Update, estimate_probability
from pseudoprog.evidence.prior import PriorStratum
from pseudoprog.evidence.recommendations import WhatIf, recommend
from pseudoprog.evidence.result import EvidenceItem, PointOfCareAssessment, ProbabilityNote
from pseudoprog.evidence.table import EvidenceTable

__all__ = ["assess_lesion", "assess_lesions", "criteria_citation"]


def criteria_citation() -> Citation:
    """Where the response criteria come from (Amini 2016, Image Review and Analysis)."""
    source = default_table().sources["amini2016"]
    return Citation(source, "Materials and Methods, Image Review and Analysis")


def _last_study(history: LesionHistory, as_of: date | None) -> date | None:
    dates = [d for s in history.series.values() for d in s.dates if as_of is None or d <= as_of]
    return max(dates, default=None)


def _select(
    evidence: Iterable[Evidence], history: LesionHistory, as_of: date | None
) -> tuple[dict[EvidenceFeature, list[Evidence]], list[str]]:
    """Evidence of this lesion seen as of the date, by feature (latest last), and warnings."""
    lesion = history.lesion
    chosen: dict[EvidenceFeature, list[Evidence]] = {}
    warnings: list[str] = []
    for item in evidence:
        if item.lesion_id != lesion.lesion_id or (as_of is not None and item.date > as_of):
            continue
        try:
            feature = EvidenceFeature.parse(item.kind)
        except ParameterError:
            warnings.append(
                f"evidence of unknown kind {item.kind!r} on {item.date.isoformat()} ignored; "
                f"known kinds: {EvidenceFeature.accepted()}"
            )
            continue
        if item.date < lesion.treatment.date:
            warnings.append(
                f"{feature.value} dated {item.date.isoformat()}, before treatment on "
                f"{lesion.treatment.date.isoformat()}, ignored"
            )
            continue
        chosen.setdefault(feature, []).append(item)
    for items in chosen.values():
        items.sort(key=lambda e: e.date)
    return chosen, warnings


def _evidence_items(
    chosen: dict[EvidenceFeature, list[Evidence]], table: EvidenceTable
) -> tuple[list[EvidenceItem], list[Update]]:
    items: list[EvidenceItem] = []
    updates: list[Update] = []
    for feature in EvidenceFeature:
        if feature not in chosen:
            continue
        latest, earlier = chosen[feature][-1], chosen[feature][:-1]
        superseded = (
            "; supersedes " + ", ".join(f"{e.date.isoformat()}" for e in earlier) if earlier else ""
        )
        row = table.feature(feature)
        value_text = feature.format_value(latest.value)
        if row is None:
            items.append(
                EvidenceItem(
                    feature.value,
                    latest.value,
                    value_text,
                    latest.date,
                    None,
                    None,
                    None,
                    f"the evidence table has no row for {feature.value}: not used{superseded}",
                )
            )
            continue
        update = row.update_for(latest.value)
        if update is None or row.rule is None:
            items.append(
                EvidenceItem(
                    feature.value,
                    latest.value,
                    value_text,
                    latest.date,
                    None,
                    None,
                    row.citation,
                    f"no counts published ({row.reported}): reported, not used{superseded}",
                )
            )
            continue
        updates.append(update)
        items.append(
            EvidenceItem(
                feature.value,
                latest.value,
                value_text,
                latest.date,
                update.likelihood_ratio,
                row.rule.describe(update.present),
                row.citation,
                f"counts {row.counts.describe() if row.counts else ''}{superseded}",
            )
        )
    return items, updates


def _timing_item(weeks: float, table: EvidenceTable) -> EvidenceItem:
    course = table.time_course
    within = weeks <= course.peak_weeks_max
    window = f"{course.peak_weeks_min:g}-{course.peak_weeks_max:g} weeks"
    return EvidenceItem(
        TIMING_FEATURE,
        round(weeks, 1),
        f"{weeks:.1f} weeks after treatment",
        None,
        None,
        (
            f"no later than the latest published OPP peak (OPP peaks at {window})"
            if within
            else f"later than every published OPP peak (OPP peaks at {window})"
        ),
        course.peak_citation,
        "decides whether the prior applies; no source gives counts by timing, so it has no "
        "likelihood ratio",
    )


def _probability_note(
    assessment: Assessment,
    *,
    enlarging: bool,
    site_ok: bool,
    stratum: PriorStratum | None,
    weeks: float | None,
    table: EvidenceTable,
) -> tuple[ProbabilityNote, str]:
    status = assessment.category
    if not enlarging:
        if assessment.deciding is None:
            why = "; ".join(r.message for r in assessment.reasons) or "no follow-up study"
            return ProbabilityNote.NO_FOLLOW_UP, f"no enlargement can be judged yet ({why})"
        return ProbabilityNote.NOT_ENLARGING, (
            f"not enlarging ({status.value}, {status.meaning}): the question of "
            "pseudoprogression does not arise"
        )
    if status is not ResponseCategory.INDETERMINATE:
        return ProbabilityNote.DECIDED, (
            f"already decided by serial MRI under the Amini 2016 criteria ({status.value}, "
            f"{status.meaning}); the estimate is for enlarging lesions awaiting follow-up"
        )
    if not site_ok:
        return ProbabilityNote.OTHER_SITE, (
            f"the evidence table covers {table.site.value} lesions, not "
            f"{assessment.lesion.site.value}"
        )
    if stratum is None:
        return ProbabilityNote.NO_STRATUM, (
            f"no prior stratum of the evidence table covers "
            f"{assessment.lesion.treatment.fractions} fractions"
        )
    if weeks is not None and weeks > table.time_course.peak_weeks_max:
        return ProbabilityNote.LATE_ENLARGEMENT, (
            f"the enlargement began {weeks:.1f} weeks after treatment, later than any published "
            f"OPP peak ({table.time_course.peak_weeks_max:g} weeks); the prior does not apply"
        )
    return ProbabilityNote.ESTIMATED, "estimated from the prior and the evidence"


def _assumptions(
    *,
    stratum: PriorStratum,
    fractions: int,
    table: EvidenceTable,
    model: ModelParameters,
    weeks: float,
    updates: Sequence[Update],
    proposed: Sequence[EvidenceFeature],
    descriptive: Sequence[EvidenceFeature],
) -> list[str]:
    prior = table.prior
    out = [
        "Findings are conditionally independent given the true state (pseudoprogression or "
        "progression), so their likelihood ratios multiply.",
        f"Prior: {stratum.describe()} [{prior.citation.short}]; this lesion is assumed "
        "comparable to those lesions (same inclusion criteria, same definition of OPP and PD).",
    ]
    if prior.left_out:
        out.append(f"Prior counted leaving out {', '.join(prior.left_out)}.")
    if stratum.fractions_min != stratum.fractions_max:
        out.append(
            f"{fractions} fractions are counted in the stratum {stratum.name} "
            f"({stratum.fractions_text}), which pools the regimens of the source."
        )
    level = f"{model.level:.0%}"
    out.append(
        f"Every count enters as a Beta posterior with a Beta({model.hyperprior_a:g}, "
        f"{model.hyperprior_b:g}) hyperprior. The point estimate is the prior's posterior mean "
        "times the likelihood ratios of the raw counts (0.5 added to each cell of a table with "
        f"a zero cell); the {level} interval is the equal-tailed percentiles of "
        f"{model.draws} Monte Carlo draws over all counts, seed {model.seed}."
    )
    out.append(
        f"Timing is not a likelihood ratio (no source gives counts of OPP and PD by time of "
        f"enlargement): the prior applies because the enlargement began {weeks:.1f} weeks "
        f"after treatment, no later than the latest published OPP peak "
        f"({table.time_course.peak_weeks_max:g} weeks); a later enlargement gets no estimate."
    )
    used = {EvidenceFeature.parse(u.feature) for u in updates}
    for feature in EvidenceFeature:
        row = table.feature(feature)
        if row is None or feature not in used | set(proposed) | set(descriptive):
            continue
        out.extend(f"{feature.value}: {text}" for text in row.assumptions)
    out.append(
        "Only evidence dated after treatment and on or before the assessment date is used; "
        "for each feature the latest value."
    )
    return out


def assess_lesion(
    history: LesionHistory,
    *,
    evidence: Iterable[Evidence] = (),
    as_of: date | None = None,
    table: EvidenceTable | None = None,
    criteria: Amini2016Parameters = DEFAULT_PARAMETERS,
    model: ModelParameters | None = None,
    overdue_after_days: int = 0,
) -> PointOfCareAssessment:
    """Assess one lesion as of a date.

    Parameters
    ----------
    history
        The lesion, its measurements and its patient's events.
    evidence
        Findings (``evidence`` table rows); those of other lesions are ignored.
    as_of
        Only studies, events and evidence up to this date are seen; the overdue check needs
        it. ``None`` sees everything and skips the overdue check.
    table
        Evidence table (default: the packaged spine SSRS table). Use
        :meth:`~pseudoprog.evidence.table.EvidenceTable.with_prior` for another prior.
    criteria
        Parameters of the Amini 2016 criteria.
    model
        Hyperprior, Monte Carlo draws, seed and interval level.
    overdue_after_days
        A follow-up counts as overdue once the assessment date is more than this many days
        past the date the protocol gives (0: any day late).

    Returns
    -------
    PointOfCareAssessment

    Raises
    ------
    ParameterError
        If ``overdue_after_days`` is negative.
    """
    if overdue_after_days < 0:
        raise ParameterError(f"overdue_after_days must not be negative, got {overdue_after_days}")
    table = table or default_table()
    model = model or ModelParameters()
    lesion = history.lesion
    treated = lesion.treatment.date
    assessment = classify(history, as_of=as_of, params=criteria)
    deciding = assessment.deciding
    enlarging = deciding is not None and deciding.first_enlarged_date is not None
    weeks = (
        (deciding.first_enlarged_date - treated).days / 7.0
        if deciding is not None and deciding.first_enlarged_date is not None
        else None
    )
    chosen, warnings = _select(evidence, history, as_of)
    items, updates = _evidence_items(chosen, table)
    if weeks is not None:
        items.insert(0, _timing_item(weeks, table))
    stratum = table.prior.stratum_for(lesion.treatment.fractions)
    site_ok = lesion.site is table.site
    code, note = _probability_note(
        assessment, enlarging=enlarging, site_ok=site_ok, stratum=stratum, weeks=weeks, table=table
    )
    estimate = None
    what_ifs: list[WhatIf] = []
    assumptions: list[str] = []
    if code is ProbabilityNote.ESTIMATED and stratum is not None and weeks is not None:
        prior = stratum.posterior(model.hyperprior_a, model.hyperprior_b)
        estimate = estimate_probability(prior, updates, parameters=model)
        for row in table.features:
            if row.counts is not None and row.feature not in chosen:
                present = Update(row.feature.value, row.counts, True)
                absent = Update(row.feature.value, row.counts, False)
                what_ifs.append(
                    WhatIf(
                        row,
                        estimate_probability(prior, [*updates, present], parameters=model),
                        estimate_probability(prior, [*updates, absent], parameters=model),
                    )
                )
        descriptive = [
            f for f in chosen if (entry := table.feature(f)) is not None and not entry.quantitative
        ]
        assumptions = _assumptions(
            stratum=stratum,
            fractions=lesion.treatment.fractions,
            table=table,
            model=model,
            weeks=weeks,
            updates=updates,
            proposed=[w.feature.feature for w in what_ifs],
            descriptive=descriptive,
        )
    last = _last_study(history, as_of)
    due = table.follow_up.next_due(last if last is not None else treated, treated)
    late = None if as_of is None else (as_of - due).days
    overdue = late if late is not None and late > overdue_after_days else None
    assumptions.append(
        f"Next MRI by the follow-up protocol of the source: {table.follow_up.describe()} "
        f"[{table.follow_up.citation.short}]."
    )
    if as_of is None:
        assumptions.append("No assessment date given: every study is seen, overdue not judged.")
    recommendations = recommend(
        assessment,
        table=table,
        criteria_citation=criteria_citation(),
        estimate=estimate,
        what_ifs=what_ifs,
        last_study=last,
        next_due=due,
        overdue_days=overdue,
        first_enlarged_weeks=weeks,
        site_supported=site_ok,
    )
    warnings = [w.message for w in assessment.warnings] + warnings
    if overdue is not None:
        warnings.append(f"follow-up MRI overdue by {overdue} days (due {due.isoformat()})")
    return PointOfCareAssessment(
        lesion=lesion,
        as_of=as_of,
        assessment=assessment,
        enlarging=enlarging,
        probability=estimate,
        probability_code=code,
        probability_note=note,
        prior_stratum=stratum,
        evidence=tuple(items),
        recommendations=recommendations,
        assumptions=tuple(assumptions),
        warnings=tuple(warnings),
        last_study=last,
        next_mri_due=due,
        overdue_days=overdue,
        first_enlarged_weeks=weeks,
        table=table,
        model=model,
    )


def assess_lesions(
    histories: Iterable[LesionHistory],
    *,
    evidence: Iterable[Evidence] = (),
    as_of: date | None = None,
    table: EvidenceTable | None = None,
    criteria: Amini2016Parameters = DEFAULT_PARAMETERS,
    model: ModelParameters | None = None,
    overdue_after_days: int = 0,
) -> list[PointOfCareAssessment]:
    """Assess many lesions with the same table, criteria and model (see :func:`assess_lesion`)."""
    rows = tuple(evidence)
    return [
        assess_lesion(
            h,
            evidence=rows,
            as_of=as_of,
            table=table,
            criteria=criteria,
            model=model,
            overdue_after_days=overdue_after_days,
        )
        for h in histories
    ]
