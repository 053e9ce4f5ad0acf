"""Result of a point-of-care assessment: status, probability, evidence, what to do, on what terms.

A :class:`PointOfCareAssessment` explains itself: the classifier's status and reasons, the
probability of pseudoprogression (spine) or treatment effect (brain) with its interval and the
calculation behind it, every piece of evidence and clinical factor with its likelihood ratio
and source, the recommendations with theirs, and the assumptions the numbers rest on.
:meth:`PointOfCareAssessment.to_dict` gives the documented JSON fields;
:meth:`PointOfCareAssessment.summary` a text a reader can paste into a report.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any

from pseudoprog.criteria.result import Assessment
from pseudoprog.domain import Lesion, ResponseCategory
from pseudoprog.evidence.citation import Citation
from pseudoprog.evidence.posterior import ModelParameters, ProbabilityEstimate
from pseudoprog.evidence.prior import PriorStratum
from pseudoprog.evidence.recommendations import Recommendation
from pseudoprog.evidence.sites import SPINE_ROUTE, SiteRoute
from pseudoprog.evidence.table import EvidenceTable

__all__ = ["EvidenceItem", "PointOfCareAssessment", "ProbabilityNote", "assessment_document"]


class ProbabilityNote(Enum):
    """Whether a probability was given, and if not, why; the value is the code in JSON."""

    ESTIMATED = "estimated"
    NO_FOLLOW_UP = "no_follow_up"
    NOT_ENLARGING = "not_enlarging"
    DECIDED = "decided_by_criteria"
    OTHER_SITE = "site_not_in_evidence_table"
    NO_STRATUM = "no_prior_stratum"
    LATE_ENLARGEMENT = "enlargement_after_opp_window"
    NO_PRIOR = "no_published_prior"


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    """One piece of evidence about a lesion and what it did to the estimate.

    ``likelihood_ratio`` is ``None`` when the item does not change the estimate (no counts in
    the evidence table, no row for it, a clinical factor shown without weight, or the timing
    of a spine lesion, which decides whether the prior applies); ``note`` says which.
    """

    feature: str
    value: float | bool | None
    value_text: str
    date: date | None
    likelihood_ratio: float | None
    finding: str | None
    citation: Citation | None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "value": self.value,
            "likelihood_ratio": None
            if self.likelihood_ratio is None
            else round(self.likelihood_ratio, 4),
            "source": None if self.citation is None else self.citation.short,
            "date": None if self.date is None else self.date.isoformat(),
            "finding": self.finding,
            "note": self.note,
        }

    def line(self) -> str:
        lr = "" if self.likelihood_ratio is None else f": LR {self.likelihood_ratio:.3g}"
        finding = f": {self.finding}" if self.finding else ""
        when = "" if self.date is None else f" on {self.date.isoformat()}"
        source = "" if self.citation is None else f" [{self.citation.short}]"
        note = f"; {self.note}" if self.note and self.likelihood_ratio is None else ""
        return f"{self.feature} = {self.value_text}{when}{finding}{lr}{note}{source}"


@dataclass(frozen=True, slots=True)
class PointOfCareAssessment:
    """What pseudoprog says about one lesion as of a date.

    Attributes
    ----------
    assessment
        The classifier's result as of the date (status, reasons, per-sequence metrics).
    probability
        Probability that the enlargement is pseudoprogression (spine) or treatment effect
        (brain) rather than progression (:attr:`outcome`), or ``None`` (see
        :attr:`probability_code` and :attr:`probability_note`): the lesion is not enlarging,
        is already decided by the criteria, began to enlarge later than the published OPP time
        course, or lies outside the evidence table's context.
    prior_stratum
        The fractionation stratum whose counts gave the prior.
    evidence
        Every piece of evidence seen, including the timing of the enlargement.
    recommendations, assumptions, warnings
        What to do next (with sources), what the numbers assume, what to watch.
    route
        The site's criteria, table and categories (:mod:`pseudoprog.evidence.sites`).
    """

    lesion: Lesion
    as_of: date | None
    assessment: Assessment
    enlarging: bool
    probability: ProbabilityEstimate | None
    probability_code: ProbabilityNote
    probability_note: str
    prior_stratum: PriorStratum | None
    evidence: tuple[EvidenceItem, ...]
    recommendations: tuple[Recommendation, ...]
    assumptions: tuple[str, ...]
    warnings: tuple[str, ...]
    last_study: date | None
    next_mri_due: date
    overdue_days: int | None
    first_enlarged_weeks: float | None
    table: EvidenceTable
    model: ModelParameters
    route: SiteRoute = SPINE_ROUTE

    @property
    def status(self) -> ResponseCategory:
        """The classifier's category as of the date."""
        return self.assessment.category

    @property
    def outcome(self) -> str:
        """What the probability is of: ``pseudoprogression`` or ``treatment effect``."""
        return self.route.outcome

    @property
    def awaiting(self) -> bool:
        """Whether the lesion is enlarging and not yet decided by its criteria."""
        return self.enlarging and self.status is self.route.awaiting

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary with the documented fields."""
        stratum = self.prior_stratum
        return {
            "lesion_id": self.lesion.lesion_id,
            "patient_id": self.lesion.patient_id,
            "site": self.lesion.site.value,
            "criteria": self.assessment.parameters.criteria,
            "evidence_table": self.table.name,
            "as_of": None if self.as_of is None else self.as_of.isoformat(),
            "status": self.status.value,
            "status_meaning": self.status.meaning,
            "status_reasons": [r.message for r in self.assessment.reasons],
            "enlarging": self.enlarging,
            "first_enlarged_weeks": None
            if self.first_enlarged_weeks is None
            else round(self.first_enlarged_weeks, 1),
            "probability_pseudoprogression": None
            if self.probability is None
            else self.probability.to_dict(),
            "probability_of": self.outcome,
            "probability_code": self.probability_code.value,
            "probability_note": self.probability_note,
            "prior": None
            if stratum is None
            else {
                "stratum": stratum.name,
                "fractions": self.lesion.treatment.fractions,
                "pseudoprogression": stratum.pseudoprogression,
                "enlarging": stratum.enlarging,
                "source": self.table.known_prior.citation.short,
                "left_out": list(self.table.known_prior.left_out),
            },
            "calculation": None if self.probability is None else self.probability.calculation(),
            "evidence": [e.to_dict() for e in self.evidence],
            "recommendations": [r.to_dict() for r in self.recommendations],
            "next_mri_due": self.next_mri_due.isoformat(),
            "overdue_days": self.overdue_days,
            "warnings": list(self.warnings),
            "assumptions": list(self.assumptions),
        }

    def summary(self) -> str:
        """A few lines a reader can paste into a report."""
        lesion = self.lesion
        when = "" if self.as_of is None else f", as of {self.as_of.isoformat()}"
        seq = self.assessment.sequence
        lines = [
            f"Lesion {lesion.lesion_id} (patient {lesion.patient_id}), "
            f"{lesion.treatment.regimen} on {lesion.treatment.date.isoformat()}{when}",
            f"  Status: {self.status.value} ({self.status.meaning})"
            + ("" if seq is None else f" on {seq.value}"),
        ]
        lines += [f"    {r.message}" for r in self.assessment.reasons]
        if self.probability is not None:
            p = self.probability
            lines.append(f"  Probability of {self.outcome}: {p.interval_text()}")
            stratum = self.prior_stratum
            if stratum is not None:
                lines.append(
                    f"    prior: {stratum.pseudoprogression} of {stratum.enlarging} enlarging "
                    f"lesions treated with {stratum.fractions_text} were {self.outcome} "
                    f"[{self.table.known_prior.citation.short}] -> {p.prior!r}, mean "
                    f"{p.prior_probability:.3f}"
                )
            if p.updates:
                lines.append(
                    f"    x likelihood ratios {p.likelihood_ratio:.3g} -> {p.estimate:.3f}"
                )
        else:
            lines.append(f"  Probability of {self.outcome}: not given: {self.probability_note}")
        if self.evidence:
            lines.append("  Evidence:")
            lines += [f"    - {e.line()}" for e in self.evidence]
        if self.recommendations:
            lines.append("  Recommendations:")
            lines += [f"    - {r}" for r in self.recommendations]
        if self.warnings:
            lines.append("  Warnings:")
            lines += [f"    - {w}" for w in self.warnings]
        if self.assumptions:
            lines.append("  Assumptions:")
            lines += [f"    - {a}" for a in self.assumptions]
        return "\n".join(lines)


def assessment_document(
    results: Sequence[PointOfCareAssessment],
    *,
    table: EvidenceTable | None = None,
    model: ModelParameters,
    as_of: date | None,
    notices: Iterable[str] = (),
) -> dict[str, Any]:
    """The JSON document of ``pseudoprog assess``.

    ``{"as_of", "criteria", "criteria_sets", "model", "evidence_table", "evidence_tables",
    "notices", "lesions"}``. ``criteria_sets`` and ``evidence_tables`` hold, by name, every
    criteria parameter set and evidence table the lesions used (each lesion names its own);
    ``criteria`` and ``evidence_table`` hold the one used when all lesions share it, else
    ``null``. ``table`` describes the table of a document without lesions. ``lesions`` holds
    one :meth:`PointOfCareAssessment.to_dict` per lesion.
    """
    criteria_sets: dict[str, dict[str, Any]] = {}
    tables: dict[str, dict[str, object]] = {}
    for r in results:
        parameters = r.assessment.parameters
        criteria_sets.setdefault(parameters.criteria, parameters.to_dict())
        tables.setdefault(r.table.name, r.table.to_dict())
    if not results and table is not None:
        tables[table.name] = table.to_dict()
    return {
        "as_of": None if as_of is None else as_of.isoformat(),
        "criteria": next(iter(criteria_sets.values())) if len(criteria_sets) == 1 else None,
        "criteria_sets": criteria_sets,
        "model": model.to_dict(),
        "evidence_table": next(iter(tables.values())) if len(tables) == 1 else None,
        "evidence_tables": tables,
        "notices": list(notices),
        "lesions": [r.to_dict() for r in results],
    }
