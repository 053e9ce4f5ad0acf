"""The sections of the study report, each rendered from a :class:`StudyResult`."""

from __future__ import annotations

from collections.abc import Mapping

from pseudoprog.domain import ResponseCategory
from pseudoprog.report._format import ci, esc, num, pct, proportion_cells, pvalue, share
from pseudoprog.report.html import FigureFile, Section, badge, figure, notice, table
from pseudoprog.stats.published import compare_with_amini2016
from pseudoprog.stats.study import StudyInput, StudyResult
from pseudoprog.stats.summaries import Count, MeanSummary

__all__ = ["build_sections", "header", "synthetic_notice"]

_LANDMARKS = (13.0, 26.0, 52.0)

_INPUT_NAMES = {
    StudyInput.LESIONS: "lesions",
    StudyInput.MEASUREMENTS: "measurements",
    StudyInput.EVENTS: "events",
}


def _not_computed(result: StudyResult, key: str) -> str:
    why = result.not_computed.get(key, "the data needed are not available")
    return notice("Not computed", f"<p>{esc(why[0].upper() + why[1:])}.</p>", off=True)


def header(result: StudyResult, generated: str) -> str:
    """Title, provenance line and the synthetic-data notice."""
    software = dict(result.software)
    inputs = ", ".join(f"<code>{esc(s)}</code>" for s in result.sources) or "given in Python"
    source = result.responses.source.description
    return (
        f"<h1>{esc(result.title)}</h1>"
        f'<p class="meta">Generated {esc(generated)} by pseudoprog '
        f"{esc(software.get('pseudoprog', '?'))}. Inputs: {inputs}.</p>"
        f'<p class="meta">Responses {esc(source)}.</p>' + synthetic_notice(result)
    )


def synthetic_notice(result: StudyResult) -> str:
    """A plain statement of which results come from synthetic data (empty when none)."""
    if not result.synthetic_inputs:
        return ""
    names = " and ".join(_INPUT_NAMES[i] for i in StudyInput if i in result.synthetic_inputs)
    real = [i for i in StudyInput if i not in result.synthetic_inputs]
    real_text = (
        " The "
        + " and ".join(_INPUT_NAMES[i] for i in real)
        + " table"
        + ("s are" if len(real) > 1 else " is")
        + " not marked synthetic; results resting on "
        + ("them" if len(real) > 1 else "it")
        + " alone (the cohort description) are unaffected."
        if real
        else ""
    )
    return notice(
        "Synthetic data",
        f"<p>The {esc(names)} table{'s' if ' and ' in names else ''} of this study "
        f"{'are' if ' and ' in names else 'is'} synthetic. Every result resting on "
        f"{'them' if ' and ' in names else 'it'} is marked "
        f"{badge('synthetic data', 'synthetic')} and describes made-up histories, not "
        f"patients.{esc(real_text)} Where a synthetic result agrees with the published one, "
        "it is because the synthetic data were built to reproduce the paper, not a "
        "finding.</p>",
    )


def _key_figures(result: StudyResult) -> str:
    r = result.responses
    items = [
        (f"{result.n_lesions} / {result.n_patients}", "lesions / patients analysed"),
        (share(r.opp_overall), "OPP, all lesions"),
        (share(r.opp_single_fraction), "OPP after single fraction"),
        (share(r.opp_multi_fraction), "OPP after multiple fractions"),
        (share(r.opp_among_enlarging), "OPP among enlarging lesions (OPP + PD)"),
    ]
    if result.fisher is not None:
        items.append((f"P = {pvalue(result.fisher.p_value)}", "Fisher: fractionation vs OPP"))
    if result.logrank is not None:
        items.append((f"P = {pvalue(result.logrank.p_value)}", "log-rank: OPP-free survival"))
    cells = "".join(f"<div><b>{v}</b><span>{esc(k)}</span></div>" for v, k in items)
    return f'<div class="keyfigures">{cells}</div>'


