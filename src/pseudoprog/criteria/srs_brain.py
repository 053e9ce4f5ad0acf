"""Lesion-level view of a brain metastasis treated with stereotactic radiosurgery (SRS).

After SRS a treated metastasis often enlarges without progressing: radiation necrosis and
pseudoprogression (*treatment effect*) look like progression on MRI. The seed case (Ruzevick J,
Kleinberg L, Rigamonti D. Neurosurg Rev 2014;37:193-201, Fig. 1): 16 Gy to the 80% isodose
line; the lesion enlarged on the MRI at 4 and at 7 months, was read as progression and
resected, and pathology showed radiation necrosis without viable tumour. These criteria give
such a lesion *suspected progression*, never final progression, until the next MRI, advanced
imaging or pathology settles it. The rules, their parameters and sources are in
``docs/criteria-srs-brain.md``.

For each sequence (post-contrast T1 by default), with baseline ``B`` (the latest study on or
before SRS), the nadir (the smallest size so far, ``B`` included) and the follow-up studies in
date order:

* **Lesion rule** (RANO-BM; Lin NU et al. Lancet Oncol 2015;16:e270-e278): a follow-up at least
  ``progression_pct`` percent and ``progression_min_mm`` above the nadir.
* A follow-up meeting it within ``treatment_effect_window_weeks`` of SRS is
  **SUSPECTED_PD**; later it is **PD**.
* From a suspected progression of size ``S``, each later MRI is:

  - **continued growth**, PD: at least ``continued_growth_pct`` percent and
    ``continued_growth_min_mm`` above ``S``;
  - **stabilised or shrinking**, TREATMENT_EFFECT: no larger than the largest size since the
    suspected progression (plus ``stable_tolerance_mm``), with no new treatment (surgery,
    re-irradiation, a change of systemic therapy) from the suspected progression on; after
    new treatment it stays SUSPECTED_PD;
  - **still growing** otherwise: larger, but short of continued growth; it stays SUSPECTED_PD.

* **Pathology** (``pathology`` evidence, on or after the first suspected progression): viable
  tumour (``tumour``, ``mixed``) is PD; ``necrosis`` is TREATMENT_EFFECT, whatever the imaging
  said. **Advanced imaging** while progression is suspected: an rCBV ratio (DSC perfusion) or an
  amino-acid PET TBRmean at or above its cut-off is PD; below it, the lesion stays suspected.
* After treatment effect, a new rise by the lesion rule above the smallest size since is a new
  suspected progression (or PD beyond the window).
* Never enlarged by the lesion rule: **PR** when the latest follow-up is at least
  ``response_pct`` percent below ``B``, **SD** otherwise.

Examples
--------
The seed case (sizes are synthetic: the paper gives none):

>>> from datetime import date
>>> from pseudoprog.domain import Lesion, LesionHistory, Measurement, Sequence, Site
>>> from pseudoprog.domain import Treatment, pathology_evidence
>>> lesion = Lesion("S1", "S1-LPAR", Treatment(date(2011, 3, 1), 16, 1), site=Site.BRAIN)
>>> sizes = {date(2011, 2, 22): 14.0, date(2011, 7, 1): 20.0, date(2011, 10, 3): 23.0}
>>> history = LesionHistory.from_measurements(
...     lesion, [Measurement("S1-LPAR", d, Sequence.T1C, s) for d, s in sizes.items()], []
... )
>>> assess(history, as_of=date(2011, 7, 1)).category.value
'SUSPECTED_PD'
>>> assess(history, as_of=date(2011, 10, 3)).reasons[-1].code
'advanced_imaging_before_surgery'
>>> necrosis = pathology_evidence("S1-LPAR", date(2011, 10, 20), "necrosis")
>>> assess(history, evidence=[necrosis]).category.value
'TREATMENT_EFFECT'
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from collections.abc import Sequence as Seq
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from enum import Enum, StrEnum
from types import MappingProxyType
from typing import Any, cast

from pseudoprog.criteria.result import (
    Assessment,
    CheckStatus,
    Finding,
    InclusionCheck,
    Reason,
    SequenceAssessment,
    WarningKind,
)
from pseudoprog.domain import (
    Event,
    EventKind,
    Evidence,
    LesionHistory,
    PathologyResult,
    ResponseCategory,
    Sequence,
    normalize_token,
)
from pseudoprog.errors import ParameterError

__all__ = [
    "CATEGORIES",
    "DEFAULT_PARAMETERS",
    "NEW_TREATMENTS",
    "Rule",
    "SrsBrainParameters",
    "SrsBrainWarning",
    "assess",
    "assess_many",
]

#: The categories these criteria give, in the order results list them.
CATEGORIES = (
    ResponseCategory.PR,
    ResponseCategory.SD,
    ResponseCategory.SUSPECTED_PROGRESSION,
    ResponseCategory.TREATMENT_EFFECT,
    ResponseCategory.PD,
    ResponseCategory.INDETERMINATE,
)

#: Events that are new treatment of the lesion: after one, shrinking is not treatment effect.
NEW_TREATMENTS = frozenset(
    {EventKind.SURGERY, EventKind.REIRRADIATION, EventKind.SYSTEMIC_THERAPY_CHANGE}
)

#: Evidence kinds these criteria read (codes of the ``evidence`` table).
_PATHOLOGY = "pathology"
_RCBV = "dsc_rcbv_ratio"
_TBR = "amino_acid_pet_tbr_mean"
_LABELS = {_PATHOLOGY: "pathology", _RCBV: "rCBV ratio", _TBR: "amino-acid PET TBRmean"}
_KINDS = {normalize_token(code): code for code in _LABELS} | {
    normalize_token(alias): code
    for alias, code in {
        "histopathology": _PATHOLOGY,
        "rcbv": _RCBV,
        "rcbv ratio": _RCBV,
        "tbr mean": _TBR,
        "tbrmean": _TBR,
    }.items()
}

#: Tolerance for comparing sizes, so that a rise of exactly the threshold counts.
_EPS = 1e-9


class Rule(StrEnum):
    """Rules of the criteria; the value is the code written in reasons."""

    NO_BASELINE = "no_baseline"
    NO_FOLLOW_UP = "no_follow_up"
    PARTIAL_RESPONSE = "partial_response"
    STABLE = "stable"
    SUSPECTED_PROGRESSION = "suspected_progression"
    PROGRESSION_BEYOND_WINDOW = "progression_beyond_window"
    STILL_GROWING = "still_growing"
    CONTINUED_GROWTH = "continued_growth"
    STABILISED = "stabilised"
    NEW_TREATMENT = "new_treatment"
    PATHOLOGY_TUMOUR = "pathology_tumour"
    PATHOLOGY_NECROSIS = "pathology_necrosis"
    ADVANCED_IMAGING_TUMOUR = "advanced_imaging_tumour"
    ADVANCED_IMAGING_NOT_TUMOUR = "advanced_imaging_not_tumour"
    RECOMMENDATION = "advanced_imaging_before_surgery"


class SrsBrainWarning(StrEnum):
    """Warnings of these criteria besides the shared :class:`WarningKind` ones."""

    EVIDENCE_NOT_USED = "evidence_not_used"
    RESPONSE_UNCONFIRMED = "response_unconfirmed"
    STABILISATION_UNCONFIRMED = "stabilisation_unconfirmed"


@dataclass(frozen=True, slots=True, kw_only=True)
class SrsBrainParameters:
    """Parameters of the srs-brain criteria; every result records the set it used.

    Parameters
    ----------
    progression_pct
        The lesion rule: a rise of at least this percentage above the nadir (the smallest size
        on study, baseline included). RANO-BM progressive disease, "at least a 20% increase ...
        taking as reference the smallest sum on study" (Lin NU et al. Lancet Oncol
        2015;16:e270-e278, Table 2 as reprinted in PMC7251532), applied to one lesion.
    progression_min_mm
        The lesion rule also needs this absolute rise above the nadir: "at least one lesion
        must increase by an absolute value of 5 mm or more" (ibid.).
    response_pct
        PR: the latest follow-up at least this percentage below baseline, "at least a 30%
        decrease ... taking as reference the baseline" (ibid.).
    response_confirmation_days
        A PR seen for less than this many days gets a warning: RANO-BM asks that it be
        "sustained for at least 4 weeks" (ibid.).
    treatment_effect_window_weeks
        Growth by the lesion rule up to this many weeks after SRS is suspected progression;
        later it is progression. 104 weeks (24 months): after SRS, radiation necrosis was
        still accruing between 12 and 24 months (actuarial incidence 5.2%, 17.2% and 34.0% at
        6, 12 and 24 months; Kohutek ZA et al. J Neurooncol 2015), and transient enlargement
        "begins at 6 weeks and can last beyond 15 months" (Patel TR et al. AJNR Am J
        Neuroradiol 2011).
    continued_growth_pct, continued_growth_min_mm
        Continued growth, which turns a suspected progression into PD: a later MRI at least
        this percentage and this many mm above the size of the suspected progression. The
        defaults repeat the lesion rule (20% and 5 mm, Lin 2015), measured from the scan that
        raised the suspicion.
    stable_tolerance_mm
        Stabilised: a later MRI no larger than the largest size since the suspected
        progression plus this tolerance. The sources give no measurement error for brain MRI;
        0 mm (any further growth keeps the suspicion) is the project's default.
    advanced_imaging_decides
        Whether advanced imaging at or above its cut-off (below) turns a suspected
        progression into PD. When false it is reported and the lesion stays suspected.
    rcbv_tumour_min
        DSC perfusion rCBV ratio at or above which advanced imaging shows tumour: 2.1, with 7
        of 7 recurrences above and 20 of 21 radiation necroses below (Mitsuya K et al. J
        Neurooncol 2010, as tabulated in Neuroradiol J 2015;28:574-583, Table 4), the optimal
        cut-off on external validation (sensitivity 83%, specificity 78%; Teunissen WHT et al.
        Radiother Oncol 2022;177:121-133).
    tbr_mean_tumour_min
        [18F]FET PET mean tumour-to-background ratio at or above which advanced imaging shows
        tumour: 1.95, sensitivity 86% and specificity 79% for recurrence (Radiat Oncol
        2016;11:139, doi:10.1186/s13014-016-0713-8).
    repeat_mri_weeks
        The repeat MRI recommended for a suspected progression, this many weeks after the
        latest MRI. The sources retrieved give no interval (the RANO-BM text on imaging after
        SRS could not be checked); 12 weeks, the interval between the seed case's MRIs at 4
        and 7 months, is the project's default.
    measurable_min_mm
        Inclusion check (reported, not applied): a RANO-BM measurable lesion has a longest
        diameter of at least 10 mm (Neuro-Oncology 2014;16(Suppl 2):ii15).
    primary_sequence
        The sequence that decides the lesion's category: post-contrast T1, on which brain
        metastases are measured (RANO-BM: gadolinium-enhanced MRI, contrast-enhancing lesions).
    """

    progression_pct: float = 20.0
    progression_min_mm: float = 5.0
    response_pct: float = 30.0
    response_confirmation_days: int = 28
    treatment_effect_window_weeks: float = 104.0
    continued_growth_pct: float = 20.0
    continued_growth_min_mm: float = 5.0
    stable_tolerance_mm: float = 0.0
    advanced_imaging_decides: bool = True
    rcbv_tumour_min: float = 2.1
    tbr_mean_tumour_min: float = 1.95
    repeat_mri_weeks: int = 12
    measurable_min_mm: float = 10.0
    primary_sequence: Sequence = Sequence.T1C

    def __post_init__(self) -> None:
        for name in ("progression_pct", "continued_growth_pct", "response_pct"):
            value = getattr(self, name)
            if not 0 < value < (100 if name == "response_pct" else float("inf")):
                top = "less than 100" if name == "response_pct" else "finite"
                raise ParameterError(f"{name} must be positive and {top}, got {value}")
        for name in (
            "progression_min_mm",
            "continued_growth_min_mm",
            "stable_tolerance_mm",
            "measurable_min_mm",
        ):
            value = getattr(self, name)
            if not 0 <= value < float("inf"):
                raise ParameterError(f"{name} must be a size of 0 mm or more, got {value}")
        for name in ("treatment_effect_window_weeks", "rcbv_tumour_min", "tbr_mean_tumour_min"):
            value = getattr(self, name)
            if not 0 < value < float("inf"):
                raise ParameterError(f"{name} must be positive, got {value}")
        if self.response_confirmation_days < 0:
            raise ParameterError(
                f"response_confirmation_days must be 0 or more, got "
                f"{self.response_confirmation_days}"
            )
        if self.repeat_mri_weeks < 1:
            raise ParameterError(
                f"repeat_mri_weeks must be at least 1, got {self.repeat_mri_weeks}"
            )
        if not isinstance(self.advanced_imaging_decides, bool):
            raise ParameterError(
                f"advanced_imaging_decides must be true or false, got "
                f"{self.advanced_imaging_decides!r}"
            )
        if not isinstance(self.primary_sequence, Sequence):
            raise ParameterError(
                f"primary_sequence must be a Sequence, got {self.primary_sequence!r}; "
                f"use Sequence.parse({self.primary_sequence!r})"
            )

    @property
    def criteria(self) -> str:
        """Name of the criteria."""
        return "srs-brain"

    def to_dict(self) -> dict[str, Any]:
        """The parameters as JSON-ready values, with the criteria name."""
        values = asdict(self)
        values["primary_sequence"] = self.primary_sequence.value
        return {"criteria": self.criteria, **values}


DEFAULT_PARAMETERS = SrsBrainParameters()

_SEQUENCES = tuple(Sequence)
_ORDER = {p: (p, *(s for s in _SEQUENCES if s is not p)) for p in _SEQUENCES}


# ---- evidence -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Item:
    """One evidence finding this lesion's criteria read, checked."""

    day: date
    kind: str
    number: float = 0.0
    result: PathologyResult | None = None

    @property
    def text(self) -> str:
        if self.result is not None:
            return f"pathology on {self.day.isoformat()} ({self.result.value})"
        return f"{_LABELS[self.kind]} {self.number:g} on {self.day.isoformat()}"


