"""Perfusion parameter maps as DICOM Parametric Map objects (highdicom).

One Parametric Map instance per parameter (Ktrans, kep, ve, vp), all in one new series of the
source study, on the grid of the source DCE series: the same frame of reference, orientation,
pixel spacing and slice positions, and each instance references the source images of the
first time point. Values are 32-bit floats with a Real World Value Mapping that gives the
quantity (DICOM DCM codes 126312 Ktrans, 126313 kep, 126314 ve, 126331 vp, from CID 7180) and
its UCUM unit (``/min`` for Ktrans and kep, ``1`` for the fractions ve and vp). Voxels whose
fit failed or that were outside the mask hold 0 (the NIfTI ``ok`` map tells them apart).

highdicom and pydicom are imported when maps are written, not when the package is imported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from pseudoprog.io.atomic import atomic_path
from pseudoprog.io.dicom_dce import DicomDce

__all__ = ["MAP_QUANTITIES", "MapQuantity", "parametric_maps", "write_parametric_maps"]


@dataclass(frozen=True, slots=True)
class MapQuantity:
    """How a parameter is coded in DICOM: its DCM concept and UCUM unit."""

    code: str
    meaning: str
    unit: str
    unit_meaning: str


#: The parameters written as Parametric Maps (CID 7180 concepts; UCUM units of CID 7181).
MAP_QUANTITIES: Mapping[str, MapQuantity] = {
    "ktrans": MapQuantity("126312", "Ktrans", "/min", "/min"),
    "kep": MapQuantity("126313", "kep", "/min", "/min"),
    "ve": MapQuantity("126314", "ve", "1", "no units"),
    "vp": MapQuantity("126331", "vp", "1", "no units"),
}


def _frames(volume: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """A volume (x = column, y = row, slice) as DICOM frames (slice, row, column)."""
    data = np.asarray(volume, dtype=np.float32)
    data = np.where(np.isfinite(data), data, np.float32(0.0))
    return np.ascontiguousarray(np.transpose(data, (2, 1, 0)))


def parametric_maps(
    dicom: DicomDce,
    maps: Mapping[str, npt.ArrayLike],
    *,
    model: str,
    software_version: str,
) -> list[Any]:
    """One highdicom ``ParametricMap`` per known parameter in ``maps`` (others are skipped)."""
    import highdicom as hd
    import pydicom
    from pydicom.uid import generate_uid

    sources = [pydicom.dcmread(path, stop_before_pixels=True) for path in dicom.reference_files]
    spacing = [float(v) for v in dicom.pixel_spacing]
    measures = hd.PixelMeasuresSequence(
        pixel_spacing=spacing,
        slice_thickness=dicom.slice_thickness,
        spacing_between_slices=dicom.slice_thickness,
    )
    orientation = hd.PlaneOrientationSequence(
        coordinate_system="PATIENT", image_orientation=[float(v) for v in dicom.orientation]
    )
    positions = [
        hd.PlanePositionSequence(coordinate_system="PATIENT", image_position=list(position))
        for position in dicom.slice_positions
    ]
    series_uid = generate_uid()
    out = []
    number = 0
    for name, volume in maps.items():
        quantity = MAP_QUANTITIES.get(name)
        if quantity is None:
            continue
        number += 1
        frames = _frames(volume)
        low, high = (float(frames.min()), float(frames.max())) if frames.size else (0.0, 1.0)
        mapping = hd.pm.RealWorldValueMapping(
            lut_label=quantity.meaning[:16],
            lut_explanation=f"{quantity.meaning} ({model} fit)",
            unit=hd.sr.CodedConcept(quantity.unit, "UCUM", quantity.unit_meaning),
            value_range=(low, high if high > low else low + 1.0),
            slope=1.0,
            intercept=0.0,
            quantity_definition=hd.sr.CodedConcept(quantity.code, "DCM", quantity.meaning),
        )
        parametric_map = hd.pm.ParametricMap(
            source_images=sources,
            pixel_array=frames,
            series_instance_uid=series_uid,
            series_number=900,
            sop_instance_uid=generate_uid(),
            instance_number=number,
            manufacturer="pseudoprog",
            manufacturer_model_name="pseudoprog perfusion fit",
            software_versions=software_version,
            device_serial_number="none",
            contains_recognizable_visual_features=False,
            real_world_value_mappings=[mapping],
            voi_lut_transformations=[
                hd.VOILUTTransformation(
                    window_center=(low + high) / 2.0,
                    window_width=max(high - low, 1e-6),
                    voi_lut_function="LINEAR_EXACT",
                )
            ],
            content_description=f"{quantity.meaning} map, {model} fit",
            content_label=name.upper()[:16],
            pixel_measures=measures,
            plane_orientation=orientation,
            plane_positions=positions,
        )
        # General Series: Laterality is type 2C; empty (present) says "not a paired organ side"
        parametric_map.Laterality = ""
        out.append(parametric_map)
    return out


def write_parametric_maps(
    directory: Path,
    dicom: DicomDce,
    maps: Mapping[str, npt.ArrayLike],
    *,
    model: str,
    software_version: str,
) -> list[Path]:
    """Write the maps as ``<parameter>.dcm`` in ``directory``, each file atomically."""
    written = []
    for name, dataset in zip(
        [n for n in maps if n in MAP_QUANTITIES],
        parametric_maps(dicom, maps, model=model, software_version=software_version),
        strict=True,
    ):
        target = directory / f"{name}.dcm"
        with atomic_path(target) as tmp:
            dataset.save_as(tmp, enforce_file_format=True)
        written.append(target)
    return written