def _comparison(result: StudyResult) -> Section:
    rows = []
    for c in compare_with_amini2016(result):
        if c.agrees is None:
            mark = badge("not computed", "na")
        elif c.agrees:
            mark = badge("agrees", "yes")
        else:
            mark = badge("differs", "no")
        if c.synthetic:
            mark += badge("synthetic", "synthetic")
        rows.append(
            (
                esc(c.published.label),
                esc(c.published.text),
                esc(c.computed),
                mark,
                esc(c.published.citation),
            )
        )
    body = (
        "<p>Each published result of Amini et al. (AJNR 2016) beside this study's. A result "
        "agrees when this study's value, rounded to the precision the paper printed, equals "
        "it. The paper's 95% CI of the time to peak is a normal-approximation interval; this "
        "row uses the same method, and the time-course section also gives the t interval. "
        "Percentages of the paper are per lesion except the histology share, which matches "
        "per patient. Rows marked synthetic rest on synthetic data: whether they agree says "
        "nothing about patients.</p>"
        + table(
            ("Result", "Published", "This study", "", "Source"),
            rows,
        )
    )
    return Section("paper", "Compared with the published results (Amini et al. 2016)", body)


def _inclusion(result: StudyResult) -> Section:
    inc = result.inclusion
    rows = [
        (
            esc(c.description),
            str(c.met),
            str(c.not_met),
            str(c.unknown) + (f" <small>({esc(c.unknown_reason)})</small>" if c.unknown else ""),
        )
        for c in inc.criteria
    ]
    applied = (
        "Lesions that fail a criterion are left out of every analysis below."
        if inc.applied
        else "Exclusions were <b>not applied</b> (as requested): failing lesions stay in."
    )
    body = (
        f"<p>The exclusion criteria of the paper (Patient Population), judged for each of the "
        f"{inc.n_input} lesions on the data given: follow-up from the measurements, hardware "
        "and fracture from the events table, location and involvement from the optional "
        "lesion columns <code>in_vertebral_body</code> and <code>body_involvement_pct</code>. "
        "A criterion that cannot be judged from these data is counted as unknown and "
        f"excludes no lesion. {applied}</p>"
        + table(("Criterion", "Met", "Not met", "Unknown"), rows, numeric=(1, 2))
    )
    if inc.excluded:
        body += table(
            ("Excluded lesion", "Patient", "Failed criteria"),
            (
                (
                    esc(e.lesion_id),
                    esc(e.patient_id),
                    "; ".join(esc(f"{c.criterion}: {c.detail}") for c in e.failed),
                )
                for e in inc.excluded
            ),
            caption=f"{inc.n_excluded} lesion(s) excluded",
        )
    else:
        body += "<p>No lesion failed a criterion that could be judged.</p>"
    return Section("inclusion", "Inclusion and exclusion", body, result.is_synthetic("inclusion"))


def _counts(
    title: str, lesions: tuple[Count, ...], patients: tuple[Count, ...] | None = None
) -> list[tuple[list[str], str]]:
    rows: list[tuple[list[str], str]] = [([esc(title), "", ""], "group")]
    per_patient = {c.label: c for c in patients or ()}
    for c in lesions:
        p = per_patient.get(c.label)
        rows.append(
            (
                [
                    esc(c.label),
                    f"{c.count} ({pct(c.percent)})",
                    "" if p is None else f"{p.count} ({pct(p.percent)})",
                ],
                "indent",
            )
        )
    return rows


def _age(age: MeanSummary) -> list[tuple[list[str], str]]:
    rows: list[tuple[list[str], str]] = [(["Age at treatment, years", "", ""], "group")]
    if age.mean is None:
        return [*rows, (["not recorded", "", ""], "indent")]
    cells = [
        ("mean (SD)", f"{num(age.mean)} ({num(age.sd)})"),
        ("range", f"{num(age.minimum, 0)}–{num(age.maximum, 0)}"),
        ("95% CI, t interval", ci(age.ci_low, age.ci_high)),
        ("95% CI, normal approximation", ci(age.ci_normal_low, age.ci_normal_high)),
    ]
    return rows + [([label, "", value], "indent") for label, value in cells]


