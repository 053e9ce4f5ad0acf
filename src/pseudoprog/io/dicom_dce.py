"""DCE-MRI series from a folder of DICOM files (classic single-frame or enhanced multi-frame MR).

Every file of the folder (and its sub-folders) is read without its pixels, the frames are
grouped by slice position and ordered in time, and the series is checked before any pixel is
read:

- one series only (``SeriesInstanceUID``); MR Image Storage or Enhanced MR Image Storage;
- one orientation (``ImageOrientationPatient``), pixel spacing and matrix for every frame;
- the same number of frames at every slice position, slices evenly spaced;
- at least 4 time points (a series with a single time point is not a dynamic series);
- time order from ``TemporalPositionIdentifier`` (classic) or ``TemporalPositionIndex``
  (enhanced), else from the acquisition times; frame times (seconds from the first frame)
  from ``AcquisitionDateTime``, ``AcquisitionDate`` + ``AcquisitionTime``, ``TriggerTime``
  (classic) or ``FrameAcquisitionDateTime`` (enhanced): the earliest time of the frame's
  slices. A series without timing can be read when the frame times are given otherwise.

The flip angle, TR and field strength are read from the headers (:class:`AcquisitionHeaders`).
The volume is put on a NIfTI grid (RAS affine) so that masks, T1 maps and the output maps of
the NIfTI path work unchanged. Problems name the file, the DICOM attribute and the fix.

pydicom is imported when a folder is read, not when the package is imported.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import numpy.typing as npt

from pseudoprog.errors import InputValidationError, Problem
from pseudoprog.io.nifti import DceSeries, Geometry

__all__ = [
    "ENHANCED_MR_IMAGE_STORAGE",
    "MR_IMAGE_STORAGE",
    "AcquisitionHeaders",
    "DicomDce",
    "DicomLayout",
    "read_dicom_dce",
]

FloatArray = npt.NDArray[np.float64]

MR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.4"
ENHANCED_MR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.4.1"
#: The fewest time points of a dynamic series.
MIN_FRAMES = 4
_POSITION_TOL_MM = 0.01
_ORIENTATION_TOL = 1e-4
_SPACING_TOL = 0.01  # relative spread of the slice spacing


class DicomLayout(StrEnum):
    """How the frames of the series are stored."""

    CLASSIC = "classic single-frame MR"
    ENHANCED = "enhanced multi-frame MR"


@dataclass(frozen=True, slots=True)
class AcquisitionHeaders:
    """Acquisition parameters read from the headers (``None`` where absent)."""

    flip_angle_deg: float | None
    tr_ms: float | None
    field_strength_t: float | None


@dataclass(frozen=True, slots=True)
class _Frame:
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


@dataclass(frozen=True, eq=False)
class DicomDce:
    """A checked DCE series in a DICOM folder; its pixels are read by :meth:`series`.

    Attributes
    ----------
    directory
        The folder read.
    layout
        Classic single-frame or enhanced multi-frame files.
    uids
        ``StudyInstanceUID``, ``SeriesInstanceUID`` and ``FrameOfReferenceUID``.
    times_s
        Frame times in seconds from the first frame, or ``None`` when the headers have none.
    timing_attribute
        The attribute the times (or the order) came from.
    acquisition
        Flip angle, TR and field strength from the headers.
    geometry
        The NIfTI grid of the volume (RAS affine; x along the rows, y down the columns).
    reference_files
        The files of the first time point, slice by slice (for references to the source).
    slice_positions
        ``ImagePositionPatient`` of each slice (LPS, mm), in the order of the volume.
    orientation, pixel_spacing, slice_thickness
        ``ImageOrientationPatient``, ``PixelSpacing`` (row, column) and the slice spacing (mm).
    notes
        Things the reader did or ignored that a user should know (e.g. non-DICOM files).
    """

    directory: Path
    layout: DicomLayout
    uids: dict[str, str]
    description: str
    times_s: FloatArray | None
    timing_attribute: str
    acquisition: AcquisitionHeaders
    geometry: Geometry
    reference_files: tuple[Path, ...]
    slice_positions: tuple[tuple[float, float, float], ...]
    orientation: tuple[float, ...]
    pixel_spacing: tuple[float, float]
    slice_thickness: float
    notes: tuple[str, ...]
    _grid: tuple[tuple[_Frame, ...], ...]  # [time][slice]

    @property
    def frames(self) -> int:
        """Number of time points."""
        return len(self._grid)

    def series(self, times_s: npt.ArrayLike) -> DceSeries:
        """The series with the given frame times, ready to :meth:`DceSeries.read`."""
        times = np.asarray(times_s, dtype=np.float64)
        if times.shape != (self.frames,):
            raise InputValidationError(
                [
                    Problem(
                        str(self.directory),
                        f"has {self.frames} time points but {times.size} frame times were given",
                        "one frame time per time point",
                    )
                ]
            )
        return DceSeries(
            path=self.directory,
            geometry=self.geometry,
            frames=self.frames,
            times_s=times,
            _image=None,
            _source=self._volumes,
        )

    def _volumes(self) -> Iterator[npt.NDArray[np.float32]]:
        """Each 3-D frame (x = column, y = row, z = slice) as float32, in time order."""
        import pydicom

        cache: dict[Path, Any] = {}
        nx, ny, nz = self.geometry.shape
        for row in self._grid:
            volume = np.empty((nx, ny, nz), dtype=np.float32)
            for k, frame in enumerate(row):
                if frame.index is None:
                    pixels = pydicom.dcmread(frame.path).pixel_array
                else:
                    if frame.path not in cache:
                        cache.clear()
                        cache[frame.path] = pydicom.dcmread(frame.path).pixel_array
                    pixels = cache[frame.path][frame.index]
                image = np.asarray(pixels, dtype=np.float32) * np.float32(frame.slope)
                volume[:, :, k] = (image + np.float32(frame.intercept)).T
            yield volume


def _problem(path: Path, attribute: str, message: str, expected: str) -> Problem:
    return Problem(str(path), f"{attribute}: {message}", expected)


def _floats(value: Any) -> tuple[float, ...] | None:
    if value is None:
        return None
    try:
        return tuple(float(v) for v in value)
    except (TypeError, ValueError):
        return None


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _parse_time(date_text: str, time_text: str) -> datetime | None:
    """A DICOM DA + TM pair (``YYYYMMDD``, ``HHMMSS.FFFFFF``) as a datetime."""
    time_text = time_text.strip()
    if not time_text:
        return None
    whole, _, fraction = time_text.partition(".")
    whole = whole.ljust(6, "0")
    try:
        base = datetime.strptime(f"{date_text.strip() or '19000101'}{whole[:6]}", "%Y%m%d%H%M%S")
    except ValueError:
        return None
    micro = int((fraction + "000000")[:6]) if fraction.isdigit() else 0
    return base + timedelta(microseconds=micro)


def _parse_datetime(text: str) -> datetime | None:
    """A DICOM DT (``YYYYMMDDHHMMSS.FFFFFF&ZZXX``) as a naive datetime (offset dropped)."""
    text = str(text).strip()
    for sign in "+-":
        if sign in text[8:]:
            text = text[: 8 + text[8:].index(sign)]
    if len(text) < 8:
        return None
    return _parse_time(text[:8], text[8:] or "000000")


def _classic_time(ds: Any) -> tuple[datetime | None, str]:
    if "AcquisitionDateTime" in ds and str(ds.AcquisitionDateTime).strip():
        return _parse_datetime(str(ds.AcquisitionDateTime)), "AcquisitionDateTime"
    if "AcquisitionTime" in ds and str(ds.AcquisitionTime).strip():
        day = str(ds.get("AcquisitionDate", "") or ds.get("SeriesDate", "") or "")
        return _parse_time(day, str(ds.AcquisitionTime)), "AcquisitionTime"
    trigger = _number(ds.get("TriggerTime"))
    if trigger is not None:
        return datetime(1900, 1, 1) + timedelta(milliseconds=trigger), "TriggerTime"
    return None, "AcquisitionTime"


def _temporal(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def _item(sequence: Any) -> Any:
    return sequence[0] if sequence else None


def _group(ds: Any, per_frame: Any, name: str) -> Any:
    """A functional group macro item: per-frame first, else shared (or None)."""
    if per_frame is not None and name in per_frame:
        return _item(getattr(per_frame, name))
    shared = _item(ds.get("SharedFunctionalGroupsSequence"))
    if shared is not None and name in shared:
        return _item(getattr(shared, name))
    return None


def _classic_frames(path: Path, ds: Any) -> tuple[list[_Frame], list[Problem]]:
    problems: list[Problem] = []
    position = _floats(ds.get("ImagePositionPatient"))
    orientation = _floats(ds.get("ImageOrientationPatient"))
    spacing = _floats(ds.get("PixelSpacing"))
    for attribute, value, size in (
        ("ImagePositionPatient (0020,0032)", position, 3),
        ("ImageOrientationPatient (0020,0037)", orientation, 6),
        ("PixelSpacing (0028,0030)", spacing, 2),
    ):
        if value is None or len(value) != size:
            problems.append(
                _problem(path, attribute, "missing or malformed", f"{size} numbers in every file")
            )
    if problems or position is None or orientation is None or spacing is None:
        return [], problems
    time, attribute = _classic_time(ds)
    frame = _Frame(
        path=path,
        index=None,
        position=(position[0], position[1], position[2]),
        orientation=orientation,
        spacing=(spacing[0], spacing[1]),
        matrix=(int(ds.get("Rows", 0)), int(ds.get("Columns", 0))),
        temporal=_temporal(ds.get("TemporalPositionIdentifier")),
        time=time,
        time_attribute=attribute,
        slope=_number(ds.get("RescaleSlope")) or 1.0,
        intercept=_number(ds.get("RescaleIntercept")) or 0.0,
    )
    return [frame], []


def _enhanced_frames(path: Path, ds: Any) -> tuple[list[_Frame], list[Problem]]:
    frames: list[_Frame] = []
    problems: list[Problem] = []
    per_frame = ds.get("PerFrameFunctionalGroupsSequence") or []
    count = int(ds.get("NumberOfFrames", 0) or 0)
    if len(per_frame) != count or count == 0:
        problems.append(
            _problem(
                path,
                "PerFrameFunctionalGroupsSequence (5200,9230)",
                f"{len(per_frame)} items for NumberOfFrames {count}",
                "one item per frame",
            )
        )
        return frames, problems
    matrix = (int(ds.get("Rows", 0)), int(ds.get("Columns", 0)))
    for index, item in enumerate(per_frame):
        plane = _group(ds, item, "PlanePositionSequence")
        orient = _group(ds, item, "PlaneOrientationSequence")
        measures = _group(ds, item, "PixelMeasuresSequence")
        content = _group(ds, item, "FrameContentSequence")
        transform = _group(ds, item, "PixelValueTransformationSequence")
        position = _floats(None if plane is None else plane.get("ImagePositionPatient"))
        orientation = _floats(None if orient is None else orient.get("ImageOrientationPatient"))
        spacing = _floats(None if measures is None else measures.get("PixelSpacing"))
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
                _problem(
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
            time = _parse_datetime(str(content.FrameAcquisitionDateTime))
        frames.append(
            _Frame(
                path=path,
                index=index,
                position=(position[0], position[1], position[2]),
                orientation=orientation,
                spacing=(spacing[0], spacing[1]),
                matrix=matrix,
                temporal=None
                if content is None
                else _temporal(content.get("TemporalPositionIndex")),
                time=time,
                time_attribute="FrameContentSequence > FrameAcquisitionDateTime",
                slope=(_number(None if transform is None else transform.get("RescaleSlope"))
                       or 1.0),
                intercept=(_number(None if transform is None else transform.get("RescaleIntercept"))
                           or 0.0),
            )
        )  # fmt: skip
    return frames, problems


def _acquisition(ds: Any, layout: DicomLayout) -> AcquisitionHeaders:
    timing = None
    if layout is DicomLayout.ENHANCED:
        timing = _group(ds, None, "MRTimingAndRelatedParametersSequence")
    source = timing if timing is not None else ds
    return AcquisitionHeaders(
        flip_angle_deg=_number(source.get("FlipAngle")),
        tr_ms=_number(source.get("RepetitionTime")),
        field_strength_t=_number(ds.get("MagneticFieldStrength")),
    )


@dataclass(frozen=True, slots=True)
class _Header:
    path: Path
    ds: Any


def _scan(directory: Path) -> tuple[list[_Header], list[str], list[Problem]]:
    """Read every file's header; non-DICOM files are skipped with a note."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    if not directory.is_dir():
        return [], [], [Problem(str(directory), "not a folder", "a folder of DICOM files")]
    headers: list[_Header] = []
    skipped: list[str] = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        if path.name.startswith(".") or path.name.upper() == "DICOMDIR":
            continue
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except (InvalidDicomError, OSError, ValueError, EOFError):
            skipped.append(path.name)
            continue
        headers.append(_Header(path, ds))
    notes = []
    if skipped:
        shown = ", ".join(skipped[:5]) + (" …" if len(skipped) > 5 else "")
        notes.append(f"{len(skipped)} files in {directory} are not DICOM and were skipped: {shown}")
    if not headers:
        return (
            [],
            notes,
            [
                Problem(
                    str(directory),
                    "contains no DICOM file",
                    "a folder holding the files of one DCE-MRI series (.dcm files from the PACS)",
                )
            ],
        )
    return headers, notes, []