def _not_used(what: str, why: str) -> Finding:
    return Finding(SrsBrainWarning.EVIDENCE_NOT_USED, f"{what} not used: {why}")


def _items(
    history: LesionHistory, evidence: Iterable[Evidence], as_of: date | None
) -> tuple[list[_Item], list[Finding]]:
    """The lesion's evidence seen as of the date, in date order, and what was left out."""
    lesion = history.lesion
    treated = lesion.treatment.date
    items: list[_Item] = []
    left_out: list[Finding] = []
    for ev in evidence:
        if ev.lesion_id != lesion.lesion_id or (as_of is not None and ev.date > as_of):
            continue
        where = f"{ev.kind} on {ev.date.isoformat()}"
        kind = _KINDS.get(normalize_token(ev.kind))
        if kind is None:
            left_out.append(_not_used(where, "these criteria read pathology, rCBV and TBRmean"))
            continue
        if ev.date < treated:
            left_out.append(_not_used(where, f"dated before SRS on {treated.isoformat()}"))
            continue
        if kind == _PATHOLOGY:
            try:
                result = (
                    PathologyResult.parse(ev.detail)
                    if ev.detail is not None
                    else (PathologyResult.TUMOUR if ev.value else PathologyResult.NECROSIS)
                )
            except ParameterError:
                left_out.append(_not_used(where, f"{ev.detail!r} is not a pathology result"))
                continue
            if not isinstance(ev.value, bool):
                left_out.append(_not_used(where, f"value {ev.value!r} is not true or false"))
                continue
            if ev.value is not result.viable_tumour:
                left_out.append(
                    _not_used(where, f"value {ev.value!r} contradicts the result {result.value}")
                )
                continue
            items.append(_Item(ev.date, kind, result=result))
        elif isinstance(ev.value, bool) or not ev.value > 0:
            left_out.append(_not_used(where, f"{ev.value!r} is not a positive ratio"))
        else:
            items.append(_Item(ev.date, kind, number=float(ev.value)))
    items.sort(key=lambda item: item.day)
    return items, left_out


