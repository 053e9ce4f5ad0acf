"""``perfusion fit --dce FOLDER`` on the synthetic DICOM phantom: recovered values vs the truth,
header values and their overrides, clear errors, Parametric Maps out."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from typer.testing import Result

from pseudoprog.io.dicom_dce import read_dicom_dce
from tests.dicom_phantom import (
    FIELD_T,
    FLIP_ANGLE,
    INTERVAL_S,
    ORIGIN,
    SLICE_STEP,
    TR_MS,
    Phantom,
    write_dce_phantom,
)

Invoke = Callable[..., Result]


def _map(directory: Path, name: str) -> np.ndarray:
    return np.asarray(nib.load(str(directory / f"{name}.nii.gz")).get_fdata())


@pytest.fixture(scope="module", params=["classic", "enhanced"])
def phantom(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Phantom:
    root = tmp_path_factory.mktemp(f"dce-{request.param}")
    return write_dce_phantom(root / "series", enhanced=request.param == "enhanced")


def test_reader_orders_frames_and_reads_headers(phantom: Phantom) -> None:
    dicom = read_dicom_dce(phantom.directory)
    assert dicom.frames == phantom.times_s.size
    np.testing.assert_allclose(dicom.times_s, phantom.times_s, atol=1e-6)
    assert dicom.acquisition.flip_angle_deg == FLIP_ANGLE
    assert dicom.acquisition.tr_ms == TR_MS
    assert dicom.acquisition.field_strength_t == FIELD_T
    assert dicom.geometry.shape == phantom.truth["ktrans"].shape
    # voxel (0, 0, 0) is the first pixel of the first slice: ImagePositionPatient in RAS
    origin = dicom.geometry.affine @ np.array([0, 0, 0, 1.0])
    np.testing.assert_allclose(origin[:3], [-ORIGIN[0], -ORIGIN[1], ORIGIN[2]])
    series = dicom.series(dicom.times_s)
    with series.read(np.ones(dicom.geometry.shape, bool)) as data:
        volume = data.values.reshape((dicom.frames, *dicom.geometry.shape), order="F")
    expected = np.moveaxis(phantom.signal, -1, 0)
    np.testing.assert_allclose(volume, expected, rtol=1e-4, atol=0.05)


def test_fit_recovers_the_phantom_and_writes_parametric_maps(
    invoke: Invoke, phantom: Phantom, tmp_path: Path
) -> None:
    out, dicom_out = tmp_path / "fit", tmp_path / "maps"
    result = invoke(
        "fit", "--dce", phantom.directory, "--out", out, "--dicom-out", dicom_out,
        *phantom.fit_args(),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    for name in ("ktrans", "ve", "vp"):
        np.testing.assert_allclose(_map(out, name), phantom.truth[name], rtol=0.03, atol=0.002)
    settings = json.loads((out / "fit.json").read_text())
    assert settings["flip_angle_deg"] == FLIP_ANGLE
    assert settings["tr_ms"] == TR_MS
    assert settings["dicom"]["field_strength_t"] == FIELD_T
    assert settings["dicom"]["sources"]["flip_angle"].startswith("FlipAngle")
    np.testing.assert_allclose(settings["frame_times_s"], phantom.times_s, atol=1e-6)

    source_series = read_dicom_dce(phantom.directory).uids["SeriesInstanceUID"]
    names = sorted(p.name for p in dicom_out.iterdir())
    assert names == ["kep.dcm", "ktrans.dcm", "ve.dcm", "vp.dcm"]
    for name in ("ktrans", "ve", "vp"):
        ds = pydicom.dcmread(dicom_out / f"{name}.dcm")
        assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.30"  # Parametric Map Storage
        assert ds.ReferencedSeriesSequence[0].SeriesInstanceUID == source_series
        expected = _map(out, name)
        for frame, item in zip(ds.pixel_array, ds.PerFrameFunctionalGroupsSequence, strict=True):
            z = float(item.PlanePositionSequence[0].ImagePositionPatient[2])
            k = round((z - ORIGIN[2]) / SLICE_STEP)
            np.testing.assert_allclose(frame.T, expected[:, :, k], rtol=1e-6, atol=1e-7)
        _validate(dicom_out / f"{name}.dcm")


def _validate(path: Path) -> None:
    tool = shutil.which("dciodvfy")
    if tool is None:
        if os.environ.get("CI") == "true":
            pytest.fail("dciodvfy is missing on CI: install the Debian package dicom3tools")
        pytest.skip("dciodvfy not found: install the Debian package dicom3tools")
    run = subprocess.run([tool, str(path)], capture_output=True, text=True, check=False)
    errors = [line for line in (run.stdout + run.stderr).splitlines() if line.startswith("Error")]
    assert not errors, errors


def test_command_line_values_override_headers_with_a_warning(
    invoke: Invoke, phantom: Phantom, tmp_path: Path
) -> None:
    out = tmp_path / "fit"
    result = invoke(
        "fit", "--dce", phantom.directory, "--out", out, "--flip-angle", "14",
        "--frame-interval", str(INTERVAL_S + 1), *phantom.fit_args(),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "flip angle 14 degrees given on the command line differs" in result.output
    assert "frame times from --frame-interval differ" in result.output
    settings = json.loads((out / "fit.json").read_text())
    assert settings["flip_angle_deg"] == 14
    assert settings["dicom"]["sources"]["flip_angle"] == "command line"
    assert settings["frame_times_s"][1] == INTERVAL_S + 1


def _broken(tmp_path: Path, edit: Callable[[Dataset, int, int], None]) -> Path:
    return write_dce_phantom(tmp_path / "broken", frames=6, edit=edit).directory


def _drop_timing(ds: Dataset, t: int, k: int) -> None:
    del ds.AcquisitionTime
    del ds.AcquisitionDate
    del ds.TemporalPositionIdentifier


def _tilt(ds: Dataset, t: int, k: int) -> None:
    if t == 3 and k == 1:
        ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 0.0, -1.0]


def _other_series(ds: Dataset, t: int, k: int) -> None:
    if t == 0:
        ds.SeriesInstanceUID = "1.2.3.4.5"
        ds.SeriesDescription = "T2 FSE"


def _no_times(ds: Dataset, t: int, k: int) -> None:
    del ds.AcquisitionTime
    del ds.AcquisitionDate


@pytest.mark.parametrize(
    ("edit", "frames", "words"),
    [
        (_drop_timing, 6, ["TemporalPositionIdentifier", "missing timing", "IM"]),
        (_tilt, 6, ["ImageOrientationPatient", "inconsistent geometry", "IM"]),
        (_other_series, 6, ["SeriesInstanceUID", "mixes 2 series", "T2 FSE", "own folders"]),
        (None, 2, ["not a dynamic (DCE) series", "at least 4 time points"]),
        (_no_times, 6, ["no acquisition time", "--frame-interval"]),
    ],
)
def test_bad_series_exit_2_naming_file_attribute_and_fix(
    invoke: Invoke,
    tmp_path: Path,
    edit: Callable[[Dataset, int, int], None] | None,
    frames: int,
    words: list[str],
) -> None:
    folder = write_dce_phantom(tmp_path / "broken", frames=frames, edit=edit).directory
    out = tmp_path / "fit"
    result = invoke("fit", "--dce", folder, "--out", out, "--t1-ms", "1400", "--r1", "4.5",
                    "--baseline-frames", "1")  # fmt: skip
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    for word in words:
        assert word in text
    assert "Traceback" not in result.output
    assert not out.exists()


def test_series_without_times_fits_with_frame_interval(invoke: Invoke, tmp_path: Path) -> None:
    folder = write_dce_phantom(tmp_path / "series", edit=_no_times).directory
    out = tmp_path / "fit"
    phantom_args = Phantom(folder, np.empty(0), {}, np.empty(0)).fit_args()
    result = invoke("fit", "--dce", folder, "--out", out, "--frame-interval", str(INTERVAL_S),
                    *phantom_args)  # fmt: skip
    assert result.exit_code == 0, result.output
    settings = json.loads((out / "fit.json").read_text())
    assert settings["dicom"]["sources"]["frame_times"] == "--frame-interval"


def test_dicom_out_needs_a_dicom_series(invoke: Invoke, tmp_path: Path) -> None:
    nifti = tmp_path / "x.nii.gz"
    nib.save(nib.Nifti1Image(np.ones((2, 2, 1, 5), np.float32), np.eye(4)), str(nifti))
    result = invoke("fit", "--dce", nifti, "--out", tmp_path / "o", "--concentration",
                    "--frame-interval", "5", "--dicom-out", tmp_path / "d")  # fmt: skip
    assert result.exit_code == 2
    assert "--dicom-out needs a DICOM series" in result.output
