"""The 2-D frames of a DCE series: where each is in the files, in space and in time.

A classic single-frame file is one frame (``ImagePositionPatient``, ``TemporalPositionIdentifier``,
the acquisition time); an enhanced multi-frame file holds one frame per item of its per-frame
functional groups (plane position and orientation, pixel measures, frame content, pixel value
transformation), each read per frame or from the shared groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pseudoprog.errors import Problem
from pseudoprog.io.dicom_values import (
    floats,
    functional_group,
    number,
    parse_datetime,
    parse_time,
    problem,
    temporal,
)

__all__ = ["Frame", "classic_frames", "classic_time", "enhanced_frames"]


@dataclass(frozen=True, slots=True)
class Frame:
    """One 2-D image of the series: where it is in the files and in space and time."""

    path: Path
    index: int | None  # frame number in an enhanced file, None for a single-frame file
    position: tuple[float, float, float]
    orientation: tuple[float, ...]
    spacing: tuple[float, float]
    matrix: tuple[int, int]
    temporal: int | None
    time: datetime | None
    time_attribute: str
    slope: float
    intercept: float


def classic_time(ds: Any) -> tuple[datetime | None, str]:
    if "AcquisitionDateTime" in ds and str(ds.AcquisitionDateTime).strip():
        return parse_datetime(str(ds.AcquisitionDateTime)), "AcquisitionDateTime"
    if "AcquisitionTime" in ds and str(ds.AcquisitionTime).strip():
        day = str(ds.get("AcquisitionDate", "") or ds.get("SeriesDate", "") or "")
        return parse_time(day, str(ds.AcquisitionTime)), "AcquisitionTime"
    trigger = number(ds.get("TriggerTime"))
    if trigger is not None:
        return datetime(1900, 1, 1) + timedelta(milliseconds=trigger), "TriggerTime"
    return None, "AcquisitionTime"


def classic_frames(path: Path, ds: Any) -> tuple[list[Frame], list[Problem]]:
    problems: list[Problem] = []
    position = floats(ds.get("ImagePositionPatient"))
    orientation = floats(ds.get("ImageOrientationPatient"))
    spacing = floats(ds.get("PixelSpacing"))
    for attribute, value, size in (
        ("ImagePositionPatient (0020,0032)", position, 3),
        ("ImageOrientationPatient (0020,0037)", orientation, 6),
        ("PixelSpacing (0028,0030)", spacing, 2),
    ):
        if value is None or len(value) != size:
            problems.append(
                problem(path, attribute, "missing or malformed", f"{size} numbers in every file")
            )
    if problems or position is None or orientation is None or spacing is None:
        return [], problems
    time, attribute = classic_time(ds)
    frame = Frame(
        path=path,
        index=None,
        position=(position[0], position[1], position[2]),
        orientation=orientation,
        spacing=(spacing[0], spacing[1]),
        matrix=(int(ds.get("Rows", 0)), int(ds.get("Columns", 0))),
        temporal=temporal(ds.get("TemporalPositionIdentifier")),
        time=time,
        time_attribute=attribute,
        slope=number(ds.get("RescaleSlope")) or 1.0,
        intercept=number(ds.get("RescaleIntercept")) or 0.0,
    )
    return [frame], []


def enhanced_frames(path: Path, ds: Any) -> tuple[list[Frame], list[Problem]]:
    frames: list[Frame] = []
    problems: list[Problem] = []
    per_frame = ds.get("PerFrameFunctionalGroupsSequence") or []
    count = int(ds.get("NumberOfFrames", 0) or 0)
    if len(per_frame) != count or count == 0:
        problems.append(
            problem(
                path,
                "PerFrameFunctionalGroupsSequence (5200,9230)",
                f"{len(per_frame)} items for NumberOfFrames {count}",
                "one item per frame",
            )
        )
        return frames, problems
    matrix = (int(ds.get("Rows", 0)), int(ds.get("Columns", 0)))
    for index, item in enumerate(per_frame):
        plane = functional_group(ds, item, "PlanePositionSequence")
        orient = functional_group(ds, item, "PlaneOrientationSequence")
        measures = functional_group(ds, item, "PixelMeasuresSequence")
        content = functional_group(ds, item, "FrameContentSequence")
        transform = functional_group(ds, item, "PixelValueTransformationSequence")
        position = floats(None if plane is None else plane.get("ImagePositionPatient"))
        orientation = floats(None if orient is None else orient.get("ImageOrientationPatient"))
        spacing = floats(None if measures is None else measures.get("PixelSpacing"))
        missing = [
            name
            for name, value in (
                ("PlanePositionSequence > ImagePositionPatient", position),
                ("PlaneOrientationSequence > ImageOrientationPatient", orientation),
                ("PixelMeasuresSequence > PixelSpacing", spacing),
            )
            if value is None
        ]
        if missing or position is None or orientation is None or spacing is None:
            problems.append(
                problem(
                    path,
                    ", ".join(missing),
                    f"missing for frame {index + 1}",
                    "the plane position, orientation and pixel spacing of every frame "
                    "(per-frame or shared functional groups)",
                )
            )
            break
        time = None
        if content is not None and str(content.get("FrameAcquisitionDateTime", "")).strip():
            time = parse_datetime(str(content.FrameAcquisitionDateTime))
        frames.append(
            Frame(
                path=path,
                index=index,
                position=(position[0], position[1], position[2]),
                orientation=orientation,
                spacing=(spacing[0], spacing[1]),
                matrix=matrix,
                temporal=None
                if content is None
                else temporal(content.get("TemporalPositionIndex")),
                time=time,
                time_attribute="FrameContentSequence > FrameAcquisitionDateTime",
                slope=(number(None if transform is None else transform.get("RescaleSlope"))
                       or 1.0),
                intercept=(number(None if transform is None else transform.get("RescaleIntercept"))
                           or 0.0),
            )
        )  # fmt: skip
    return frames, problems
