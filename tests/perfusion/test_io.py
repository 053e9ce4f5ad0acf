"""NIfTI series and maps, frame-time sidecars, AIF CSV and evidence rows."""

from __future__ import annotations

import csv
import gzip
import json
from datetime import date
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from pseudoprog.domain import Evidence
from pseudoprog.errors import InputValidationError
from pseudoprog.io import dce as dce_io
from pseudoprog.io.nifti import load_volume, open_dce, write_maps

AFFINE = np.array([[1.5, 0, 0, -10], [0, 1.5, 0, 5], [0, 0, 4, 20], [0, 0, 0, 1.0]])


def _series(tmp_path: Path, name: str, data: np.ndarray, **header: float) -> Path:
    image = nib.Nifti1Image(data, AFFINE)
    if header:
        image.header.set_slope_inter(header["slope"], header["inter"])
    path = tmp_path / name
    nib.save(image, str(path))
    return path


@pytest.mark.parametrize("name", ["series.nii", "series.nii.gz"])
def test_frames_stream_in_voxel_order(tmp_path: Path, name: str) -> None:
    rng = np.random.default_rng(0)
    data = rng.normal(size=(5, 4, 3, 7)).astype(np.float32)
    path = _series(tmp_path, name, data)
    series = open_dce(path, lambda n: np.arange(n) * 2.0)
    assert series.frames == 7
    assert series.geometry.shape == (5, 4, 3)
    mask = rng.random((5, 4, 3)) > 0.5
    with series.read(mask) as voxels:
        expected = data.reshape(-1, 7, order="F")[np.flatnonzero(mask.reshape(-1, order="F"))]
        np.testing.assert_array_equal(voxels.values.T, expected)
        volume = voxels.scatter(np.arange(voxels.values.shape[1]))
        assert np.all(np.isnan(volume[~mask]))
        np.testing.assert_array_equal(
            volume.reshape(-1, order="F")[voxels.index], np.arange(mask.sum())
        )


def test_scaled_integers_and_memory_mapped_buffer(tmp_path: Path) -> None:
    raw = np.arange(2 * 3 * 2 * 5, dtype=np.int16).reshape(2, 3, 2, 5)
    path = _series(tmp_path, "scaled.nii.gz", raw, slope=0.5, inter=10.0)
    series = open_dce(path, lambda n: np.arange(float(n)))
    with series.read(np.ones((2, 3, 2), bool), memory_limit=0) as voxels:
        assert isinstance(voxels.values, np.memmap)
        np.testing.assert_allclose(voxels.values.T, raw.reshape(-1, 5, order="F") * 0.5 + 10)
        scratch = Path(voxels.values.filename)
        assert scratch.exists()
    assert not scratch.exists()


def test_nan_inside_mask_is_reported_with_its_position(tmp_path: Path) -> None:
    data = np.zeros((3, 3, 1, 4), np.float32)
    data[1, 2, 0, 3] = np.nan
    series = open_dce(_series(tmp_path, "nan.nii.gz", data), lambda n: np.arange(float(n)))
    with pytest.raises(InputValidationError, match=r"voxel \(1, 2, 0\), frame 3"):
        series.read(np.ones((3, 3, 1), bool))
    mask = np.ones((3, 3, 1), bool)
    mask[1, 2, 0] = False
    with series.read(mask) as voxels:
        assert voxels.values.shape == (4, 8)


def test_series_problems(tmp_path: Path) -> None:
    three_d = _series(tmp_path, "flat.nii.gz", np.zeros((3, 3, 3), np.float32))
    with pytest.raises(InputValidationError, match="4-D image"):
        open_dce(three_d, lambda n: np.arange(float(n)))
    with pytest.raises(InputValidationError, match="file not found"):
        open_dce(tmp_path / "missing.nii.gz", lambda n: np.arange(float(n)))
    text = tmp_path / "notes.txt"
    text.write_text("x")
    with pytest.raises(InputValidationError, match="not a NIfTI"):
        open_dce(text, lambda n: np.arange(float(n)))
    four_d = _series(tmp_path, "ok.nii.gz", np.zeros((2, 2, 2, 5), np.float32))
    with pytest.raises(InputValidationError, match="5 frames but 3 frame times"):
        open_dce(four_d, lambda n: np.arange(3.0))


def test_volumes_must_match_the_grid(tmp_path: Path) -> None:
    series = open_dce(
        _series(tmp_path, "s.nii.gz", np.zeros((4, 4, 2, 5), np.float32)),
        lambda n: np.arange(float(n)),
    )
    good = _series(tmp_path, "good.nii.gz", np.ones((4, 4, 2), np.uint8))
    data, _ = load_volume(good, like=series.geometry, role="mask")
    assert data.shape == (4, 4, 2)
    moved = tmp_path / "moved.nii.gz"
    nib.save(nib.Nifti1Image(np.ones((4, 4, 2), np.uint8), np.eye(4)), str(moved))
    with pytest.raises(InputValidationError, match="different position or orientation"):
        load_volume(moved, like=series.geometry, role="mask")
    small = _series(tmp_path, "small.nii.gz", np.ones((2, 2, 2), np.uint8))
    with pytest.raises(InputValidationError, match=r"mask is not on the grid"):
        load_volume(small, like=series.geometry, role="mask")


