"""The published results of Amini et al. 2016, and how a study compares with them.

Source: Amini B, et al. Osseous pseudoprogression in vertebral bodies treated with stereotactic
radiosurgery: a secondary analysis of prospective phase I/II clinical trials. AJNR Am J
Neuroradiol 2016;37:387-392 (seed ``001``). Every value below carries the place in the paper
it comes from. A comparison rounds the computed value to the precision the paper printed
(``"13.9"``: one decimal; ``".005"``: three) and says whether they agree.

Examples
--------
>>> [p.text for p in AMINI2016 if p.key == "opp_prevalence"]
['5/37 (14%)']
>>> agrees("13.9", 13.857), agrees(".01", 0.01002), agrees("36", 35.7)
(True, True, True)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from pseudoprog.domain import Sequence
from pseudoprog.stats.proportions import Proportion

if TYPE_CHECKING:
    from pseudoprog.stats.study import StudyResult

__all__ = ["AMINI2016", "Comparison", "Published", "agrees", "compare_with_amini2016"]

_RESULTS = "Amini et al. 2016, Results"
_TABLE2 = "Amini et al. 2016, Table 2"


@dataclass(frozen=True, slots=True)
class Published:
    """One published result: its text as printed, the numbers in it, and where it is."""

    key: str
    label: str
    text: str
    numbers: tuple[str, ...]
    citation: str
    section: str


#: The published results compared by :func:`compare_with_amini2016`, in report order.
AMINI2016: tuple[Published, ...] = (
    Published("cohort", "Lesions / patients", "37 / 36", ("37", "36"), _RESULTS, "description"),
    Published(
        "age",
        "Mean age, years (range; 95% CI)",
        "53 (32-74; 49-56)",
        ("53", "32", "74", "49", "56"),
        _RESULTS,
        "description",
    ),
    Published(
        "histology_top3",
        "Renal cell, sarcoma, thyroid carcinoma (% of cases)",
        "67%",
        ("67",),
        _RESULTS,
        "description",
    ),
    Published("thoracic", "Thoracic lesions", "49%", ("49",), _RESULTS, "description"),
    Published("lumbar", "Lumbar lesions", "43%", ("43",), _RESULTS, "description"),
    Published(
        "fractions",
        "1 / 3 / 5 fractions, lesions (%)",
        "16 (43%) / 15 (41%) / 6 (16%)",
        ("16", "43", "15", "41", "6", "16"),
        _RESULTS,
        "description",
    ),
    Published(
        "regimens",
        "27 Gy/3, 24 Gy/1, 18 Gy/1, 30 Gy/5, 16 Gy/1 (% of lesions)",
        "41%, 19%, 16%, 16%, 8%",
        ("41", "19", "16", "16", "8"),
        _RESULTS,
        "description",
    ),
    Published(
        "stable_or_responding",
        "PR or SD (% of lesions)",
        "62%",
        ("62",),
        _RESULTS,
        "responses",
    ),
    Published("enlarging", "Enlarged (OPP + PD)", "14 (38%)", ("14", "38"), _RESULTS, "responses"),
    Published(
        "opp_prevalence", "OPP, all lesions", "5/37 (14%)", ("5", "37", "14"), _RESULTS, "responses"
    ),
    Published(
        "opp_single",
        "OPP after single fraction",
        "5/16 (31%)",
        ("5", "16", "31"),
        _RESULTS,
        "responses",
    ),
    Published(
        "opp_multi",
        "OPP after multiple fractions",
        "0/21 (all 5 OPP after single fraction)",
        ("0", "21"),
        _RESULTS,
        "responses",
    ),
    Published(
        "opp_enlarging",
        "OPP among enlarging lesions",
        "5/14 (36%)",
        ("5", "14", "36"),
        _RESULTS,
        "responses",
    ),
    Published(
        "fisher",
        "Fisher exact test, fractionation vs OPP",
        "P = .01",
        (".01",),
        _RESULTS,
        "fisher_fraction_opp",
    ),
    Published(
        "logrank",
        "Log-rank test, OPP-free survival by fractionation",
        "P = .005",
        (".005",),
        _RESULTS + "; Fig 2",
        "logrank_fraction",
    ),
    Published(
        "cox_age",
        "Cox HR for age, per year (95% CI)",
        "1.16 (1.03-1.30)",
        ("1.16", "1.03", "1.30"),
        _TABLE2,
        "cox_univariate",
    ),
    Published(
        "cox_dose",
        "Cox HR for dose, per Gy (95% CI)",
        "0.86 (0.72-1.03)",
        ("0.86", "0.72", "1.03"),
        _TABLE2,
        "cox_univariate",
    ),
    Published(
        "cox_fraction",
        "Cox model for fractionation",
        "not estimable (all OPP after single fraction)",
        (),
        _TABLE2,
        "cox_univariate",
    ),
    Published(
        "time_to_peak",
        "Time to peak, weeks: mean (95% CI, normal approx.; range)",
        "13.9 (8.6-19.1; 9.7-24.4)",
        ("13.9", "8.6", "19.1", "9.7", "24.4"),
        _RESULTS,
        "time_course",
    ),
    Published(
        "peak_T1",
        "Peak change on T1, mm: mean (range)",
        "5 (4-8)",
        ("5", "4", "8"),
        _RESULTS,
        "time_course",
    ),
    Published(
        "peak_T2FS",
        "Peak change on T2FS, mm: mean (range)",
        "5 (2-10)",
        ("5", "2", "10"),
        _RESULTS,
        "time_course",
    ),
    Published(
        "peak_T1C",
        "Peak change on T1C, mm: mean (range)",
        "6 (4-9)",
        ("6", "4", "9"),
        _RESULTS,
        "time_course",
    ),
    Published(
        "baseline_T1",
        "Back to baseline on T1, weeks: mean (range)",
        "32 (23.1-52.4)",
        ("32", "23.1", "52.4"),
        _RESULTS,
        "time_course",
    ),
    Published(
        "baseline_T2FS",
        "Back to baseline on T2FS, weeks: mean (range); never returned",
        "30.6 (23-37.4); 1",
        ("30.6", "23", "37.4", "1"),
        _RESULTS,
        "time_course",
    ),
    Published(
        "baseline_T1C",
        "Back to baseline on T1C, weeks: mean (range); never returned",
        "35 (25.3-52.4); 1",
        ("35", "25.3", "52.4", "1"),
        _RESULTS,
        "time_course",
    ),
)


def agrees(printed: str, value: float) -> bool:
    """Whether ``value`` rounds (half up) to ``printed`` at the precision it was printed with."""
    if not math.isfinite(value):
        return False
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    step = Decimal(1).scaleb(-decimals)
    return Decimal(repr(value)).quantize(step, ROUND_HALF_UP) == Decimal(printed).quantize(step)


@dataclass(frozen=True, slots=True)
class Comparison:
    """A published result beside the study's; ``agrees`` is ``None`` when not computed."""

    published: Published
    computed: str
    agrees: bool | None
    synthetic: bool

    def to_dict(self) -> dict[str, Any]:
        p = self.published
        return {
            "key": p.key,
            "label": p.label,
            "published": p.text,
            "citation": p.citation,
            "computed": self.computed,
            "agrees": self.agrees,
            "synthetic": self.synthetic,
        }


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}%"


