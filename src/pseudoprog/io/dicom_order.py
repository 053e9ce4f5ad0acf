"""Ordering the frames of a DCE series in space and time, and its frame times.

Frames are grouped by slice position along the slice normal and ordered in time by the
temporal position, else the acquisition time; every slice must have the same number of time
points (at least :data:`MIN_FRAMES`), each once, and the slices must be evenly spaced. The
frame times are the earliest acquisition time of each time point's slices, in seconds from
the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from pseudoprog.errors import Problem
from pseudoprog.io.dicom_frames import Frame
from pseudoprog.io.dicom_values import problem

__all__ = ["MIN_FRAMES", "arrange_frames", "frame_times", "order_key"]

FloatArray = npt.NDArray[np.float64]

#: The fewest time points of a dynamic series.
MIN_FRAMES = 4
POSITION_TOL_MM = 0.01
SPACING_TOL = 0.01  # relative spread of the slice spacing


def order_key(frame: Frame) -> tuple[int, datetime, str, int]:
    return (
        frame.temporal if frame.temporal is not None else 0,
        frame.time or datetime.min,
        frame.path.name,
        frame.index or 0,
    )


def arrange_frames(
    frames: Sequence[Frame], directory: Path
) -> tuple[list[list[Frame]], np.ndarray, list[Problem]]:
    """Frames as ``[time][slice]``, the slice offsets along the normal, or the problems."""
    orientation = np.asarray(frames[0].orientation)
    normal = np.cross(orientation[:3], orientation[3:])
    by_slice: dict[float, list[Frame]] = {}
    for frame in frames:
        offset = round(float(np.dot(normal, frame.position)) / POSITION_TOL_MM)
        by_slice.setdefault(offset * POSITION_TOL_MM, []).append(frame)
    offsets = np.array(sorted(by_slice))
    counts = {key: len(items) for key, items in by_slice.items()}
    if len(set(counts.values())) > 1:
        most = max(set(counts.values()), key=list(counts.values()).count)
        odd = next(k for k, c in counts.items() if c != most)
        example = by_slice[odd][0]
        return (
            [],
            offsets,
            [
                problem(
                    example.path,
                    "ImagePositionPatient (0020,0032)",
                    f"the slice at {odd:.2f} mm has {counts[odd]} time points, the others {most} "
                    "(incomplete series or inconsistent geometry)",
                    "every slice position at every time point: export the complete series",
                )
            ],
        )
    frames_per_slice = next(iter(counts.values()))
    if frames_per_slice < MIN_FRAMES:
        return (
            [],
            offsets,
            [
                Problem(
                    str(directory),
                    f"TemporalPositionIdentifier (0020,0100): {frames_per_slice} time point(s) at "
                    f"each of {len(offsets)} slice positions: not a dynamic (DCE) series",
                    f"a DCE series: at least {MIN_FRAMES} time points of the same slices",
                )
            ],
        )
    untimed = [f for f in frames if f.temporal is None and f.time is None]
    if untimed:
        example = untimed[0]
        attribute = (
            "FrameContentSequence > TemporalPositionIndex / FrameAcquisitionDateTime"
            if example.index is not None
            else "TemporalPositionIdentifier (0020,0100) / AcquisitionTime (0008,0032)"
        )
        return (
            [],
            offsets,
            [
                problem(
                    example.path,
                    attribute,
                    "missing timing: the time order of the frames cannot be told",
                    "the temporal position or the acquisition time of every frame (export the "
                    "series from the scanner or PACS with its full headers)",
                )
            ],
        )
    grid = [
        [sorted(by_slice[key], key=order_key)[t] for key in offsets]
        for t in range(frames_per_slice)
    ]
    for key in offsets:
        items = by_slice[key]
        if all(f.temporal is not None for f in items) and len({f.temporal for f in items}) < len(
            items
        ):
            return (
                [],
                offsets,
                [
                    problem(
                        items[0].path,
                        "TemporalPositionIdentifier (0020,0100)",
                        f"repeated at the slice at {key:.2f} mm: two images of one slice and time",
                        "each slice once per time point (a duplicated file?)",
                    )
                ],
            )
    if len(offsets) > 2:
        steps = np.diff(offsets)
        if np.ptp(steps) > SPACING_TOL * float(np.mean(steps)):
            return (
                [],
                offsets,
                [
                    problem(
                        by_slice[offsets[0]][0].path,
                        "ImagePositionPatient (0020,0032)",
                        f"slices unevenly spaced ({float(steps.min()):.3g} to "
                        f"{float(steps.max()):.3g} mm): inconsistent geometry or missing slices",
                        "evenly spaced slices",
                    )
                ],
            )
    return grid, offsets, []


def frame_times(grid: Sequence[Sequence[Frame]]) -> tuple[FloatArray | None, str, list[Problem]]:
    """Frame times (s from the first frame): the earliest time of each frame's slices."""
    attribute = grid[0][0].time_attribute
    if any(f.time is None for row in grid for f in row):
        return None, "TemporalPositionIdentifier", []
    starts = [min(f.time for f in row if f.time is not None) for row in grid]
    times = np.array([(s - starts[0]).total_seconds() for s in starts], dtype=np.float64)
    if attribute == "AcquisitionTime" and np.any(np.diff(times) < -43200):
        # the series ran past midnight with a time but no date
        times = np.where(times < 0, times + 86400.0, times)
    if np.any(np.diff(times) <= 0):
        bad = int(np.argmax(np.diff(times) <= 0)) + 1
        return (
            None,
            attribute,
            [
                problem(
                    grid[bad][0].path,
                    attribute,
                    f"time point {bad + 1} is not later than time point {bad} "
                    f"({times[bad]:.3f} s vs {times[bad - 1]:.3f} s)",
                    "frame times that increase with the temporal position; or give the frame "
                    "times with --times or --frame-interval",
                )
            ],
        )
    return times, attribute, []
