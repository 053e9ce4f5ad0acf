"""Region-of-interest summaries of parameter maps and their change between visits.

The change in plasma volume between a baseline and a follow-up DCE-MRI separated treatment
success from failure of spine metastases after radiation therapy (AJNR Am J Neuroradiol
2023;44:1451–1457: −57.3% in success, +88.2% in failure); :func:`vp_change_evidence` turns
such a change into a row of the ``evidence`` table (kind ``dce_vp_change_pct``).

Examples
--------
>>> import numpy as np
>>> vp = np.array([[0.02, 0.04], [0.06, np.nan]])
>>> labels = np.array([[1, 1], [1, 0]])
>>> [s.median for s in roi_summaries({"vp": vp}, labels)]
[0.04]
>>> percent_change(0.04, 0.02)
-50.0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from pseudoprog.domain import CodedEnum, Evidence
from pseudoprog.errors import ParameterError

__all__ = [
    "RoiStatistic",
    "RoiSummary",
    "parameter_change",
    "percent_change",
    "roi_summaries",
    "vp_change_evidence",
]

#: Evidence kind of a percent change of ROI plasma volume between two DCE-MRI visits.
VP_CHANGE_KIND = "dce_vp_change_pct"


class RoiStatistic(CodedEnum):
    """Statistic that represents an ROI in a change between visits."""

    MEAN = "mean"
    MEDIAN = "median"

    @classmethod
    def _described_as(cls) -> tuple[str | None, str]:
        return "statistic", "ROI statistic"


@dataclass(frozen=True, slots=True)
class RoiSummary:
    """Summary of one parameter in one labelled region (finite voxels only)."""

    label: int
    parameter: str
    voxels: int  #: voxels of the region
    used: int  #: voxels with a finite (and, if given, ok) value
    mean: float
    median: float
    q1: float
    q3: float

    @property
    def iqr(self) -> float:
        """Interquartile range ``q3 − q1``."""
        return self.q3 - self.q1

    def value(self, statistic: RoiStatistic) -> float:
        """The region's mean or median."""
        return self.mean if statistic is RoiStatistic.MEAN else self.median


def roi_summaries(
    maps: Mapping[str, npt.ArrayLike],
    labels: npt.ArrayLike,
    *,
    ok: npt.ArrayLike | None = None,
) -> list[RoiSummary]:
    """Mean, median and quartiles of every map in every non-zero label of ``labels``.

    Parameters
    ----------
    maps
        Parameter maps by name, all of the shape of ``labels``.
    labels
        Integer label image; 0 is background.
    ok
        Optional boolean map; voxels where it is False are left out (e.g. failed fits).
    """
    lab = np.asarray(labels)
    if lab.dtype.kind == "b":
        lab = lab.astype(np.int64)
    if lab.dtype.kind == "f":
        if not np.all(np.isfinite(lab)) or np.any(lab != np.round(lab)):
            raise ParameterError("labels must hold whole numbers (0 = background)")
        lab = lab.astype(np.int64)
    if lab.dtype.kind not in "iu":
        raise ParameterError(f"labels must be an integer image; got dtype {lab.dtype}")
    keep = np.ones(lab.shape, bool) if ok is None else np.asarray(ok, dtype=bool)
    if keep.shape != lab.shape:
        raise ParameterError(f"ok has shape {keep.shape}; labels have shape {lab.shape}")
    values = [int(v) for v in np.unique(lab) if v != 0]
    if not values:
        raise ParameterError("the label image has no non-zero label; nothing to summarise")
    rows: list[RoiSummary] = []
    for name, data in maps.items():
        arr = np.asarray(data, dtype=np.float64)
        if arr.shape != lab.shape:
            raise ParameterError(
                f"map {name!r} has shape {arr.shape}; the labels have shape {lab.shape}"
            )
        for value in values:
            region = lab == value
            sample = arr[region & keep]
            sample = sample[np.isfinite(sample)]
            if sample.size:
                q1, med, q3 = (float(q) for q in np.percentile(sample, [25, 50, 75]))
                mean = float(sample.mean())
            else:
                q1 = med = q3 = mean = float("nan")
            rows.append(
                RoiSummary(
                    label=value,
                    parameter=name,
                    voxels=int(region.sum()),
                    used=int(sample.size),
                    mean=mean,
                    median=med,
                    q1=q1,
                    q3=q3,
                )
            )
    return rows


def percent_change(before: float, after: float) -> float:
    """``100·(after − before)/before``.

    >>> percent_change(0.05, 0.0941)
    88.2
    """
    if not (np.isfinite(before) and np.isfinite(after)):
        raise ParameterError(
            f"cannot compute a change from before={before!r} to after={after!r}: both must "
            "be finite (is the ROI empty or every fit failed?)"
        )
    if before == 0:
        raise ParameterError(
            "the baseline value is 0, so a percent change is undefined; check the ROI and "
            "the baseline map"
        )
    return round(100.0 * (after - before) / before, 10)


def parameter_change(
    before: RoiSummary, after: RoiSummary, *, statistic: RoiStatistic | str = RoiStatistic.MEDIAN
) -> float:
    """Percent change of an ROI statistic between two visits."""
    if before.parameter != after.parameter:
        raise ParameterError(
            f"cannot compare {before.parameter!r} before with {after.parameter!r} after"
        )
    stat = RoiStatistic.parse(statistic)
    return percent_change(before.value(stat), after.value(stat))


def vp_change_evidence(
    lesion_id: str,
    when: date,
    before: RoiSummary,
    after: RoiSummary,
    *,
    statistic: RoiStatistic | str = RoiStatistic.MEDIAN,
) -> Evidence:
    """The ``evidence`` row for the percent change of ROI vp between two visits.

    ``when`` is the date of the follow-up visit, at which the change is known.
    """
    if before.parameter != "vp" or after.parameter != "vp":
        raise ParameterError(
            f"vp_change_evidence needs vp summaries; got {before.parameter!r} and "
            f"{after.parameter!r}"
        )
    if not lesion_id.strip():
        raise ParameterError("lesion_id must not be empty")
    value = parameter_change(before, after, statistic=statistic)
    return Evidence(lesion_id=lesion_id.strip(), date=when, kind=VP_CHANGE_KIND, value=value)
