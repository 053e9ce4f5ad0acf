"""The study on the bundled synthetic histories: every analysis runs and says what it rests on."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pytest
from scipy import stats

from pseudoprog.domain import Lesion, LesionHistory, Sequence, SizeSeries, Treatment
from pseudoprog.errors import ParameterError
from pseudoprog.io.cohort import Cohort
from pseudoprog.stats.study import StudyInput, StudyResult, run_study
from pseudoprog.stats.survival import Outcome


def test_every_analysis_runs(example_study: StudyResult) -> None:
    s = example_study
    assert s.has_measurements
    assert dict(s.not_computed) == {}
    assert s.fisher is not None
    assert s.logrank is not None
    assert [c.label for c in s.kaplan_meier] == ["single fraction", "multiple fractions"]
    assert [c.label for c in s.incidence] == ["OPP", "PD"]
    assert len(s.cox) == 5
    assert s.time_course is not None
    assert len(s.trajectories) == 37 * 3
    assert s.agreement is not None
    assert s.agreement.agreeing == 37


def test_synthetic_sections_are_marked(example_study: StudyResult) -> None:
    s = example_study
    assert not s.is_synthetic("description")
    for section in (
        "responses",
        "fisher_fraction_opp",
        "logrank_fraction",
        "cox_univariate",
        "time_course",
        "inclusion",
    ):
        assert s.is_synthetic(section)
    doc = s.to_dict()["provenance"]
    assert doc["synthetic_inputs"] == ["events", "measurements"]
    assert doc["sections"]["description"] == {"inputs": ["lesions"], "synthetic": False}


def test_logrank_and_kaplan_meier_against_scipy(example_study: StudyResult) -> None:
    records = example_study.survival
    single = [r for r in records if r.single_fraction]
    multi = [r for r in records if not r.single_fraction]

    def data(rs: list) -> stats.CensoredData:  # type: ignore[type-arg]
        t = np.array([r.weeks for r in rs])
        e = np.array([r.outcome is Outcome.OPP for r in rs])
        return stats.CensoredData(uncensored=t[e], right=t[~e])

    ref = stats.logrank(data(single), data(multi))
    assert example_study.logrank is not None
    assert example_study.logrank.p_value == pytest.approx(float(ref.pvalue), rel=1e-9)
    sf = stats.ecdf(data(single)).sf
    curve = example_study.kaplan_meier[0]
    for t in (5.0, 10.0, 12.0, 13.0, 20.0, 52.0, 100.0):
        assert curve.survival_at(t) == pytest.approx(float(sf.evaluate(t)), abs=1e-12)


def test_events_are_first_enlarged_studies(example_study: StudyResult) -> None:
    by_outcome: dict[Outcome, int] = {}
    for r in example_study.survival:
        by_outcome[r.outcome] = by_outcome.get(r.outcome, 0) + 1
    assert by_outcome == {Outcome.OPP: 5, Outcome.PD: 9, Outcome.CENSORED: 23}
    # OPP events happen before the peak: the published peaks are 9.7-24.4 weeks (Results).
    assert all(r.weeks <= 24.5 for r in example_study.survival if r.outcome is Outcome.OPP)


def test_time_course_on_t1_reproduces_the_paper(example_study: StudyResult) -> None:
    tc = example_study.time_course
    assert tc is not None
    assert tc.n_lesions == 5
    t1 = tc.sequence(Sequence.T1)
    assert t1 is not None
    peak = t1.time_to_peak_weeks
    # Amini et al. 2016, Results: time to peak 9.7-24.4 weeks (mean 13.9; 95% CI 8.6-19.1)
    assert round(peak.mean, 1) == 13.9
    assert (round(peak.minimum, 1), round(peak.maximum, 1)) == (9.7, 24.4)
    assert (round(peak.ci_normal_low, 1), round(peak.ci_normal_high, 1)) == (8.6, 19.1)
    assert peak.ci_low < peak.ci_normal_low  # the t interval is wider with n = 5
    # peak 4-8 mm above baseline on T1 (mean 5); back to baseline after 23.1-52.4 weeks
    # (mean 32)
    assert round(t1.peak_change_mm.mean) == 5
    assert (round(t1.peak_change_mm.minimum), round(t1.peak_change_mm.maximum)) == (4, 8)
    back = t1.time_to_baseline_weeks
    assert round(back.mean) == 32
    assert (round(back.minimum, 1), round(back.maximum, 1)) == (23.1, 52.4)
    # "One lesion each on T2WI and postcontrast images did not return to baseline size"
    for seq in (Sequence.T2FS, Sequence.T1C):
        course = tc.sequence(seq)
        assert course is not None
        assert course.never_returned == 1


def test_json_is_strict_and_complete(example_study: StudyResult) -> None:
    text = json.dumps(example_study.to_dict(), allow_nan=False)
    doc = json.loads(text)
    assert doc["logrank_fraction"]["p_value"] < 0.05
    cox = {c["variable"]: c for c in doc["cox_univariate"]}
    assert cox["single_fraction"]["estimable"] is False
    assert cox["single_fraction"]["hazard_ratio"] is None
    assert {"variable", "hazard_ratio", "ci_low", "ci_high", "p_value", "estimable", "note"} <= set(
        cox["age"]
    )
    assert doc["time_course"]["sequences"][0]["time_to_peak_weeks"]["ci_normal_method"]
    assert len(doc["cumulative_incidence"]) == 2


def test_without_events_table_hardware_and_fracture_are_unknown(example_cohort: Cohort) -> None:
    s = run_study(example_cohort.lesions, histories=example_cohort.histories)
    counts = {c.criterion: c for c in s.inclusion.criteria}
    assert counts["no_hardware"].unknown == 37
    assert "no events table" in counts["no_fracture"].unknown_reason
    assert counts["follow_up"].met == 37


def _lesion(i: int, fractions: int, weeks: list[int], sizes: list[float]) -> LesionHistory:
    t0 = date(2010, 1, 4)
    lesion = Lesion(
        str(i),
        f"L{i}",
        Treatment(t0, 24 if fractions == 1 else 27, fractions),
        level="T4",
        age=50.0 + i,
    )
    series = SizeSeries(Sequence.T1, tuple(t0 + timedelta(weeks=w) for w in weeks), tuple(sizes))
    return LesionHistory(lesion, {Sequence.T1: series})


def test_short_follow_up_is_excluded_and_listed() -> None:
    long_course = [-1, 13, 26, 39, 52]
    histories = [
        _lesion(1, 1, long_course, [20, 25, 21, 20, 20]),  # OPP
        _lesion(2, 3, long_course, [20, 20, 20, 20, 20]),  # SD
        _lesion(3, 1, [-1, 8], [20, 20]),  # follow-up under 6 months
    ]
    lesions = [h.lesion for h in histories]
    s = run_study(lesions, histories=histories)
    assert s.inclusion.n_excluded == 1
    assert s.inclusion.excluded[0].lesion_id == "L3"
    assert s.n_lesions == 2
    kept = run_study(lesions, histories=histories, apply_exclusions=False)
    assert kept.n_lesions == 3
    assert not kept.inclusion.applied


def test_missing_responses_without_measurements_raise() -> None:
    lesion = Lesion("1", "a", Treatment(date(2010, 1, 1), 24, 1))
    with pytest.raises(ParameterError, match="no response"):
        run_study([lesion])
    with pytest.raises(ParameterError, match="no lesions"):
        run_study([])


def test_single_fractionation_leaves_fisher_out(table1_cohort: Cohort) -> None:
    single = [x for x in table1_cohort.lesions if x.treatment.single_fraction]
    s = run_study(single)
    assert s.fisher is None
    assert "same fractionation" in s.not_computed["fisher_fraction_opp"]
    assert s.to_dict()["fisher_fraction_opp"] is None


def test_indeterminate_lesions_leave_the_denominators(table1_cohort: Cohort) -> None:
    from pseudoprog.domain import ResponseCategory

    lesions = list(table1_cohort.lesions)
    lesions[1] = replace(lesions[1], response=ResponseCategory.INDETERMINATE)  # was SD
    s = run_study(lesions)
    assert s.responses.n_indeterminate == 1
    assert s.responses.opp_overall.denominator == 36
    assert s.synthetic_inputs == frozenset()
    assert StudyInput.LESIONS not in s.synthetic_inputs


def test_a_non_spine_lesion_has_no_spinal_region() -> None:
    from pseudoprog.domain import ResponseCategory, Site

    t = Treatment(date(2010, 1, 1), 24, 1)
    lesions = [
        Lesion("1", "a", t, site=Site.BRAIN, level="frontal", response=ResponseCategory.OPP),
        Lesion(
            "2", "b", Treatment(date(2010, 1, 1), 27, 3), level="T4", response=ResponseCategory.PD
        ),
    ]
    regions = {c.label: c.count for c in run_study(lesions).description.regions}
    assert regions["thoracic"] == 1
    assert regions["not recorded"] == 1