def _one_series(headers: Sequence[_Header], directory: Path) -> list[Problem]:
    series: dict[str, list[_Header]] = {}
    for header in headers:
        series.setdefault(str(header.ds.get("SeriesInstanceUID", "")), []).append(header)
    if len(series) == 1:
        return []
    described = "; ".join(
        f"{uid or '(none)'} '{items[0].ds.get('SeriesDescription', '')}' "
        f"({len(items)} files, e.g. {items[0].path.name})"
        for uid, items in series.items()
    )
    return [
        Problem(
            str(directory),
            f"SeriesInstanceUID (0020,000E): the folder mixes {len(series)} series: {described}",
            "the files of one DCE series only: move the other series to their own folders",
        )
    ]


def _check_kind(headers: Sequence[_Header]) -> tuple[DicomLayout | None, list[Problem]]:
    problems: list[Problem] = []
    classes = {str(h.ds.get("SOPClassUID", "")) for h in headers}
    first = headers[0]
    modality = str(first.ds.get("Modality", ""))
    if modality != "MR":
        problems.append(
            _problem(
                first.path,
                "Modality (0008,0060)",
                f"{modality or 'missing'}: not an MR series",
                "a DCE-MRI series (Modality MR)",
            )
        )
    if classes == {MR_IMAGE_STORAGE}:
        return DicomLayout.CLASSIC, problems
    if classes == {ENHANCED_MR_IMAGE_STORAGE}:
        return DicomLayout.ENHANCED, problems
    problems.append(
        _problem(
            first.path,
            "SOPClassUID (0008,0016)",
            f"{', '.join(sorted(classes))}: not MR images of one kind",
            f"MR Image Storage ({MR_IMAGE_STORAGE}) or Enhanced MR Image Storage "
            f"({ENHANCED_MR_IMAGE_STORAGE})",
        )
    )
    return None, problems


