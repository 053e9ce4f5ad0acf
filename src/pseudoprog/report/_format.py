"""Number formatting shared by the HTML report (text only, HTML-escaped by the caller)."""

from __future__ import annotations

import math
from html import escape

from pseudoprog.stats.proportions import Proportion

__all__ = ["ci", "esc", "num", "pct", "proportion_cells", "pvalue", "share"]


def esc(text: object) -> str:
    """HTML-escape ``text``."""
    return escape(str(text), quote=True)


def num(value: float | None, digits: int = 1) -> str:
    """``value`` with ``digits`` decimals, or an en dash when missing."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.{digits}f}"


def pct(value: float | None, digits: int = 0) -> str:
    """A percentage (already ×100) such as ``14%``."""
    return "–" if value is None else f"{value:.{digits}f}%"


def ci(low: float | None, high: float | None, digits: int = 1, unit: str = "") -> str:
    """An interval such as ``8.6–19.1``; an en dash when missing."""
    if low is None or high is None:
        return "–"
    return f"{num(low, digits)}–{num(high, digits)}{unit}"


def pvalue(p: float | None) -> str:
    """A P value: three decimals, ``< 0.001`` below that."""
    if p is None or not math.isfinite(p):
        return "–"
    if p < 0.001:
        return "&lt; 0.001"
    return f"{p:.3f}"


def share(p: Proportion) -> str:
    """``5/37 (14%)``."""
    return f"{p.numerator}/{p.denominator} ({pct(p.percent)})"


def proportion_cells(p: Proportion) -> tuple[str, str, str]:
    """Cells ``n/N``, ``%`` and the interval in percent, for a table row."""
    low = None if p.ci_low is None else 100 * p.ci_low
    high = None if p.ci_high is None else 100 * p.ci_high
    return f"{p.numerator}/{p.denominator}", pct(p.percent), ci(low, high, 0, "%")
