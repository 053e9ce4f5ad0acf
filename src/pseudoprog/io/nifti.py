"""NIfTI input and output for DCE-MRI: 4-D series, masks and maps, parameter maps out.

A 4-D series is read one frame at a time (time is the slowest axis of a NIfTI file), keeping
only the voxels of the mask, into a time-major ``(T, n)`` float32 array; above a size limit that
array lives in a temporary file, so memory stays bounded whatever the volume size. Gzipped
files are decompressed in a single forward pass.

Every problem with a file is reported as a :class:`~pseudoprog.errors.Problem` naming the file,
what is wrong and what is expected; nothing is written until every input has been checked.
"""

from __future__ import annotations

import gzip
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import numpy.typing as npt

from pseudoprog.errors import InputValidationError, Problem
from pseudoprog.io.atomic import atomic_path

__all__ = [
    "DceSeries",
    "Geometry",
    "VoxelData",
    "load_volume",
    "open_dce",
    "write_maps",
]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Above this many bytes the voxel time courses are kept in a temporary file.
IN_MEMORY_LIMIT = 1 << 30
_NIFTI_SUFFIXES = (".nii", ".nii.gz")


@dataclass(frozen=True, eq=False)
class Geometry:
    """Spatial grid of an image: shape, voxel-to-world affine and the header it came from."""

    shape: tuple[int, int, int]
    affine: FloatArray
    header: Any
    image_class: type

    def matches(self, other: Geometry, *, atol: float = 1e-3) -> bool:
        """Same shape and the same affine within ``atol`` (mm)."""
        return self.shape == other.shape and bool(
            np.allclose(self.affine, other.affine, rtol=0.0, atol=atol)
        )


def _problem(path: Path, message: str, expected: str = "", value: str | None = None) -> Problem:
    return Problem(source=str(path), message=message, expected=expected, value=value)


def _check_suffix(path: Path) -> Problem | None:
    name = path.name.lower()
    if not name.endswith(_NIFTI_SUFFIXES):
        return _problem(path, "not a NIfTI file name", "a .nii or .nii.gz file", path.name)
    return None


def _load_header(path: Path) -> tuple[Any, list[Problem]]:
    """The nibabel image (lazy, data not read) or the problems that prevent reading it."""
    problems: list[Problem] = []
    if not path.exists():
        return None, [_problem(path, "file not found", "an existing NIfTI file")]
    bad = _check_suffix(path)
    if bad is not None:
        return None, [bad]
    try:
        image = nib.load(str(path))
    except Exception as exc:  # nibabel raises many types for broken files
        return None, [_problem(path, f"cannot be read as NIfTI ({exc})", "a valid NIfTI-1/2 file")]
    if not isinstance(image, nib.Nifti1Image | nib.Nifti2Image):
        problems.append(_problem(path, "is not a NIfTI-1 or NIfTI-2 image", "a .nii/.nii.gz"))
    return image, problems


def _geometry(image: Any) -> Geometry:
    shape = tuple(int(s) for s in image.shape[:3])
    while len(shape) < 3:
        shape = (*shape, 1)
    return Geometry(
        shape=(shape[0], shape[1], shape[2]),
        affine=np.asarray(image.affine, dtype=np.float64),
        header=image.header,
        image_class=type(image),
    )


def _frames_of(path: Path, image: Any) -> Iterator[npt.NDArray[np.float32]]:
    """Each 3-D frame of a 4-D image as float32, in time order, in one pass over the file."""
    proxy = image.dataobj
    shape = tuple(int(s) for s in image.shape)
    spatial = shape[:3]
    frames = shape[3]
    dtype = np.dtype(proxy.dtype)
    count = int(np.prod(spatial))
    size = count * dtype.itemsize
    offset = int(proxy.offset)
    slope = float(proxy.slope)
    inter = float(proxy.inter)
    scale = np.isfinite(slope) and (slope != 1.0 or inter != 0.0)
    opener: Callable[[str, str], Any] = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(str(path), "rb") as stream:
        stream.seek(offset)
        for _ in range(frames):
            raw = stream.read(size)
            if len(raw) != size:
                raise InputValidationError(
                    [
                        _problem(
                            path, "ends before its last frame (truncated file)", "a complete file"
                        )
                    ]
                )
            frame = np.frombuffer(raw, dtype=dtype).astype(np.float32)
            if scale:
                frame = frame * np.float32(slope) + np.float32(inter)
            yield frame.reshape(spatial, order="F")


