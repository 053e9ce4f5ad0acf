"""Cumulative incidence with competing risks (Aalen-Johansen, lifelines).

Each lesion ends in one of: OPP, PD (competing events, at the first enlarged study) or
censoring at the last follow-up. The cumulative incidence of a cause at time t is the share
of lesions that had that event by t, accounting for the lesions removed by the other cause,
which ``1 − Kaplan-Meier`` would not.

lifelines' :class:`~lifelines.AalenJohansenFitter` breaks ties between event times of
different causes by moving them by at most 0.0001 weeks (about 6 seconds); the jitter is
seeded here, so the result is reproducible, and numpy's global random state is restored
afterwards.

Examples
--------
>>> cif = cumulative_incidence([1, 2, 3, 4], [1, 2, 0, 1], cause=1, label="OPP")
>>> [round(v, 3) for v in cif.incidence]
[0.0, 0.25, 0.25, 0.25, 0.75]
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence as Seq
from dataclasses import dataclass
from typing import Any

from pseudoprog.errors import ParameterError
from pseudoprog.stats.proportions import check_confidence

__all__ = ["CumulativeIncidence", "cumulative_incidence"]

_JITTER_SEED = 20160201


def _json(value: float) -> float | None:
    return value if math.isfinite(value) else None


@dataclass(frozen=True, slots=True)
class CumulativeIncidence:
    """Aalen-Johansen cumulative incidence of one cause, as a step function from time 0."""

    label: str
    cause: int
    n: int
    events: int
    competing_events: int
    times: tuple[float, ...]
    incidence: tuple[float, ...]
    ci_low: tuple[float, ...]
    ci_high: tuple[float, ...]
    confidence: float = 0.95

    def incidence_at(self, weeks: float) -> float:
        """The estimate at ``weeks`` (the last step at or before it)."""
        value = 0.0
        for t, v in zip(self.times, self.incidence, strict=True):
            if t > weeks:
                break
            value = v
        return value

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "n": self.n,
            "events": self.events,
            "competing_events": self.competing_events,
            "times_weeks": list(self.times),
            "incidence": list(self.incidence),
            "ci_low": [_json(v) for v in self.ci_low],
            "ci_high": [_json(v) for v in self.ci_high],
            "method": "Aalen-Johansen (lifelines.AalenJohansenFitter)",
            "confidence": self.confidence,
        }


def cumulative_incidence(
    durations: Seq[float],
    causes: Seq[int],
    *,
    cause: int,
    label: str,
    confidence: float = 0.95,
) -> CumulativeIncidence:
    """Cumulative incidence of ``cause`` in the presence of the other causes.

    Parameters
    ----------
    durations
        Time of the event or censoring per subject (≥ 0).
    causes
        0 for censoring, a positive integer for the cause of the event.
    cause
        The cause of interest; every other positive code is a competing event.
    label
        Name written into the result.
    confidence
        Level of lifelines' pointwise interval.

    Raises
    ------
    ParameterError
        If the lengths differ, the data are empty, or a code is negative.
    """
    import numpy as np
    from lifelines import AalenJohansenFitter

    if len(durations) != len(causes) or not durations:
        raise ParameterError(
            f"durations ({len(durations)}) and causes ({len(causes)}) must have the same, "
            "non-zero length"
        )
    if any(int(c) < 0 for c in causes):
        raise ParameterError("causes must be 0 (censored) or positive integers")
    if any(not (math.isfinite(d) and d >= 0) for d in durations):
        raise ParameterError("durations must be finite and ≥ 0")
    confidence = check_confidence(confidence)
    codes = [int(c) for c in causes]
    state = np.random.get_state()  # noqa: NPY002 - lifelines jitters with the global RNG
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Tied event times")
            fitter = AalenJohansenFitter(seed=_JITTER_SEED, alpha=1 - confidence).fit(
                list(map(float, durations)), codes, event_of_interest=cause, label=label
            )
    finally:
        np.random.set_state(state)  # noqa: NPY002
    cif = fitter.cumulative_density_.iloc[:, 0]
    ci = fitter.confidence_interval_
    return CumulativeIncidence(
        label=label,
        cause=cause,
        n=len(codes),
        events=sum(1 for c in codes if c == cause),
        competing_events=sum(1 for c in codes if c not in (0, cause)),
        times=tuple(float(t) for t in cif.index),
        incidence=tuple(float(v) for v in cif.to_numpy()),
        ci_low=tuple(float(v) for v in ci.iloc[:, 0].to_numpy()),
        ci_high=tuple(float(v) for v in ci.iloc[:, 1].to_numpy()),
        confidence=confidence,
    )
