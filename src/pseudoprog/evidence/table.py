"""The evidence table: prior counts, features with their counts, time course, follow-up.

An :class:`EvidenceTable` is what a data file (packaged, or a user's own) becomes after
validation (:mod:`pseudoprog.evidence.schema`). Every number in it carries a
:class:`~pseudoprog.evidence.citation.Citation`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from pseudoprog.criteria.inclusion import add_months
from pseudoprog.domain import Site
from pseudoprog.errors import ParameterError
from pseudoprog.evidence.citation import Citation, Source
from pseudoprog.evidence.features import EvidenceFeature, FindingRule
from pseudoprog.evidence.likelihood import TwoByTwo
from pseudoprog.evidence.posterior import Update
from pseudoprog.evidence.prior import PriorModel

__all__ = ["EvidenceTable", "FeatureEvidence", "FollowUpSchedule", "TimeCourse"]


@dataclass(frozen=True, slots=True)
class FeatureEvidence:
    """One row of the evidence table.

    A row with ``counts`` and a ``rule`` gives a likelihood ratio; a row without counts
    (a source that reports only group medians) is descriptive: its value is shown beside the
    estimate and does not change it.
    """

    feature: EvidenceFeature
    description: str
    citation: Citation
    reported: str
    rule: FindingRule | None = None
    counts: TwoByTwo | None = None
    assumptions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.rule is None) != (self.counts is None):
            raise ParameterError(
                f"{self.feature.value}: give both a finding rule and counts, or neither"
            )

    @property
    def quantitative(self) -> bool:
        """Whether the row gives a likelihood ratio."""
        return self.counts is not None

    def update_for(self, value: float | bool) -> Update | None:
        """The likelihood-ratio update of a reported value (``None`` for descriptive rows)."""
        if self.rule is None or self.counts is None:
            return None
        return Update(self.feature.value, self.counts, self.rule.applies(value))

    def to_dict(self) -> dict[str, object]:
        return {
            "feature": self.feature.value,
            "description": self.description,
            "positive_when": None if self.rule is None else self.rule.code,
            "finding": None if self.rule is None else str(self.rule),
            "counts": None if self.counts is None else self.counts.to_dict(),
            "reported": self.reported,
            "citation": self.citation.to_dict(),
            "assumptions": list(self.assumptions),
        }


@dataclass(frozen=True, slots=True)
class TimeCourse:
    """Published time course of osseous pseudoprogression (weeks after treatment)."""

    peak_weeks_min: float
    peak_weeks_max: float
    peak_citation: Citation
    back_to_baseline_weeks_min: float
    back_to_baseline_weeks_max: float
    back_to_baseline_citation: Citation
    caution_months_min: float
    caution_months_max: float
    caution_citation: Citation
    peak_weeks_mean: float | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "opp_peak_weeks": [self.peak_weeks_min, self.peak_weeks_max],
            "opp_peak_weeks_mean": self.peak_weeks_mean,
            "back_to_baseline_weeks": [
                self.back_to_baseline_weeks_min,
                self.back_to_baseline_weeks_max,
            ],
            "caution_months": [self.caution_months_min, self.caution_months_max],
            "citation": self.peak_citation.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class FollowUpSchedule:
    """Imaging every ``interval_months`` until ``until_months``, then every ``then_...``."""

    interval_months: int
    until_months: int
    then_interval_months: int
    citation: Citation

    def next_due(self, last_study: date, treated: date) -> date:
        """When the next MRI is due after the study of ``last_study``.

        >>> from pseudoprog.evidence.citation import Citation, Source
        >>> s = FollowUpSchedule(3, 24, 6, Citation(Source("x", "X"), "Methods"))
        >>> treated = date(2010, 1, 1)
        >>> s.next_due(date(2010, 4, 1), treated), s.next_due(date(2012, 3, 1), treated)
        (datetime.date(2010, 7, 1), datetime.date(2012, 9, 1))
        """
        start = max(last_study, treated)
        early = start < add_months(treated, self.until_months)
        return add_months(start, self.interval_months if early else self.then_interval_months)

    def describe(self) -> str:
        return (
            f"MRI every {self.interval_months} months for {self.until_months} months after "
            f"treatment, then every {self.then_interval_months} months"
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "interval_months": self.interval_months,
            "until_months": self.until_months,
            "then_interval_months": self.then_interval_months,
            "citation": self.citation.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class EvidenceTable:
    """A validated evidence table.

    ``origin`` says where it was read from (``packaged:spine_ssrs.yaml`` or a path);
    ``inherited`` lists sections a user table left out and that come from the packaged table.
    """

    name: str
    title: str
    site: Site
    context: str
    sources: Mapping[str, Source]
    prior: PriorModel
    features: tuple[FeatureEvidence, ...]
    time_course: TimeCourse
    follow_up: FollowUpSchedule
    origin: str
    inherited: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        seen = [f.feature for f in self.features]
        if len(seen) != len(set(seen)):
            raise ParameterError("each feature may appear once in an evidence table")

    def feature(self, feature: EvidenceFeature) -> FeatureEvidence | None:
        """The row of ``feature`` (``None`` when the table has none)."""
        return next((f for f in self.features if f.feature is feature), None)

    def with_prior(self, prior: PriorModel) -> EvidenceTable:
        """The same table with another prior (e.g. recounted leaving one lesion out)."""
        return EvidenceTable(
            self.name,
            self.title,
            self.site,
            self.context,
            self.sources,
            prior,
            self.features,
            self.time_course,
            self.follow_up,
            self.origin,
            self.inherited,
        )

    def to_dict(self) -> dict[str, object]:
        """Description of the table for result documents (not the full rows)."""
        return {
            "name": self.name,
            "title": self.title,
            "origin": self.origin,
            "inherited_from_packaged": list(self.inherited),
            "site": self.site.value,
            "context": self.context,
            "sources": {
                k: {"reference": s.reference, "url": s.url} for k, s in self.sources.items()
            },
            "prior": self.prior.to_dict(),
            "features": [f.to_dict() for f in self.features],
            "time_course": self.time_course.to_dict(),
            "follow_up": self.follow_up.to_dict(),
        }