@dataclass(eq=False)
class VoxelData:
    """Time courses of the voxels of a mask, time-major: ``values[t, i]``.

    ``index`` holds the flat (Fortran-order) positions of the voxels in the volume, so that
    maps can be put back; ``values`` may be a memory map in a temporary file, removed by
    :meth:`close`.
    """

    values: npt.NDArray[np.float32]
    index: npt.NDArray[np.intp]
    geometry: Geometry
    _scratch: tempfile.TemporaryDirectory[str] | None = None

    def close(self) -> None:
        """Release the temporary file, if any."""
        if self._scratch is not None:
            self.values = np.empty((0, 0), dtype=np.float32)
            self._scratch.cleanup()
            self._scratch = None

    def __enter__(self) -> VoxelData:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def scatter(self, values: npt.ArrayLike, *, fill: float = np.nan) -> npt.NDArray[np.float32]:
        """Put per-voxel ``values`` back into a volume of the image grid."""
        flat = np.full(int(np.prod(self.geometry.shape)), fill, dtype=np.float32)
        flat[self.index] = np.asarray(values, dtype=np.float32)
        return flat.reshape(self.geometry.shape, order="F")


@dataclass(frozen=True, eq=False)
class DceSeries:
    """A 4-D DCE-MRI series whose header, geometry and frame times have been checked.

    The frames come from the NIfTI file ``path`` or, for series read from another format
    (a DICOM folder), from ``_source``: a callable yielding each 3-D frame in time order.
    """

    path: Path
    geometry: Geometry
    frames: int
    times_s: FloatArray
    _image: Any
    _source: Callable[[], Iterator[npt.NDArray[np.float32]]] | None = None

    def read(
        self,
        mask: BoolArray,
        *,
        memory_limit: int = IN_MEMORY_LIMIT,
        progress: Callable[[int], None] | None = None,
    ) -> VoxelData:
        """Read the time courses of the voxels where ``mask`` is True.

        Raises :class:`InputValidationError` if a masked voxel holds NaN or infinity.
        """
        index = np.flatnonzero(np.asarray(mask, dtype=bool).reshape(-1, order="F"))
        count = index.size
        scratch: tempfile.TemporaryDirectory[str] | None = None
        shape = (self.frames, count)
        if self.frames * count * 4 > memory_limit:
            scratch = tempfile.TemporaryDirectory(prefix="pseudoprog-dce-")
            values: npt.NDArray[np.float32] = np.memmap(
                os.path.join(scratch.name, "voxels.f32"), dtype=np.float32, mode="w+", shape=shape
            )
        else:
            values = np.empty(shape, dtype=np.float32)
        bad_frames: list[int] = []
        bad_voxels = 0
        first_bad: int | None = None
        try:
            source = self._source
            frames = source() if source is not None else _frames_of(self.path, self._image)
            for t, frame in enumerate(frames):
                row = frame.reshape(-1, order="F")[index]
                finite = np.isfinite(row)
                if not np.all(finite):
                    bad_frames.append(t)
                    bad_voxels = max(bad_voxels, int(np.count_nonzero(~finite)))
                    if first_bad is None:
                        first_bad = int(index[int(np.argmin(finite))])
                values[t] = row
                if progress is not None:
                    progress(1)
        except BaseException:
            if scratch is not None:
                scratch.cleanup()
            raise
        if bad_frames:
            if scratch is not None:
                scratch.cleanup()
            where = np.unravel_index(first_bad or 0, self.geometry.shape, order="F")
            raise InputValidationError(
                [
                    _problem(
                        self.path,
                        f"NaN or infinite values inside the mask in {len(bad_frames)} frames "
                        f"(up to {bad_voxels} voxels per frame; first at voxel "
                        f"{tuple(int(i) for i in where)}, frame {bad_frames[0]})",
                        "finite values in every masked voxel; exclude such voxels with --mask",
                    )
                ]
            )
        return VoxelData(values=values, index=index, geometry=self.geometry, _scratch=scratch)


