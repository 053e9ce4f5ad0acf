"""Per-lesion figure of a point-of-care assessment: sizes over time against the OPP time course.

One panel per MR sequence: the measured size (greatest anteroposterior extent, mm) over weeks
since treatment, the baseline with its ± measurement-error band, the studies at or above
baseline + error marked as enlarged, and the published window of osseous pseudoprogression
shaded (time to peak, then return to baseline), as given by the evidence table. Only studies
up to the assessment date are drawn; the date and the next MRI due are marked. A brain lesion
(criteria without a measurement error, a table without a time course) is drawn without the
band and the shading.

matplotlib is imported inside :func:`plot_lesion` and used without pyplot (Agg canvas), so
importing this module is cheap and thread-safe.
"""

from __future__ import annotations

import os
import textwrap
from datetime import date
from pathlib import Path
from typing import Any

from pseudoprog.criteria.amini2016 import Amini2016Parameters
from pseudoprog.domain import LesionHistory, Sequence
from pseudoprog.evidence.result import PointOfCareAssessment

__all__ = ["plot_lesion"]

_COLOURS = {Sequence.T1: "#1f4e79", Sequence.T2FS: "#7a3b8f", Sequence.T1C: "#b35900"}
_PEAK_SHADE = "#f9cb9c"
_RESOLUTION_SHADE = "#fdeee2"
_BAND = "#9e9e9e"


def _weeks(day: date, treated: date) -> float:
    return (day - treated).days / 7.0


def _title(result: PointOfCareAssessment) -> str:
    lesion = result.lesion
    lines = [
        f"Lesion {lesion.lesion_id} (patient {lesion.patient_id}), "
        f"{lesion.treatment.regimen} {'SSRS' if lesion.site.value == 'spine' else 'SRS'} on "
        f"{lesion.treatment.date.isoformat()}"
    ]
    when = "all studies" if result.as_of is None else f"as of {result.as_of.isoformat()}"
    status = f"{result.status.value} ({result.status.meaning})"
    if result.assessment.deciding is None:
        status = "no follow-up study to judge yet"
    lines.append(f"Status {when}: {status}")
    if result.probability is not None:
        p = result.probability
        lines.append(
            f"Probability of {result.outcome} {p.estimate:.2f} "
            f"({p.level:.0%} interval {p.ci_low:.2f}-{p.ci_high:.2f})"
        )
    elif result.enlarging:
        decided = result.status.value in ("OPP", "PD", "TREATMENT_EFFECT")
        why = "decided by the criteria" if decided else result.probability_note
        lines.append(textwrap.shorten(f"No probability: {why}", width=95, placeholder=" ..."))
    return "\n".join(lines)


