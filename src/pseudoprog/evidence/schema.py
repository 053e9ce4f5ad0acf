"""Validation of evidence tables: plain data (parsed YAML or CSV rows) to an EvidenceTable.

The whole table is checked before anything is used, and every problem is reported at once
(:class:`~pseudoprog.errors.InputValidationError`) with the file, the entry, the field, the
value and the fix. A :class:`Locator` says how a field is named to the user: ``entry
features[2] (dce_vp_change_pct), field counts.progression.total`` for YAML, or a row and a
column for CSV.

The packaged tables and user tables go through the same checks. A user table may leave out
``prior``, ``time_course``, ``follow_up`` and ``context``; those then come from the packaged
table (``base``) and the result says so, provided the base covers the same site. The time
course of osseous pseudoprogression and the follow-up protocol are required of spine tables
only (the spine point-of-care flow needs them); a table of another site may leave them out.

Format (version 1)::

    format: pseudoprog-evidence-table       # optional
    version: 1                              # optional
    name: my_institution
    context: {site: spine, treatment: ...}
    sources: {key: {citation: "...", url: "..."}}
    prior:                                  # optional; or, when no published rate fits,
      source: key                           # no_prior: "why" (then no probability is given)
      location: Table 1
      strata:
        - {name: single_fraction, fractions_min: 1, fractions_max: 1,
           pseudoprogression: 5, enlarging: 8}
      lesions: [{fractions: 1, response: OPP}, ...]   # optional, checked against the counts
    features:
      - feature: growth_within_80pct_isodose
        positive_when: true                 # or "< 0" for a percentage
        counts:
          pseudoprogression: {positive: 8, total: 9}
          progression: {positive: 1, total: 14}
        derived: {sensitivity: 0.889, specificity: 0.929, lr_positive: 12.44}  # optional
        source: key
        location: Table 2
        assumptions: ["..."]
        alternatives:                       # optional: other cut-offs, shown, not weighted
          - {positive_when: ..., counts: ..., source: key, location: ...}
      - feature: fdg_pet_suv_change_pct     # a row without counts: shown, not weighted;
        reported: "..."                     # favours_when gives the values that point
        favours_when: "< 0"                 # towards the pseudoprogression group (a direction,
        source: key                         # not a weight)
        location: Abstract
    factors:                                # optional: clinical factors
      - factor: months_after_srs            # a weighted entry has counts, like a feature;
        positive_when: "> 9"                # other entries only say what the source reports
        counts: {...}
        source: key
        location: Abstract
    recommendations:                        # optional
      - {code: perfusion_mri, text: "...", features: [dsc_rcbv_ratio], source: key,
         location: Abstract}
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from pseudoprog.domain import ResponseCategory, Site
from pseudoprog.errors import InputValidationError, ParameterError, Problem
from pseudoprog.evidence.citation import Citation, Source
from pseudoprog.evidence.factors import ClinicalFactor, FactorEvidence, FactorRule
from pseudoprog.evidence.features import EvidenceFeature, FindingRule
from pseudoprog.evidence.likelihood import GroupCount, TwoByTwo
from pseudoprog.evidence.prior import PriorModel, PriorStratum
from pseudoprog.evidence.table import (
    EvidenceTable,
    FeatureEvidence,
    FollowUpSchedule,
    TableRecommendation,
    TimeCourse,
)

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "Locator",
    "YamlLocator",
    "parse_evidence_table",
]

FORMAT = "pseudoprog-evidence-table"
FORMAT_VERSION = 1

Path = tuple[str | int, ...]

_TOP_KEYS = (
    "format",
    "version",
    "name",
    "title",
    "description",
    "context",
    "sources",
    "prior",
    "no_prior",
    "features",
    "time_course",
    "follow_up",
    "factors",
    "recommendations",
)
_ROW_KEYS = (
    "description",
    "positive_when",
    "counts",
    "derived",
    "reported",
    "source",
    "citation",
    "location",
    "assumptions",
)
_FEATURE_KEYS = ("feature", *_ROW_KEYS, "favours_when", "alternatives")
_FACTOR_KEYS = ("factor", *_ROW_KEYS)
_RECOMMENDATION_KEYS = ("code", "text", "features", "source", "citation", "location")
_DERIVED_KEYS = ("sensitivity", "specificity", "lr_positive", "lr_negative")
_OPTIONAL_SECTIONS = ("context", "prior", "time_course", "follow_up")
#: Sections every table needs, whatever its site (the others: spine tables only).
_ALWAYS_REQUIRED = ("context", "prior")
#: How the entries of each list are named in problems.
_ENTRY_NAMES = {"features": "feature", "factors": "factor", "recommendations": "code"}


class Locator(Protocol):
    """Turns a field path into a problem the user can find in the file."""

    def problem(self, path: Path, message: str, expected: str, value: object) -> Problem: ...


def _show(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {v}" for k, v in list(value.items())[:4]) + "}"
    return str(value)


def _dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass(frozen=True)
class YamlLocator:
    """Names fields as ``entry features[2] (feature name), field counts.progression.total``.

    ``names`` gives, for an entry path such as ``("features", 2)``, the feature it holds (the
    factor of a ``factors`` entry, the code of a ``recommendations`` entry); :meth:`for_data`
    reads them from the data.
    """

    source: str
    names: Mapping[Path, str]

    @classmethod
    def for_data(cls, source: str, data: object) -> YamlLocator:
        """A locator that names each entry by the feature (factor, code) it declares."""
        names: dict[Path, str] = {}
        for section, key in _ENTRY_NAMES.items():
            entries = data.get(section) if isinstance(data, Mapping) else None
            if isinstance(entries, list):
                for i, entry in enumerate(entries):
                    if isinstance(entry, Mapping) and entry.get(key) is not None:
                        names[(section, i)] = str(entry[key])
        return cls(source, names)

    def problem(self, path: Path, message: str, expected: str, value: object) -> Problem:
        if len(path) >= 2 and isinstance(path[1], int):
            name = self.names.get(path[:2])
            where = f"entry {_dotted(path[:2])}" + (f" ({name})" if name else "")
            if len(path) > 2:
                where += f", field {_dotted(path[2:])}"
        else:
            where = f"field {_dotted(path)}" if path else "top level"
        return Problem(self.source, f"{where}: {message}", expected=expected, value=_show(value))


class _Checker:
    """Collects problems while reading plain data."""

    def __init__(self, locator: Locator) -> None:
        self.locator = locator
        self.problems: list[Problem] = []

    def add(self, path: Path, message: str, expected: str, value: object = None) -> None:
        self.problems.append(self.locator.problem(path, message, expected, value))

    def mapping(self, value: object, path: Path, keys: Sequence[str]) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.add(path, "not a mapping of fields", f"fields {', '.join(keys)}", value)
            return None
        for key in value:
            if key not in keys:
                self.add(
                    (*path, str(key)),
                    "unknown field",
                    f"one of {', '.join(keys)} (check the spelling)",
                    value[key],
                )
        return value

    def text(self, data: Mapping[str, Any], path: Path, key: str, *, required: bool) -> str | None:
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add((*path, key), "missing", f"a text value for '{key}'")
            return None
        if isinstance(value, (Mapping, list)):
            self.add((*path, key), "not a text value", f"a text value for '{key}'", value)
            return None
        return " ".join(str(value).split())

    def integer(
        self, data: Mapping[str, Any], path: Path, key: str, *, minimum: int, required: bool = True
    ) -> int | None:
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.add((*path, key), "missing", f"a whole number of at least {minimum}")
            return None
        number = _as_number(value)
        if number is None or not number.is_integer():
            self.add(
                (*path, key), "not a whole number", f"a whole number of at least {minimum}", value
            )
            return None
        if number < minimum:
            self.add((*path, key), "too small", f"a whole number of at least {minimum}", value)
            return None
        return int(number)

    def number(
        self,
        data: Mapping[str, Any],
        path: Path,
        key: str,
        *,
        required: bool,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> float | None:
        value = data.get(key)
        if value is None or value == "":
            if required:
                self.add((*path, key), "missing", "a number")
            return None
        number = _as_number(value)
        bounds = _bounds(minimum, maximum)
        if number is None or not math.isfinite(number):
            self.add((*path, key), "not a number", "a number" + bounds, value)
            return None
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            self.add((*path, key), "out of range", "a number" + bounds, value)
            return None
        return number


def _bounds(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f" between {minimum:g} and {maximum:g}"
    if minimum is not None:
        return f" of at least {minimum:g}"
    if maximum is not None:
        return f" of at most {maximum:g}"
    return ""


def _as_number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


_DECIMALS = re.compile(r"\.(\d+)$")


def _precision(value: object) -> float:
    """Half a unit of the last digit written (``0.889`` -> 0.0005)."""
    text = value.strip() if isinstance(value, str) else repr(value)
    if "e" in text.lower():
        return 1e-9
    match = _DECIMALS.search(text)
    digits = 0 if match is None else len(match.group(1))
    return 0.5 * 10.0 ** (-digits) + 1e-12


# ---- sections ---------------------------------------------------------------------------------


def _sources(ck: _Checker, data: object) -> dict[str, Source]:
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        ck.add(("sources",), "not a mapping", "source keys mapped to {citation, url}", data)
        return {}
    out: dict[str, Source] = {}
    for key, entry in data.items():
        path: Path = ("sources", str(key))
        fields = ck.mapping(entry, path, ("citation", "url"))
        if fields is None:
            continue
        reference = ck.text(fields, path, "citation", required=True)
        url = ck.text(fields, path, "url", required=False)
        if reference is not None:
            out[str(key)] = Source(str(key), reference, url)
    return out


def _citation(
    ck: _Checker,
    data: Mapping[str, Any],
    path: Path,
    sources: Mapping[str, Source],
    *,
    location_key: str = "location",
) -> Citation | None:
    location = ck.text(data, path, location_key, required=True)
    key = data.get("source")
    inline = ck.text(data, path, "citation", required=False)
    if key is None and inline is None:
        ck.add(
            (*path, "source"),
            "no source given",
            "'source: <key of sources>' or 'citation: <full reference>' (every number needs "
            "its citation)",
        )
        return None
    if key is not None and str(key) not in sources:
        ck.add(
            (*path, "source"),
            "unknown source",
            "one of the keys of 'sources': " + (", ".join(sources) or "none defined"),
            key,
        )
        return None
    source = sources[str(key)] if key is not None else Source(inline or "", inline or "")
    return None if location is None else Citation(source, location)


def _counts(ck: _Checker, data: object, path: Path) -> TwoByTwo | None:
    fields = ck.mapping(data, path, ("pseudoprogression", "progression"))
    if fields is None:
        return None
    groups: list[GroupCount] = []
    for group in ("pseudoprogression", "progression"):
        gpath = (*path, group)
        entry = fields.get(group)
        if entry is None:
            ck.add(gpath, "missing", "{positive: <lesions with the finding>, total: <lesions>}")
            continue
        g = ck.mapping(entry, gpath, ("positive", "total"))
        if g is None:
            continue
        positive = ck.integer(g, gpath, "positive", minimum=0)
        total = ck.integer(g, gpath, "total", minimum=1)
        if positive is None or total is None:
            continue
        if positive > total:
            ck.add(
                (*gpath, "positive"),
                f"more lesions with the finding than the total of {total}",
                f"a whole number between 0 and {total}",
                positive,
            )
            continue
        groups.append(GroupCount(positive, total))
    return TwoByTwo(groups[0], groups[1]) if len(groups) == 2 else None


def _check_derived(ck: _Checker, data: object, path: Path, counts: TwoByTwo) -> None:
    fields = ck.mapping(data, path, _DERIVED_KEYS)
    if fields is None:
        return
    computed = {
        "sensitivity": counts.sensitivity,
        "specificity": counts.specificity,
        "lr_positive": counts.lr_positive,
        "lr_negative": counts.lr_negative,
    }
    for key in _DERIVED_KEYS:
        if key not in fields or fields[key] in (None, ""):
            continue
        proportion = key in ("sensitivity", "specificity")
        given = ck.number(
            fields, path, key, required=True, minimum=0, maximum=1 if proportion else None
        )
        if given is None:
            continue
        if abs(given - computed[key]) > _precision(fields[key]):
            ck.add(
                (*path, key),
                f"does not agree with the counts ({counts.describe()} give {computed[key]:.4g})",
                f"{computed[key]:.4g} (or correct the counts)",
                fields[key],
            )


def _assumptions(ck: _Checker, data: Mapping[str, Any], path: Path) -> tuple[str, ...]:
    value = data.get("assumptions")
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return tuple(" ".join(p.split()) for p in value.split(" | ") if p.strip())
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(" ".join(v.split()) for v in value)
    ck.add((*path, "assumptions"), "not a list of sentences", "a list of text values", value)
    return ()


R = TypeVar("R", FindingRule, FactorRule)


@dataclass(frozen=True)
class _Row(Generic[R]):
    """The parts of a feature, factor or alternative entry; ``complete`` when all parsed."""

    citation: Citation | None
    reported: str | None
    description: str | None
    rule: R | None
    counts: TwoByTwo | None
    assumptions: tuple[str, ...]
    complete: bool


def _row(
    ck: _Checker,
    fields: Mapping[str, Any],
    path: Path,
    sources: Mapping[str, Source],
    parse_rule: Callable[[Any], R] | None,
    *,
    hint: str,
    need_counts: bool = False,
) -> _Row[R]:
    """Citation, texts, finding rule and counts of an entry (``parse_rule`` None: no rule)."""
    citation = _citation(ck, fields, path, sources)
    assumptions = _assumptions(ck, fields, path)
    reported = ck.text(fields, path, "reported", required=False)
    description = ck.text(fields, path, "description", required=False)
    raw_counts, raw_rule = fields.get("counts"), fields.get("positive_when")
    counts: TwoByTwo | None = None
    rule: R | None = None
    if raw_counts is None and raw_rule is None:
        if need_counts:
            ck.add(
                (*path, "counts"),
                "missing",
                "counts of the finding in both groups, with positive_when",
            )
        elif reported is None:
            ck.add(
                (*path, "reported"),
                "a row without counts must say what the source reports",
                "'reported: <the published result>' or counts with positive_when",
            )
        if fields.get("derived") not in (None, ""):
            ck.add(
                (*path, "derived"), "derived values without counts", "counts to derive them from"
            )
    else:
        if raw_counts is None:
            ck.add((*path, "counts"), "missing", "counts of the finding in both groups")
        else:
            counts = _counts(ck, raw_counts, (*path, "counts"))
        if raw_rule is None or raw_rule == "":
            ck.add(
                (*path, "positive_when"),
                "missing",
                f"the value that counts as the finding: true/false, or e.g. {hint}",
            )
        elif parse_rule is not None:
            try:
                rule = parse_rule(raw_rule)
            except ParameterError as exc:
                ck.add((*path, "positive_when"), str(exc), f"true/false or e.g. {hint}", raw_rule)
        if counts is not None and fields.get("derived") not in (None, ""):
            _check_derived(ck, fields["derived"], (*path, "derived"), counts)
    complete = not (
        citation is None
        or (raw_counts is not None and counts is None)
        or (raw_rule is not None and rule is None)
        or (raw_counts is None) != (rule is None)
        or (need_counts and counts is None)
    )
    return _Row(citation, reported, description, rule, counts, assumptions, complete)


_FEATURE_HINT = "'< 0' for a percentage or '< 1.54' for a ratio"


def _feature(
    ck: _Checker, data: object, path: Path, sources: Mapping[str, Source]
) -> FeatureEvidence | None:
    fields = ck.mapping(data, path, _FEATURE_KEYS)
    if fields is None:
        return None
    name = ck.text(fields, path, "feature", required=True)
    feature = None
    if name is not None:
        try:
            feature = EvidenceFeature.parse(name)
        except ParameterError:
            ck.add(
                (*path, "feature"), "unknown feature", f"one of {EvidenceFeature.accepted()}", name
            )
    parse = None if feature is None else _finding_parser(feature)
    row = _row(ck, fields, path, sources, parse, hint=_FEATURE_HINT)
    alternatives = _alternatives(ck, fields.get("alternatives"), path, sources, parse)
    leaning, leaning_ok = _favours_when(ck, fields, path, parse)
    if (
        feature is None
        or not row.complete
        or row.citation is None
        or alternatives is None
        or not leaning_ok
    ):
        return None
    return FeatureEvidence(
        feature,
        row.description or feature.label,
        row.citation,
        row.reported or "",
        row.rule,
        row.counts,
        row.assumptions,
        tuple(
            FeatureEvidence(
                feature,
                alt.description or feature.label,
                alt.citation,
                alt.reported or "",
                alt.rule,
                alt.counts,
                alt.assumptions,
            )
            for alt in alternatives
            if alt.citation is not None
        ),
        leaning,
    )


def _favours_when(
    ck: _Checker,
    fields: Mapping[str, Any],
    path: Path,
    parse: Callable[[Any], FindingRule] | None,
) -> tuple[FindingRule | None, bool]:
    """The direction of a row without counts (``favours_when``); whether it parsed."""
    raw = fields.get("favours_when")
    if raw is None or raw == "":
        return None, True
    if fields.get("counts") is not None:
        ck.add(
            (*path, "favours_when"),
            "a row with counts gets its direction from its likelihood ratios",
            "favours_when only on a row without counts (or remove the counts)",
            raw,
        )
        return None, False
    if parse is None:
        return None, False
    try:
        return parse(raw), True
    except ParameterError as exc:
        ck.add((*path, "favours_when"), str(exc), f"e.g. {_FEATURE_HINT}", raw)
        return None, False


def _finding_parser(feature: EvidenceFeature) -> Callable[[Any], FindingRule]:
    return lambda raw: FindingRule.parse(raw, feature=feature)


def _alternatives(
    ck: _Checker,
    data: object,
    path: Path,
    sources: Mapping[str, Source],
    parse: Callable[[Any], FindingRule] | None,
) -> list[_Row[FindingRule]] | None:
    """Other published cut-offs of a feature: each with counts; ``None`` if any is wrong."""
    if data is None:
        return []
    apath: Path = (*path, "alternatives")
    if not isinstance(data, list):
        ck.add(apath, "not a list", "a list of {positive_when, counts, source, location}", data)
        return None
    rows: list[_Row[FindingRule]] = []
    for i, entry in enumerate(data):
        fields = ck.mapping(entry, (*apath, i), _ROW_KEYS)
        if fields is not None:
            rows.append(
                _row(ck, fields, (*apath, i), sources, parse, hint=_FEATURE_HINT, need_counts=True)
            )
    return rows if len(rows) == len(data) and all(r.complete for r in rows) else None


def _features(
    ck: _Checker, data: object, sources: Mapping[str, Source]
) -> tuple[FeatureEvidence, ...]:
    if not isinstance(data, list) or not data:
        ck.add(("features",), "missing or empty", "a list of feature entries", data)
        return ()
    out: list[FeatureEvidence] = []
    first: dict[EvidenceFeature, int] = {}
    for i, entry in enumerate(data):
        row = _feature(ck, entry, ("features", i), sources)
        if row is None:
            continue
        if row.feature in first:
            ck.add(
                ("features", i, "feature"),
                f"feature listed twice (first in features[{first[row.feature]}])",
                "one entry per feature",
                row.feature.value,
            )
            continue
        first[row.feature] = i
        out.append(row)
    return tuple(out)


def _factors(
    ck: _Checker, data: object, sources: Mapping[str, Source]
) -> tuple[FactorEvidence, ...]:
    if data is None:
        return ()
    if not isinstance(data, list):
        ck.add(("factors",), "not a list", "a list of factor entries", data)
        return ()
    out: list[FactorEvidence] = []
    weighted: dict[ClinicalFactor, int] = {}
    for i, entry in enumerate(data):
        path: Path = ("factors", i)
        fields = ck.mapping(entry, path, _FACTOR_KEYS)
        if fields is None:
            continue
        name = ck.text(fields, path, "factor", required=True)
        factor = None
        if name is not None:
            try:
                factor = ClinicalFactor.parse(name)
            except ParameterError:
                ck.add(
                    (*path, "factor"), "unknown factor", f"one of {ClinicalFactor.accepted()}", name
                )
        parse = None if factor is None else _factor_parser(factor)
        row = _row(ck, fields, path, sources, parse, hint="'> 9' for months")
        if factor is None or not row.complete or row.citation is None:
            continue
        if row.counts is not None and factor in weighted:
            ck.add(
                (*path, "counts"),
                f"a second weighted entry of {factor.value} (first in factors[{weighted[factor]}])",
                "counts on one entry per factor; the others say only what their source reports",
            )
            continue
        if row.counts is not None:
            weighted[factor] = i
        description = row.description or factor.label
        out.append(
            FactorEvidence(
                factor,
                description,
                row.citation,
                row.reported or "",
                row.rule,
                row.counts,
                row.assumptions,
            )
        )
    return tuple(out)


def _factor_parser(factor: ClinicalFactor) -> Callable[[Any], FactorRule]:
    return lambda raw: FactorRule.parse(raw, factor=factor)


def _recommendations(
    ck: _Checker, data: object, sources: Mapping[str, Source]
) -> tuple[TableRecommendation, ...]:
    if data is None:
        return ()
    if not isinstance(data, list):
        ck.add(("recommendations",), "not a list", "a list of {code, text, source, location}", data)
        return ()
    out: list[TableRecommendation] = []
    first: dict[str, int] = {}
    for i, entry in enumerate(data):
        path: Path = ("recommendations", i)
        fields = ck.mapping(entry, path, _RECOMMENDATION_KEYS)
        if fields is None:
            continue
        code = ck.text(fields, path, "code", required=True)
        text = ck.text(fields, path, "text", required=True)
        citation = _citation(ck, fields, path, sources)
        raw = fields.get("features") or []
        features: list[EvidenceFeature] = []
        if not isinstance(raw, list):
            ck.add((*path, "features"), "not a list", "a list of feature names", raw)
            raw = []
        for j, name in enumerate(raw):
            try:
                features.append(EvidenceFeature.parse(str(name)))
            except ParameterError:
                ck.add(
                    (*path, "features", j),
                    "unknown feature",
                    f"one of {EvidenceFeature.accepted()}",
                    name,
                )
        if code is not None and code in first:
            ck.add(
                (*path, "code"),
                f"code listed twice (first in recommendations[{first[code]}])",
                "one entry per code",
                code,
            )
            continue
        if code is None or text is None or citation is None or len(features) != len(raw):
            continue
        first[code] = i
        out.append(TableRecommendation(code, text, citation, tuple(features)))
    return tuple(out)


def _prior(ck: _Checker, data: object, sources: Mapping[str, Source]) -> PriorModel | None:
    path: Path = ("prior",)
    fields = ck.mapping(
        data, path, ("description", "source", "citation", "location", "strata", "lesions")
    )
    if fields is None:
        return None
    citation = _citation(ck, fields, path, sources)
    description = ck.text(fields, path, "description", required=False) or ""
    raw = fields.get("strata")
    if not isinstance(raw, list) or not raw:
        ck.add((*path, "strata"), "missing or empty", "a list of fractionation strata", raw)
        return None
    strata: list[PriorStratum] = []
    keys = ("name", "fractions_min", "fractions_max", "pseudoprogression", "enlarging")
    for i, entry in enumerate(raw):
        spath: Path = (*path, "strata", i)
        s = ck.mapping(entry, spath, keys)
        if s is None:
            continue
        name = ck.text(s, spath, "name", required=True)
        low = ck.integer(s, spath, "fractions_min", minimum=1)
        high = ck.integer(s, spath, "fractions_max", minimum=1, required=False)
        k = ck.integer(s, spath, "pseudoprogression", minimum=0)
        n = ck.integer(s, spath, "enlarging", minimum=0)
        if None in (name, low, k, n):
            continue
        try:
            strata.append(PriorStratum(str(name), int(low or 1), high, int(k or 0), int(n or 0)))
        except ParameterError as exc:
            ck.add(spath, str(exc), "counts with 0 <= pseudoprogression <= enlarging", entry)
    if len(strata) != len(raw) or citation is None:
        return None
    try:
        model = PriorModel(tuple(strata), citation, description)
    except ParameterError as exc:
        ck.add((*path, "strata"), str(exc), "non-overlapping fraction ranges")
        return None
    if fields.get("lesions") is not None:
        _check_prior_lesions(ck, fields["lesions"], model)
    return model


def _check_prior_lesions(ck: _Checker, data: object, model: PriorModel) -> None:
    path: Path = ("prior", "lesions")
    if not isinstance(data, list):
        ck.add(path, "not a list", "a list of {fractions, response} entries", data)
        return
    pairs: list[tuple[int, ResponseCategory | None]] = []
    for i, entry in enumerate(data):
        lpath: Path = (*path, i)
        if not isinstance(entry, Mapping):
            ck.add(lpath, "not a mapping", "{fractions: <n>, response: <PR/SD/PD/OPP>}", entry)
            continue
        fractions = ck.integer(entry, lpath, "fractions", minimum=1)
        text = ck.text(entry, lpath, "response", required=True)
        response = None
        if text is not None:
            try:
                response = ResponseCategory.parse(text)
            except ParameterError:
                ck.add((*lpath, "response"), "unknown response", ResponseCategory.accepted(), text)
                continue
        if fractions is not None:
            pairs.append((fractions, response))
    if len(pairs) != len(data):
        return
    for i, (stated, counted) in enumerate(
        zip(model.strata, PriorModel.count(pairs, model.strata), strict=True)
    ):
        if (stated.pseudoprogression, stated.enlarging) != (
            counted.pseudoprogression,
            counted.enlarging,
        ):
            ck.add(
                ("prior", "strata", i),
                f"stratum {stated.name} states {stated.pseudoprogression} of {stated.enlarging} "
                f"but the lesions listed give {counted.pseudoprogression} of {counted.enlarging}",
                "counts that match prior.lesions (OPP among OPP + PD)",
            )


def _range(
    ck: _Checker, data: Mapping[str, Any], path: Path, key: str, extra: Sequence[str] = ()
) -> tuple[float, float, Mapping[str, Any]] | None:
    fields = ck.mapping(data.get(key), (*path, key), ("min", "max", *extra))
    if fields is None:
        return None
    low = ck.number(fields, (*path, key), "min", required=True, minimum=0)
    high = ck.number(fields, (*path, key), "max", required=True, minimum=0)
    if low is None or high is None:
        return None
    if high < low:
        ck.add((*path, key, "max"), "below min", f"a number of at least {low:g}", high)
        return None
    return low, high, fields


def _time_course(ck: _Checker, data: object, sources: Mapping[str, Source]) -> TimeCourse | None:
    path: Path = ("time_course",)
    keys = (
        "source",
        "opp_peak_weeks",
        "peak_location",
        "back_to_baseline_weeks",
        "back_to_baseline_location",
        "caution_months",
        "caution_location",
    )
    fields = ck.mapping(data, path, keys)
    if fields is None:
        return None
    peak = _range(ck, fields, path, "opp_peak_weeks", ("mean", "ci95_low", "ci95_high"))
    back = _range(ck, fields, path, "back_to_baseline_weeks", ("mean",))
    caution = _range(ck, fields, path, "caution_months")
    cites = [
        _citation(ck, fields, path, sources, location_key=k)
        for k in ("peak_location", "back_to_baseline_location", "caution_location")
    ]
    if peak is None or back is None or caution is None or None in cites:
        return None
    mean = ck.number(peak[2], (*path, "opp_peak_weeks"), "mean", required=False, minimum=0)
    c0, c1, c2 = (c for c in cites if c is not None)
    return TimeCourse(peak[0], peak[1], c0, back[0], back[1], c1, caution[0], caution[1], c2, mean)


def _follow_up(
    ck: _Checker, data: object, sources: Mapping[str, Source]
) -> FollowUpSchedule | None:
    path: Path = ("follow_up",)
    keys = (
        "source",
        "citation",
        "location",
        "interval_months",
        "until_months",
        "then_interval_months",
    )
    fields = ck.mapping(data, path, keys)
    if fields is None:
        return None
    values = [ck.integer(fields, path, k, minimum=1) for k in keys[3:]]
    citation = _citation(ck, fields, path, sources)
    if citation is None or None in values:
        return None
    interval, until, then = (int(v or 0) for v in values)
    return FollowUpSchedule(interval, until, then, citation)


def _context(ck: _Checker, data: object) -> tuple[Site, str] | None:
    fields = ck.mapping(data, ("context",), ("site", "treatment"))
    if fields is None:
        return None
    site_text = ck.text(fields, ("context",), "site", required=True)
    treatment = ck.text(fields, ("context",), "treatment", required=False) or ""
    if site_text is None:
        return None
    try:
        return Site.parse(site_text), treatment
    except ParameterError:
        ck.add(("context", "site"), "unknown site", Site.accepted(), site_text)
        return None


def _supplies(base: EvidenceTable, key: str) -> bool:
    """Whether ``base`` has the section ``key`` (a brain table has no time course)."""
    if key == "time_course":
        return base.opp_time_course is not None
    if key == "follow_up":
        return base.follow_up_schedule is not None
    return True


def parse_evidence_table(
    data: object,
    *,
    origin: str,
    locator: Locator,
    base: EvidenceTable | None = None,
    default_name: str = "evidence",
) -> EvidenceTable:
    """Validate plain data (parsed YAML, or CSV rows made into entries) as an evidence table.

    Parameters
    ----------
    data
        The table as mappings and lists.
    origin
        Where it was read from; recorded in the table.
    locator
        How problems name a field (:class:`YamlLocator`, or a CSV locator of the I/O layer).
    base
        The table that supplies the sections ``data`` leaves out, when it covers the same site
        (``None``, or a base of another site: the required sections may not be left out).
    default_name
        Name of the table when ``data`` gives none.

    Raises
    ------
    InputValidationError
        Listing every problem, each with the entry, the field, the value and the fix.
    """
    ck = _Checker(locator)
    top = ck.mapping(data, (), _TOP_KEYS)
    if top is None:
        raise InputValidationError(ck.problems)
    fmt = top.get("format")
    if fmt is not None and fmt != FORMAT:
        ck.add(("format",), "not an evidence table", f"format: {FORMAT}", fmt)
    version = top.get("version")
    if version is not None and version != FORMAT_VERSION:
        ck.add(("version",), "unsupported version", f"version: {FORMAT_VERSION}", version)
    sources = _sources(ck, top.get("sources"))
    parsers: dict[str, Callable[[], object]] = {
        "context": lambda: _context(ck, top["context"]),
        "prior": lambda: _prior(ck, top["prior"], sources),
        "time_course": lambda: _time_course(ck, top["time_course"], sources),
        "follow_up": lambda: _follow_up(ck, top["follow_up"], sources),
    }
    parsed = {k: parser() for k, parser in parsers.items() if top.get(k) is not None}
    given_context = parsed.get("context")
    site: Site | None = (
        given_context[0]
        if isinstance(given_context, tuple)
        else (base.site if base is not None else None)
    )
    same_site = base is not None and (site is None or site is base.site)
    no_prior = ck.text(top, (), "no_prior", required=False)
    if no_prior is not None and top.get("prior") is not None:
        ck.add(
            ("no_prior",),
            "given beside a prior",
            "either a 'prior' section or 'no_prior: <why no published rate fits>', not both",
            no_prior,
        )
    missing = [
        k for k in _OPTIONAL_SECTIONS if top.get(k) is None and not (k == "prior" and no_prior)
    ]
    inherited = [k for k in missing if base is not None and _supplies(base, k)] if same_site else []
    required = _OPTIONAL_SECTIONS if site in (None, Site.SPINE) else _ALWAYS_REQUIRED
    if not same_site:
        for key in (k for k in missing if k in required):
            why = (
                ""
                if base is None or site is None
                else f" (the base table {base.name} covers {base.site.value} lesions, "
                f"not {site.value}, so it cannot supply it)"
            )
            ck.add((key,), "missing section", f"a '{key}' section{why}")
    features = _features(ck, top.get("features"), sources)
    factors = _factors(ck, top.get("factors"), sources)
    recommendations = _recommendations(ck, top.get("recommendations"), sources)
    name = ck.text(top, (), "name", required=False) or default_name
    title = ck.text(top, (), "title", required=False) or name
    if ck.problems:  # every section that failed to parse logged at least one problem
        raise InputValidationError(ck.problems)

    source_table = base if same_site else None

    def pick(key: str, fallback: Any) -> Any:
        return parsed.get(key, fallback)

    context = pick("context", None if base is None else (base.site, base.context))
    all_sources = dict(sources)
    if base is not None:
        for key in inherited:
            if key != "context":
                for source_key, source in base.sources.items():
                    all_sources.setdefault(source_key, source)
    return EvidenceTable(
        name=name,
        title=title,
        site=context[0],
        context=context[1],
        sources=all_sources,
        prior=pick("prior", None if source_table is None or no_prior else source_table.prior),
        features=features,
        opp_time_course=pick(
            "time_course", None if source_table is None else source_table.opp_time_course
        ),
        follow_up_schedule=pick(
            "follow_up", None if source_table is None else source_table.follow_up_schedule
        ),
        origin=origin,
        inherited=tuple(inherited) if base is not None else (),
        factors=factors,
        recommendations=recommendations,
        no_prior=no_prior or "",
    )