def open_dce(path: str | os.PathLike[str], times_for: Callable[[int], npt.ArrayLike]) -> DceSeries:
    """Open and check a 4-D DCE series.

    ``times_for`` is called with the number of frames and returns the frame times in
    seconds (e.g. read from a sidecar); its :class:`InputValidationError` is passed on.
    Raises :class:`InputValidationError` listing every problem.
    """
    p = Path(path)
    image, problems = _load_header(p)
    if image is None:
        raise InputValidationError(problems)
    shape = tuple(int(s) for s in image.shape)
    if len(shape) != 4:
        problems.append(
            _problem(p, f"is {len(shape)}-D", "a 4-D image (x, y, z, time)", str(shape))
        )
    elif shape[3] < 4:
        problems.append(_problem(p, "has fewer than 4 frames", "at least 4 frames", str(shape)))
    if problems:
        raise InputValidationError(problems)
    frames = shape[3]
    times = np.asarray(times_for(frames), dtype=np.float64)
    if times.shape != (frames,):
        raise InputValidationError(
            [
                _problem(
                    p,
                    f"has {frames} frames but {times.size} frame times were given",
                    "one frame time per frame",
                )
            ]
        )
    return DceSeries(path=p, geometry=_geometry(image), frames=frames, times_s=times, _image=image)


def load_volume(
    path: str | os.PathLike[str],
    *,
    like: Geometry | None = None,
    role: str = "image",
) -> tuple[npt.NDArray[np.float64], Geometry]:
    """Read a 3-D volume (mask, label image, T1 or parameter map) as float64.

    With ``like``, its shape and affine must match (e.g. a mask must be on the DCE grid).
    """
    p = Path(path)
    image, problems = _load_header(p)
    if image is None:
        raise InputValidationError(problems)
    shape = tuple(int(s) for s in image.shape)
    if len(shape) == 4 and shape[3] == 1:
        shape = shape[:3]
    if len(shape) != 3:
        problems.append(_problem(p, f"the {role} is {len(shape)}-D", "a 3-D volume", str(shape)))
        raise InputValidationError(problems)
    geometry = _geometry(image)
    if like is not None and not geometry.matches(like):
        expected = f"shape {like.shape} and the affine of the DCE series"
        got = f"shape {geometry.shape}"
        message = f"the {role} is not on the grid of the DCE series"
        if geometry.shape == like.shape:
            message += " (same shape, different position or orientation)"
        problems.append(_problem(p, message, expected, got))
    if problems:
        raise InputValidationError(problems)
    data = np.asarray(image.get_fdata(dtype=np.float64)).reshape(geometry.shape)
    return data, geometry


def write_maps(
    directory: Path, maps: Mapping[str, npt.ArrayLike], geometry: Geometry
) -> list[Path]:
    """Write each 3-D map as ``<name>.nii.gz`` in ``directory`` with the grid of ``geometry``.

    Float maps are stored as float32, boolean and small integer maps as uint8.
    """
    written = []
    for name, values in maps.items():
        data = np.asarray(values)
        if data.dtype == np.bool_ or data.dtype == np.uint8:
            data = data.astype(np.uint8)
        else:
            data = data.astype(np.float32)
        header = geometry.header.copy()
        header.set_data_dtype(data.dtype)
        image = geometry.image_class(data, geometry.affine, header=header)
        image.header.set_slope_inter(1.0, 0.0)
        image.header.set_xyzt_units(*geometry.header.get_xyzt_units())
        target = directory / f"{name}.nii.gz"
        with atomic_path(target) as tmp:
            nib.save(image, str(tmp))
        written.append(target)
    return written