# ---- one sequence -------------------------------------------------------------------------------


class _State(Enum):
    NONE = "never enlarged by the lesion rule"
    SUSPECTED = "suspected progression"
    EFFECT = "treatment effect"
    PROGRESSION = "progression"


def _mm(value: float) -> str:
    return f"{value:.1f} mm"


def _change(value: float, reference: float) -> str:
    """The change from ``reference``: ``+6.0 mm (+42.9%)``."""
    pct = f" ({100 * (value - reference) / reference:+.1f}%)" if reference > 0 else ""
    return f"{value - reference:+.1f} mm{pct}"


def _threshold(reference: float, pct: float, mm: float) -> float:
    return max(reference * (1 + pct / 100), reference + mm)


def _meets(size: float, reference: float, pct: float, mm: float) -> bool:
    return size >= reference * (1 + pct / 100) - _EPS and size - reference >= mm - _EPS


@dataclass
class _Walk:
    """The course of one sequence, walked study by study (mutable, private)."""

    name: str
    treated: date
    events: Seq[Event] | None
    p: SrsBrainParameters
    nadir: float
    nadir_date: date
    state: _State = _State.NONE
    reasons: list[Reason] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    last: tuple[date, float] | None = None
    # the suspected progression being followed
    suspected: tuple[date, float] | None = None
    peak: float = 0.0
    blocked: bool = False
    imaged: _Item | None = None
    # after treatment effect: the smallest size since, and how it was called
    floor: tuple[date, float] | None = None
    effect_by_scan: date | None = None
    pathology_tumour: date | None = None
    decided_on: date | None = None
    first_suspected: date | None = None
    rule_met: int = 0
    largest_rise: tuple[float, date] | None = None

    # -- studies --

    def scan(self, day: date, size: float) -> None:
        if _meets(size, self.nadir, self.p.progression_pct, self.p.progression_min_mm):
            self.rule_met += 1
        rise = size - self.nadir
        if self.largest_rise is None or rise > self.largest_rise[0]:
            self.largest_rise = (rise, day)
        if self.state is _State.NONE:
            if _meets(size, self.nadir, self.p.progression_pct, self.p.progression_min_mm):
                self._episode(day, size, (self.nadir_date, self.nadir), "the nadir")
        elif self.state is _State.SUSPECTED:
            self._follow(day, size)
        elif self.state is _State.EFFECT and self.floor is not None:
            floor = self.floor[1]
            if _meets(size, floor, self.p.progression_pct, self.p.progression_min_mm):
                self._episode(
                    day, size, self.floor, "the smallest size since treatment effect was called"
                )
            elif size < floor:
                self.floor = (day, size)
        if size < self.nadir:
            self.nadir, self.nadir_date = size, day
        self.last = (day, size)

    def _episode(self, day: date, size: float, ref: tuple[date, float], what: str) -> None:
        p = self.p
        weeks = (day - self.treated).days / 7
        window = p.treatment_effect_window_weeks
        met = (
            f"{self.name}: {_mm(size)} on {day.isoformat()} is {_change(size, ref[1])} from "
            f"{what} of {_mm(ref[1])} ({ref[0].isoformat()}): at least {p.progression_pct:g}% "
            f"and {p.progression_min_mm:g} mm above it, the RANO-BM lesion rule (Lin 2015), "
            f"{weeks:.1f} weeks after SRS"
        )
        self.first_suspected = self.first_suspected or day
        self.effect_by_scan = None
        if weeks <= window + _EPS:
            self.state = _State.SUSPECTED
            self.suspected, self.peak, self.blocked, self.imaged = (day, size), size, False, None
            self.decided_on = day
            self.reasons.append(
                Reason(
                    Rule.SUSPECTED_PROGRESSION,
                    f"{met}, within the {window:g}-week window in which treatment effect is "
                    "possible: suspected progression, not progression",
                )
            )
        else:
            self._progression(
                day,
                Rule.PROGRESSION_BEYOND_WINDOW,
                f"{met}, beyond the {window:g}-week window in which treatment effect is "
                "possible: progression",
            )

    def _follow(self, day: date, size: float) -> None:
        p = self.p
        s_day, s_size = cast(tuple[date, float], self.suspected)
        since = f"the suspected progression on {s_day.isoformat()}"
        if _meets(size, s_size, p.continued_growth_pct, p.continued_growth_min_mm):
            self._progression(
                day,
                Rule.CONTINUED_GROWTH,
                f"{self.name}: {_mm(size)} on {day.isoformat()} is {_change(size, s_size)} from "
                f"the {_mm(s_size)} of {since}: at least {p.continued_growth_pct:g}% and "
                f"{p.continued_growth_min_mm:g} mm more, continued growth: progression",
            )
            return
        if size > self.peak + p.stable_tolerance_mm + _EPS:
            needed = _threshold(s_size, p.continued_growth_pct, p.continued_growth_min_mm)
            self.reasons.append(
                Reason(
                    Rule.STILL_GROWING,
                    f"{self.name}: {_mm(size)} on {day.isoformat()}, larger than its largest "
                    f"size since then ({_mm(self.peak)}), but less than "
                    f"{p.continued_growth_pct:g}% and {p.continued_growth_min_mm:g} mm above the "
                    f"{_mm(s_size)} of {since} "
                    f"(continued growth needs {_mm(needed)}): still suspected progression",
                )
            )
            self.peak = size
            return
        how = "shrinking" if size < self.peak - _EPS else "stable"
        tolerance = f" + {p.stable_tolerance_mm:g} mm" if p.stable_tolerance_mm else ""
        settled = (
            f"{self.name}: {_mm(size)} on {day.isoformat()}, no larger than the largest size "
            f"since {since} ({_mm(self.peak)}{tolerance}): {how}"
        )
        if self.events is None:
            self._effect(
                day,
                size,
                Rule.STABILISED,
                f"{settled}; no events were recorded, so new treatment could not be excluded: "
                "treatment effect",
            )
            self.warnings.append(
                Finding(
                    WarningKind.EVENTS_NOT_RECORDED,
                    f"{self.name}: treatment effect assumes no new treatment (surgery, "
                    "re-irradiation, systemic therapy change) after the suspected progression; "
                    "give the events table to check it",
                )
            )
            self.effect_by_scan = day
            return
        treated = [ev for ev in self.events if ev.kind in NEW_TREATMENTS and s_day <= ev.date < day]
        if treated:
            if not self.blocked:
                listed = ", ".join(f"{ev.kind.value} on {ev.date.isoformat()}" for ev in treated)
                self.reasons.append(
                    Reason(
                        Rule.NEW_TREATMENT,
                        f"{settled}, but after new treatment ({listed}), which may explain it: "
                        "not read as treatment effect; still suspected progression",
                    )
                )
                self.blocked = True
            return
        self._effect(
            day,
            size,
            Rule.STABILISED,
            f"{settled} without new treatment since {s_day.isoformat()}: treatment effect",
        )
        self.effect_by_scan = day

    def _progression(self, day: date, rule: Rule, text: str) -> None:
        self.state, self.decided_on = _State.PROGRESSION, day
        self.reasons.append(Reason(rule, text))

    def _effect(self, day: date, size: float, rule: Rule, text: str) -> None:
        self.state, self.decided_on = _State.EFFECT, day
        self.floor = (day, size)
        self.reasons.append(Reason(rule, text))

    # -- evidence --

    def apply(self, item: _Item) -> None:
        if self.state is _State.NONE:
            self.warnings.append(
                _not_used(
                    item.text,
                    f"{self.name} had not grown by the lesion rule by then "
                    "(no suspected progression)",
                )
            )
        elif item.result is not None:
            self._pathology(item, item.result)
        elif self.state is not _State.SUSPECTED:
            self.warnings.append(_not_used(item.text, f"the lesion is already {self.state.value}"))
        else:
            self._imaging(item)

    def _pathology(self, item: _Item, result: PathologyResult) -> None:
        if self.pathology_tumour is not None:
            self.warnings.append(
                _not_used(
                    item.text,
                    f"viable tumour was already found on {self.pathology_tumour.isoformat()}",
                )
            )
            return
        overridden = _State.EFFECT if result.viable_tumour else _State.PROGRESSION
        before = (
            f"; this overrides the {self.state.value} of {self.decided_on.isoformat()}"
            if self.state is overridden and self.decided_on is not None
            else ""
        )
        if result.viable_tumour:
            mixed = " (mixed counts as viable tumour)" if result is PathologyResult.MIXED else ""
            self.pathology_tumour = item.day
            self._progression(
                item.day,
                Rule.PATHOLOGY_TUMOUR,
                f"{item.text}: viable tumour{mixed}: progression{before}",
            )
            return
        anchor_day, anchor = cast(tuple[date, float], self.last)
        self.effect_by_scan = None
        self._effect(
            anchor_day,
            anchor,
            Rule.PATHOLOGY_NECROSIS,
            f"{item.text}: necrosis without viable tumour: treatment effect{before}",
        )
        self.decided_on = item.day

    def _imaging(self, item: _Item) -> None:
        p = self.p
        cut = p.rcbv_tumour_min if item.kind == _RCBV else p.tbr_mean_tumour_min
        self.imaged = item
        if item.number < cut - _EPS:
            self.reasons.append(
                Reason(
                    Rule.ADVANCED_IMAGING_NOT_TUMOUR,
                    f"{item.text}, below the cut-off of {cut:g} at or above which it shows "
                    "tumour: favours treatment effect, but does not settle the suspected "
                    "progression",
                )
            )
        elif p.advanced_imaging_decides:
            self._progression(
                item.day,
                Rule.ADVANCED_IMAGING_TUMOUR,
                f"{item.text}, at or above the cut-off of {cut:g}: advanced imaging shows "
                "tumour: progression",
            )
        else:
            self.reasons.append(
                Reason(
                    Rule.ADVANCED_IMAGING_TUMOUR,
                    f"{item.text}, at or above the cut-off of {cut:g}: favours tumour, but "
                    "advanced_imaging_decides is false: still suspected progression",
                )
            )

    # -- the answer --

    def recommendation(self) -> Reason:
        p = self.p
        s_day, s_size = cast(tuple[date, float], self.suspected)
        last_day = cast(tuple[date, float], self.last)[0]
        due = last_day + timedelta(weeks=p.repeat_mri_weeks)
        needed = _threshold(s_size, p.continued_growth_pct, p.continued_growth_min_mm)
        if self.imaged is not None:
            first = f"{self.imaged.text} did not show tumour; pathology if surgery is considered"
        elif self.blocked:
            first = "pathology if resected, else advanced imaging (perfusion MRI or amino-acid PET)"
        else:
            first = "advanced imaging (perfusion MRI or amino-acid PET) before surgery"
        return Reason(
            Rule.RECOMMENDATION,
            f"{first}; repeat MRI in {p.repeat_mri_weeks} weeks (by {due.isoformat()}): "
            f"{_mm(needed)} or more ({p.continued_growth_pct:g}% and "
            f"{p.continued_growth_min_mm:g} mm above the {_mm(s_size)} of "
            f"{s_day.isoformat()}) would be progression, no further growth would be "
            "treatment effect",
        )