def _description(result: StudyResult) -> Section:
    d = result.description
    rows: list[tuple[list[str], str]] = [
        (["Lesions / patients", str(d.n_lesions), str(d.n_patients)], ""),
    ]
    rows += _age(d.age)
    rows += _counts("Sex (per patient)", (), None)
    rows += [
        (
            [
                esc({"F": "female", "M": "male"}.get(c.label, c.label)),
                "",
                f"{c.count} ({pct(c.percent)})",
            ],
            "indent",
        )
        for c in d.sex
    ]
    rows += _counts("Histology", d.histology_lesions, d.histology_patients)
    rows += _counts("Spinal region", d.regions)
    rows += _counts("Fractionation", d.fractionation)
    rows += _counts("Number of fractions", d.fractions)
    rows.append((["Dose / fractions", "", ""], "group"))
    rows += [([esc(g.label), f"{g.count} ({pct(g.percent)})", ""], "indent") for g in d.regimens]
    classes = [c for _, c in rows]
    html_rows = []
    for cells, cls in rows:
        if cls == "indent":
            cells = [f'<span style="padding-left:16px">{cells[0]}</span>', *cells[1:]]
        html_rows.append(cells)
    body = (
        "<p>Laid out like Table 1 of the paper. Age and sex are counted per patient (the "
        "age at the patient's first treated lesion); histology per lesion and per patient; "
        "region, fractionation and regimens per lesion. Percentages are of the column "
        "total.</p>"
        + table(
            ("Characteristic", f"Lesions (n = {d.n_lesions})", f"Patients (n = {d.n_patients})"),
            html_rows,
            numeric=(1, 2),
            row_classes=[c if c == "group" else "" for c in classes],
        )
    )
    if d.notes:
        body += "<ul>" + "".join(f"<li>{esc(n)}</li>" for n in d.notes) + "</ul>"
    return Section("cohort", "The cohort", body)


def _responses(result: StudyResult, figures: Mapping[str, tuple[FigureFile, int]]) -> Section:
    r = result.responses
    total = r.n_lesions
    count_rows = [
        (f"{esc(c.value)} <small>({esc(c.meaning)})</small>", str(n), pct(100 * n / total))
        for c, n in r.counts
        if n or c is not ResponseCategory.INDETERMINATE
    ]
    prevalence = [
        ("All lesions", r.opp_overall),
        ("Single fraction", r.opp_single_fraction),
        ("Multiple fractions", r.opp_multi_fraction),
        ("Enlarging lesions (OPP + PD)", r.opp_among_enlarging),
    ]
    body = (
        f"<p>Responses {esc(r.source.description)}. OPP: osseous pseudoprogression; PD: "
        "progressive disease; PR: partial response; SD: stable disease.</p>"
        + table(("Response", "Lesions", "%"), count_rows, numeric=(1, 2))
        + table(
            ("OPP among", "OPP / lesions", "%", "95% CI (Wilson)"),
            ((esc(label), *proportion_cells(p)) for label, p in prevalence),
            numeric=(1, 2, 3),
            caption="OPP prevalence",
        )
        + f"<p>{share(r.enlarging)} lesions enlarged (OPP or PD); {share(r.stable_or_responding)} "
        "were stable or responded.</p>"
    )
    if r.n_indeterminate:
        body += notice(
            "Indeterminate lesions",
            f"<p>{r.n_indeterminate} lesion(s) enlarged but await follow-up; they could still "
            "become OPP or PD and are left out of every prevalence above.</p>",
        )
    if result.agreement is not None:
        a = result.agreement
        text = (
            f"<p>The classifier agrees with the <code>response</code> column of the lesions "
            f"table for {a.agreeing} of {a.compared} lesions.</p>"
        )
        if a.disagreements:
            text += table(
                ("Lesion", "Table", "Classifier"),
                ((esc(i), esc(t.value), esc(c.value)) for i, t, c in a.disagreements),
            )
        body += text
    if "responses" in figures:
        fig, n = figures["responses"]
        body += figure(fig, n)
    return Section(
        "responses", "Responses and OPP prevalence", body, result.is_synthetic("responses")
    )


