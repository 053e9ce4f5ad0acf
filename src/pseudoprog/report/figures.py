"""Figures of a cohort study, rendered to PNG bytes with matplotlib (Agg, no pyplot state).

* :func:`time_course_figure`: change from baseline over weeks after treatment of the OPP
  lesions, one panel per sequence (like Fig 3 of Amini et al. 2016);
* :func:`kaplan_meier_figure`: OPP-free survival by fractionation with the numbers at risk
  (like Fig 2);
* :func:`incidence_figure`: cumulative incidence of OPP and PD as competing risks;
* :func:`spider_figure`: change from baseline of every lesion, coloured by response;
* :func:`response_figure`: responses by fractionation;
* :func:`roc_figure`: ROC curve of a diagnostic marker.

Colours are the Okabe-Ito palette, readable with colour-vision deficiency.
"""

from __future__ import annotations

import io
from collections.abc import Sequence as Seq
from typing import TYPE_CHECKING, Any

from pseudoprog.domain import ResponseCategory, Sequence
from pseudoprog.stats.accuracy import DiagnosticAccuracy
from pseudoprog.stats.competing import CumulativeIncidence
from pseudoprog.stats.survival import KaplanMeierCurve, LogRankTest, number_at_risk
from pseudoprog.stats.timecourse import Trajectory

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "RESPONSE_COLOURS",
    "incidence_figure",
    "kaplan_meier_figure",
    "response_figure",
    "roc_figure",
    "spider_figure",
    "time_course_figure",
]

RESPONSE_COLOURS = {
    ResponseCategory.PR: "#009E73",
    ResponseCategory.SD: "#56B4E9",
    ResponseCategory.PD: "#D55E00",
    ResponseCategory.OPP: "#CC79A7",
    ResponseCategory.INDETERMINATE: "#E69F00",
}
_GROUP_COLOURS = ("#0072B2", "#E69F00")
_LESION_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
_DPI = 130
#: Weeks 13-26 after treatment: "progression on MR imaging performed between 3 and 6 months
#: following SSRS should be treated with caution" (Amini et al. 2016, Conclusions).
_CAUTION_WEEKS = (13.0, 26.0)
_CAUTION_COLOUR = "#fbf0c8"


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=_DPI, layout="constrained")
    fig.set_facecolor("white")
    return fig