def _assess_sequence(
    sequence: Sequence,
    dates: Seq[date],
    sizes: Seq[float],
    treated: date,
    events: Seq[Event] | None,
    items: Seq[_Item],
    p: SrsBrainParameters,
) -> SequenceAssessment:
    """Apply the criteria to one sequence (``dates`` sorted, already cut at ``as_of``)."""
    name = sequence.value
    k = bisect_right(dates, treated)
    if k == 0:
        return SequenceAssessment(
            sequence,
            None,
            follow_up_count=len(dates),
            last_date=dates[-1],
            reasons=(Reason(Rule.NO_BASELINE, f"{name}: no study on or before SRS"),),
            warnings=(
                Finding(
                    WarningKind.MISSING_BASELINE,
                    f"{name} has no study on or before SRS on {treated.isoformat()}, so it "
                    "cannot be judged",
                ),
            ),
        )
    base_date, base = dates[k - 1], sizes[k - 1]
    f_dates, f_sizes = dates[k:], sizes[k:]
    n = len(f_dates)
    if n == 0:
        return SequenceAssessment(
            sequence,
            None,
            baseline_date=base_date,
            baseline_mm=base,
            last_date=base_date,
            reasons=(Reason(Rule.NO_FOLLOW_UP, f"{name}: no follow-up study after SRS"),),
        )

    walk = _Walk(name, treated, events, p, nadir=base, nadir_date=base_date)
    walk.last = (base_date, base)
    pending = list(items)
    for day, size in zip(f_dates, f_sizes, strict=True):
        while pending and pending[0].day < day:
            walk.apply(pending.pop(0))
        walk.scan(day, size)
    for item in pending:
        walk.apply(item)

    peak_i = max(range(n), key=f_sizes.__getitem__)
    peak, peak_date = f_sizes[peak_i], f_dates[peak_i]
    common: dict[str, Any] = {
        "baseline_date": base_date,
        "baseline_mm": base,
        "follow_up_count": n,
        "last_date": f_dates[-1],
        "largest_change_mm": peak - base,
    }
    if walk.first_suspected is not None:
        back = next((i for i in range(peak_i + 1, n) if f_sizes[i] <= base + _EPS), None)
        common.update(
            peak_date=peak_date,
            peak_mm=peak,
            time_to_peak_weeks=(peak_date - treated).days / 7,
            peak_change_mm=peak - base,
            first_enlarged_date=walk.first_suspected,
            enlarged_study_count=walk.rule_met,
            time_to_baseline_weeks=None if back is None else (f_dates[back] - treated).days / 7,
        )
    reasons, warnings = walk.reasons, walk.warnings
    if walk.state is _State.NONE:
        category, reason, extra = _never_enlarged(name, f_dates, f_sizes, base, walk, p)
        return SequenceAssessment(
            sequence,
            category,
            **common,
            reasons=(reason,),
            warnings=(*warnings, *extra),
        )
    if walk.state is _State.SUSPECTED:
        reasons.append(walk.recommendation())
        category = ResponseCategory.SUSPECTED_PROGRESSION
    elif walk.state is _State.EFFECT:
        category = ResponseCategory.TREATMENT_EFFECT
        if walk.effect_by_scan is not None and walk.effect_by_scan == f_dates[-1]:
            warnings.append(
                Finding(
                    SrsBrainWarning.STABILISATION_UNCONFIRMED,
                    f"{name}: the stabilisation on {f_dates[-1].isoformat()} is seen on the "
                    "latest MRI only; a later MRI could still show growth",
                )
            )
    else:
        category = ResponseCategory.PD
    return SequenceAssessment(
        sequence, category, **common, reasons=tuple(reasons), warnings=tuple(warnings)
    )


