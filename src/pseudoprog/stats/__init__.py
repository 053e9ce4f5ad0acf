"""Cohort statistics on top of lifelines, scipy and statsmodels (pure core: no file I/O).

The modules each hold one concept: :mod:`~pseudoprog.stats.proportions` (Wilson and exact
intervals), :mod:`~pseudoprog.stats.summaries` (means and counts),
:mod:`~pseudoprog.stats.association` (Fisher exact test, odds ratios),
:mod:`~pseudoprog.stats.survival` (Kaplan-Meier, log-rank), :mod:`~pseudoprog.stats.competing`
(cumulative incidence), :mod:`~pseudoprog.stats.cox` (univariate Cox with separation
detection), :mod:`~pseudoprog.stats.descriptive`, :mod:`~pseudoprog.stats.inclusion`,
:mod:`~pseudoprog.stats.responses`, :mod:`~pseudoprog.stats.timecourse`,
:mod:`~pseudoprog.stats.accuracy` (diagnostic accuracy of a marker),
:mod:`~pseudoprog.stats.published` (the results of Amini et al. 2016) and
:mod:`~pseudoprog.stats.study`, which assembles a whole study.
"""

from __future__ import annotations

from pseudoprog.stats.accuracy import DiagnosticAccuracy, Direction, diagnostic_accuracy
from pseudoprog.stats.association import FisherTest, fisher_exact_test
from pseudoprog.stats.competing import CumulativeIncidence, cumulative_incidence
from pseudoprog.stats.cox import CoxResult, CoxVariable, separation, univariate_cox
from pseudoprog.stats.descriptive import CohortDescription, Regimen, describe_cohort
from pseudoprog.stats.inclusion import InclusionSummary, summarize_inclusion
from pseudoprog.stats.proportions import IntervalMethod, Proportion, proportion
from pseudoprog.stats.published import AMINI2016, Comparison, compare_with_amini2016
from pseudoprog.stats.responses import ResponseSource, ResponseSummary, summarize_responses
from pseudoprog.stats.study import StudyInput, StudyResult, run_study
from pseudoprog.stats.summaries import Count, MeanSummary, mean_summary
from pseudoprog.stats.survival import (
    KaplanMeierCurve,
    LogRankTest,
    Outcome,
    SurvivalRecord,
    kaplan_meier,
    logrank_test,
    survival_records,
)
from pseudoprog.stats.timecourse import TimeCourse, Trajectory, opp_time_course

__all__ = [
    "AMINI2016",
    "CohortDescription",
    "Comparison",
    "Count",
    "CoxResult",
    "CoxVariable",
    "CumulativeIncidence",
    "DiagnosticAccuracy",
    "Direction",
    "FisherTest",
    "InclusionSummary",
    "IntervalMethod",
    "KaplanMeierCurve",
    "LogRankTest",
    "MeanSummary",
    "Outcome",
    "Proportion",
    "Regimen",
    "ResponseSource",
    "ResponseSummary",
    "StudyInput",
    "StudyResult",
    "SurvivalRecord",
    "TimeCourse",
    "Trajectory",
    "compare_with_amini2016",
    "cumulative_incidence",
    "describe_cohort",
    "diagnostic_accuracy",
    "fisher_exact_test",
    "kaplan_meier",
    "logrank_test",
    "mean_summary",
    "opp_time_course",
    "proportion",
    "run_study",
    "separation",
    "summarize_inclusion",
    "summarize_responses",
    "survival_records",
    "univariate_cox",
]
