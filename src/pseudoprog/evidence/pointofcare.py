"""Point-of-care assessment of a treated lesion: is its enlargement treatment effect?

:func:`assess_lesion` answers, for one lesion as of a date, through the route of the lesion's
site (:mod:`pseudoprog.evidence.sites`): spine lesions by the Amini 2016 criteria and the spine
SSRS table, brain metastases after SRS by the ``srs-brain`` criteria and the brain SRS table.
It gives the criteria's status (seeing only what is dated up to that date); for an enlarging
lesion that is still undecided (INDETERMINATE on the spine, SUSPECTED_PD in the brain), the
probability that the enlargement is pseudoprogression or treatment effect rather than
progression, from the prior of the table moved by the likelihood ratio of each reported finding
and of each clinical factor with published counts; the recommendations that follow; and the
assumptions behind the numbers. A factor without published counts is listed and does not move
the probability.

What gets a probability. Only an enlarging lesion the criteria have not decided, whose site is
that of the evidence table and, with a table that has a time course of osseous
pseudoprogression (spine), whose enlargement began no later than the latest published OPP peak.
A lesion the criteria have already decided gets ``None`` with the reason.

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

A brain metastasis, 14 mm before SRS and 20 mm four months later (within 9 months of SRS):

>>> from pseudoprog.domain import Site
>>> brain = Lesion("2", "2-L1", Treatment(date(2011, 3, 1), 16, 1), site=Site.BRAIN)
>>> t1c = SizeSeries(Sequence.T1C, (date(2011, 2, 22), date(2011, 7, 1)), (14.0, 20.0))
>>> result = assess_lesion(LesionHistory(brain, {Sequence.T1C: t1c}), as_of=date(2011, 7, 5))
>>> result.status.value, result.outcome, round(result.probability.estimate, 3)
('SUSPECTED_PD', 'treatment effect', 0.468)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from functools import partial

from pseudoprog.criteria.result import Assessment
from pseudoprog.domain import Evidence, LesionHistory
from pseudoprog.errors import ParameterError
from pseudoprog.evidence.citation import Citation
from pseudoprog.evidence.factors import ClinicalFactor, FactorEvidence
from pseudoprog.evidence.features import TIMING_FEATURE, EvidenceFeature, ValueKind
from pseudoprog.evidence.followup import NextMri, next_mri
from pseudoprog.evidence.packaged import default_table, packaged_table
from pseudoprog.evidence.posterior import ModelParameters, Update, estimate_probability
from pseudoprog.evidence.prior import PriorStratum
from pseudoprog.evidence.recommendations import WhatIf, recommend
from pseudoprog.evidence.result import EvidenceItem, PointOfCareAssessment, ProbabilityNote
from pseudoprog.evidence.sites import (
    SPINE_ROUTE,
    LesionCriteria,
    SiteRoute,
    criteria_sets,
    route_for,
)
from pseudoprog.evidence.table import EvidenceTable

__all__ = ["assess_lesion", "assess_lesions", "criteria_citation"]

#: Days in a month, for the months from SRS to the enlargement.
_DAYS_PER_MONTH = 365.25 / 12


def criteria_citation() -> Citation:
    """Where the spine criteria come from (Amini 2016, Image Review and Analysis)."""
    source = default_table().sources["amini2016"]
    return Citation(source, SPINE_ROUTE.criteria_location)


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


def _unused(
    feature: EvidenceFeature,
    item: Evidence,
    value_text: str,
    note: str,
    citation: Citation | None = None,
) -> EvidenceItem:
    """A reported finding that does not change the estimate, with the reason."""
    return EvidenceItem(
        feature.value, item.value, value_text, item.date, None, None, citation, note
    )


def _evidence_items(
    chosen: dict[EvidenceFeature, list[Evidence]], table: EvidenceTable, route: SiteRoute
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
        unused = partial(_unused, feature, latest, value_text)
        if feature.value_kind is ValueKind.PATHOLOGY:
            reader = (
                f"read by the {route.criteria} criteria"
                if route.reads_evidence
                else f"not read by the {route.criteria} criteria"
            )
            items.append(
                unused(f"the reference standard, not a test with a likelihood ratio: {reader}")
            )
            continue
        if row is None:
            items.append(
                unused(f"the evidence table has no row for {feature.value}: not used{superseded}")
            )
            continue
        update = row.update_for(latest.value)
        if update is None or row.rule is None:
            items.append(
                unused(
                    f"no counts published ({row.reported}): reported, not used{superseded}",
                    row.citation,
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


def _factor_value(entry: FactorEvidence, months: float | None) -> float | None:
    """The lesion's value of a factor, when pseudoprog can know it (``None``: it cannot)."""
    return months if entry.factor is ClinicalFactor.MONTHS_AFTER_SRS else None