def _fisher(result: StudyResult) -> Section:
    f = result.fisher
    key = "fisher_fraction_opp"
    if f is None:
        return Section("fisher", "Fractionation and OPP", _not_computed(result, key))
    (a, b), (c, d) = f.table
    grid = table(
        ("", "OPP", "not OPP", "Total"),
        (
            ("Single fraction", str(a), str(b), str(a + b)),
            ("Multiple fractions", str(c), str(d), str(c + d)),
        ),
        numeric=(1, 2, 3),
    )
    odds = f"Odds ratio: {esc(f.odds_ratio_text)}"
    if f.odds_ratio is not None and f.odds_ratio_ci_low is not None:
        odds += f" (95% CI {ci(f.odds_ratio_ci_low, f.odds_ratio_ci_high, 2)}, Woolf)"
    extra = ""
    if f.corrected_odds_ratio is not None:
        extra += (
            f"<li>Haldane–Anscombe estimate (0.5 added to every cell): "
            f"{num(f.corrected_odds_ratio, 1)} (95% CI "
            f"{ci(f.corrected_ci_low, f.corrected_ci_high, 1)}, Woolf).</li>"
        )
    if f.exact_ci_low is not None:
        high = "infinity" if f.exact_ci_high_infinite else num(f.exact_ci_high, 2)
        extra += (
            f"<li>Exact conditional 95% CI of the odds ratio: {num(f.exact_ci_low, 2)} to "
            f"{high}.</li>"
        )
    body = (
        "<p>Two-sided Fisher exact test of single- versus multiple-fraction treatment against "
        "OPP (the paper: P = .01).</p>"
        + grid
        + f"<p><b>P = {pvalue(f.p_value)}</b>. {odds}.</p>"
        + (f"<ul>{extra}</ul>" if extra else "")
    )
    return Section("fisher", "Fractionation and OPP", body, result.is_synthetic(key))


def _survival(result: StudyResult, figures: Mapping[str, tuple[FigureFile, int]]) -> Section:
    key = "kaplan_meier_fraction"
    if not result.kaplan_meier:
        return Section("survival", "OPP-free survival", _not_computed(result, key))
    body = (
        "<p>Time from treatment, in weeks. Event: the first enlarged study (growth of at least "
        f"{result.parameters.error_mm:g} mm) of a lesion that turns out OPP. Every other lesion "
        "is censored at its last follow-up study; PD lesions are censored in OPP-free survival "
        "and are a competing event in the cumulative incidence below.</p>"
    )
    if "km" in figures:
        fig, n = figures["km"]
        body += figure(fig, n)
    if result.logrank is not None:
        lr = result.logrank
        body += (
            f"<p><b>Log-rank test</b>: χ² = {num(lr.statistic, 2)} (1 df), "
            f"<b>P = {pvalue(lr.p_value)}</b> (the paper: P = .005).</p>"
        )
    else:
        body += _not_computed(result, "logrank_fraction")
    header = ["Group", "Lesions", "OPP"] + [f"OPP-free at {w:g} wk" for w in _LANDMARKS]
    body += table(
        header,
        (
            (esc(c.label), str(c.n), str(c.events), *(num(c.survival_at(w), 2) for w in _LANDMARKS))
            for c in result.kaplan_meier
        ),
        numeric=(1, 2, 3, 4, 5),
        caption="Kaplan-Meier estimates",
    )
    if result.incidence:
        body += "<h3>Cumulative incidence of OPP and PD (competing risks)</h3>"
        body += (
            "<p>Aalen-Johansen estimate: the share of lesions that had become OPP (or PD) by "
            "each time, with the other outcome as a competing event.</p>"
        )
        if "incidence" in figures:
            fig, n = figures["incidence"]
            body += figure(fig, n)
        body += table(
            ["Outcome", "Events"] + [f"by {w:g} wk" for w in _LANDMARKS],
            (
                (esc(c.label), str(c.events), *(num(c.incidence_at(w), 2) for w in _LANDMARKS))
                for c in result.incidence
            ),
            numeric=(1, 2, 3, 4),
        )
    return Section("survival", "OPP-free survival", body, result.is_synthetic(key))