def test_maps_keep_the_input_geometry(tmp_path: Path) -> None:
    series = open_dce(
        _series(tmp_path, "s.nii.gz", np.zeros((4, 3, 2, 5), np.float32)),
        lambda n: np.arange(float(n)),
    )
    out = tmp_path / "maps"
    out.mkdir()
    vp = np.random.default_rng(1).random((4, 3, 2))
    written = write_maps(out, {"vp": vp, "ok": vp > 0.5}, series.geometry)
    assert [p.name for p in written] == ["vp.nii.gz", "ok.nii.gz"]
    image = nib.load(str(out / "vp.nii.gz"))
    np.testing.assert_allclose(image.affine, AFFINE)
    assert image.get_data_dtype() == np.float32
    assert image.shape == (4, 3, 2)
    np.testing.assert_allclose(image.get_fdata(), vp, rtol=1e-6)
    assert nib.load(str(out / "ok.nii.gz")).get_data_dtype() == np.uint8


def test_frame_time_sidecars(tmp_path: Path) -> None:
    assert dce_io.default_sidecar(tmp_path / "a.nii.gz") == tmp_path / "a.json"
    times = tmp_path / "t.json"
    times.write_text(json.dumps({"FrameTimes": [0, 2.5, 5]}))
    np.testing.assert_array_equal(dce_io.read_frame_times(times, 3), [0, 2.5, 5])
    times.write_text(json.dumps({"FrameInterval": 4}))
    np.testing.assert_array_equal(dce_io.read_frame_times(times, 3), [0, 4, 8])
    for content, message in (
        ({"FrameTimes": [0, 5, 5]}, "not strictly increasing at frame 2"),
        ({"FrameTimes": [0, 1]}, "lists 2 frame times"),
        ({"FrameTimes": "soon"}, "not a list of numbers"),
        ({"Other": 1}, "no frame timing"),
        ({"FrameInterval": -1}, "positive number of seconds"),
        ([1, 2, 3], "not a JSON object"),
    ):
        times.write_text(json.dumps(content))
        with pytest.raises(InputValidationError, match=message):
            dce_io.read_frame_times(times, 3)
    times.write_text("{not json")
    with pytest.raises(InputValidationError, match="cannot be read as JSON"):
        dce_io.read_frame_times(times, 3)
    with pytest.raises(InputValidationError, match="sidecar not found"):
        dce_io.read_frame_times(tmp_path / "none.json", 3)


def test_aif_csv(tmp_path: Path) -> None:
    path = tmp_path / "aif.csv"
    path.write_text("time_s,cp_mM\n0,0\n10,2\n20,1\n")
    np.testing.assert_allclose(dce_io.read_aif_csv(path, np.array([0.0, 5.0, 20.0])), [0, 1, 1])
    with pytest.raises(InputValidationError, match="covers 0–20 s"):
        dce_io.read_aif_csv(path, np.array([0.0, 30.0]))
    path.write_text("time,conc\n0,1\n")
    with pytest.raises(InputValidationError, match="missing column"):
        dce_io.read_aif_csv(path, np.array([0.0]))
    path.write_text("time_s,cp_mM\n0,1\n5,x\n")
    with pytest.raises(InputValidationError, match="row 3, column 'cp_mM'"):
        dce_io.read_aif_csv(path, np.array([0.0]))


def test_evidence_rows_append_and_refuse_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "evidence.csv"
    first = Evidence("L1", date(2023, 1, 5), "dce_vp_change_pct", -57.3)
    assert dce_io.write_evidence_rows(path, [first], notes=["median vp"]) == 1
    second = Evidence("L2", date(2023, 2, 5), "dce_vp_change_pct", 88.2)
    assert dce_io.write_evidence_rows(path, [second]) == 2
    rows = list(csv.DictReader(path.open()))
    assert [(r["lesion_id"], r["value"], r["note"]) for r in rows] == [
        ("L1", "-57.3", "median vp"),
        ("L2", "88.2", ""),
    ]
    with pytest.raises(InputValidationError, match="already has a row"):
        dce_io.write_evidence_rows(path, [Evidence("L1", date(2023, 1, 5), first.kind, 1.0)])
    dce_io.write_evidence_rows(
        path, [Evidence("L1", date(2023, 1, 5), first.kind, 1.0)], replace=True
    )
    rows = list(csv.DictReader(path.open()))
    assert sorted((r["lesion_id"], r["value"]) for r in rows) == [("L1", "1"), ("L2", "88.2")]


def test_evidence_rows_keep_an_existing_table(tmp_path: Path) -> None:
    path = tmp_path / "evidence.csv"
    path.write_text("lesion_id,date,kind,value\nL9,2022-01-01,growth_within_80pct_isodose,true\n")
    dce_io.write_evidence_rows(
        path, [Evidence("L1", date(2023, 1, 5), "dce_vp_change_pct", 5.0)], notes=["n"]
    )
    lines = path.read_text().splitlines()
    assert lines[0] == "lesion_id,date,kind,value,note"
    assert lines[1] == "L9,2022-01-01,growth_within_80pct_isodose,true,"
    bad = tmp_path / "other.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(InputValidationError, match="not an evidence table"):
        dce_io.write_evidence_rows(bad, [])


def test_truncated_series_is_reported(tmp_path: Path) -> None:
    path = _series(tmp_path, "cut.nii.gz", np.ones((4, 4, 4, 6), np.float32))
    content = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(content[: len(content) - 200]))
    series = open_dce(path, lambda n: np.arange(float(n)))
    with pytest.raises(InputValidationError, match="truncated"):
        series.read(np.ones((4, 4, 4), bool))
