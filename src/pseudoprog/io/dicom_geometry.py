"""The geometry of a DCE series: one orientation, pixel spacing and matrix, and its NIfTI grid.

The volume is put on a NIfTI grid with a RAS affine (x along the rows, y down the columns, z
along the slices), so that masks, T1 maps and the output maps of the NIfTI path work
unchanged on a DICOM series.
"""

from __future__ import annotations

from collections.abc import Sequence

import nibabel as nib
import numpy as np

from pseudoprog.errors import Problem
from pseudoprog.io.dicom_frames import Frame
from pseudoprog.io.dicom_series import Header
from pseudoprog.io.dicom_values import number, problem
from pseudoprog.io.nifti import Geometry

__all__ = ["ORIENTATION_TOL", "check_same_geometry", "volume_geometry"]

ORIENTATION_TOL = 1e-4


def check_same_geometry(frames: Sequence[Frame]) -> list[Problem]:
    """One orientation, pixel spacing and matrix for every frame."""
    first = frames[0]
    for frame in frames[1:]:
        if not np.allclose(frame.orientation, first.orientation, atol=ORIENTATION_TOL):
            return [
                problem(
                    frame.path,
                    "ImageOrientationPatient (0020,0037)",
                    f"{frame.orientation} differs from {first.orientation} in {first.path.name}",
                    "one orientation for the whole series (inconsistent geometry: a series "
                    "acquired in several orientations is not one DCE series)",
                )
            ]
        if not np.allclose(frame.spacing, first.spacing, rtol=1e-4):
            return [
                problem(
                    frame.path,
                    "PixelSpacing (0028,0030)",
                    f"{frame.spacing} differs from {first.spacing} in {first.path.name}",
                    "one pixel spacing for the whole series (inconsistent geometry)",
                )
            ]
        if frame.matrix != first.matrix:
            return [
                problem(
                    frame.path,
                    "Rows (0028,0010) / Columns (0028,0011)",
                    f"{frame.matrix} differs from {first.matrix} in {first.path.name}",
                    "one image matrix for the whole series (inconsistent geometry)",
                )
            ]
    return []


def volume_geometry(
    grid: Sequence[Sequence[Frame]], datasets: Header
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
        thickness = number(datasets.ds.get("SpacingBetweenSlices")) or number(
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
