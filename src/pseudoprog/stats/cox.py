"""Univariate Cox regression of OPP-free survival, with detection of monotone likelihood.

Amini et al. 2016 (Statistical Analysis; Table 2) fitted one Cox model per variable: age
(continuous), radiation dose (continuous), tumour radiosensitivity (radiosensitive vs
radioresistant; radioresistant = renal cell carcinoma, sarcoma, adenoid cystic carcinoma,
melanoma), location (thoracic vs cervical/lumbar spine) and fractionation (single vs multiple),
which "failed ... due to collinearity (all cases of OPP occurred in lesions treated with
single-fraction therapy)".

That failure is a monotone partial likelihood (Bryson and Johnson 1981, Technometrics
23:381-383): with one covariate, the maximum-likelihood estimate does not exist when at every
event time the subject with the event has the largest (or at every event time the smallest)
covariate value of its risk set. :func:`separation` checks exactly that before fitting, so a
model without a finite estimate is reported as not estimable with the reason, never as a huge
or tiny hazard ratio. Fits use :class:`lifelines.CoxPHFitter` (Efron ties, Wald P value and
interval).

Examples
--------
>>> separation([1, 2, 3, 4], [True, True, False, False], [1, 1, 0, 0]) is not None
True
>>> fit = univariate_cox([1, 2, 3, 4, 5, 6], [1, 0, 1, 1, 0, 1], [2, 9, 1, 5, 3, 4], name="x")
>>> fit.estimable, round(fit.hazard_ratio, 2)
(True, 0.61)
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Sequence as Seq
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from pseudoprog.domain import Lesion, SpinalRegion
from pseudoprog.errors import ParameterError
from pseudoprog.stats.descriptive import spinal_region
from pseudoprog.stats.proportions import check_confidence
from pseudoprog.stats.survival import SurvivalRecord

__all__ = [
    "RADIORESISTANT",
    "CoxResult",
    "CoxVariable",
    "is_radioresistant",
    "separation",
    "univariate_cox",
    "univariate_cox_table",
]

#: Radioresistant histologies of Amini et al. 2016 (Statistical Analysis), as text patterns.
RADIORESISTANT = {
    "renal cell carcinoma": r"\brenal\s+cell\b|\brcc\b",
    "sarcoma": r"sarcoma",
    "adenoid cystic carcinoma": r"adenoid\s+cystic",
    "melanoma": r"melanoma",
}
_RESISTANT = re.compile("|".join(RADIORESISTANT.values()), re.IGNORECASE)

#: A fitted |coefficient × SD of the covariate| above this is treated as divergence.
_DIVERGED = 15.0


def is_radioresistant(histology: str | None) -> bool | None:
    """Whether a histology is radioresistant in the sense of Amini et al. 2016.

    >>> is_radioresistant("Renal cell carcinoma"), is_radioresistant("Breast carcinoma")
    (True, False)
    """
    if histology is None or not histology.strip():
        return None
    return _RESISTANT.search(histology) is not None


def _location(lesion: Lesion) -> float | None:
    region = spinal_region(lesion)
    if region is SpinalRegion.THORACIC:
        return 1.0
    if region in (SpinalRegion.CERVICAL, SpinalRegion.LUMBAR):
        return 0.0
    return None


def _sensitive(lesion: Lesion) -> float | None:
    resistant = is_radioresistant(lesion.histology)
    return None if resistant is None else float(not resistant)


class CoxVariable(Enum):
    """The variables of Amini et al. 2016, Table 2, coded for a univariate Cox model."""

    AGE = "age"
    DOSE = "dose_gy"
    RADIOSENSITIVE = "radiosensitive"
    THORACIC = "thoracic"
    SINGLE_FRACTION = "single_fraction"

    @property
    def label(self) -> str:
        """The name of the variable as in Table 2 of the paper."""
        return _LABELS[self]

    @property
    def description(self) -> str:
        return _VARIABLES[self][0]

    @property
    def levels(self) -> tuple[str, str] | None:
        """Labels of the values 0 and 1 of a binary variable, ``None`` for a continuous one."""
        return _VARIABLES[self][1]

    def of(self, lesion: Lesion) -> float | None:
        """The covariate of ``lesion`` (``None`` when not recorded)."""
        value = _VARIABLES[self][2](lesion)
        return None if value is None else float(value)


_LABELS = {
    CoxVariable.AGE: "Age",
    CoxVariable.DOSE: "Radiation dose",
    CoxVariable.RADIOSENSITIVE: "Tumour radiosensitivity",
    CoxVariable.THORACIC: "Location",
    CoxVariable.SINGLE_FRACTION: "Fractionation",
}

_VARIABLES: dict[CoxVariable, tuple[str, tuple[str, str] | None, Callable[[Lesion], Any]]] = {
    CoxVariable.AGE: ("age, per year", None, lambda x: x.age),
    CoxVariable.DOSE: ("dose, per Gy", None, lambda x: x.treatment.dose_gy),
    CoxVariable.RADIOSENSITIVE: (
        "radiosensitive vs radioresistant histology",
        ("radioresistant", "radiosensitive"),
        _sensitive,
    ),
    CoxVariable.THORACIC: (
        "thoracic vs cervical/lumbar spine",
        ("cervical/lumbar", "thoracic"),
        _location,
    ),
    CoxVariable.SINGLE_FRACTION: (
        "single vs multiple fractions",
        ("multiple fractions", "single fraction"),
        lambda x: float(x.treatment.single_fraction),
    ),
}


@dataclass(frozen=True, slots=True)
class CoxResult:
    """One univariate Cox model. Estimates are ``None`` when it is not estimable."""

    variable: str
    description: str
    n: int
    events: int
    estimable: bool
    hazard_ratio: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None
    coefficient: float | None = None
    standard_error: float | None = None
    note: str = ""
    confidence: float = 0.95
    label: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "variable": self.variable,
            "label": self.label or self.variable,
            "description": self.description,
            "n": self.n,
            "events": self.events,
            "estimable": self.estimable,
            "hazard_ratio": self.hazard_ratio,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "p_value": self.p_value,
            "coefficient": self.coefficient,
            "standard_error": self.standard_error,
            "note": self.note,
            "confidence": self.confidence,
        }


def separation(
    durations: Seq[float],
    events: Seq[bool | int],
    values: Seq[float],
    *,
    name: str = "the covariate",
    event_name: str = "event",
    levels: tuple[str, str] | None = None,
) -> str | None:
    """Why the one-covariate Cox partial likelihood has no finite maximum, or ``None``.

    Not estimable: no events; a covariate constant in every risk set at the event times; or a
    monotone likelihood (Bryson and Johnson 1981), where at every event time the subjects
    with the event have the largest (or at every event time the smallest) value of their
    risk set.
    """
    times = sorted({d for d, e in zip(durations, events, strict=True) if e})
    if not times:
        return f"no {event_name} among the {len(durations)} lesions"
    if len(set(values)) < 2:
        return f"{name} takes a single value in all lesions"
    highest = lowest = True
    informative = False
    for t in times:
        risk = [x for d, x in zip(durations, values, strict=True) if d >= t]
        failed = [x for d, e, x in zip(durations, events, values, strict=True) if e and d == t]
        top, bottom = max(risk), min(risk)
        informative |= top > bottom
        highest &= min(failed) >= top
        lowest &= max(failed) <= bottom
    if not informative:
        return f"{name} does not vary among the lesions at risk at any {event_name}"
    if not (highest or lowest):
        return None
    direction = "infinity" if highest else "zero"
    if levels is not None:
        side = levels[1] if highest else levels[0]
        other = levels[0] if highest else levels[1]
        n_other = sum(1 for x in values if x == (0.0 if highest else 1.0))
        return (
            f"complete separation: every {event_name} occurred with {side}, none among the "
            f"{n_other} lesions with {other}; the partial likelihood increases without limit, "
            f"so the hazard ratio has no finite estimate (it tends to {direction})"
        )
    extreme = "highest" if highest else "lowest"
    return (
        f"monotone likelihood: at every {event_name} the lesion with the event had the "
        f"{extreme} {name} of the lesions still at risk, so the hazard ratio has no finite "
        f"estimate (it tends to {direction})"
    )


def univariate_cox(
    durations: Seq[float],
    events: Seq[bool | int],
    values: Seq[float],
    *,
    name: str,
    description: str = "",
    levels: tuple[str, str] | None = None,
    event_name: str = "event",
    confidence: float = 0.95,
) -> CoxResult:
    """Fit a Cox model with one covariate (lifelines), or say why it cannot be estimated.

    Raises
    ------
    ParameterError
        If the three sequences differ in length or hold non-finite values.
    """
    from lifelines import CoxPHFitter
    from lifelines.exceptions import ConvergenceError, ConvergenceWarning
    from pandas import DataFrame

    if not len(durations) == len(events) == len(values):
        raise ParameterError("durations, events and values must have the same length")
    if any(not math.isfinite(v) for v in (*durations, *values)):
        raise ParameterError(f"durations and values of {name} must be finite numbers")
    confidence = check_confidence(confidence)
    observed = [bool(e) for e in events]
    base = CoxResult(
        name, description or name, len(values), sum(observed), False, confidence=confidence
    )
    reason = separation(
        durations, observed, values, name=name, event_name=event_name, levels=levels
    )
    if reason is not None:
        return _replace(base, note=f"not estimable: {reason}")

    frame = DataFrame({"T": list(durations), "E": observed, name: list(values)})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        try:
            fitter = CoxPHFitter(alpha=1 - confidence).fit(frame, "T", "E")
        except (ConvergenceError, ValueError, ArithmeticError) as exc:
            return _replace(base, note=f"not estimable: the fit failed ({exc})")
    row = fitter.summary.loc[name]
    coef, se = float(row["coef"]), float(row["se(coef)"])
    spread = float(frame[name].std())
    if not (math.isfinite(coef) and math.isfinite(se)) or abs(coef) * spread > _DIVERGED:
        return _replace(
            base, note=f"not estimable: the fit diverged (coefficient {coef:.3g} per unit)"
        )
    notes = sorted({str(w.message).split(".")[0] for w in caught})
    level = f"{100 * confidence:g}%"
    return _replace(
        base,
        estimable=True,
        hazard_ratio=math.exp(coef),
        ci_low=float(row[f"exp(coef) lower {level}"]),
        ci_high=float(row[f"exp(coef) upper {level}"]),
        p_value=float(row["p"]),
        coefficient=coef,
        standard_error=se,
        note="; ".join(f"lifelines warned: {n}" for n in notes),
    )


def _replace(result: CoxResult, **changes: Any) -> CoxResult:
    return replace(result, **changes)


def univariate_cox_table(
    records: Iterable[SurvivalRecord],
    lesions: Mapping[str, Lesion],
    *,
    variables: Seq[CoxVariable] = tuple(CoxVariable),
    confidence: float = 0.95,
) -> tuple[CoxResult, ...]:
    """One univariate Cox model of OPP-free survival per variable (Amini 2016, Table 2).

    Lesions whose covariate is not recorded are left out of that model (the note says how
    many).
    """
    data = list(records)
    results = []
    for variable in variables:
        rows = [(r, variable.of(lesions[r.lesion_id])) for r in data]
        kept = [(r, v) for r, v in rows if v is not None]
        missing = len(rows) - len(kept)
        if not kept:
            results.append(
                CoxResult(
                    variable.value,
                    variable.description,
                    0,
                    0,
                    False,
                    note=f"not estimable: {variable.value} is not recorded for any lesion",
                    confidence=confidence,
                    label=variable.label,
                )
            )
            continue
        fit = univariate_cox(
            [r.weeks for r, _ in kept],
            [r.opp_event for r, _ in kept],
            [float(v) for _, v in kept],
            name=variable.value,
            description=variable.description,
            levels=variable.levels,
            event_name="OPP",
            confidence=confidence,
        )
        fit = _replace(fit, label=variable.label)
        if missing:
            extra = f"{missing} lesion(s) without {variable.value} left out"
            fit = _replace(fit, note=f"{fit.note}; {extra}" if fit.note else extra)
        results.append(fit)
    return tuple(results)
