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

Each step has a module of its own: :mod:`~pseudoprog.io.dicom_series` (the files and the one
series), :mod:`~pseudoprog.io.dicom_frames` (each frame's position and time),
:mod:`~pseudoprog.io.dicom_acquisition` (flip angle, TR, field strength),
:mod:`~pseudoprog.io.dicom_geometry` (one orientation, spacing and matrix; the NIfTI grid),
:mod:`~pseudoprog.io.dicom_order` (frames in space and time; frame times) and
:mod:`~pseudoprog.io.dicom_values` (header values). This module puts them together.

pydicom is imported when a folder is read, not when the package is imported.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pseudoprog.errors import InputValidationError, Problem
from pseudoprog.io.dicom_acquisition import (
    AcquisitionHeaders,
    acquisition_headers,
    check_uniform_acquisition,
)
from pseudoprog.io.dicom_frames import Frame, classic_frames, enhanced_frames
from pseudoprog.io.dicom_geometry import check_same_geometry, volume_geometry
from pseudoprog.io.dicom_order import arrange_frames, frame_times
from pseudoprog.io.dicom_series import (
    ENHANCED_MR_IMAGE_STORAGE,
    MR_IMAGE_STORAGE,
    DicomLayout,
    check_kind,
    check_one_series,
    scan_folder,
)
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
    _grid: tuple[tuple[Frame, ...], ...]  # [time][slice]

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
    headers, notes, problems = scan_folder(folder)
    if problems:
        raise InputValidationError(problems)
    problems = check_one_series(headers, folder)
    if problems:
        raise InputValidationError(problems)
    layout, problems = check_kind(headers)
    if problems or layout is None:
        raise InputValidationError(problems)
    frames: list[Frame] = []
    for header in headers:
        reader = enhanced_frames if layout is DicomLayout.ENHANCED else classic_frames
        found, bad = reader(header.path, header.ds)
        frames.extend(found)
        problems.extend(bad)
    problems.extend(check_uniform_acquisition(headers, layout))
    if problems:
        raise InputValidationError(problems)
    problems = check_same_geometry(frames)
    if problems:
        raise InputValidationError(problems)
    grid, _, problems = arrange_frames(frames, folder)
    if problems:
        raise InputValidationError(problems)
    times, attribute, problems = frame_times(grid)
    if problems:
        raise InputValidationError(problems)
    geometry, thickness, slices = volume_geometry(grid, headers[0])
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
        acquisition=acquisition_headers(first, layout),
        geometry=geometry,
        reference_files=tuple(dict.fromkeys(f.path for f in grid[0])),
        slice_positions=slices,
        orientation=grid[0][0].orientation,
        pixel_spacing=grid[0][0].spacing,
        slice_thickness=thickness,
        notes=tuple(notes),
        _grid=tuple(tuple(row) for row in grid),
    )