def _cox(result: StudyResult) -> Section:
    key = "cox_univariate"
    if not result.cox:
        return Section("cox", "Univariate Cox regression", _not_computed(result, key))
    rows = []
    for c in result.cox:
        if c.estimable:
            cells = (num(c.hazard_ratio, 2), ci(c.ci_low, c.ci_high, 2), pvalue(c.p_value))
        else:
            cells = ("<b>not estimable</b>", "–", "–")
        note = c.note.removeprefix("not estimable: ")
        label = c.label or c.variable
        rows.append((esc(label), esc(c.description), str(c.n), str(c.events), *cells, esc(note)))
    body = (
        "<p>One Cox proportional-hazards model per variable, for OPP-free survival (as in "
        "Table 2 of the paper). A hazard ratio above 1 means OPP appears earlier or more "
        "often with a higher value (or in the second group named). A model whose likelihood "
        "has no finite maximum (complete separation) is reported as not estimable with the "
        "reason, never as an extreme hazard ratio. Lesions of one patient are treated as "
        "independent, as in the paper.</p>"
        + table(
            ("Variable", "Comparison", "n", "OPP", "HR", "95% CI", "P", "Note"),
            rows,
            numeric=(2, 3, 4, 5, 6),
        )
    )
    if result.is_synthetic(key):
        body += (
            "<p>These models rest on synthetic times; they are not expected to reproduce the "
            "paper's hazard ratios (age: 1.16, 95% CI 1.03–1.30).</p>"
        )
    return Section("cox", "Univariate Cox regression", body, result.is_synthetic(key))


def _mean_cells(m: MeanSummary, digits: int = 1) -> tuple[str, str, str]:
    return (
        num(m.mean, digits),
        ci(m.ci_low, m.ci_high, digits),
        ci(m.ci_normal_low, m.ci_normal_high, digits),
    )


def _time_course(result: StudyResult, figures: Mapping[str, tuple[FigureFile, int]]) -> Section:
    tc = result.time_course
    key = "time_course"
    if tc is None:
        return Section("timecourse", "Time course of OPP", _not_computed(result, key))
    peak_rows = []
    size_rows = []
    for s in tc.sequences:
        peak = s.time_to_peak_weeks
        change = s.peak_change_mm
        back = s.time_to_baseline_weeks
        name = f"{esc(s.sequence.value)} <small>({esc(s.sequence.description)})</small>"
        peak_rows.append((name, str(s.n), *_mean_cells(peak), ci(peak.minimum, peak.maximum)))
        size_rows.append(
            (
                name,
                num(change.mean),
                ci(change.minimum, change.maximum),
                num(back.mean),
                ci(back.minimum, back.maximum),
                f"{back.n} / {s.never_returned}",
            )
        )
    body = (
        f"<p>The {tc.n_lesions} OPP lesion(s), per sequence, among those that enlarged on it. "
        "Time to peak: weeks from treatment to the largest follow-up size. Peak change: peak "
        "minus baseline, in mm. Back to baseline: weeks from treatment to the first study "
        f"after the peak within {tc.error_mm:g} mm of the baseline; lesions that never returned "
        "are counted apart and left out of that mean.</p>"
        "<p>Two 95% intervals are given for the mean time to peak: the <b>t interval</b> "
        "(mean ± t·SD/√n), right for a handful of lesions, and the <b>normal approximation</b> "
        "(mean ± 1.96·SD/√n), which is the interval the paper printed (13.9 weeks, 8.6–19.1). "
        "With five lesions the t interval is wider.</p>"
        + table(
            (
                "Sequence",
                "n",
                "Mean",
                "95% CI (t)",
                "95% CI (normal approx., as the paper)",
                "Range",
            ),
            peak_rows,
            numeric=(1, 2, 3, 4, 5),
            caption="Time to peak, weeks after treatment",
        )
        + table(
            (
                "Sequence",
                "Peak change, mm: mean",
                "Range",
                "Back to baseline, weeks: mean",
                "Range",
                "Returned / never",
            ),
            size_rows,
            numeric=(1, 2, 3, 4, 5),
            caption="Size at the peak and return to baseline",
        )
    )
    if "time_course" in figures:
        fig, n = figures["time_course"]
        body += figure(fig, n)
    return Section("timecourse", "Time course of OPP", body, result.is_synthetic(key))