def plot_lesion(
    result: PointOfCareAssessment,
    history: LesionHistory,
    path: str | os.PathLike[str],
    *,
    dpi: int = 120,
) -> Path:
    """Draw the lesion's sizes per sequence with baseline band and OPP window; save a PNG.

    Parameters
    ----------
    result
        The assessment (gives the date, status, probability, time course and error).
    history
        The same lesion's measurements.
    path
        Where to write the PNG (the caller writes atomically, e.g. into a staging directory).
    dpi
        Resolution.

    Returns
    -------
    Path
        ``path``.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    treated = result.lesion.treatment.date
    course = result.table.opp_time_course
    params = result.assessment.parameters
    error = params.error_mm if isinstance(params, Amini2016Parameters) else 0.0
    as_of = result.as_of
    per = result.assessment.per_sequence
    sequences = [s for s in Sequence if s in history.series]
    rows = max(1, len(sequences))
    fig = Figure(figsize=(8.0, 1.0 + 2.3 * rows), dpi=dpi, layout="constrained")
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False)[:, 0]

    seen_weeks: list[float] = []
    for ax, sequence in zip(axes, sequences, strict=False):
        series = history.series[sequence]
        pairs = [(d, s) for d, s in zip(series.dates, series.sizes_mm, strict=True)]
        if as_of is not None:
            pairs = [(d, s) for d, s in pairs if d <= as_of]
        x = [_weeks(d, treated) for d, _ in pairs]
        y = [s for _, s in pairs]
        seen_weeks += x
        colour = _COLOURS[sequence]
        if course is not None:
            _shade(ax, course)
        judged = per.get(sequence)
        baseline = None if judged is None else judged.baseline_mm
        if baseline is not None:
            ax.axhline(baseline, color="0.45", ls="--", lw=1, zorder=2)
        if baseline is not None and error > 0:
            ax.axhspan(baseline - error, baseline + error, color=_BAND, alpha=0.3, zorder=1, lw=0)
            ax.axhline(baseline + error, color="0.65", ls=":", lw=0.8, zorder=2)
        ax.plot(x, y, color=colour, lw=1.6, zorder=3)
        enlarged = [
            baseline is not None and d > treated and s >= baseline + error - 1e-9 for d, s in pairs
        ]
        ax.scatter(
            [xi for xi, e in zip(x, enlarged, strict=True) if not e],
            [yi for yi, e in zip(y, enlarged, strict=True) if not e],
            s=28,
            color="white",
            edgecolor=colour,
            linewidth=1.4,
            zorder=4,
        )
        ax.scatter(
            [xi for xi, e in zip(x, enlarged, strict=True) if e],
            [yi for yi, e in zip(y, enlarged, strict=True) if e],
            s=34,
            color=colour,
            edgecolor=colour,
            zorder=5,
        )
        verdict = "-" if judged is None or judged.category is None else judged.category.value
        ax.set_ylabel(f"{sequence.value}\nsize (mm)")
        ax.set_title(
            f"{sequence.value} ({sequence.description}): {verdict}", loc="left", fontsize=9
        )
        ax.grid(axis="y", color="0.92", lw=0.6)
        ax.axvline(0, color="black", lw=1.0, zorder=2)
        _limits(ax, y, baseline, error)

    resolved = [] if course is None else [course.back_to_baseline_weeks_max]
    x_high = max([*seen_weeks, *resolved, 0.0])
    if as_of is not None:
        x_high = max(x_high, _weeks(as_of, treated))
    due_weeks = _weeks(result.next_mri_due, treated)
    x_high = max(x_high, due_weeks)
    x_low = min([*seen_weeks, 0.0])
    for ax in axes:
        if as_of is not None:
            ax.axvline(_weeks(as_of, treated), color="#c00000", lw=1.2, zorder=6)
        ax.axvline(due_weeks, color="#2e7d32", lw=1.2, ls="--", zorder=6)
        ax.set_xlim(x_low - 3, x_high + 3)
    axes[-1].set_xlabel("Weeks since treatment (radiosurgery at week 0)")

    fig.suptitle(_title(result), fontsize=10, x=0.01, ha="left", linespacing=1.4)
    handles = _legend_handles(course, error, as_of, result.next_mri_due, Patch)
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=3,
        fontsize=8,
        frameon=False,
    )
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, format="png")
    return target


def _shade(ax: Any, course: Any) -> None:
    ax.axvspan(course.peak_weeks_min, course.peak_weeks_max, color=_PEAK_SHADE, lw=0, zorder=0)
    ax.axvspan(
        course.peak_weeks_max,
        course.back_to_baseline_weeks_max,
        color=_RESOLUTION_SHADE,
        lw=0,
        zorder=0,
    )


def _limits(ax: Any, y: list[float], baseline: float | None, error: float) -> None:
    values = [*y] + ([] if baseline is None else [baseline - error, baseline + error])
    if not values:
        return
    low, high = min(values), max(values)
    pad = max(1.0, 0.12 * (high - low))
    ax.set_ylim(low - pad, high + pad)


def _legend_handles(
    course: Any, error: float, as_of: date | None, due: date, patch: Any
) -> list[Any]:
    from matplotlib.lines import Line2D

    handles = []
    if course is not None:
        handles += [
            patch(
                color=_PEAK_SHADE,
                label=f"published OPP peak {course.peak_weeks_min:g}-{course.peak_weeks_max:g} wk",
            ),
            patch(
                color=_RESOLUTION_SHADE,
                label=f"OPP back to baseline by {course.back_to_baseline_weeks_max:g} wk",
            ),
        ]
    if error > 0:
        handles.append(
            patch(color=_BAND, alpha=0.3, label=f"baseline ± {error:g} mm (measurement error)")
        )
    handles += [
        Line2D(
            [], [], color="0.3", marker="o", mfc="0.3", ls="", label="enlarged (≥ baseline + error)"
        ),
        Line2D([], [], color="0.3", marker="o", mfc="white", ls="", label="not enlarged"),
        Line2D([], [], color="#2e7d32", ls="--", label=f"next MRI due {due.isoformat()}"),
    ]
    if as_of is not None:
        handles.append(Line2D([], [], color="#c00000", label=f"assessed {as_of.isoformat()}"))
    return handles