def _never_enlarged(
    name: str,
    f_dates: Seq[date],
    f_sizes: Seq[float],
    base: float,
    walk: _Walk,
    p: SrsBrainParameters,
) -> tuple[ResponseCategory, Reason, tuple[Finding, ...]]:
    """PR or SD for a lesion that never grew by the lesion rule."""
    rise, rise_day = cast(tuple[float, date], walk.largest_rise)
    largest = (
        f"largest rise above the nadir {rise:+.1f} mm on {rise_day.isoformat()}"
        if rise > _EPS
        else "never above its nadir"
    )
    never = (
        f"{name}: never {p.progression_pct:g}% and {p.progression_min_mm:g} mm above its nadir "
        f"({largest})"
    )
    last_day, last = f_dates[-1], f_sizes[-1]
    limit = base * (1 - p.response_pct / 100)
    latest = f"the latest MRI ({last_day.isoformat()}, {_mm(last)}) is {_change(last, base)} from "
    if base > 0 and last <= limit + _EPS:
        first = len(f_sizes) - 1
        while first > 0 and f_sizes[first - 1] <= limit + _EPS:
            first -= 1
        days = (last_day - f_dates[first]).days
        extra: tuple[Finding, ...] = ()
        if days < p.response_confirmation_days:
            extra = (
                Finding(
                    SrsBrainWarning.RESPONSE_UNCONFIRMED,
                    f"{name}: the partial response is seen since {f_dates[first].isoformat()}, "
                    f"{days} days before the latest MRI; RANO-BM asks that it be sustained for "
                    f"at least {p.response_confirmation_days} days",
                ),
            )
        return (
            ResponseCategory.PR,
            Reason(
                Rule.PARTIAL_RESPONSE,
                f"{never}; {latest}the baseline of {_mm(base)}, at least {p.response_pct:g}% "
                "below it: partial response",
            ),
            extra,
        )
    return (
        ResponseCategory.SD,
        Reason(
            Rule.STABLE,
            f"{never}; {latest}the baseline of {_mm(base)}, not {p.response_pct:g}% below it: "
            "stable disease",
        ),
        (),
    )