def _factor_items(
    table: EvidenceTable, months: float | None
) -> tuple[list[EvidenceItem], list[Update]]:
    """Every factor entry of the table: weighted ones with the lesion's value move the estimate.

    ``months`` is the time from treatment to the first enlargement. Immunotherapy and prior
    whole-brain radiotherapy are not inputs of pseudoprog; their entries are shown only.
    """
    items: list[EvidenceItem] = []
    updates: list[Update] = []
    for entry in table.factors:
        factor = entry.factor
        value = _factor_value(entry, months)
        value_text = "not recorded" if value is None else f"{value:.1f} {factor.unit}"
        update = None if value is None else entry.update_for(value)
        if (
            value is not None
            and update is not None
            and entry.rule is not None
            and entry.counts is not None
        ):
            updates.append(update)
            items.append(
                EvidenceItem(
                    factor.value,
                    round(value, 1),
                    value_text,
                    None,
                    update.likelihood_ratio,
                    entry.rule.describe(update.present),
                    entry.citation,
                    f"clinical factor, counts {entry.counts.describe()}",
                )
            )
            continue
        why = (
            "weighted in the table, but its value is not recorded: not used"
            if entry.weighted
            else "shown, not weighted: no published counts among enlarging lesions by outcome, "
            "so it does not change the estimate"
        )
        items.append(
            EvidenceItem(
                factor.value,
                None if value is None else round(value, 1),
                value_text,
                None,
                None,
                f"{entry.description}: {entry.reported}",
                entry.citation,
                why,
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
    route: SiteRoute,
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
            f"{route.outcome} does not arise"
        )
    if status is not route.awaiting:
        return ProbabilityNote.DECIDED, (
            f"already decided {route.decided_by} ({status.value}, {status.meaning}); the "
            f"estimate is for enlarging lesions that are still {route.awaiting.value}"
        )
    if not site_ok:
        return ProbabilityNote.OTHER_SITE, (
            f"the evidence table covers {table.site.value} lesions, not "
            f"{assessment.lesion.site.value}"
        )
    if table.prior is None:
        return ProbabilityNote.NO_PRIOR, f"the evidence table gives no prior: {table.no_prior}"
    if stratum is None:
        return ProbabilityNote.NO_STRATUM, (
            f"no prior stratum of the evidence table covers "
            f"{assessment.lesion.treatment.fractions} fractions"
        )
    course = table.opp_time_course
    if course is not None and weeks is not None and weeks > course.peak_weeks_max:
        return ProbabilityNote.LATE_ENLARGEMENT, (
            f"the enlargement began {weeks:.1f} weeks after treatment, later than any published "
            f"OPP peak ({course.peak_weeks_max:g} weeks); the prior does not apply"
        )
    return ProbabilityNote.ESTIMATED, "estimated from the prior and the evidence"


def _assumptions(
    *,
    route: SiteRoute,
    stratum: PriorStratum,
    fractions: int,
    table: EvidenceTable,
    model: ModelParameters,
    weeks: float,
    updates: Sequence[Update],
    proposed: Sequence[EvidenceFeature],
    descriptive: Sequence[EvidenceFeature],
) -> list[str]:
    prior = table.known_prior
    out = [
        "Findings are conditionally independent given the true state "
        f"({route.outcome} or progression), so their likelihood ratios multiply.",
        f"Prior: {stratum.pseudoprogression} of {stratum.enlarging} enlarging lesions treated "
        f"with {stratum.fractions_text} were {route.outcome} [{prior.citation.short}]; this "
        f"lesion is assumed comparable to those lesions (same inclusion criteria, "
        f"{route.reference_standard}).",
    ]
    if prior.left_out:
        out.append(f"Prior counted leaving out {', '.join(prior.left_out)}.")
    if stratum.fractions_min != stratum.fractions_max:
        out.append(
            f"{fractions} {'fraction is' if fractions == 1 else 'fractions are'} counted in "
            f"the stratum {stratum.name} "
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
    course = table.opp_time_course
    if course is not None:
        out.append(
            f"Timing is not a likelihood ratio (no source gives counts of OPP and PD by time of "
            f"enlargement): the prior applies because the enlargement began {weeks:.1f} weeks "
            f"after treatment, no later than the latest published OPP peak "
            f"({course.peak_weeks_max:g} weeks); a later enlargement gets no estimate."
        )
    used = {u.feature for u in updates}
    wanted = set(proposed) | set(descriptive)
    for feature in EvidenceFeature:
        row = table.feature(feature)
        if row is None or (feature.value not in used and feature not in wanted):
            continue
        out.extend(f"{feature.value}: {text}" for text in row.assumptions)
    for entry in table.factors:
        if entry.weighted and entry.factor.value in used:
            out.extend(f"{entry.factor.value}: {text}" for text in entry.assumptions)
    shown = sorted({e.factor.value for e in table.factors if not e.weighted})
    if shown:
        out.append(
            f"Shown without weight: the entries of {', '.join(shown)} that have no published "
            f"counts of {route.outcome} and progression among enlarging lesions; they do not "
            "change the estimate."
        )
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
    criteria: LesionCriteria | Iterable[LesionCriteria] | None = None,
    model: ModelParameters | None = None,
    overdue_after_days: int = 0,
) -> PointOfCareAssessment:
    """Assess one lesion as of a date, by the criteria and evidence table of its site.

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
        Evidence table (default: the packaged table of the lesion's site; the spine table for
        a site without one). Use
        :meth:`~pseudoprog.evidence.table.EvidenceTable.with_prior` for another prior.
    criteria
        Parameters of the lesion-level criteria: one set, or several (one per criteria). The
        lesion uses the set of its site's criteria (``amini2016`` for the spine, ``srs-brain``
        for the brain), or that criteria's defaults when none is given.
    model
        Hyperprior, Monte Carlo draws, seed and interval level.
    overdue_after_days
        A follow-up counts as overdue once the assessment date is more than this many days
        past the date it is due (0: any day late).

    Returns
    -------
    PointOfCareAssessment

    Raises
    ------
    ParameterError
        If ``overdue_after_days`` is negative, or ``criteria`` holds two sets of one criteria.
    """
    if overdue_after_days < 0:
        raise ParameterError(f"overdue_after_days must not be negative, got {overdue_after_days}")
    lesion = history.lesion
    route = route_for(lesion.site)
    params = route.parameters(criteria)
    table = table or packaged_table(route.table)
    model = model or ModelParameters()
    treated = lesion.treatment.date
    rows = tuple(evidence)
    assessment = route.classify(history, as_of=as_of, params=params, evidence=rows)
    deciding = assessment.deciding
    first = None if deciding is None else deciding.first_enlarged_date
    enlarging = first is not None
    weeks = None if first is None else (first - treated).days / 7.0
    months = None if first is None else (first - treated).days / _DAYS_PER_MONTH
    chosen, warnings = _select(rows, history, as_of)
    items, updates = _evidence_items(chosen, table, route)
    if weeks is not None and table.opp_time_course is not None:
        items.insert(0, _timing_item(weeks, table))
    factor_updates: list[Update] = []
    if enlarging:
        factor_items, factor_updates = _factor_items(table, months)
        items[:0] = factor_items
    stratum = None if table.prior is None else table.prior.stratum_for(lesion.treatment.fractions)
    site_ok = lesion.site is table.site
    code, note = _probability_note(
        assessment,
        route=route,
        enlarging=enlarging,
        site_ok=site_ok,
        stratum=stratum,
        weeks=weeks,
        table=table,
    )
    estimate = None
    what_ifs: list[WhatIf] = []
    assumptions: list[str] = []
    if code is ProbabilityNote.ESTIMATED and stratum is not None and weeks is not None:
        prior = stratum.posterior(model.hyperprior_a, model.hyperprior_b)
        known = [*factor_updates, *updates]
        estimate = estimate_probability(prior, known, parameters=model)
        for row in table.features:
            if row.counts is not None and row.feature not in chosen:
                present = Update(row.feature.value, row.counts, True)
                absent = Update(row.feature.value, row.counts, False)
                what_ifs.append(
                    WhatIf(
                        row,
                        estimate_probability(prior, [*known, present], parameters=model),
                        estimate_probability(prior, [*known, absent], parameters=model),
                    )
                )
        descriptive = [
            f for f in chosen if (entry := table.feature(f)) is not None and not entry.quantitative
        ]
        assumptions = _assumptions(
            route=route,
            stratum=stratum,
            fractions=lesion.treatment.fractions,
            table=table,
            model=model,
            weeks=weeks,
            updates=known,
            proposed=[w.feature.feature for w in what_ifs],
            descriptive=descriptive,
        )
    plan = _plan(table, params, history, as_of, overdue_after_days)
    assumptions.append(f"Next MRI: {plan.describe()}.")
    if as_of is None:
        assumptions.append("No assessment date given: every study is seen, overdue not judged.")
    recommendations = recommend(
        assessment,
        table=table,
        route=route,
        estimate=estimate,
        what_ifs=what_ifs,
        next_mri=plan,
        first_enlarged_weeks=weeks,
        site_supported=site_ok,
        reported=frozenset(chosen),
    )
    warnings = [w.message for w in assessment.warnings] + warnings
    if plan.overdue_days is not None:
        warnings.append(
            f"follow-up MRI overdue by {plan.overdue_days} days (due {plan.due.isoformat()})"
        )
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
        last_study=plan.last_study,
        next_mri_due=plan.due,
        overdue_days=plan.overdue_days,
        first_enlarged_weeks=weeks,
        table=table,
        model=model,
        route=route,
    )


def _plan(
    table: EvidenceTable,
    params: LesionCriteria,
    history: LesionHistory,
    as_of: date | None,
    overdue_after_days: int,
) -> NextMri:
    return next_mri(
        table,
        params,
        treated=history.lesion.treatment.date,
        last_study=_last_study(history, as_of),
        as_of=as_of,
        overdue_after_days=overdue_after_days,
    )


def assess_lesions(
    histories: Iterable[LesionHistory],
    *,
    evidence: Iterable[Evidence] = (),
    as_of: date | None = None,
    table: EvidenceTable | None = None,
    criteria: LesionCriteria | Iterable[LesionCriteria] | None = None,
    model: ModelParameters | None = None,
    overdue_after_days: int = 0,
) -> list[PointOfCareAssessment]:
    """Assess many lesions, each by its site's route (see :func:`assess_lesion`).

    ``table`` (when given) serves every lesion; lesions of another site get no estimate.
    """
    rows = tuple(evidence)
    sets = None if criteria is None else criteria_sets(criteria)
    return [
        assess_lesion(
            h,
            evidence=rows,
            as_of=as_of,
            table=table,
            criteria=sets,
            model=model,
            overdue_after_days=overdue_after_days,
        )
        for h in histories
    ]