def _png(fig: Figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    return buffer.getvalue()


def _style(ax: Any) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(True, color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def _week_ticks(ax: Any, last: float) -> None:
    step = 13 if last <= 80 else 26 if last <= 240 else 52
    ax.set_xticks([w for w in range(0, int(last) + step, step) if w <= last * 1.03])


def time_course_figure(
    trajectories: Seq[Trajectory],
    *,
    error_mm: float,
    response: ResponseCategory = ResponseCategory.OPP,
) -> bytes | None:
    """Change from baseline (mm) over weeks of the lesions with ``response``, per sequence.

    Returns ``None`` when no lesion has that response.
    """
    chosen = [t for t in trajectories if t.response is response]
    sequences = [s for s in Sequence if any(t.sequence is s for t in chosen)]
    if not sequences:
        return None
    lesions = list(dict.fromkeys(t.lesion_id for t in chosen))
    colour = {lid: _LESION_COLOURS[i % len(_LESION_COLOURS)] for i, lid in enumerate(lesions)}
    fig = _figure(3.0 * len(sequences), 3.9)
    axes = fig.subplots(1, len(sequences), sharey=True, squeeze=False)[0]
    last = max(max(t.weeks) for t in chosen)
    for ax, sequence in zip(axes, sequences, strict=True):
        _style(ax)
        ax.axvspan(*_CAUTION_WEEKS, color=_CAUTION_COLOUR, zorder=0, label="3-6 months")
        ax.axhspan(-error_mm, error_mm, color="#eeeeee", zorder=0, label=f"±{error_mm:g} mm")
        ax.axhline(0, color="#888888", linewidth=0.8)
        for t in chosen:
            if t.sequence is sequence:
                ax.plot(
                    t.weeks,
                    t.change_mm,
                    marker="o",
                    markersize=3.5,
                    linewidth=1.4,
                    color=colour[t.lesion_id],
                    label=t.lesion_id,
                )
        ax.set_title(f"{sequence.value} ({sequence.description})", fontsize=9)
        ax.set_xlabel("Weeks after treatment")
        ax.set_xlim(min(-4.0, min(min(t.weeks) for t in chosen) - 1), last + 4)
        _week_ticks(ax, last)
    axes[0].set_ylabel("Change from baseline (mm)")
    unique: dict[str, Any] = {}
    for ax in axes:
        handles, labels = ax.get_legend_handles_labels()
        unique.update(zip(labels, handles, strict=True))
    fig.legend(
        unique.values(),
        unique.keys(),
        loc="outside lower center",
        fontsize=8,
        frameon=False,
        ncols=min(len(unique), 7),
    )
    return _png(fig)


def kaplan_meier_figure(curves: Seq[KaplanMeierCurve], logrank: LogRankTest | None = None) -> bytes:
    """OPP-free survival curves with pointwise intervals, censoring marks and numbers at risk."""
    fig = _figure(7.2, 4.9)
    grid = fig.add_gridspec(2, 1, height_ratios=(4.2, 0.35 + 0.3 * len(curves)))
    ax = fig.add_subplot(grid[0])
    risk = fig.add_subplot(grid[1], sharex=ax)
    _style(ax)
    last = max(max(c.durations) for c in curves)
    for i, curve in enumerate(curves):
        colour = _GROUP_COLOURS[i % len(_GROUP_COLOURS)]
        ax.step(
            curve.times,
            curve.survival,
            where="post",
            color=colour,
            linewidth=1.8,
            label=f"{curve.label} (n = {curve.n}, {curve.events} OPP)",
        )
        ax.fill_between(
            curve.times,
            curve.ci_low,
            curve.ci_high,
            step="post",
            color=colour,
            alpha=0.12,
            linewidth=0,
        )
        censored = curve.censored_times
        ax.plot(
            censored,
            [curve.survival_at(t) for t in censored],
            linestyle="none",
            marker="|",
            markersize=7,
            color=colour,
        )
    ax.set_ylim(0, 1.04)
    ax.set_ylabel("OPP-free (proportion of lesions)")
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    if logrank is not None:
        ax.text(
            0.98,
            0.04,
            f"log-rank P = {logrank.p_value:.3f}",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=9,
        )
    ax.tick_params(labelbottom=False)
    _week_ticks(ax, last)
    ax.set_xlim(-0.04 * last, last * 1.03)
    ticks = [t for t in ax.get_xticks() if 0 <= t <= last * 1.03]
    risk.set_ylim(-0.5, len(curves) - 0.5)
    risk.set_yticks(range(len(curves)), [c.label for c in reversed(curves)], fontsize=8)
    for row, curve in enumerate(reversed(curves)):
        for t in ticks:
            risk.text(
                t,
                row,
                str(number_at_risk(curve.durations, t)),
                ha="center",
                va="center",
                fontsize=8,
            )
    for side in ("top", "right", "left"):
        risk.spines[side].set_visible(False)
    risk.tick_params(left=False)
    risk.set_xlabel("Weeks after treatment")
    risk.set_title("Number at risk", fontsize=8, loc="left")
    return _png(fig)


def incidence_figure(incidence: Seq[CumulativeIncidence]) -> bytes:
    """Cumulative incidence of each cause (OPP, PD) with pointwise intervals."""
    colours = {
        "OPP": RESPONSE_COLOURS[ResponseCategory.OPP],
        "PD": RESPONSE_COLOURS[ResponseCategory.PD],
    }
    fig = _figure(7.2, 3.9)
    ax = fig.add_subplot()
    _style(ax)
    last = max(max(c.times) for c in incidence)
    for c in incidence:
        colour = colours.get(c.label, "#000000")
        ax.step(
            c.times,
            c.incidence,
            where="post",
            color=colour,
            linewidth=1.8,
            label=f"{c.label} ({c.events} events; {c.competing_events} competing)",
        )
        low = [0.0 if v != v else v for v in c.ci_low]
        high = [0.0 if v != v else v for v in c.ci_high]
        ax.fill_between(c.times, low, high, step="post", color=colour, alpha=0.10, linewidth=0)
    ax.axvspan(*_CAUTION_WEEKS, color=_CAUTION_COLOUR, zorder=0, label="3-6 months after treatment")
    ax.set_xlabel("Weeks after treatment (event: first enlarged study)")
    ax.set_ylabel("Cumulative incidence")
    top = max(max((v for v in c.ci_high if v == v), default=0.0) for c in incidence)
    top = max(top, max(max(c.incidence) for c in incidence))
    ax.set_ylim(0, max(0.1, min(1.0, top * 1.08)))
    ax.set_xlim(0, last * 1.02)
    _week_ticks(ax, last)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    return _png(fig)


def spider_figure(
    trajectories: Seq[Trajectory], *, sequence: Sequence, error_mm: float
) -> bytes | None:
    """Change from baseline of every lesion on ``sequence``, coloured by response."""
    chosen = [t for t in trajectories if t.sequence is sequence]
    if not chosen:
        return None
    fig = _figure(7.2, 4.4)
    ax = fig.add_subplot()
    _style(ax)
    ax.axhspan(-error_mm, error_mm, color="#eeeeee", zorder=0)
    ax.axhline(0, color="#888888", linewidth=0.8)
    seen: set[ResponseCategory] = set()
    for t in sorted(chosen, key=lambda t: t.response is ResponseCategory.OPP):
        count = sum(1 for x in chosen if x.response is t.response)
        label = None if t.response in seen else f"{t.response.value} ({count})"
        seen.add(t.response)
        ax.plot(
            t.weeks,
            t.change_mm,
            color=RESPONSE_COLOURS[t.response],
            linewidth=1.1,
            alpha=0.9,
            marker="o",
            markersize=2.2,
            label=label,
        )
    last = max(max(t.weeks) for t in chosen)
    ax.set_xlim(min(-4.0, min(min(t.weeks) for t in chosen) - 1), last + 4)
    _week_ticks(ax, last)
    ax.set_xlabel("Weeks after treatment")
    ax.set_ylabel(f"Change from baseline on {sequence.value} (mm)")
    ax.set_title(
        f"All lesions, {sequence.description}; grey band: ±{error_mm:g} mm measurement error",
        fontsize=9,
    )
    handles, labels = ax.get_legend_handles_labels()
    order = sorted(
        range(len(labels)),
        key=lambda i: [c.value for c in ResponseCategory].index(labels[i].split()[0]),
    )
    ax.legend(
        [handles[i] for i in order],
        [labels[i] for i in order],
        fontsize=8,
        frameon=False,
        loc="upper left",
        title="Response",
        title_fontsize=8,
    )
    return _png(fig)


def response_figure(
    groups: Seq[tuple[str, Seq[ResponseCategory]]],
) -> bytes:
    """Horizontal stacked bars: responses within each group (e.g. by fractionation)."""
    from matplotlib.ticker import MaxNLocator

    fig = _figure(7.2, 0.9 + 0.55 * len(groups))
    ax = fig.add_subplot()
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for row, (_, responses) in enumerate(reversed(groups)):
        left = 0
        for category in ResponseCategory:
            n = sum(1 for r in responses if r is category)
            if not n:
                continue
            ax.barh(
                row,
                n,
                left=left,
                color=RESPONSE_COLOURS[category],
                edgecolor="white",
                label=category.value,
            )
            ax.text(left + n / 2, row, str(n), ha="center", va="center", fontsize=8, color="black")
            left += n
    ax.set_yticks(range(len(groups)), [g for g, _ in reversed(groups)], fontsize=9)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("Lesions")
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    ax.legend(
        unique.values(),
        unique.keys(),
        ncols=len(unique),
        fontsize=8,
        frameon=False,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
    )
    return _png(fig)


def roc_figure(accuracy: DiagnosticAccuracy) -> bytes:
    """ROC curve with the chance diagonal and the operating point at the threshold."""
    fig = _figure(4.6, 4.4)
    ax = fig.add_subplot()
    _style(ax)
    ax.plot([0, 1], [0, 1], color="#999999", linestyle="--", linewidth=0.8)
    ax.step(
        accuracy.roc_fpr,
        accuracy.roc_tpr,
        where="post",
        color=_GROUP_COLOURS[0],
        linewidth=1.8,
        label=f"AUC {accuracy.auc:.2f}",
    )
    sens = accuracy.sensitivity.estimate or 0.0
    spec = accuracy.specificity.estimate or 0.0
    ax.plot(
        [1 - spec],
        [sens],
        marker="o",
        color=_GROUP_COLOURS[1],
        linestyle="none",
        label=accuracy.rule,
    )
    ax.set_xlabel("1 − specificity")
    ax.set_ylabel("Sensitivity")
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.set_aspect("equal")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    return _png(fig)
