"""The evidence table: prior counts, features with their counts, time course, follow-up.

An :class:`EvidenceTable` is what a data file (packaged, or a user's own) becomes after
validation (:mod:`pseudoprog.evidence.schema`). Every number in it carries a
:class:`~pseudoprog.evidence.citation.Citation`.

The time course of osseous pseudoprogression and the follow-up protocol are sections of the
spine table, which the spine point-of-care flow needs; a table of another site (brain
metastases after SRS) may leave them out and list instead clinical ``factors``
(:mod:`pseudoprog.evidence.factors`) and the ``recommendations`` its sources support.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from pseudoprog.criteria.inclusion import add_months
from pseudoprog.domain import Site
from pseudoprog.errors import ParameterError
from pseudoprog.evidence.citation import Citation, Source
from pseudoprog.evidence.factors import ClinicalFactor, FactorEvidence
from pseudoprog.evidence.features import EvidenceFeature, FindingRule
from pseudoprog.evidence.likelihood import TwoByTwo
from pseudoprog.evidence.posterior import Update
from pseudoprog.evidence.prior import PriorModel

__all__ = [
    "EvidenceTable",
    "FeatureEvidence",
    "FollowUpSchedule",
    "TableRecommendation",
    "TimeCourse",
]


@dataclass(frozen=True, slots=True)
class FeatureEvidence:
    """One row of the evidence table.

    A row with ``counts`` and a ``rule`` gives a likelihood ratio; a row without counts
    (a source that reports only group medians) is descriptive: its value is shown beside the
    estimate and does not change it.

    ``alternatives`` are other published cut-offs of the same measurement (each a row of the
    same feature with its own counts and source). They are validated and shown, never
    weighted: one measurement enters the estimate once, through this row.

    ``leaning`` (``favours_when`` in the file) is, for a row without counts, the values that
    point towards the ``pseudoprogression`` group: a direction shown to the reader, never a
    weight.
    """

    feature: EvidenceFeature
    description: str
    citation: Citation
    reported: str
    rule: FindingRule | None = None
    counts: TwoByTwo | None = None
    assumptions: tuple[str, ...] = ()
    alternatives: tuple[FeatureEvidence, ...] = ()
    leaning: FindingRule | None = None

    def __post_init__(self) -> None:
        if (self.rule is None) != (self.counts is None):
            raise ParameterError(
                f"{self.feature.value}: give both a finding rule and counts, or neither"
            )
        if self.leaning is not None and self.counts is not None:
            raise ParameterError(
                f"{self.feature.value}: a row with counts gets its direction from its "
                "likelihood ratios; give favours_when only on a row without counts"
            )
        for other in self.alternatives:
            if other.feature is not self.feature or other.alternatives:
                raise ParameterError(
                    f"{self.feature.value}: an alternative cut-off must be a row of the same "
                    "feature without alternatives of its own"
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
        out: dict[str, object] = {
            "feature": self.feature.value,
            "description": self.description,
            "positive_when": None if self.rule is None else self.rule.code,
            "finding": None if self.rule is None else str(self.rule),
            "counts": None if self.counts is None else self.counts.to_dict(),
            "reported": self.reported,
            "citation": self.citation.to_dict(),
            "assumptions": list(self.assumptions),
        }
        if self.leaning is not None:
            out["favours_when"] = self.leaning.code
        if self.alternatives:
            out["alternatives"] = [a.to_dict() for a in self.alternatives]
        return out


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
class TableRecommendation:
    """What a table's sources support doing about an enlarging lesion, with the source.

    ``code`` names the action (``perfusion_mri``, ``biopsy_when_tests_disagree``); ``features``
    are the evidence kinds the action would supply (empty when it supplies none).
    """

    code: str
    text: str
    citation: Citation
    features: tuple[EvidenceFeature, ...] = ()

    def __str__(self) -> str:
        return f"{self.text} [{self.citation.short}]"

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "text": self.text,
            "features": [f.value for f in self.features],
            "source": self.citation.short,
        }


@dataclass(frozen=True, slots=True)
class EvidenceTable:
    """A validated evidence table.

    ``origin`` says where it was read from (``packaged:spine_ssrs.yaml`` or a path);
    ``inherited`` lists sections a user table left out and that come from the packaged table.

    ``opp_time_course`` and ``follow_up_schedule`` are ``None`` in a table without them (a
    table of another site than the spine); :attr:`time_course` and :attr:`follow_up` return
    them and raise when they are absent.

    ``prior`` is ``None`` in a table whose sources give no rate to start from (the liver
    table); ``no_prior`` then says why, and no probability is given: the evidence is shown
    with its likelihood ratios only.
    """

    name: str
    title: str
    site: Site
    context: str
    sources: Mapping[str, Source]
    prior: PriorModel | None
    features: tuple[FeatureEvidence, ...]
    opp_time_course: TimeCourse | None
    follow_up_schedule: FollowUpSchedule | None
    origin: str
    inherited: tuple[str, ...] = ()
    factors: tuple[FactorEvidence, ...] = ()
    recommendations: tuple[TableRecommendation, ...] = ()
    no_prior: str = ""

    def __post_init__(self) -> None:
        if self.prior is None and not self.no_prior:
            raise ParameterError(
                f"evidence table {self.name}: give a prior, or say in no_prior why none is given"
            )
        seen = [f.feature for f in self.features]
        if len(seen) != len(set(seen)):
            raise ParameterError("each feature may appear once in an evidence table")
        weighted = [f.factor for f in self.factors if f.weighted]
        if len(weighted) != len(set(weighted)):
            raise ParameterError("each factor may have at most one weighted entry")

    @property
    def known_prior(self) -> PriorModel:
        """The prior of a table that has one.

        Raises
        ------
        ParameterError
            If the table gives none (``no_prior`` says why).
        """
        if self.prior is None:
            raise ParameterError(
                f"evidence table {self.name} ({self.site.value}) gives no prior: {self.no_prior}"
            )
        return self.prior

    @property
    def time_course(self) -> TimeCourse:
        """The published time course of osseous pseudoprogression (spine tables).

        Raises
        ------
        ParameterError
            If the table has none (e.g. the brain table).
        """
        if self.opp_time_course is None:
            raise ParameterError(
                f"evidence table {self.name} ({self.site.value}) has no time course of osseous "
                "pseudoprogression; the spine point-of-care assessment needs a spine table"
            )
        return self.opp_time_course

    @property
    def follow_up(self) -> FollowUpSchedule:
        """The follow-up protocol of the source (spine tables).

        Raises
        ------
        ParameterError
            If the table has none (e.g. the brain table).
        """
        if self.follow_up_schedule is None:
            raise ParameterError(
                f"evidence table {self.name} ({self.site.value}) has no follow-up protocol; "
                "the spine point-of-care assessment needs a spine table"
            )
        return self.follow_up_schedule

    def feature(self, feature: EvidenceFeature) -> FeatureEvidence | None:
        """The row of ``feature`` (``None`` when the table has none)."""
        return next((f for f in self.features if f.feature is feature), None)

    def factor_entries(self, factor: ClinicalFactor) -> tuple[FactorEvidence, ...]:
        """Every entry of ``factor``, weighted or not, in table order."""
        return tuple(f for f in self.factors if f.factor is factor)

    def weighted_factor(self, factor: ClinicalFactor) -> FactorEvidence | None:
        """The entry of ``factor`` that gives a likelihood ratio (``None``: none does)."""
        return next((f for f in self.factors if f.factor is factor and f.weighted), None)

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
            self.opp_time_course,
            self.follow_up_schedule,
            self.origin,
            self.inherited,
            self.factors,
            self.recommendations,
            self.no_prior,
        )

    def to_dict(self) -> dict[str, object]:
        """Description of the table for result documents (not the full rows)."""
        out: dict[str, object] = {
            "name": self.name,
            "title": self.title,
            "origin": self.origin,
            "inherited_from_packaged": list(self.inherited),
            "site": self.site.value,
            "context": self.context,
            "sources": {
                k: {"reference": s.reference, "url": s.url} for k, s in self.sources.items()
            },
            "prior": None if self.prior is None else self.prior.to_dict(),
            "features": [f.to_dict() for f in self.features],
            "time_course": None if self.opp_time_course is None else self.opp_time_course.to_dict(),
            "follow_up": (
                None if self.follow_up_schedule is None else self.follow_up_schedule.to_dict()
            ),
        }
        if self.no_prior:
            out["no_prior"] = self.no_prior
        if self.factors:
            out["factors"] = [f.to_dict() for f in self.factors]
        if self.recommendations:
            out["recommendations"] = [r.to_dict() for r in self.recommendations]
        return out