def _check_same(frames: Sequence[_Frame]) -> list[Problem]:
    """One orientation, pixel spacing and matrix for every frame."""
    first = frames[0]
    for frame in frames[1:]:
        if not np.allclose(frame.orientation, first.orientation, atol=_ORIENTATION_TOL):
            return [
                _problem(
                    frame.path,
                    "ImageOrientationPatient (0020,0037)",
                    f"{frame.orientation} differs from {first.orientation} in {first.path.name}",
                    "one orientation for the whole series (inconsistent geometry: a series "
                    "acquired in several orientations is not one DCE series)",
                )
            ]
        if not np.allclose(frame.spacing, first.spacing, rtol=1e-4):
            return [
                _problem(
                    frame.path,
                    "PixelSpacing (0028,0030)",
                    f"{frame.spacing} differs from {first.spacing} in {first.path.name}",
                    "one pixel spacing for the whole series (inconsistent geometry)",
                )
            ]
        if frame.matrix != first.matrix:
            return [
                _problem(
                    frame.path,
                    "Rows (0028,0010) / Columns (0028,0011)",
                    f"{frame.matrix} differs from {first.matrix} in {first.path.name}",
                    "one image matrix for the whole series (inconsistent geometry)",
                )
            ]
    return []


def _order_key(frame: _Frame) -> tuple[int, datetime, str, int]:
    return (
        frame.temporal if frame.temporal is not None else 0,
        frame.time or datetime.min,
        frame.path.name,
        frame.index or 0,
    )