# ---- the lesion ---------------------------------------------------------------------------------


def assess(
    history: LesionHistory,
    *,
    as_of: date | None = None,
    params: SrsBrainParameters | None = None,
    evidence: Iterable[Evidence] = (),
) -> Assessment:
    """Classify one SRS-treated brain lesion: PR, SD, SUSPECTED_PD, TREATMENT_EFFECT or PD.

    Parameters
    ----------
    history
        The lesion (its treatment is the SRS), its size series per sequence and its patient's
        events (new treatment: ``surgery``, ``reirradiation``, ``systemic_therapy_change``).
    as_of
        Only studies, events and evidence on or before this date are seen, so the function
        answers "what is this lesion today". ``None`` sees everything.
    params
        Criteria parameters (default :data:`DEFAULT_PARAMETERS`); recorded in the result.
    evidence
        Evidence of the lesion (others' are ignored): ``pathology`` (necrosis, tumour or
        mixed), ``dsc_rcbv_ratio`` and ``amino_acid_pet_tbr_mean``.

    Returns
    -------
    Assessment
        Category of the primary sequence (or, when it cannot be judged, of the first other
        sequence that can, with a warning), per-sequence results, reasons, warnings and the
        measurability check.
    """
    p = DEFAULT_PARAMETERS if params is None else params
    treated = history.lesion.treatment.date
    events: tuple[Event, ...] | None = history.events if history.events_known else None
    if as_of is not None and events:
        events = tuple(ev for ev in events if ev.date <= as_of)
    items, left_out = _items(history, evidence, as_of)
    per: dict[Sequence, SequenceAssessment] = {}
    for sequence in _SEQUENCES:
        series = history.series.get(sequence)
        if series is None:
            continue
        dates, sizes = series.dates, series.sizes_mm
        if as_of is not None:
            cut = bisect_right(dates, as_of)
            dates, sizes = dates[:cut], sizes[:cut]
        if dates:
            per[sequence] = _assess_sequence(sequence, dates, sizes, treated, events, items, p)
    return _combine(history, per, left_out, as_of=as_of, params=p)


