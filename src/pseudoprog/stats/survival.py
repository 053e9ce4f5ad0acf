"""OPP-free survival: time-to-event data from assessments, Kaplan-Meier and the log-rank test.

Time is counted in weeks from treatment (Amini et al. 2016 report the time course in weeks).
For each lesion, from its assessment by the deciding sequence:

* **OPP**: event at the first enlarged study (growth of at least the measurement error) of a
  lesion that turns out OPP;
* **PD**: the first enlarged study of a lesion that turns out PD; a competing event in the
  cumulative-incidence analysis, censored in OPP-free survival;
* every other lesion is censored at its last follow-up study (any sequence).

The Kaplan-Meier estimate and the log-rank test are those of lifelines
(:class:`lifelines.KaplanMeierFitter`, :func:`lifelines.statistics.logrank_test`); the tests
check both against :func:`scipy.stats.ecdf` and :func:`scipy.stats.logrank`.

Examples
--------
>>> curve = kaplan_meier([2, 3, 3, 5, 8], [True, True, False, True, False], label="all")
>>> [round(s, 3) for s in curve.survival]
[1.0, 0.8, 0.6, 0.3, 0.3]
>>> round(logrank_test([2, 3, 5], [1, 1, 1], [4, 6, 8], [1, 0, 0]).p_value, 3)
0.11
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from collections.abc import Sequence as Seq
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pseudoprog.criteria.result import Assessment
from pseudoprog.domain import ResponseCategory
from pseudoprog.errors import ParameterError
from pseudoprog.stats.proportions import check_confidence

__all__ = [
    "KaplanMeierCurve",
    "LogRankTest",
    "Outcome",
    "SurvivalRecord",
    "kaplan_meier",
    "logrank_test",
    "number_at_risk",
    "survival_records",
]

_DAYS_PER_WEEK = 7.0


class Outcome(Enum):
    """What ended a lesion's observation; the value is the integer code lifelines uses."""

    CENSORED = 0
    OPP = 1
    PD = 2


@dataclass(frozen=True, slots=True)
class SurvivalRecord:
    """Time-to-event data of one lesion."""

    lesion_id: str
    patient_id: str
    weeks: float
    outcome: Outcome
    response: ResponseCategory
    single_fraction: bool

    @property
    def opp_event(self) -> bool:
        return self.outcome is Outcome.OPP

    def to_dict(self) -> dict[str, Any]:
        return {
            "lesion_id": self.lesion_id,
            "patient_id": self.patient_id,
            "weeks": self.weeks,
            "outcome": self.outcome.name.lower(),
            "response": self.response.value,
            "single_fraction": self.single_fraction,
        }


def survival_records(assessments: Iterable[Assessment]) -> tuple[SurvivalRecord, ...]:
    """Time-to-event data of every assessed lesion that has a follow-up study.

    Lesions without any study after treatment are left out (they have no time at risk).
    """
    records = []
    for a in assessments:
        treated = a.lesion.treatment.date
        last = max((r.last_date for r in a.per_sequence.values() if r.last_date), default=None)
        if last is None or last <= treated:
            continue
        deciding = a.deciding
        first = None if deciding is None else deciding.first_enlarged_date
        if a.category is ResponseCategory.OPP and first is not None:
            outcome, end = Outcome.OPP, first
        elif a.category is ResponseCategory.PD and first is not None:
            outcome, end = Outcome.PD, first
        else:
            outcome, end = Outcome.CENSORED, last
        records.append(
            SurvivalRecord(
                lesion_id=a.lesion.lesion_id,
                patient_id=a.lesion.patient_id,
                weeks=(end - treated).days / _DAYS_PER_WEEK,
                outcome=outcome,
                response=a.category,
                single_fraction=a.lesion.treatment.single_fraction,
            )
        )
    return tuple(records)


def _check_series(durations: Seq[float], events: Seq[bool | int]) -> None:
    if len(durations) != len(events):
        raise ParameterError(
            f"durations ({len(durations)}) and events ({len(events)}) must have the same length"
        )
    if not durations:
        raise ParameterError("durations is empty; at least one observation is needed")
    bad = [d for d in durations if not (math.isfinite(d) and d >= 0)]
    if bad:
        raise ParameterError(f"durations must be finite and ≥ 0, got {bad[0]!r}")


def number_at_risk(durations: Iterable[float], at: float) -> int:
    """How many observations are still at risk at time ``at`` (duration ≥ ``at``)."""
    return sum(1 for d in durations if d >= at)


