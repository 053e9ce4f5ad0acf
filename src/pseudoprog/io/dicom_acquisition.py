"""The acquisition parameters of a DCE series in its headers: flip angle, TR, field strength.

Classic files give them as top-level attributes; enhanced files in the MR Timing and Related
Parameters functional group. They must not vary within the series: a variable flip angle or
TR is a T1-mapping series, not a dynamic one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pseudoprog.errors import Problem
from pseudoprog.io.dicom_series import DicomLayout, Header
from pseudoprog.io.dicom_values import functional_group, number, problem

__all__ = ["AcquisitionHeaders", "acquisition_headers", "check_uniform_acquisition"]


@dataclass(frozen=True, slots=True)
class AcquisitionHeaders:
    """Acquisition parameters read from the headers (``None`` where absent)."""

    flip_angle_deg: float | None
    tr_ms: float | None
    field_strength_t: float | None


def acquisition_headers(ds: Any, layout: DicomLayout) -> AcquisitionHeaders:
    timing = None
    if layout is DicomLayout.ENHANCED:
        timing = functional_group(ds, None, "MRTimingAndRelatedParametersSequence")
    source = timing if timing is not None else ds
    return AcquisitionHeaders(
        flip_angle_deg=number(source.get("FlipAngle")),
        tr_ms=number(source.get("RepetitionTime")),
        field_strength_t=number(ds.get("MagneticFieldStrength")),
    )


def check_uniform_acquisition(headers: Sequence[Header], layout: DicomLayout) -> list[Problem]:
    """Flip angle and TR must not vary within the series (variable flip angle is T1 mapping)."""
    seen: dict[str, dict[float, Path]] = {
        "FlipAngle (0018,1314)": {},
        "RepetitionTime (0018,0080)": {},
    }
    for header in headers:
        found = acquisition_headers(header.ds, layout)
        if found.flip_angle_deg is not None:
            seen["FlipAngle (0018,1314)"].setdefault(round(found.flip_angle_deg, 3), header.path)
        if found.tr_ms is not None:
            seen["RepetitionTime (0018,0080)"].setdefault(round(found.tr_ms, 3), header.path)
    problems = []
    for attribute, values in seen.items():
        if len(values) > 1:
            listed = ", ".join(f"{v:g} ({p.name})" for v, p in sorted(values.items()))
            problems.append(
                problem(
                    next(iter(values.values())),
                    attribute,
                    f"differs between files: {listed}: a variable flip angle or TR series "
                    "(T1 mapping), not a DCE series",
                    "the dynamic series, acquired with one flip angle and TR",
                )
            )
    return problems
