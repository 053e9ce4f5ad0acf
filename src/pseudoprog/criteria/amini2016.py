"""Response criteria for spine SSRS with osseous pseudoprogression (Amini et al. 2016).

Source: Amini B, et al. Osseous pseudoprogression in vertebral bodies treated with stereotactic
radiosurgery: a secondary analysis of prospective phase I/II clinical trials. AJNR Am J
Neuroradiol 2016;37:387-392 (seed ``001``, Materials and Methods, "Image Review and Analysis").
The exact operational rules are stated in ``docs/criteria.md`` ("Amini 2016"), with examples.

For each sequence, with baseline ``B`` (the latest study on or before the treatment date) and
the follow-up studies after treatment (``Δ = size − B``, error ``e``):

* **PR**: no follow-up grew by ``e`` or more, and the last follow-up is at least ``e`` below B.
* **SD**: no follow-up grew by ``e`` or more, and the lesion is not PR.
* **Enlarging** (some ``Δ ≥ e``): the peak is the largest follow-up (the first one if tied);
  the first study after the peak that is at least ``e`` below the peak decides:

  - **OPP** if the decline came at a rate of at least ``e`` per ``decline_window_days``, is
    sustained (no later study is back within ``e`` of the peak) and is not explained by a
    change of systemic therapy (none in ``[peak date, decline date)``, or else other bone
    lesions enlarged in ``(peak date, decline date]``). A decline seen only on the latest study
    gives OPP with a warning.
  - **PD** otherwise; and, with no decline, when growth persisted: the latest study is more
    than ``decline_window_days`` after the peak, or growth was seen on two or more studies and
    the peak is beyond ``opp_peak_window_weeks``.
  - **INDETERMINATE** when the answer depends on studies not yet done.

Examples
--------
>>> from datetime import date, timedelta
>>> from pseudoprog.domain import Lesion, LesionHistory, SizeSeries, Treatment, Sequence
>>> t0 = date(2012, 1, 10)
>>> weeks = [-2, 12, 24, 36, 48]
>>> series = SizeSeries(Sequence.T1, tuple(t0 + timedelta(weeks=w) for w in weeks),
...                     (20.0, 26.0, 21.0, 20.0, 20.0))
>>> lesion = Lesion("29", "29-L1", Treatment(t0, 18, 1))
>>> result = assess(LesionHistory(lesion, {Sequence.T1: series}))
>>> result.category.value, result.time_to_peak_weeks, result.peak_change_mm
('OPP', 12.0, 6.0)
>>> assess(LesionHistory(lesion, {Sequence.T1: series}), as_of=t0 + timedelta(weeks=13)).category
<ResponseCategory.INDETERMINATE: 'INDETERMINATE'>
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from collections.abc import Sequence as Seq
from dataclasses import asdict, dataclass
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from pseudoprog.criteria.inclusion import inclusion_checks
from pseudoprog.criteria.result import (
    Assessment,
    Finding,
    Reason,
    SequenceAssessment,
    WarningKind,
)
from pseudoprog.domain import Event, EventKind, LesionHistory, ResponseCategory, Sequence
from pseudoprog.errors import ParameterError

__all__ = [
    "CATEGORIES",
    "DEFAULT_PARAMETERS",
    "Amini2016Parameters",
    "Rule",
    "assess",
    "assess_many",
]

#: The categories these criteria give, in the order results list them.
CATEGORIES = (
    ResponseCategory.PR,
    ResponseCategory.SD,
    ResponseCategory.PD,
    ResponseCategory.OPP,
    ResponseCategory.INDETERMINATE,
)

#: Tolerance for comparing sizes, so that a change of exactly ``e`` counts as ``e`` whatever
#: the floating-point rounding of the subtraction.
_EPS = 1e-9


class Rule(StrEnum):
    """Rules of the criteria; the value is the code written in reasons."""

    NO_BASELINE = "no_baseline"
    NO_FOLLOW_UP = "no_follow_up"
    PARTIAL_RESPONSE = "partial_response"
    STABLE = "stable"
    ENLARGED = "enlarged"
    DECLINE = "decline"
    DECLINE_TOO_SLOW = "decline_too_slow"
    DECLINE_NOT_SUSTAINED = "decline_not_sustained"
    SYSTEMIC_THERAPY_EXPLAINS_DECLINE = "systemic_therapy_explains_decline"
    OTHER_BONE_LESIONS_ENLARGED = "other_bone_lesions_enlarged"
    GROWTH_PERSISTED = "growth_persisted"
    PEAK_BEYOND_WINDOW = "peak_beyond_opp_window"
    AWAITING_FOLLOW_UP = "awaiting_follow_up"


@dataclass(frozen=True, slots=True)
class Amini2016Parameters:
    """Parameters of the Amini 2016 criteria; every result records the set it used.

    Parameters
    ----------
    error_mm
        Measurement error ``e``; "two millimeters was chosen as the measurement error based on
        the spatial resolution of MR imaging" (Amini 2016, Image Review and Analysis).
    decline_window_days
        The decline must reach ``e`` per this many days ("≥ 2 mm in ≤ 3 months", ibid.).
    opp_peak_window_weeks
        A peak later than this, after growth on two or more studies, is progression. The
        paper's latest OPP peak was at 24.4 weeks (Results); 26 weeks is the project's default.
    primary_sequence
        The sequence that decides the lesion's category.
    min_follow_up_months
        Inclusion check: imaging follow-up of at least this many months (exclusion criterion 1).
    max_body_involvement_pct
        Inclusion check: lesion occupying at most this share of the vertebral body
        (exclusion criterion 5).
    """

    error_mm: float = 2.0
    decline_window_days: int = 92
    opp_peak_window_weeks: float = 26.0
    primary_sequence: Sequence = Sequence.T1
    min_follow_up_months: int = 6
    max_body_involvement_pct: float = 75.0

    def __post_init__(self) -> None:
        if not self.error_mm > 0:
            raise ParameterError(f"error_mm must be positive, got {self.error_mm}")
        if self.decline_window_days < 1:
            raise ParameterError(
                f"decline_window_days must be at least 1, got {self.decline_window_days}"
            )
        if not self.opp_peak_window_weeks > 0:
            raise ParameterError(
                f"opp_peak_window_weeks must be positive, got {self.opp_peak_window_weeks}"
            )
        if not isinstance(self.primary_sequence, Sequence):
            raise ParameterError(
                f"primary_sequence must be a Sequence, got {self.primary_sequence!r}; "
                f"use Sequence.parse({self.primary_sequence!r})"
            )

    @property
    def criteria(self) -> str:
        """Name and version of the criteria."""
        return "amini2016"

    def to_dict(self) -> dict[str, Any]:
        """The parameters as JSON-ready values, with the criteria name."""
        values = asdict(self)
        values["primary_sequence"] = self.primary_sequence.value
        return {"criteria": self.criteria, **values}


DEFAULT_PARAMETERS = Amini2016Parameters()

_SEQUENCES = tuple(Sequence)
#: Sequences in the order they are tried to decide a lesion, by primary sequence.
_ORDER = {p: (p, *(s for s in _SEQUENCES if s is not p)) for p in _SEQUENCES}


def _fmt(value: float) -> str:
    """A size or threshold in mm, to 0.1 mm (the precision of the measurements)."""
    return f"{value:.1f}"


def _assess_sequence(
    sequence: Sequence,
    dates: Seq[date],
    sizes: Seq[float],
    treated: date,
    events: Seq[Event] | None,
    p: Amini2016Parameters,
) -> SequenceAssessment:
    """Apply the criteria to one sequence (``dates`` sorted, already cut at ``as_of``).

    ``events`` is ``None`` when no events were recorded for the patient.
    """
    name = str(sequence)
    k = bisect_right(dates, treated)
    if k == 0:
        return SequenceAssessment(
            sequence,
            None,
            follow_up_count=len(dates),
            last_date=dates[-1],
            reasons=(Reason(Rule.NO_BASELINE, f"{name}: no study on or before treatment"),),
            warnings=(
                Finding(
                    WarningKind.MISSING_BASELINE,
                    f"{name} has no study on or before the treatment date "
                    f"{treated.isoformat()}, so it cannot be judged",
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
            reasons=(Reason(Rule.NO_FOLLOW_UP, f"{name}: no follow-up study after treatment"),),
        )

    e = p.error_mm
    window = p.decline_window_days
    peak_i = max(range(n), key=f_sizes.__getitem__)  # the first one if tied
    peak, peak_date = f_sizes[peak_i], f_dates[peak_i]
    weeks_to_peak = (peak_date - treated).days / 7.0
    enlarged = [i for i in range(n) if f_sizes[i] - base >= e - _EPS]
    common: dict[str, Any] = {
        "baseline_date": base_date,
        "baseline_mm": base,
        "follow_up_count": n,
        "last_date": f_dates[-1],
        "largest_change_mm": peak - base,
    }

    if not enlarged:
        last_change = f_sizes[-1] - base
        largest = f"largest change {peak - base:+.1f} mm"
        if last_change <= -e + _EPS:
            return SequenceAssessment(
                sequence,
                ResponseCategory.PR,
                **common,
                reasons=(
                    Reason(
                        Rule.PARTIAL_RESPONSE,
                        f"{name}: never grew by {_fmt(e)} mm or more ({largest}); the last "
                        f"follow-up ({f_dates[-1].isoformat()}) is {last_change:+.1f} mm from "
                        f"the baseline of {_fmt(base)} mm, at least {_fmt(e)} mm below it",
                    ),
                ),
            )
        return SequenceAssessment(
            sequence,
            ResponseCategory.SD,
            **common,
            reasons=(
                Reason(
                    Rule.STABLE,
                    f"{name}: never grew by {_fmt(e)} mm or more ({largest}) and the last "
                    f"follow-up ({f_dates[-1].isoformat()}, {last_change:+.1f} mm) is not "
                    f"{_fmt(e)} mm below the baseline of {_fmt(base)} mm",
                ),
            ),
        )

    back_i = next((i for i in range(peak_i + 1, n) if f_sizes[i] - base < e - _EPS), None)
    common.update(
        peak_date=peak_date,
        peak_mm=peak,
        time_to_peak_weeks=weeks_to_peak,
        peak_change_mm=peak - base,
        first_enlarged_date=f_dates[enlarged[0]],
        enlarged_study_count=len(enlarged),
        time_to_baseline_weeks=None if back_i is None else (f_dates[back_i] - treated).days / 7,
    )
    grew = Reason(
        Rule.ENLARGED,
        f"{name}: grew {peak - base:+.1f} mm from the baseline of {_fmt(base)} mm to a peak of "
        f"{_fmt(peak)} mm on {peak_date.isoformat()} ({weeks_to_peak:.1f} weeks after "
        f"treatment); growth of {_fmt(e)} mm or more on {len(enlarged)} of {n} follow-up "
        f"{'study' if n == 1 else 'studies'}",
    )
    threshold = peak - e
    decline_i = next((i for i in range(peak_i + 1, n) if f_sizes[i] <= threshold + _EPS), None)

    if decline_i is None:
        latest = f_dates[-1]
        since_peak = (latest - peak_date).days
        if since_peak > window:
            category, rule = ResponseCategory.PD, Rule.GROWTH_PERSISTED
            text = (
                f"no study is {_fmt(e)} mm below the peak, and the latest study "
                f"({latest.isoformat()}) is {since_peak} days after the peak (more than "
                f"{window}): growth has persisted"
            )
        elif len(enlarged) >= 2 and (peak_date - treated).days > p.opp_peak_window_weeks * 7:
            category, rule = ResponseCategory.PD, Rule.PEAK_BEYOND_WINDOW
            text = (
                f"growth of {_fmt(e)} mm or more on {len(enlarged)} studies with the peak at "
                f"{weeks_to_peak:.1f} weeks, beyond the OPP peak window of "
                f"{_fmt(p.opp_peak_window_weeks)} weeks"
            )
        else:
            category, rule = ResponseCategory.INDETERMINATE, Rule.AWAITING_FOLLOW_UP
            text = (
                f"no decline of {_fmt(e)} mm from the peak yet; the latest study is "
                f"{since_peak} days after the peak (at most {window}) and the peak is "
                + (
                    "the only enlarged study"
                    if len(enlarged) == 1
                    else f"within the OPP peak window of {_fmt(p.opp_peak_window_weeks)} weeks"
                )
                + ": a further study is needed"
            )
        return SequenceAssessment(
            sequence, category, **common, reasons=(grew, Reason(rule, f"{name}: {text}"))
        )

    decline_date = f_dates[decline_i]
    common["decline_date"] = decline_date
    drop = peak - f_sizes[decline_i]
    days = (decline_date - peak_date).days
    rate = drop * window / days
    timing = (
        f"{drop:.1f} mm below the peak on {decline_date.isoformat()}, {days} days after it "
        f"({rate:.1f} mm per {window} days"
    )
    if drop * window < e * days - _EPS:
        reason = Reason(
            Rule.DECLINE_TOO_SLOW,
            f"{name}: decline too slow: {timing}, less than {_fmt(e)} mm per {window} days)",
        )
        return SequenceAssessment(sequence, ResponseCategory.PD, **common, reasons=(grew, reason))

    rebound = next((i for i in range(decline_i + 1, n) if f_sizes[i] > threshold + _EPS), None)
    if rebound is not None:
        reason = Reason(
            Rule.DECLINE_NOT_SUSTAINED,
            f"{name}: decline not sustained: {timing}), but {f_dates[rebound].isoformat()} "
            f"measured {_fmt(f_sizes[rebound])} mm, back within {_fmt(e)} mm of the peak of "
            f"{_fmt(peak)} mm",
        )
        return SequenceAssessment(sequence, ResponseCategory.PD, **common, reasons=(grew, reason))

    later = n - 1 - decline_i
    declined = (
        f"{name}: sustained decline: {timing}, at least {_fmt(e)} mm per {window} days), "
        + (
            f"confirmed by {later} later {'study' if later == 1 else 'studies'}"
            if later
            else "seen on the latest study only"
        )
    )
    warnings: tuple[Finding, ...] = ()
    if not later:
        warnings = (
            Finding(
                WarningKind.DECLINE_UNCONFIRMED,
                f"{name}: the decline on {decline_date.isoformat()} is seen on the latest study "
                "only; no later study has confirmed it yet",
            ),
        )
    if events is None:
        reason = Reason(
            Rule.DECLINE,
            declined + "; no events were recorded, so a change of systemic therapy between the "
            "peak and the decline could not be excluded",
        )
        warnings += (
            Finding(
                WarningKind.EVENTS_NOT_RECORDED,
                f"{name}: OPP assumes no change of systemic therapy between the peak and the "
                "decline; give the events table to check it",
            ),
        )
        return SequenceAssessment(
            sequence, ResponseCategory.OPP, **common, reasons=(grew, reason), warnings=warnings
        )
    changes = [
        ev
        for ev in events
        if ev.kind is EventKind.SYSTEMIC_THERAPY_CHANGE and peak_date <= ev.date < decline_date
    ]
    if not changes:
        reason = Reason(
            Rule.DECLINE,
            declined + "; no change of systemic therapy between the peak and the decline",
        )
        return SequenceAssessment(
            sequence, ResponseCategory.OPP, **common, reasons=(grew, reason), warnings=warnings
        )
    change_text = ", ".join(ev.date.isoformat() for ev in changes)
    others = [
        ev
        for ev in events
        if ev.kind is EventKind.OTHER_BONE_LESIONS_ENLARGED and peak_date < ev.date <= decline_date
    ]
    if others:
        reason = Reason(
            Rule.OTHER_BONE_LESIONS_ENLARGED,
            f"{declined}; systemic therapy changed on {change_text}, but other bone lesions "
            f"enlarged on {others[0].date.isoformat()} while this lesion decreased, so the "
            "decline is not attributed to systemic therapy",
        )
        return SequenceAssessment(
            sequence, ResponseCategory.OPP, **common, reasons=(grew, reason), warnings=warnings
        )
    reason = Reason(
        Rule.SYSTEMIC_THERAPY_EXPLAINS_DECLINE,
        f"{declined}; but systemic therapy changed on {change_text}, between the peak and the "
        "decline, and no enlargement of other bone lesions was recorded in that interval, so "
        "the decline may be due to systemic therapy",
    )
    return SequenceAssessment(sequence, ResponseCategory.PD, **common, reasons=(grew, reason))


def assess(
    history: LesionHistory,
    *,
    as_of: date | None = None,
    params: Amini2016Parameters = DEFAULT_PARAMETERS,
) -> Assessment:
    """Classify one lesion by the Amini 2016 criteria.

    Parameters
    ----------
    history
        The lesion, its size series per sequence and its patient's events.
    as_of
        Only studies and events on or before this date are seen, so the function answers
        "what is this lesion today". ``None`` sees everything.
    params
        Criteria parameters; recorded in the result.

    Returns
    -------
    Assessment
        Category of the primary sequence (or, when it cannot be judged, of the first other
        sequence that can, with a warning), per-sequence results, reasons and warnings.
    """
    treated = history.lesion.treatment.date
    events: tuple[Event, ...] | None = history.events if history.events_known else None
    if as_of is not None and events:
        events = tuple(ev for ev in events if ev.date <= as_of)
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
            per[sequence] = _assess_sequence(sequence, dates, sizes, treated, events, params)
    return _combine(history, per, as_of=as_of, params=params)


def _combine(
    history: LesionHistory,
    per: dict[Sequence, SequenceAssessment],
    *,
    as_of: date | None,
    params: Amini2016Parameters,
) -> Assessment:
    primary = params.primary_sequence
    order = _ORDER[primary]
    warnings = [
        w for r in per.values() for w in r.warnings if w.kind is WarningKind.MISSING_BASELINE
    ]
    deciding = next((s for s in order if s in per and per[s].category is not None), None)
    if deciding is None:
        has_baseline = any(r.baseline_date is not None for r in per.values())
        if has_baseline or not per:
            reason = Reason(Rule.NO_FOLLOW_UP, "no follow-up study after treatment yet")
            warnings.append(Finding(WarningKind.NO_FOLLOW_UP, "no follow-up study to judge"))
        else:
            reason = Reason(Rule.NO_BASELINE, "no sequence has a study on or before treatment")
        return Assessment(
            lesion=history.lesion,
            category=ResponseCategory.INDETERMINATE,
            sequence=None,
            per_sequence=MappingProxyType(per),
            reasons=(reason,),
            warnings=tuple(warnings),
            parameters=params,
            as_of=as_of,
            inclusion=inclusion_checks(history, per, as_of=as_of, params=params),
        )

    return Assessment.from_sequences(
        history.lesion,
        per,
        deciding=deciding,
        primary=primary,
        warnings=warnings,
        parameters=params,
        as_of=as_of,
        inclusion=inclusion_checks(history, per, as_of=as_of, params=params),
    )


def assess_many(
    histories: Iterable[LesionHistory],
    *,
    as_of: date | None = None,
    params: Amini2016Parameters = DEFAULT_PARAMETERS,
) -> list[Assessment]:
    """Classify many lesions with the same parameters (see :func:`assess`)."""
    return [assess(h, as_of=as_of, params=params) for h in histories]