def _measurable(
    per: dict[Sequence, SequenceAssessment], deciding: Sequence | None, p: SrsBrainParameters
) -> InclusionCheck:
    result = per.get(deciding) if deciding is not None else None
    criterion = "measurable"
    if result is None or result.baseline_mm is None:
        return InclusionCheck(criterion, CheckStatus.UNKNOWN, "no baseline size")
    size = result.baseline_mm
    rule = f"RANO-BM measurable: longest diameter at least {p.measurable_min_mm:g} mm"
    if size >= p.measurable_min_mm - _EPS:
        return InclusionCheck(criterion, CheckStatus.MET, f"baseline {_mm(size)}; {rule}")
    return InclusionCheck(
        criterion,
        CheckStatus.NOT_MET,
        f"baseline {_mm(size)}; {rule}: a 5 mm rise of a small lesion is a large relative change",
    )


def _combine(
    history: LesionHistory,
    per: dict[Sequence, SequenceAssessment],
    left_out: list[Finding],
    *,
    as_of: date | None,
    params: SrsBrainParameters,
) -> Assessment:
    primary = params.primary_sequence
    warnings = [
        w for r in per.values() for w in r.warnings if w.kind is WarningKind.MISSING_BASELINE
    ]
    warnings.extend(left_out)
    deciding = next((s for s in _ORDER[primary] if s in per and per[s].category is not None), None)
    if deciding is None:
        if any(r.baseline_date is not None for r in per.values()) or not per:
            reason = Reason(Rule.NO_FOLLOW_UP, "no follow-up study after SRS yet")
            warnings.append(Finding(WarningKind.NO_FOLLOW_UP, "no follow-up study to judge"))
        else:
            reason = Reason(Rule.NO_BASELINE, "no sequence has a study on or before SRS")
        return Assessment(
            lesion=history.lesion,
            category=ResponseCategory.INDETERMINATE,
            sequence=None,
            per_sequence=MappingProxyType(per),
            reasons=(reason,),
            warnings=tuple(warnings),
            parameters=params,
            as_of=as_of,
            inclusion=(_measurable(per, None, params),),
        )
    return Assessment.from_sequences(
        history.lesion,
        per,
        deciding=deciding,
        primary=primary,
        warnings=warnings,
        parameters=params,
        as_of=as_of,
        inclusion=(_measurable(per, deciding, params),),
    )


def assess_many(
    histories: Iterable[LesionHistory],
    *,
    as_of: date | None = None,
    params: SrsBrainParameters | None = None,
    evidence: Iterable[Evidence] = (),
) -> list[Assessment]:
    """Classify many lesions with the same parameters; ``evidence`` may hold every lesion's."""
    by_lesion: dict[str, list[Evidence]] = {}
    for ev in evidence:
        by_lesion.setdefault(ev.lesion_id, []).append(ev)
    return [
        assess(h, as_of=as_of, params=params, evidence=by_lesion.get(h.lesion.lesion_id, ()))
        for h in histories
    ]
