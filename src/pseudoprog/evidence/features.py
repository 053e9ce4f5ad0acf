"""Features a reader can report about an enlarging lesion, and when a finding counts as present.

The features are the kinds of the ``evidence`` input table (README, "Input tables"): yes/no
findings, percent changes, ratios such as the DSC rCBV ratio or the amino-acid PET
TBRmean of a brain lesion, and the course of the disease at other sites (:class:`SiteCourse`,
liver metastases under systemic therapy). A :class:`FindingRule` turns a reported value into a
finding (present or absent), the way the source study dichotomised it, so that the study's
counts give its likelihood ratio.

Examples
--------
>>> EvidenceFeature.parse("DCE vp change pct")
<EvidenceFeature.DCE_VP_CHANGE_PCT: 'dce_vp_change_pct'>
>>> rule = FindingRule.parse("< 0", feature=EvidenceFeature.DCE_VP_CHANGE_PCT)
>>> rule.applies(-40.0), rule.applies(12.0), str(rule)
(True, False, 'vp change < 0%')
>>> rcbv = FindingRule.parse("< 1.54", feature=EvidenceFeature.parse("rCBV"))
>>> rcbv.applies(1.2), rcbv.describe(False)
(True, 'rCBV ratio >= 1.54')
>>> hu = FindingRule.parse("<= -15", feature=EvidenceFeature.parse("attenuation change"))
>>> hu.applies(-24.0), hu.applies(-10.0), str(hu)
(True, False, 'attenuation change <= -15%')
>>> course = SiteCourse.parse("PD")
>>> course, EvidenceFeature.OTHER_SITES_RESPONSE.format_value(course.score)
(<SiteCourse.PROGRESSION: 'progression'>, 'progression')
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from pseudoprog.domain import CodedEnum
from pseudoprog.errors import ParameterError

__all__ = [
    "TIMING_FEATURE",
    "Comparison",
    "EvidenceFeature",
    "FindingRule",
    "SiteCourse",
    "ValueKind",
]

#: Code of the timing item that is derived from the measurements (not an input kind).
TIMING_FEATURE = "enlargement_timing"


class ValueKind(Enum):
    """What a feature's value is: a yes/no finding, a percent change or a positive ratio."""

    BOOLEAN = "boolean"
    PERCENT = "percent"
    RATIO = "ratio"
    PATHOLOGY = "pathology"
    """Necrosis, tumour or mixed; kept as whether viable tumour was seen (``detail``: the text)."""
    COURSE = "course"
    """Response, stable or progression (:class:`SiteCourse`); kept as its score -1, 0 or +1
    (``detail``: the code)."""


class SiteCourse(CodedEnum):
    """How the disease at the patient's other sites evolved (``other_sites_response``).

    The differential of a liver metastasis that looks worse under chemotherapy is true
    progression; "correlation with disease evolution at other sites" helps (Pearls and Pitfalls
    in Abdominal Imaging, Cambridge University Press 2010, Case 15, Differential diagnosis).
    """

    RESPONSE = "response"
    STABLE = "stable"
    PROGRESSION = "progression"

    @property
    def score(self) -> float:
        """-1 (response), 0 (stable) or +1 (progression): the number kept as the value."""
        return {SiteCourse.RESPONSE: -1.0, SiteCourse.STABLE: 0.0}.get(self, 1.0)

    @classmethod
    def from_score(cls, score: float) -> SiteCourse:
        """The course of a score (below 0: response, 0: stable, above 0: progression)."""
        if score < 0:
            return cls.RESPONSE
        return cls.STABLE if score == 0 else cls.PROGRESSION

    @classmethod
    def _aliases(cls) -> Mapping[str, str]:
        return {
            "responding": "response",
            "regression": "response",
            "partial response": "response",
            "complete response": "response",
            "pr": "response",
            "cr": "response",
            "stable disease": "stable",
            "sd": "stable",
            "unchanged": "stable",
            "progressing": "progression",
            "progressive disease": "progression",
            "pd": "progression",
        }

    @classmethod
    def _described_as(cls) -> tuple[str | None, str]:
        return None, "course at other sites"


