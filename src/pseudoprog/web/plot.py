"""The size-over-time plot of a lesion page, as SVG drawn by matplotlib on the server.

One panel per sequence: the sizes over weeks since treatment, the baseline with its ± error
band, the peak of an enlargement and the study at which the lesion came back (decline), as
the criteria found them (the stored ``per_sequence`` fields of the classify result). Nothing
is computed here but positions.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

__all__ = ["size_plot_svg"]

_COLOURS = {"T1": "#1f4e79", "T2FS": "#7a3b8f", "T1C": "#b35900"}


def _weeks(day: date, treated: date) -> float:
    return (day - treated).days / 7.0


def size_plot_svg(
    *,
    treated: date,
    measurements: Sequence[Mapping[str, Any]],
    per_sequence: Mapping[str, Mapping[str, Any]],
    error_mm: float | None,
    title: str,
) -> bytes:
    """The plot as SVG bytes.

    Parameters
    ----------
    treated
        Treatment date (week 0).
    measurements
        Rows with ``date`` (ISO text), ``sequence`` and ``size_mm``.
    per_sequence
        The classify result's ``per_sequence`` (baseline, peak and decline of each sequence).
    error_mm
        The criteria's measurement error (the band around the baseline), if they have one.
    title
        The plot's title (text only; the page shows the patient and lesion).
    """
    from matplotlib.figure import Figure

    sequences = sorted({str(m["sequence"]) for m in measurements}, key=list(_COLOURS).index)
    rows = max(1, len(sequences))
    fig = Figure(figsize=(7.5, 0.6 + 2.0 * rows), dpi=96, layout="constrained")
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False)[:, 0]
    for ax, sequence in zip(axes, sequences, strict=False):
        points = sorted(
            (date.fromisoformat(str(m["date"])), float(m["size_mm"]))
            for m in measurements
            if m["sequence"] == sequence
        )
        x = [_weeks(d, treated) for d, _ in points]
        y = [s for _, s in points]
        colour = _COLOURS.get(sequence, "#333333")
        judged = per_sequence.get(sequence, {})
        baseline = judged.get("baseline_mm")
        if baseline is not None:
            if error_mm:
                ax.axhspan(
                    baseline - error_mm, baseline + error_mm, color="#9e9e9e", alpha=0.3, lw=0
                )
            ax.axhline(baseline, color="0.45", ls="--", lw=1, label="baseline")
        ax.plot(x, y, color=colour, lw=1.6, marker="o", ms=4, label=f"{sequence} size")
        for key, marker, name in (("peak_date", "^", "peak"), ("decline_date", "v", "decline")):
            when = judged.get(key)
            if when:
                day = date.fromisoformat(str(when))
                size = dict(points).get(day)
                if size is not None:
                    ax.plot(
                        [_weeks(day, treated)],
                        [size],
                        marker=marker,
                        ms=10,
                        color="#c00000",
                        ls="none",
                        label=name,
                    )
        verdict = judged.get("response") or "-"
        ax.set_title(f"{sequence}: {verdict}", loc="left", fontsize=9)
        ax.set_ylabel("size (mm)")
        ax.axvline(0, color="black", lw=1.0)
        ax.grid(axis="y", color="0.92", lw=0.6)
        ax.legend(fontsize=7, loc="best", frameon=False)
    axes[-1].set_xlabel("weeks since treatment")
    fig.suptitle(title, fontsize=10, x=0.01, ha="left")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
