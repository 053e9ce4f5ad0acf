"""A synthetic DCE-MRI phantom written as DICOM: classic single-frame or enhanced multi-frame MR.

Every voxel has its own known Ktrans, ve and vp. The tissue concentration follows the extended
Tofts model with the Parker population AIF (bolus at :data:`BOLUS_S`), and the signal the SPGR
equation with the package's conventions (``spgr_signal``: baseline T1, relaxivity r1, flip
angle, TR); pixels are stored as 16-bit integers with a rescale slope and intercept, so that
reading them back tests the rescaling too. The files are written in shuffled order under
meaningless names, so that only the headers can order them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from pseudoprog.perfusion import extended_tofts, parker_aif, spgr_signal

MR = "1.2.840.10008.5.1.4.1.1.4"
ENHANCED_MR = "1.2.840.10008.5.1.4.1.1.4.1"
SHAPE = (6, 4, 3)  # columns (x), rows (y), slices
FRAMES = 40
INTERVAL_S = 6.0
BOLUS_S = 30.0
T10_MS = 1400.0
FLIP_ANGLE = 15.0
TR_MS = 5.0
R1 = 4.5
FIELD_T = 3.0
PIXEL_SPACING = (1.5, 1.25)  # row spacing, column spacing
SLICE_STEP = 4.0
ORIENTATION = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)  # axial
ORIGIN = (-20.0, -30.0, 10.0)
START = datetime(2024, 3, 5, 10, 15, 0)

Edit = Callable[[Dataset, int, int], None]


@dataclass(frozen=True)
class Phantom:
    """Where a phantom was written and the truth behind it (volumes indexed x, y, slice)."""

    directory: Path
    times_s: np.ndarray
    truth: dict[str, np.ndarray]
    signal: np.ndarray  # (x, y, slice, time) before quantisation
    uids: dict[str, str] = field(default_factory=dict)

    def fit_args(self) -> list[str]:
        """The options of ``perfusion fit`` that the headers do not give."""
        return [
            "--t1-ms", str(T10_MS), "--r1", str(R1), "--baseline-frames", "4",
            "--bolus-arrival", str(BOLUS_S), "--model", "extended-tofts",
        ]  # fmt: skip


def truth(seed: int = 0) -> dict[str, np.ndarray]:
    """Per-voxel Ktrans (/min), ve and vp within clinical ranges."""
    rng = np.random.default_rng(seed)
    return {
        "ktrans": rng.uniform(0.05, 0.3, SHAPE),
        "ve": rng.uniform(0.15, 0.5, SHAPE),
        "vp": rng.uniform(0.01, 0.08, SHAPE),
    }


def _signal(values: dict[str, np.ndarray], times: np.ndarray) -> np.ndarray:
    cp = parker_aif(times, delay_s=BOLUS_S)
    ct = extended_tofts(times, cp, **values)
    return spgr_signal(
        ct,
        t10_s=T10_MS / 1000.0,
        flip_angle_deg=FLIP_ANGLE,
        tr_s=TR_MS / 1000.0,
        r1_per_mM_s=R1,
        s0=1000.0,
    )


def _common(uids: dict[str, str], sop_class: str) -> Dataset:
    ds = Dataset()
    ds.SOPClassUID = sop_class
    ds.Modality = "MR"
    ds.PatientID = "P001"
    ds.PatientName = "Phantom^DCE"
    ds.PatientBirthDate = "19600101"
    ds.PatientSex = "F"
    ds.StudyInstanceUID = uids["study"]
    ds.SeriesInstanceUID = uids["series"]
    ds.FrameOfReferenceUID = uids["frame_of_reference"]
    ds.StudyDate = START.strftime("%Y%m%d")
    ds.StudyTime = START.strftime("%H%M%S")
    ds.SeriesDate = ds.StudyDate
    ds.StudyID = "1"
    ds.AccessionNumber = "A1"
    ds.ReferringPhysicianName = ""
    ds.SeriesNumber = 7
    ds.SeriesDescription = "DCE 3D SPGR"
    ds.Manufacturer = "pseudoprog tests"
    ds.MagneticFieldStrength = FIELD_T
    ds.PositionReferenceIndicator = ""
    ds.Rows = SHAPE[1]
    ds.Columns = SHAPE[0]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    return ds


def _meta(ds: Dataset) -> None:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = ds.SOPClassUID
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta = meta


def _position(k: int) -> list[float]:
    return [ORIGIN[0], ORIGIN[1], ORIGIN[2] + k * SLICE_STEP]


def write_dce_phantom(
    directory: Path,
    *,
    enhanced: bool = False,
    seed: int = 0,
    frames: int = FRAMES,
    edit: Edit | None = None,
) -> Phantom:
    """Write the phantom into ``directory``; ``edit(ds, t, k)`` may alter each classic file."""
    directory.mkdir(parents=True, exist_ok=True)
    times = np.arange(frames) * INTERVAL_S
    values = truth(seed)
    signal = _signal(values, times)
    slope = float(signal.max()) / 60000.0
    intercept = -5.0
    stored = np.rint((signal - intercept) / slope).astype(np.uint16)
    uids = {"study": generate_uid(), "series": generate_uid(), "frame_of_reference": generate_uid()}
    if enhanced:
        _write_enhanced(directory, uids, stored, times, slope, intercept)
    else:
        _write_classic(directory, uids, stored, times, slope, intercept, edit)
    return Phantom(directory, times, values, signal, uids)


def _write_classic(
    directory: Path,
    uids: dict[str, str],
    stored: np.ndarray,
    times: np.ndarray,
    slope: float,
    intercept: float,
    edit: Edit | None,
) -> None:
    rng = np.random.default_rng(1)
    order = [(t, k) for t in range(len(times)) for k in range(SHAPE[2])]
    for number in rng.permutation(len(order)):
        t, k = order[int(number)]
        ds = _common(uids, MR)
        ds.SOPInstanceUID = generate_uid()
        ds.InstanceNumber = int(number) + 1
        ds.ImageType = ["ORIGINAL", "PRIMARY", "OTHER"]
        acquired = START + timedelta(seconds=float(times[t]) + 0.1 * k)
        ds.AcquisitionDate = acquired.strftime("%Y%m%d")
        ds.AcquisitionTime = acquired.strftime("%H%M%S.%f")
        ds.TemporalPositionIdentifier = t + 1
        ds.NumberOfTemporalPositions = len(times)
        ds.FlipAngle = FLIP_ANGLE
        ds.RepetitionTime = TR_MS
        ds.EchoTime = 1.2
        ds.ScanningSequence = "GR"
        ds.SequenceVariant = "SP"
        ds.ScanOptions = ""
        ds.MRAcquisitionType = "3D"
        ds.SliceThickness = SLICE_STEP
        ds.PixelSpacing = list(PIXEL_SPACING)
        ds.ImageOrientationPatient = list(ORIENTATION)
        ds.ImagePositionPatient = _position(k)
        ds.RescaleSlope = f"{slope:.10g}"[:16]
        ds.RescaleIntercept = intercept
        ds.PixelData = np.ascontiguousarray(stored[:, :, k, t].T).tobytes()
        if edit is not None:
            edit(ds, t, k)
        _meta(ds)
        ds.save_as(directory / f"IM{int(number):05d}", enforce_file_format=True)


def _item(**attributes: object) -> Dataset:
    ds = Dataset()
    for name, value in attributes.items():
        setattr(ds, name, value)
    return ds


def _write_enhanced(
    directory: Path,
    uids: dict[str, str],
    stored: np.ndarray,
    times: np.ndarray,
    slope: float,
    intercept: float,
) -> None:
    ds = _common(uids, ENHANCED_MR)
    ds.SOPInstanceUID = generate_uid()
    ds.InstanceNumber = 1
    ds.ImageType = ["ORIGINAL", "PRIMARY", "PERFUSION", "NONE"]
    ds.AcquisitionDateTime = START.strftime("%Y%m%d%H%M%S.%f")
    ds.ContentDate = ds.StudyDate
    ds.ContentTime = ds.StudyTime
    shared = _item(
        PixelMeasuresSequence=Sequence(
            [_item(PixelSpacing=list(PIXEL_SPACING), SliceThickness=SLICE_STEP)]
        ),
        PlaneOrientationSequence=Sequence([_item(ImageOrientationPatient=list(ORIENTATION))]),
        MRTimingAndRelatedParametersSequence=Sequence(
            [_item(RepetitionTime=TR_MS, FlipAngle=FLIP_ANGLE)]
        ),
        PixelValueTransformationSequence=Sequence(
            [_item(RescaleSlope=f"{slope:.10g}"[:16], RescaleIntercept=intercept, RescaleType="US")]
        ),
    )
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    per_frame = []
    pixels = []
    for k in range(SHAPE[2]):  # slice-major: the file order is not the time order
        for t in range(len(times)):
            acquired = START + timedelta(seconds=float(times[t]) + 0.1 * k)
            content = _item(
                FrameAcquisitionDateTime=acquired.strftime("%Y%m%d%H%M%S.%f"),
                TemporalPositionIndex=t + 1,
                StackID="1",
                InStackPositionNumber=k + 1,
                DimensionIndexValues=[t + 1, k + 1],
            )
            per_frame.append(
                _item(
                    FrameContentSequence=Sequence([content]),
                    PlanePositionSequence=Sequence([_item(ImagePositionPatient=_position(k))]),
                )
            )
            pixels.append(np.ascontiguousarray(stored[:, :, k, t].T))
    ds.PerFrameFunctionalGroupsSequence = Sequence(per_frame)
    ds.NumberOfFrames = len(per_frame)
    ds.PixelData = np.stack(pixels).tobytes()
    _meta(ds)
    ds.save_as(directory / "ENHANCED", enforce_file_format=True)


def read_back(path: Path) -> Dataset:
    """A written file, for tests that alter the phantom after writing."""
    return pydicom.dcmread(path)