def _arrange(
    frames: Sequence[_Frame], directory: Path
) -> tuple[list[list[_Frame]], np.ndarray, list[Problem]]:
    """Frames as ``[time][slice]``, the slice offsets along the normal, or the problems."""
    orientation = np.asarray(frames[0].orientation)
    normal = np.cross(orientation[:3], orientation[3:])
    by_slice: dict[float, list[_Frame]] = {}
    for frame in frames:
        offset = round(float(np.dot(normal, frame.position)) / _POSITION_TOL_MM)
        by_slice.setdefault(offset * _POSITION_TOL_MM, []).append(frame)
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
                _problem(
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
                _problem(
                    example.path,
                    attribute,
                    "missing timing: the time order of the frames cannot be told",
                    "the temporal position or the acquisition time of every frame (export the "
                    "series from the scanner or PACS with its full headers)",
                )
            ],
        )
    grid = [
        [sorted(by_slice[key], key=_order_key)[t] for key in offsets]
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
                    _problem(
                        items[0].path,
                        "TemporalPositionIdentifier (0020,0100)",
                        f"repeated at the slice at {key:.2f} mm: two images of one slice and time",
                        "each slice once per time point (a duplicated file?)",
                    )
                ],
            )
    if len(offsets) > 2:
        steps = np.diff(offsets)
        if np.ptp(steps) > _SPACING_TOL * float(np.mean(steps)):
            return (
                [],
                offsets,
                [
                    _problem(
                        by_slice[offsets[0]][0].path,
                        "ImagePositionPatient (0020,0032)",
                        f"slices unevenly spaced ({float(steps.min()):.3g} to "
                        f"{float(steps.max()):.3g} mm): inconsistent geometry or missing slices",
                        "evenly spaced slices",
                    )
                ],
            )
    return grid, offsets, []


