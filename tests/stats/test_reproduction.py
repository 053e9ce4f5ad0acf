"""The published figures of Amini et al. 2016 (seed 001), reproduced from Table 1 alone.

Every expected value below is printed in the paper (Results unless stated); none is output
of pseudoprog.
"""

from __future__ import annotations

import json

import pytest

from pseudoprog.domain import ResponseCategory
from pseudoprog.stats.published import compare_with_amini2016
from pseudoprog.stats.study import StudyResult


def pct(value: float | None) -> int:
    assert value is not None
    return int(value + 0.5)  # the paper rounds half up


def test_lesions_and_patients(table1_study: StudyResult) -> None:
    # "37 lesions in 36 patients met the inclusion criteria"
    assert (table1_study.n_lesions, table1_study.n_patients) == (37, 36)
    assert table1_study.inclusion.n_excluded == 0


def test_opp_prevalences(table1_study: StudyResult) -> None:
    r = table1_study.responses
    # "Five of the 37 lesions (14%) demonstrated osseous pseudoprogression"
    assert (r.opp_overall.numerator, r.opp_overall.denominator) == (5, 37)
    assert pct(r.opp_overall.percent) == 14
    # "a prevalence of 31% when limited to ... single-fraction radiation therapy" (5 of 16)
    assert (r.opp_single_fraction.numerator, r.opp_single_fraction.denominator) == (5, 16)
    assert pct(r.opp_single_fraction.percent) == 31
    # "The 5 cases of OPP all received single-fraction SSRS": 0 of 21 multi-fraction
    assert (r.opp_multi_fraction.numerator, r.opp_multi_fraction.denominator) == (0, 21)
    # "The remaining 14 lesions (38%) enlarged ... Five of these (36%) demonstrated OPP,
    # while 9 (64%) demonstrated progressive disease"; "Most lesions (62%) either stabilized
    # or partially responded"
    assert (r.opp_among_enlarging.numerator, r.opp_among_enlarging.denominator) == (5, 14)
    assert pct(r.opp_among_enlarging.percent) == 36
    assert (r.enlarging.numerator, pct(r.enlarging.percent)) == (14, 38)
    assert (r.pd_among_enlarging.numerator, pct(r.pd_among_enlarging.percent)) == (9, 64)
    assert pct(r.stable_or_responding.percent) == 62
    assert r.count(ResponseCategory.PD) == 9


def test_every_prevalence_has_a_wilson_interval_around_it(table1_study: StudyResult) -> None:
    r = table1_study.responses
    for p in (r.opp_overall, r.opp_single_fraction, r.opp_multi_fraction, r.opp_among_enlarging):
        assert p.ci_low is not None
        assert p.ci_high is not None
        assert p.ci_low <= (p.estimate or 0.0) <= p.ci_high


def test_fisher_exact(table1_study: StudyResult) -> None:
    f = table1_study.fisher
    assert f is not None
    assert f.table == ((5, 11), (0, 21))
    # "The Fisher exact test found a significant association ... (P = .01)"
    assert round(f.p_value, 2) == 0.01
    assert f.odds_ratio is None
    assert f.odds_ratio_infinite
    assert f.corrected_odds_ratio is not None
    assert f.corrected_odds_ratio > 1


def test_regimens_and_fractions(table1_study: StudyResult) -> None:
    d = table1_study.description
    # "27 Gy at 3 fractions (41%), followed by 24 Gy at 1 fraction (19%), 18 Gy at 1
    # fraction, 30 Gy at 5 fractions (16% each), and 16 Gy at 1 fraction (8%)"
    got = [(g.dose_gy, g.fractions, pct(g.percent)) for g in d.regimens]
    assert got == [(27.0, 3, 41), (24.0, 1, 19), (18.0, 1, 16), (30.0, 5, 16), (16.0, 1, 8)]
    # "Sixteen lesions (43%) received single-fraction therapy, 15 (41%) received 3
    # fractions, and 6 (16%) received 5 fractions"
    assert [(c.label, c.count, pct(c.percent)) for c in d.fractions] == [
        ("1 fraction", 16, 43),
        ("3 fractions", 15, 41),
        ("5 fractions", 6, 16),
    ]


def test_age_and_regions(table1_study: StudyResult) -> None:
    d = table1_study.description
    age = d.age
    # "The mean age at SSRS was 53 years (range, 32-74 years; 95% CI, 49-56 years)"
    assert age.n == 36
    assert pct(age.mean) == 53
    assert (age.minimum, age.maximum) == (32, 74)
    assert (pct(age.ci_low), pct(age.ci_high)) == (49, 56)
    assert (pct(age.ci_normal_low), pct(age.ci_normal_high)) == (49, 56)
    regions = {c.label: c for c in d.regions}
    # "Most treated lesions were in the thoracic and lumbar spine (49% and 43%)"
    assert pct(regions["thoracic"].percent) == 49
    assert pct(regions["lumbar"].percent) == 43
    # "renal cell carcinoma, sarcoma, and thyroid carcinoma constituted 67% of cases"
    top = sum(
        c.count
        for c in d.histology_patients
        if c.label in ("Renal cell carcinoma", "Sarcoma", "Thyroid carcinoma")
    )
    assert pct(100 * top / d.n_patients) == 67


def test_time_analyses_are_absent_and_explained(table1_study: StudyResult) -> None:
    for key in (
        "kaplan_meier_fraction",
        "logrank_fraction",
        "cumulative_incidence",
        "cox_univariate",
        "time_course",
    ):
        assert "no measurements" in table1_study.not_computed[key]
    doc = table1_study.to_dict()
    assert doc["logrank_fraction"] is None
    assert doc["time_course"] is None


def test_paper_comparison_agrees_wherever_computed(table1_study: StudyResult) -> None:
    rows = compare_with_amini2016(table1_study)
    computed = [r for r in rows if r.agrees is not None]
    assert len(computed) == 14
    assert all(r.agrees for r in computed), [r.published.key for r in computed if not r.agrees]


def test_json_has_the_documented_fields(table1_study: StudyResult) -> None:
    doc = json.loads(json.dumps(table1_study.to_dict(), allow_nan=False))
    for key in (
        "opp_prevalence",
        "opp_prevalence_single_fraction",
        "opp_prevalence_multi_fraction",
        "opp_among_enlarging",
    ):
        assert set(doc[key]) >= {"numerator", "denominator", "estimate", "ci_low", "ci_high"}
    assert doc["n_lesions"] == 37
    assert doc["n_patients"] == 36
    assert doc["response_counts"] == {"PR": 11, "SD": 12, "PD": 9, "OPP": 5, "INDETERMINATE": 0}
    assert doc["fisher_fraction_opp"]["odds_ratio"] is None
    assert doc["fisher_fraction_opp"]["p_value"] == pytest.approx(0.01, abs=0.0005)
    assert {"dose_gy", "fractions", "count", "percent"} <= set(doc["regimens"][0])