@dataclass(frozen=True, slots=True)
class KaplanMeierCurve:
    """A Kaplan-Meier estimate as a step function (right-continuous, starting at time 0).

    ``ci_low``/``ci_high`` is lifelines' pointwise interval (exponential Greenwood, i.e.
    log(-log) transformed). ``median_weeks`` is ``None`` when the curve never falls to 0.5.
    """

    label: str
    n: int
    events: int
    times: tuple[float, ...]
    survival: tuple[float, ...]
    ci_low: tuple[float, ...]
    ci_high: tuple[float, ...]
    durations: tuple[float, ...]
    observed: tuple[bool, ...]
    median_weeks: float | None
    confidence: float = 0.95

    def survival_at(self, weeks: float) -> float:
        """The estimate at ``weeks`` (the last step at or before it)."""
        value = 1.0
        for t, s in zip(self.times, self.survival, strict=True):
            if t > weeks:
                break
            value = s
        return value

    @property
    def censored_times(self) -> tuple[float, ...]:
        return tuple(d for d, o in zip(self.durations, self.observed, strict=True) if not o)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "n": self.n,
            "events": self.events,
            "median_weeks": self.median_weeks,
            "times_weeks": list(self.times),
            "survival": list(self.survival),
            "ci_low": [_json(v) for v in self.ci_low],
            "ci_high": [_json(v) for v in self.ci_high],
            "ci_method": "pointwise, exponential Greenwood (log(-log)), lifelines",
            "confidence": self.confidence,
        }


def _json(value: float) -> float | None:
    return value if math.isfinite(value) else None


def kaplan_meier(
    durations: Seq[float],
    events: Seq[bool | int],
    *,
    label: str,
    confidence: float = 0.95,
) -> KaplanMeierCurve:
    """Kaplan-Meier estimate of the survival function (lifelines).

    Parameters
    ----------
    durations
        Time of the event or of censoring, per subject (≥ 0).
    events
        Whether the event was observed (``True``) or the subject censored (``False``).
    label
        Name of the group, written into the result.
    confidence
        Level of the pointwise interval.
    """
    from lifelines import KaplanMeierFitter

    _check_series(durations, events)
    confidence = check_confidence(confidence)
    observed = [bool(e) for e in events]
    fitter = KaplanMeierFitter(alpha=1 - confidence).fit(
        list(durations), event_observed=observed, label=label
    )
    sf = fitter.survival_function_.iloc[:, 0]
    ci = fitter.confidence_interval_
    median = float(fitter.median_survival_time_)
    return KaplanMeierCurve(
        label=label,
        n=len(durations),
        events=sum(observed),
        times=tuple(float(t) for t in sf.index),
        survival=tuple(float(v) for v in sf.to_numpy()),
        ci_low=tuple(float(v) for v in ci.iloc[:, 0].to_numpy()),
        ci_high=tuple(float(v) for v in ci.iloc[:, 1].to_numpy()),
        durations=tuple(float(d) for d in durations),
        observed=tuple(observed),
        median_weeks=median if math.isfinite(median) else None,
        confidence=confidence,
    )


@dataclass(frozen=True, slots=True)
class LogRankTest:
    """Log-rank test of two survival curves (chi-square with 1 degree of freedom)."""

    groups: tuple[str, str]
    statistic: float
    p_value: float
    events: tuple[int, int]
    n: tuple[int, int]

    def to_dict(self) -> dict[str, Any]:
        return {
            "test": "log-rank (lifelines.statistics.logrank_test)",
            "groups": list(self.groups),
            "n": list(self.n),
            "events": list(self.events),
            "chi_square": self.statistic,
            "degrees_of_freedom": 1,
            "p_value": self.p_value,
        }


def _informative(
    durations_a: Seq[float],
    events_a: Seq[bool | int],
    durations_b: Seq[float],
    events_b: Seq[bool | int],
) -> bool:
    """Whether some event time contributes variance to the log-rank statistic."""
    pairs = [*zip(durations_a, events_a, strict=True), *zip(durations_b, events_b, strict=True)]
    for t in {d for d, e in pairs if e}:
        n_a, n_b = number_at_risk(durations_a, t), number_at_risk(durations_b, t)
        failed = sum(1 for d, e in pairs if e and d == t)
        if n_a and n_b and failed < n_a + n_b:
            return True
    return False


def logrank_test(
    durations_a: Seq[float],
    events_a: Seq[bool | int],
    durations_b: Seq[float],
    events_b: Seq[bool | int],
    *,
    groups: tuple[str, str] = ("group A", "group B"),
) -> LogRankTest:
    """Log-rank test comparing group A with group B (lifelines).

    Raises
    ------
    ParameterError
        If a group is empty, or no event was observed in either group (the test is then
        undefined).
    """
    from lifelines.statistics import logrank_test as _lifelines_logrank

    _check_series(durations_a, events_a)
    _check_series(durations_b, events_b)
    n_events = (sum(bool(e) for e in events_a), sum(bool(e) for e in events_b))
    if sum(n_events) == 0:
        raise ParameterError("no event in either group: the log-rank test is not defined")
    if not _informative(durations_a, events_a, durations_b, events_b):
        raise ParameterError(
            "no event occurred while both groups had lesions at risk (and some of them "
            "event-free): the log-rank test is not defined"
        )
    result = _lifelines_logrank(
        list(durations_a),
        list(durations_b),
        event_observed_A=[bool(e) for e in events_a],
        event_observed_B=[bool(e) for e in events_b],
    )
    return LogRankTest(
        groups=groups,
        statistic=float(result.test_statistic),
        p_value=float(result.p_value),
        events=n_events,
        n=(len(durations_a), len(durations_b)),
    )