def _times(grid: Sequence[Sequence[_Frame]]) -> tuple[FloatArray | None, str, list[Problem]]:
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
                _problem(
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


def _geometry(
    grid: Sequence[Sequence[_Frame]], datasets: _Header
) -> tuple[Geometry, float, tuple[tuple[float, float, float], ...]]:
    first_row = grid[0]
    base = first_row[0]
    orientation = np.asarray(base.orientation)
    row_cos, col_cos = orientation[:3], orientation[3:]
    row_spacing, col_spacing = base.spacing
    positions = np.array([f.position for f in first_row])
    if len(first_row) > 1:
        step = (positions[-1] - positions[0]) / (len(first_row) - 1)
    else:
        thickness = _number(datasets.ds.get("SpacingBetweenSlices")) or _number(
            datasets.ds.get("SliceThickness")
        )
        step = np.cross(row_cos, col_cos) * (thickness or 1.0)
    lps = np.eye(4)
    lps[:3, 0] = row_cos * col_spacing
    lps[:3, 1] = col_cos * row_spacing
    lps[:3, 2] = step
    lps[:3, 3] = positions[0]
    affine = np.diag([-1.0, -1.0, 1.0, 1.0]) @ lps
    header = nib.Nifti1Header()  # type: ignore[no-untyped-call]
    header.set_xyzt_units("mm", "sec")  # type: ignore[no-untyped-call]
    rows, columns = base.matrix
    geometry = Geometry(
        shape=(columns, rows, len(first_row)),
        affine=affine,
        header=header,
        image_class=nib.Nifti1Image,
    )
    slices = tuple((float(p[0]), float(p[1]), float(p[2])) for p in positions)
    return geometry, float(np.linalg.norm(step)), slices


def _uniform_acquisition(headers: Sequence[_Header], layout: DicomLayout) -> list[Problem]:
    """Flip angle and TR must not vary within the series (variable flip angle is T1 mapping)."""
    seen: dict[str, dict[float, Path]] = {
        "FlipAngle (0018,1314)": {},
        "RepetitionTime (0018,0080)": {},
    }
    for header in headers:
        found = _acquisition(header.ds, layout)
        if found.flip_angle_deg is not None:
            seen["FlipAngle (0018,1314)"].setdefault(round(found.flip_angle_deg, 3), header.path)
        if found.tr_ms is not None:
            seen["RepetitionTime (0018,0080)"].setdefault(round(found.tr_ms, 3), header.path)
    problems = []
    for attribute, values in seen.items():
        if len(values) > 1:
            listed = ", ".join(f"{v:g} ({p.name})" for v, p in sorted(values.items()))
            problems.append(
                _problem(
                    next(iter(values.values())),
                    attribute,
                    f"differs between files: {listed}: a variable flip angle or TR series "
                    "(T1 mapping), not a DCE series",
                    "the dynamic series, acquired with one flip angle and TR",
                )
            )
    return problems


def read_dicom_dce(directory: str | Path) -> DicomDce:
    """Read and check the headers of a DCE-MRI series in a DICOM folder.

    Parameters
    ----------
    directory
        A folder holding the files of one series (sub-folders are searched too); files that
        are not DICOM (a DICOMDIR, notes) are skipped with a note.

    Returns
    -------
    DicomDce
        The checked series; :meth:`DicomDce.series` gives the :class:`DceSeries` to fit.

    Raises
    ------
    InputValidationError
        With every problem, each naming the file, the DICOM attribute and the fix.
    """
    folder = Path(directory)
    headers, notes, problems = _scan(folder)
    if problems:
        raise InputValidationError(problems)
    problems = _one_series(headers, folder)
    if problems:
        raise InputValidationError(problems)
    layout, problems = _check_kind(headers)
    if problems or layout is None:
        raise InputValidationError(problems)
    frames: list[_Frame] = []
    for header in headers:
        reader = _enhanced_frames if layout is DicomLayout.ENHANCED else _classic_frames
        found, bad = reader(header.path, header.ds)
        frames.extend(found)
        problems.extend(bad)
    problems.extend(_uniform_acquisition(headers, layout))
    if problems:
        raise InputValidationError(problems)
    problems = _check_same(frames)
    if problems:
        raise InputValidationError(problems)
    grid, _, problems = _arrange(frames, folder)
    if problems:
        raise InputValidationError(problems)
    times, attribute, problems = _times(grid)
    if problems:
        raise InputValidationError(problems)
    geometry, thickness, slices = _geometry(grid, headers[0])
    first = headers[0].ds
    return DicomDce(
        directory=folder,
        layout=layout,
        uids={
            "StudyInstanceUID": str(first.get("StudyInstanceUID", "")),
            "SeriesInstanceUID": str(first.get("SeriesInstanceUID", "")),
            "FrameOfReferenceUID": str(first.get("FrameOfReferenceUID", "")),
        },
        description=str(first.get("SeriesDescription", "")),
        times_s=times,
        timing_attribute=attribute,
        acquisition=_acquisition(first, layout),
        geometry=geometry,
        reference_files=tuple(dict.fromkeys(f.path for f in grid[0])),
        slice_positions=slices,
        orientation=grid[0][0].orientation,
        pixel_spacing=grid[0][0].spacing,
        slice_thickness=thickness,
        notes=tuple(notes),
        _grid=tuple(tuple(row) for row in grid),
    )
