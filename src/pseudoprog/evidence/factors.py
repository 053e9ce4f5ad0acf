"""Clinical factors of an evidence table: time since treatment, systemic therapy, prior radiation.

A factor is known from the lesion's treatment and history rather than read from a study of
the lesion (the ``features``). An evidence table lists each factor with what its source
reports. When the source gives counts of the factor among treatment effect and among
progression, the factor moves the estimate by its likelihood ratio, exactly like a feature
(:class:`FactorEvidence` with a rule and counts); otherwise it is shown beside the estimate and
does not change it, with the reason in its assumptions.

Examples
--------
>>> rule = FactorRule.parse("> 9", factor=ClinicalFactor.MONTHS_AFTER_SRS)
>>> rule.applies(12.0), rule.applies(4.0), str(rule), rule.describe(False)
(True, False, 'more than 9 months after SRS', 'at most 9 months after SRS')
>>> FactorRule.parse("true", factor=ClinicalFactor.IMMUNOTHERAPY).describe(False)
'no immunotherapy'
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from pseudoprog.domain import CodedEnum
from pseudoprog.errors import ParameterError
from pseudoprog.evidence.citation import Citation
from pseudoprog.evidence.features import Comparison
from pseudoprog.evidence.likelihood import TwoByTwo
from pseudoprog.evidence.posterior import Update

__all__ = ["ClinicalFactor", "FactorEvidence", "FactorRule"]


class ClinicalFactor(CodedEnum):
    """Factors of an evidence table that come from the treatment and history of the lesion."""

    MONTHS_AFTER_SRS = "months_after_srs"
    IMMUNOTHERAPY = "immunotherapy"
    PRIOR_WBRT = "prior_wbrt"

    @property
    def boolean(self) -> bool:
        """Whether the factor is yes/no (otherwise a number in :attr:`unit`)."""
        return self is not ClinicalFactor.MONTHS_AFTER_SRS

    @property
    def unit(self) -> str:
        """Unit of a numeric factor (empty for yes/no factors)."""
        return "" if self.boolean else "months"

    @property
    def label(self) -> str:
        """A short name for tables."""
        return _LABELS[self]

    @classmethod
    def _aliases(cls) -> Mapping[str, str]:
        return {
            "months after srs": "months_after_srs",
            "time after srs": "months_after_srs",
            "immunotherapy alone": "immunotherapy",
            "whole brain radiotherapy": "prior_wbrt",
            "wbrt": "prior_wbrt",
        }


_LABELS = {
    ClinicalFactor.MONTHS_AFTER_SRS: "months after SRS",
    ClinicalFactor.IMMUNOTHERAPY: "immunotherapy",
    ClinicalFactor.PRIOR_WBRT: "prior whole-brain radiotherapy",
}

_ANSWERS = {
    ClinicalFactor.IMMUNOTHERAPY: ("immunotherapy", "no immunotherapy"),
    ClinicalFactor.PRIOR_WBRT: (
        "prior whole-brain radiotherapy",
        "no prior whole-brain radiotherapy",
    ),
}

_WORDS = {
    Comparison.BELOW: "less than",
    Comparison.AT_MOST: "at most",
    Comparison.ABOVE: "more than",
    Comparison.AT_LEAST: "at least",
}
_NEGATION = {
    Comparison.BELOW: Comparison.AT_LEAST,
    Comparison.AT_MOST: Comparison.ABOVE,
    Comparison.ABOVE: Comparison.AT_MOST,
    Comparison.AT_LEAST: Comparison.BELOW,
}
_RULE = re.compile(r"^\s*(<=|>=|<|>)\s*(\d+(?:\.\d+)?)\s*$")
_TRUE = {"TRUE", "YES", "Y", "1", "T"}
_FALSE = {"FALSE", "NO", "N", "0", "F"}


@dataclass(frozen=True, slots=True)
class FactorRule:
    """When a factor's value counts as the finding whose counts the source gives.

    A yes/no factor has an ``expected`` answer; a numeric factor a ``comparison`` with a
    ``threshold`` in its unit.
    """

    factor: ClinicalFactor
    expected: bool | None = None
    comparison: Comparison | None = None
    threshold: float | None = None

    def __post_init__(self) -> None:
        if self.factor.boolean and (self.expected is None or self.comparison is not None):
            raise ParameterError(
                f"{self.factor.value} is a yes/no factor; give expected=True or False"
            )
        if not self.factor.boolean and (
            self.comparison is None
            or self.threshold is None
            or not math.isfinite(self.threshold)
            or self.expected is not None
        ):
            raise ParameterError(
                f"{self.factor.value} is a number of {self.factor.unit}; give a comparison and "
                f"a finite threshold (e.g. '> 9'), got {self.comparison!r} {self.threshold!r}"
            )

    @classmethod
    def parse(cls, text: str | bool, *, factor: ClinicalFactor) -> FactorRule:
        """Read ``true``/``false`` (yes/no factors) or ``> 9`` (numeric factors).

        Raises
        ------
        ParameterError
            If ``text`` does not fit the factor's kind of value.
        """
        if factor.boolean:
            if isinstance(text, bool):
                return cls(factor, expected=text)
            token = str(text).strip().upper()
            if token in _TRUE | _FALSE:
                return cls(factor, expected=token in _TRUE)
            raise ParameterError(
                f"positive_when of {factor.value} must be true or false, got {text!r}"
            )
        match = _RULE.match(str(text)) if not isinstance(text, bool) else None
        if match is None:
            raise ParameterError(
                f"positive_when of {factor.value} must compare with a threshold in "
                f"{factor.unit}, such as '> 9', got {text!r}"
            )
        return cls(factor, comparison=Comparison(match.group(1)), threshold=float(match[2]))

    def applies(self, value: float | bool) -> bool:
        """Whether ``value`` is the finding (the 'positive' result of the source)."""
        if self.factor.boolean:
            return bool(value) is self.expected
        if self.comparison is None or self.threshold is None:  # excluded by __post_init__
            raise ParameterError(f"rule of {self.factor.value} has no threshold")
        return self.comparison.holds(float(value), self.threshold)

    def describe(self, present: bool = True) -> str:
        """The finding, or its absence, in words."""
        if self.factor.boolean:
            yes, no = _ANSWERS[self.factor]
            return yes if bool(self.expected) is present else no
        if self.comparison is None:
            return self.factor.label
        comparison = self.comparison if present else _NEGATION[self.comparison]
        return f"{_WORDS[comparison]} {self.threshold:g} {self.factor.label}"

    def __str__(self) -> str:
        return self.describe(True)

    @property
    def code(self) -> str:
        """The rule as written in evidence tables (``true`` or ``> 9``)."""
        if self.factor.boolean:
            return "true" if self.expected else "false"
        symbol = self.comparison.value if self.comparison else "?"
        return f"{symbol} {self.threshold:g}"


@dataclass(frozen=True, slots=True)
class FactorEvidence:
    """One factor entry of the evidence table.

    With ``rule`` and ``counts`` it gives a likelihood ratio (``weighted``); without them it
    says what the source reports and why no likelihood ratio follows (``assumptions``), and it
    does not change the estimate. A table may list several entries of one factor (several
    sources), at most one of them weighted.
    """

    factor: ClinicalFactor
    description: str
    citation: Citation
    reported: str
    rule: FactorRule | None = None
    counts: TwoByTwo | None = None
    assumptions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if (self.rule is None) != (self.counts is None):
            raise ParameterError(
                f"{self.factor.value}: give both a finding rule and counts, or neither"
            )

    @property
    def weighted(self) -> bool:
        """Whether the entry gives a likelihood ratio."""
        return self.counts is not None

    def update_for(self, value: float | bool) -> Update | None:
        """The likelihood-ratio update of the lesion's value (``None``: shown, not weighted)."""
        if self.rule is None or self.counts is None:
            return None
        return Update(self.factor.value, self.counts, self.rule.applies(value))

    def to_dict(self) -> dict[str, object]:
        return {
            "factor": self.factor.value,
            "description": self.description,
            "weighted": self.weighted,
            "positive_when": None if self.rule is None else self.rule.code,
            "finding": None if self.rule is None else str(self.rule),
            "counts": None if self.counts is None else self.counts.to_dict(),
            "reported": self.reported,
            "citation": self.citation.to_dict(),
            "assumptions": list(self.assumptions),
        }