def _all_lesions(result: StudyResult, figures: Mapping[str, tuple[FigureFile, int]]) -> Section:
    rows = []
    for lesion, response in zip(result.lesions, result.lesion_responses, strict=True):
        rows.append(
            (
                esc(lesion.lesion_id),
                esc(lesion.patient_id),
                esc(lesion.level or "–"),
                esc(lesion.histology or "–"),
                esc(f"{lesion.treatment.dose_gy:g} Gy / {lesion.treatment.fractions}"),
                esc(response.value),
            )
        )
    body = ""
    if "spider" in figures:
        fig, n = figures["spider"]
        body += figure(fig, n)
    body += table(
        ("Lesion", "Patient", "Level", "Histology", "Dose / fractions", "Response"),
        rows,
        caption=f"The {len(rows)} lesions analysed",
    )
    return Section("lesions", "All lesions", body, result.is_synthetic("responses"))


def _methods(result: StudyResult) -> Section:
    p = result.parameters
    software = ", ".join(f"{esc(k)} {esc(v)}" for k, v in result.software)
    items = [
        "Responses: "
        + esc(result.responses.source.description)
        + (
            f" (measurement error {p.error_mm:g} mm, decline window {p.decline_window_days} "
            f"days, OPP peak window {p.opp_peak_window_weeks:g} weeks, primary sequence "
            f"{p.primary_sequence.value})"
            if result.has_measurements
            else ""
        )
        + ".",
        "Proportions: Wilson score 95% interval (scipy.stats.binomtest); INDETERMINATE "
        "lesions are left out of every denominator.",
        "Fisher exact test: two-sided (scipy.stats.fisher_exact). An empty cell makes the "
        "sample odds ratio infinite; the Haldane–Anscombe estimate (0.5 added to every cell) "
        "with a Woolf interval and the exact conditional interval are given beside it.",
        "Means: Student t 95% interval, and the normal approximation used by the paper.",
        "Kaplan-Meier and log-rank test: lifelines (KaplanMeierFitter, logrank_test); "
        "pointwise intervals by the exponential Greenwood formula. Time in weeks.",
        "Cumulative incidence with competing risks (OPP, PD): Aalen-Johansen "
        "(lifelines.AalenJohansenFitter); ties between causes are broken by a seeded jitter "
        "of at most 0.0001 weeks.",
        "Univariate Cox regression: lifelines CoxPHFitter (Efron ties, Wald P and interval). "
        "Before fitting, a monotone likelihood (Bryson and Johnson 1981) is detected exactly: "
        "if at every OPP event the lesion with the event has the highest (or at every event "
        "the lowest) value of its risk set, the model is reported as not estimable.",
        "Radioresistant histologies (the paper): renal cell carcinoma, sarcoma, adenoid cystic "
        "carcinoma, melanoma. Location: thoracic vs cervical/lumbar (sacral lesions are left "
        "out of that model).",
        f"Software: {software}.",
    ]
    body = "<ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"
    body += (
        "<p>Reference: Amini B, et al. Osseous pseudoprogression in vertebral bodies treated "
        "with stereotactic radiosurgery: a secondary analysis of prospective phase I/II "
        "clinical trials. AJNR Am J Neuroradiol 2016;37:387–392.</p>"
    )
    return Section("methods", "Methods", body)


def build_sections(
    result: StudyResult, figures: Mapping[str, tuple[FigureFile, int]]
) -> list[Section]:
    """Every section in report order; ``figures`` maps a figure key to (figure, number)."""
    summary = Section(
        "summary",
        "Summary",
        _key_figures(result)
        + (
            "<p>Kaplan-Meier, log-rank, competing risks, Cox regression and the time course "
            "need imaging dates. No measurements were given, so they are not in this report; "
            "the responses were taken from the lesions table.</p>"
            if not result.has_measurements
            else ""
        ),
        result.is_synthetic("responses"),
    )
    return [
        summary,
        _comparison(result),
        _inclusion(result),
        _description(result),
        _responses(result, figures),
        _fisher(result),
        _survival(result, figures),
        _cox(result),
        _time_course(result, figures),
        _all_lesions(result, figures),
        _methods(result),
    ]
