"""Decision support for an enlarging lesion: evidence table, likelihood ratios, recommendations.

The evidence tables (``spine_ssrs.yaml`` and ``brain_srs.yaml`` in this package, or a user's
own) list every piece of published evidence with its counts and citation. :func:`assess_lesion`
takes the criteria and table of the lesion's site (spine: Amini 2016; brain: srs-brain),
combines the criteria's status as of a date with the prior of the lesion's stratum and the
likelihood ratio of each reported finding and weighted clinical factor, propagates the
uncertainty of every count by Monte Carlo, and adds recommendations with their sources.

Modules: :mod:`~pseudoprog.evidence.features` (what can be reported),
:mod:`~pseudoprog.evidence.likelihood` (ratios from counts),
:mod:`~pseudoprog.evidence.prior` (Beta prior by fractionation),
:mod:`~pseudoprog.evidence.posterior` (estimate and interval),
:mod:`~pseudoprog.evidence.table` and :mod:`~pseudoprog.evidence.schema` (the table and its
validation), :mod:`~pseudoprog.evidence.packaged` (the shipped table),
:mod:`~pseudoprog.evidence.factors` (clinical factors),
:mod:`~pseudoprog.evidence.sites` (criteria and table by site),
:mod:`~pseudoprog.evidence.followup` (the next MRI),
:mod:`~pseudoprog.evidence.recommendations`, :mod:`~pseudoprog.evidence.result` and
:mod:`~pseudoprog.evidence.pointofcare`.
"""

from __future__ import annotations

from pseudoprog.evidence.citation import Citation, Source
from pseudoprog.evidence.features import (
    TIMING_FEATURE,
    Comparison,
    EvidenceFeature,
    FindingRule,
    ValueKind,
)
from pseudoprog.evidence.likelihood import GroupCount, TwoByTwo
from pseudoprog.evidence.packaged import default_table, packaged_text
from pseudoprog.evidence.pointofcare import assess_lesion, assess_lesions
from pseudoprog.evidence.posterior import (
    DEFAULT_DRAWS,
    DEFAULT_SEED,
    ModelParameters,
    ProbabilityEstimate,
    Update,
    estimate_probability,
)
from pseudoprog.evidence.prior import Beta, PriorModel, PriorStratum
from pseudoprog.evidence.recommendations import Recommendation, RecommendationKind, WhatIf
from pseudoprog.evidence.result import (
    EvidenceItem,
    PointOfCareAssessment,
    ProbabilityNote,
    assessment_document,
)
from pseudoprog.evidence.schema import YamlLocator, parse_evidence_table
from pseudoprog.evidence.table import (
    EvidenceTable,
    FeatureEvidence,
    FollowUpSchedule,
    TimeCourse,
)

__all__ = [
    "DEFAULT_DRAWS",
    "DEFAULT_SEED",
    "TIMING_FEATURE",
    "Beta",
    "Citation",
    "Comparison",
    "EvidenceFeature",
    "EvidenceItem",
    "EvidenceTable",
    "FeatureEvidence",
    "FindingRule",
    "FollowUpSchedule",
    "GroupCount",
    "ModelParameters",
    "PointOfCareAssessment",
    "PriorModel",
    "PriorStratum",
    "ProbabilityEstimate",
    "ProbabilityNote",
    "Recommendation",
    "RecommendationKind",
    "Source",
    "TimeCourse",
    "TwoByTwo",
    "Update",
    "ValueKind",
    "WhatIf",
    "YamlLocator",
    "assess_lesion",
    "assess_lesions",
    "assessment_document",
    "default_table",
    "estimate_probability",
    "packaged_text",
    "parse_evidence_table",
]