def _share(p: Proportion) -> tuple[str, list[float]]:
    pct = p.percent
    return (
        f"{p.numerator}/{p.denominator} ({_pct(pct)})",
        [p.numerator, p.denominator, pct if pct is not None else float("nan")],
    )


Extractor = Callable[["StudyResult"], tuple[str, list[float]] | None]


def _description(result: StudyResult, key: str) -> tuple[str, list[float]] | None:
    d = result.description
    if key == "cohort":
        return f"{d.n_lesions} / {d.n_patients}", [d.n_lesions, d.n_patients]
    if key == "age":
        a = d.age
        if a.mean is None or a.ci_low is None or a.ci_high is None:
            return None
        numbers = [a.mean, a.minimum or 0, a.maximum or 0, a.ci_low, a.ci_high]
        return (
            f"{a.mean:.1f} ({a.minimum:g}-{a.maximum:g}; {a.ci_low:.1f}-{a.ci_high:.1f})",
            numbers,
        )
    if key == "histology_top3":
        hits = sum(
            c.count
            for c in d.histology_patients
            if any(w in c.label.lower() for w in ("renal cell", "sarcoma", "thyroid"))
        )
        pct = 100.0 * hits / d.n_patients
        return f"{hits}/{d.n_patients} patients ({pct:.1f}%)", [pct]
    if key in ("thoracic", "lumbar"):
        c = next((c for c in d.regions if c.label == key), None)
        if c is None or c.percent is None:
            return None
        return f"{c.count}/{c.total} ({c.percent:.1f}%)", [c.percent]
    if key == "fractions":
        by = {c.label: c for c in d.fractions}
        cells = [by.get(k) for k in ("1 fraction", "3 fractions", "5 fractions")]
        text = " / ".join("0" if c is None else f"{c.count} ({_pct(c.percent)})" for c in cells)
        nums = [v for c in cells for v in ((0, 0) if c is None else (c.count, c.percent or 0))]
        return text, nums
    if key == "regimens":
        by_regimen = {(g.dose_gy, g.fractions): g.percent for g in d.regimens}
        wanted = ((27.0, 3), (24.0, 1), (18.0, 1), (30.0, 5), (16.0, 1))
        values = [by_regimen.get(w, 0.0) for w in wanted]
        return ", ".join(f"{v:.1f}%" for v in values), values
    return None


