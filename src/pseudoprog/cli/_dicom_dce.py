"""``perfusion fit --dce FOLDER``: a DICOM DCE series, its header values and the options.

The flip angle, TR and frame times come from the headers unless given on the command line;
a command-line value overrides the header and, when they differ, a warning says so. The
chosen values and where each came from are recorded in ``fit.json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pseudoprog.errors import InputValidationError, Problem
from pseudoprog.io import dce as dce_io
from pseudoprog.io.dicom_dce import DicomDce, read_dicom_dce
from pseudoprog.io.nifti import DceSeries

__all__ = ["DicomInput", "dicom_input"]

#: Frame times that differ by more than this (s) from the headers' are reported.
TIME_TOLERANCE_S = 0.5


@dataclass(frozen=True, eq=False)
class DicomInput:
    """The series to fit, the acquisition values to use and what to tell the user."""

    dicom: DicomDce
    series: DceSeries
    flip_angle: float | None
    tr_ms: float | None
    warnings: tuple[str, ...]
    sources: dict[str, str]

    def settings(self) -> dict[str, Any]:
        """The ``dicom`` section of ``fit.json``."""
        acquisition = self.dicom.acquisition
        return {
            "layout": self.dicom.layout.value,
            **self.dicom.uids,
            "series_description": self.dicom.description,
            "timing_attribute": self.dicom.timing_attribute,
            "header_flip_angle_deg": acquisition.flip_angle_deg,
            "header_tr_ms": acquisition.tr_ms,
            "field_strength_t": acquisition.field_strength_t,
            "sources": self.sources,
            "warnings": list(self.warnings),
        }


def _choose(
    name: str, given: float | None, header: float | None, unit: str, attribute: str
) -> tuple[float | None, str, str | None]:
    if given is None:
        return header, (attribute if header is not None else "absent"), None
    if header is not None and not np.isclose(given, header, rtol=0.0, atol=1e-3):
        return (
            given,
            "command line",
            f"{name} {given:g} {unit} given on the command line differs from the header "
            f"{attribute} {header:g} {unit}; the command-line value is used",
        )
    return given, "command line", None


def _times(
    dicom: DicomDce, times: Path | None, frame_interval: float | None
) -> tuple[npt.NDArray[np.float64], str, str | None]:
    header = dicom.times_s
    if frame_interval is not None:
        chosen = dce_io.regular_frame_times(dicom.frames, frame_interval)
        source = "--frame-interval"
    elif times is not None:
        chosen = dce_io.read_frame_times(times, dicom.frames)
        source = "--times"
    elif header is not None:
        return header, dicom.timing_attribute, None
    else:
        raise InputValidationError(
            [
                Problem(
                    str(dicom.directory),
                    f"{dicom.timing_attribute}: the frames are ordered but no acquisition "
                    "time is given (AcquisitionDateTime, AcquisitionTime, TriggerTime or "
                    "FrameAcquisitionDateTime), so the frame times are unknown",
                    "give the frame times with --times FILE.json or --frame-interval SECONDS",
                )
            ]
        )
    warning = None
    if header is not None and np.max(np.abs(chosen - header)) > TIME_TOLERANCE_S:
        worst = int(np.argmax(np.abs(chosen - header)))
        warning = (
            f"frame times from {source} differ from the headers' {dicom.timing_attribute} "
            f"(frame {worst + 1}: {chosen[worst]:g} s vs {header[worst]:g} s); {source} is used"
        )
    return chosen, source, warning


def dicom_input(
    folder: Path,
    *,
    times: Path | None,
    frame_interval: float | None,
    flip_angle: float | None,
    tr_ms: float | None,
    concentration: bool,
) -> DicomInput:
    """Read the DICOM series in ``folder`` and settle its frame times, flip angle and TR.

    With ``concentration`` the headers' flip angle and TR are not used (nothing to convert).
    Raises :class:`InputValidationError` naming the file, the attribute and the fix.
    """
    dicom = read_dicom_dce(folder)
    chosen_times, time_source, time_warning = _times(dicom, times, frame_interval)
    warnings = [w for w in (time_warning,) if w]
    sources = {"frame_times": time_source}
    if not concentration:
        head = dicom.acquisition
        flip_angle, sources["flip_angle"], flip_warning = _choose(
            "flip angle", flip_angle, head.flip_angle_deg, "degrees", "FlipAngle (0018,1314)"
        )
        tr_ms, sources["tr"], tr_warning = _choose(
            "TR", tr_ms, head.tr_ms, "ms", "RepetitionTime (0018,0080)"
        )
        warnings += [w for w in (flip_warning, tr_warning) if w]
    return DicomInput(
        dicom=dicom,
        series=dicom.series(chosen_times),
        flip_angle=flip_angle,
        tr_ms=tr_ms,
        warnings=tuple(warnings) + dicom.notes,
        sources=sources,
    )