class EvidenceFeature(CodedEnum):
    """Kinds of the ``evidence`` table: findings that bear on pseudoprogression."""

    GROWTH_WITHIN_80PCT_ISODOSE = "growth_within_80pct_isodose"
    DCE_VP_CHANGE_PCT = "dce_vp_change_pct"
    T2_SIGNAL_RATIO_CHANGE_PCT = "t2_signal_ratio_change_pct"
    DSC_RCBV_RATIO = "dsc_rcbv_ratio"
    AMINO_ACID_PET_TBR_MEAN = "amino_acid_pet_tbr_mean"
    PATHOLOGY = "pathology"
    """Histopathology of the resected or biopsied lesion: the reference standard, not a test."""
    ATTENUATION_CHANGE_PCT = "attenuation_change_pct"
    """Change of the mean attenuation (HU, portal venous phase) from baseline, percent (Choi)."""
    FDG_PET_SUV_CHANGE_PCT = "fdg_pet_suv_change_pct"
    """Change of the FDG-PET SUVmax from the pre-treatment PET, percent."""
    TUMOUR_MARKER_CHANGE_PCT = "tumour_marker_change_pct"
    """Change of the serum tumour marker of the primary tumour from baseline, percent."""
    OTHER_SITES_RESPONSE = "other_sites_response"
    """The course of the disease at the patient's other sites (:class:`SiteCourse`)."""

    @property
    def value_kind(self) -> ValueKind:
        """Whether the feature takes true/false, a percentage or a positive ratio."""
        if self is EvidenceFeature.PATHOLOGY:
            return ValueKind.PATHOLOGY
        if self is EvidenceFeature.OTHER_SITES_RESPONSE:
            return ValueKind.COURSE
        if self is EvidenceFeature.GROWTH_WITHIN_80PCT_ISODOSE:
            return ValueKind.BOOLEAN
        if self in _RATIOS:
            return ValueKind.RATIO
        return ValueKind.PERCENT

    @property
    def label(self) -> str:
        """A short name for tables and plots."""
        return _LABELS[self]

    @property
    def minimum(self) -> float | None:
        """Smallest meaningful value: a ratio or a volume cannot fall by more than 100%.

        A ratio (rCBV, TBR) must be greater than this value, 0.
        """
        if self.value_kind in (ValueKind.BOOLEAN, ValueKind.PATHOLOGY, ValueKind.COURSE):
            return None
        return 0.0 if self.value_kind is ValueKind.RATIO else -100.0

    def answer_text(self, answer: bool) -> str:
        """A yes/no finding in words (``growth beyond the 80% isodose line``)."""
        yes, no = _ANSWERS.get(self, (f"{self.label}: yes", f"{self.label}: no"))
        return yes if answer else no

    def format_value(self, value: float | bool) -> str:
        """The value as a reader would write it (``yes``/``no`` or ``-57.3%``)."""
        if self.value_kind is ValueKind.BOOLEAN:
            return "yes" if value else "no"
        if self.value_kind is ValueKind.PATHOLOGY:
            return "viable tumour" if value else "necrosis only"
        if self.value_kind is ValueKind.COURSE:
            return SiteCourse.from_score(float(value)).value
        if self.value_kind is ValueKind.RATIO:
            return f"{float(value):g}"
        return f"{float(value):+g}%"

    @classmethod
    def _aliases(cls) -> Mapping[str, str]:
        return {
            "80% isodose": "growth_within_80pct_isodose",
            "growth within 80% isodose": "growth_within_80pct_isodose",
            "within 80 isodose": "growth_within_80pct_isodose",
            "80pct isodose": "growth_within_80pct_isodose",
            "dce vp change": "dce_vp_change_pct",
            "vp change pct": "dce_vp_change_pct",
            "vp change": "dce_vp_change_pct",
            "plasma volume change": "dce_vp_change_pct",
            "t2 signal ratio change": "t2_signal_ratio_change_pct",
            "t2 ratio change": "t2_signal_ratio_change_pct",
            "rcbv": "dsc_rcbv_ratio",
            "rcbv ratio": "dsc_rcbv_ratio",
            "dsc rcbv": "dsc_rcbv_ratio",
            "relative cbv": "dsc_rcbv_ratio",
            "tbr mean": "amino_acid_pet_tbr_mean",
            "tbrmean": "amino_acid_pet_tbr_mean",
            "fet tbr mean": "amino_acid_pet_tbr_mean",
            "pet tbr mean": "amino_acid_pet_tbr_mean",
            "amino acid pet tbr": "amino_acid_pet_tbr_mean",
            "histopathology": "pathology",
            "pathology result": "pathology",
            "attenuation change": "attenuation_change_pct",
            "hu change": "attenuation_change_pct",
            "density change": "attenuation_change_pct",
            "attenuation change pct": "attenuation_change_pct",
            "suv change": "fdg_pet_suv_change_pct",
            "pet suv change": "fdg_pet_suv_change_pct",
            "fdg pet suv change": "fdg_pet_suv_change_pct",
            "suvmax change": "fdg_pet_suv_change_pct",
            "tumor marker change": "tumour_marker_change_pct",
            "tumour marker change": "tumour_marker_change_pct",
            "marker change": "tumour_marker_change_pct",
            "tumor marker change pct": "tumour_marker_change_pct",
            "other sites": "other_sites_response",
            "response at other sites": "other_sites_response",
            "other sites response": "other_sites_response",
        }