def _responses(result: StudyResult, key: str) -> tuple[str, list[float]] | None:
    r = result.responses
    if key == "stable_or_responding":
        p = r.stable_or_responding
        return f"{p.numerator}/{p.denominator} ({_pct(p.percent)})", [p.percent or 0.0]
    if key == "enlarging":
        p = r.enlarging
        return f"{p.numerator} ({_pct(p.percent)})", [p.numerator, p.percent or 0.0]
    if key == "opp_multi":
        p = r.opp_multi_fraction
        return f"{p.numerator}/{p.denominator}", [p.numerator, p.denominator]
    chosen = {
        "opp_prevalence": r.opp_overall,
        "opp_single": r.opp_single_fraction,
        "opp_enlarging": r.opp_among_enlarging,
    }[key]
    return _share(chosen)


def _survival(result: StudyResult, key: str) -> tuple[str, list[float]] | None:
    if key == "fisher":
        f = result.fisher
        return None if f is None else (f"P = {f.p_value:.4f}", [f.p_value])
    if key == "logrank":
        lr = result.logrank
        return None if lr is None else (f"P = {lr.p_value:.4f}", [lr.p_value])
    variable = {"cox_age": "age", "cox_dose": "dose_gy", "cox_fraction": "single_fraction"}[key]
    cox = next((c for c in result.cox if c.variable == variable), None)
    if cox is None:
        return None
    if key == "cox_fraction":
        return ("estimable" if cox.estimable else "not estimable"), [float(cox.estimable)]
    if not cox.estimable or cox.hazard_ratio is None:
        return "not estimable", []
    return (
        f"{cox.hazard_ratio:.2f} ({cox.ci_low:.2f}-{cox.ci_high:.2f})",
        [cox.hazard_ratio, cox.ci_low or 0.0, cox.ci_high or 0.0],
    )


def _time_course(result: StudyResult, key: str) -> tuple[str, list[float]] | None:
    tc = result.time_course
    if tc is None:
        return None
    name, _, seq = key.partition("_")
    s = tc.sequence(Sequence.T1 if key == "time_to_peak" else Sequence.parse(seq))
    if s is None:
        return None
    if key == "time_to_peak":
        m = s.time_to_peak_weeks
        lo, hi = m.ci_normal_low, m.ci_normal_high
    elif name == "peak":
        m, lo, hi = s.peak_change_mm, None, None
    else:
        m, lo, hi = s.time_to_baseline_weeks, None, None
    if m.mean is None or m.minimum is None or m.maximum is None:
        return None
    ci = "" if lo is None or hi is None else f"{lo:.1f}-{hi:.1f}; "
    text = f"{m.mean:.1f} ({ci}{m.minimum:.1f}-{m.maximum:.1f})"
    numbers = [m.mean, *([] if lo is None or hi is None else [lo, hi]), m.minimum, m.maximum]
    if name == "baseline" and seq != "T1":
        text += f"; {s.never_returned}"
        numbers.append(s.never_returned)
    return text, numbers


def _extract(result: StudyResult, p: Published) -> tuple[str, list[float]] | None:
    if p.section == "description":
        return _description(result, p.key)
    if p.section == "responses":
        return _responses(result, p.key)
    if p.section == "time_course":
        return _time_course(result, p.key)
    return _survival(result, p.key)


def compare_with_amini2016(result: StudyResult) -> tuple[Comparison, ...]:
    """Each published result of :data:`AMINI2016` beside the study's own."""
    rows = []
    for p in AMINI2016:
        synthetic = result.is_synthetic(p.section)
        found = _extract(result, p)
        if found is None:
            text = "not computed" + ("" if result.has_measurements else " (needs measurements)")
            rows.append(Comparison(p, text, None, synthetic))
            continue
        text, numbers = found
        if not p.numbers:
            ok = result.cox != () and numbers == [0.0]
        else:
            ok = len(numbers) == len(p.numbers) and all(
                agrees(printed, value) for printed, value in zip(p.numbers, numbers, strict=True)
            )
        rows.append(Comparison(p, text, ok, synthetic))
    return tuple(rows)