#: Features whose value is a positive ratio (no unit).
_RATIOS = frozenset({EvidenceFeature.DSC_RCBV_RATIO, EvidenceFeature.AMINO_ACID_PET_TBR_MEAN})


_LABELS = {
    EvidenceFeature.GROWTH_WITHIN_80PCT_ISODOSE: "growth within 80% isodose",
    EvidenceFeature.DCE_VP_CHANGE_PCT: "vp change",
    EvidenceFeature.T2_SIGNAL_RATIO_CHANGE_PCT: "T2 signal ratio change",
    EvidenceFeature.DSC_RCBV_RATIO: "rCBV ratio",
    EvidenceFeature.PATHOLOGY: "pathology",
    EvidenceFeature.AMINO_ACID_PET_TBR_MEAN: "amino-acid PET TBRmean",
    EvidenceFeature.ATTENUATION_CHANGE_PCT: "attenuation change",
    EvidenceFeature.FDG_PET_SUV_CHANGE_PCT: "FDG-PET SUVmax change",
    EvidenceFeature.TUMOUR_MARKER_CHANGE_PCT: "tumour marker change",
    EvidenceFeature.OTHER_SITES_RESPONSE: "course at other sites",
}


_ANSWERS = {
    EvidenceFeature.GROWTH_WITHIN_80PCT_ISODOSE: (
        "growth confined to the 80% isodose line",
        "growth beyond the 80% isodose line",
    ),
}


class Comparison(Enum):
    """How a percentage is compared with a threshold."""

    BELOW = "<"
    AT_MOST = "<="
    ABOVE = ">"
    AT_LEAST = ">="

    def holds(self, value: float, threshold: float) -> bool:
        if self is Comparison.BELOW:
            return value < threshold
        if self is Comparison.AT_MOST:
            return value <= threshold
        if self is Comparison.ABOVE:
            return value > threshold
        return value >= threshold


_RULE = re.compile(r"^\s*(<=|>=|<|>)\s*([-+]?\d+(?:\.\d+)?)\s*%?\s*$")
_TRUE = {"TRUE", "YES", "Y", "1", "T"}
_FALSE = {"FALSE", "NO", "N", "0", "F"}


@dataclass(frozen=True, slots=True)
class FindingRule:
    """When a reported value counts as the finding whose counts the source gives.

    For a yes/no feature the finding is one answer (``expected``); for a percentage or a ratio
    it is a comparison with a threshold (``comparison`` and ``threshold``).
    """

    feature: EvidenceFeature
    expected: bool | None = None
    comparison: Comparison | None = None
    threshold: float | None = None

    def __post_init__(self) -> None:
        _not_pathology(self.feature)
        boolean = self.feature.value_kind is ValueKind.BOOLEAN
        if boolean and (self.expected is None or self.comparison is not None):
            raise ParameterError(
                f"{self.feature.value} is a yes/no feature; give expected=True or False, "
                "not a comparison"
            )
        if not boolean and (
            self.comparison is None
            or self.threshold is None
            or not math.isfinite(self.threshold)
            or self.expected is not None
        ):
            raise ParameterError(
                f"{self.feature.value} is a {_NUMBER[self.feature.value_kind]}; give a comparison "
                f"and a finite threshold (e.g. '< 0'), got {self.comparison!r} {self.threshold!r}"
            )

    @classmethod
    def parse(cls, text: str | bool, *, feature: EvidenceFeature) -> FindingRule:
        """Read ``true``/``false`` (yes/no features) or ``< 0``, ``>= 10``, ``< 1.54`` (numbers).

        Raises
        ------
        ParameterError
            If ``text`` does not fit the feature's kind of value.
        """
        _not_pathology(feature)
        if feature.value_kind is ValueKind.BOOLEAN:
            if isinstance(text, bool):
                return cls(feature, expected=text)
            token = str(text).strip().upper()
            if token in _TRUE | _FALSE:
                return cls(feature, expected=token in _TRUE)
            raise ParameterError(
                f"positive_when of {feature.value} must be true or false, got {text!r}"
            )
        match = _RULE.match(str(text)) if not isinstance(text, bool) else None
        ratio = feature.value_kind is ValueKind.RATIO
        if match is None or (ratio and "%" in str(text)):
            example = "'< 1.54' or '>= 2.1'" if ratio else "'< 0' or '>= 25'"
            raise ParameterError(
                f"positive_when of {feature.value} must compare with a threshold "
                f"{'(a ratio, no %)' if ratio else 'in percent'}, such as {example}, got {text!r}"
            )
        return cls(feature, comparison=Comparison(match.group(1)), threshold=float(match[2]))

    def applies(self, value: float | bool) -> bool:
        """Whether ``value`` is the finding (the 'positive' result of the source)."""
        if self.feature.value_kind is ValueKind.BOOLEAN:
            return bool(value) is self.expected
        if self.comparison is None or self.threshold is None:  # excluded by __post_init__
            raise ParameterError(f"rule of {self.feature.value} has no threshold")
        return self.comparison.holds(float(value), self.threshold)

    def describe(self, present: bool = True) -> str:
        """The finding, or its absence, in words."""
        if self.feature.value_kind is ValueKind.BOOLEAN:
            return self.feature.answer_text(bool(self.expected) is present)
        if self.comparison is None:
            return self.feature.label
        comparison = self.comparison if present else _NEGATION[self.comparison]
        unit = "" if self.feature.value_kind is ValueKind.RATIO else "%"
        return f"{self.feature.label} {comparison.value} {self.threshold:g}{unit}"

    def __str__(self) -> str:
        return self.describe(True)

    @property
    def code(self) -> str:
        """The rule as written in evidence tables (``true`` or ``< 0``)."""
        if self.feature.value_kind is ValueKind.BOOLEAN:
            return "true" if self.expected else "false"
        symbol = self.comparison.value if self.comparison else "?"
        return f"{symbol} {self.threshold:g}"


_NUMBER = {
    ValueKind.BOOLEAN: "yes/no finding",
    ValueKind.PERCENT: "percentage",
    ValueKind.RATIO: "ratio",
}


def _not_pathology(feature: EvidenceFeature) -> None:
    if feature.value_kind is ValueKind.PATHOLOGY:
        raise ParameterError(
            f"{feature.value} is the reference standard, not a test with a finding rule and "
            "counts; leave it out of evidence tables (the srs-brain criteria read it directly)"
        )
    if feature.value_kind is ValueKind.COURSE:
        raise ParameterError(
            f"{feature.value} (response, stable or progression) has no finding rule: give its "
            "row without positive_when and counts (shown, not weighted)"
        )


_NEGATION = {
    Comparison.BELOW: Comparison.AT_LEAST,
    Comparison.AT_MOST: Comparison.ABOVE,
    Comparison.ABOVE: Comparison.AT_MOST,
    Comparison.AT_LEAST: Comparison.BELOW,
}
