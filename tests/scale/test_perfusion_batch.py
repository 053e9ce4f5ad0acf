"""``perfusion batch``: one fit per visit, the same as ``perfusion fit``, resumable."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import pytest

from pseudoprog.scale.perfusion import MARKER
from tests.scale.visits import make_visits


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _map(folder: Path, name: str) -> np.ndarray:
    image: Any = nib.load(str(folder / f"{name}.nii.gz"))
    return np.asarray(image.get_fdata())


def test_batch_here_gives_what_perfusion_fit_gives(cli: Callable[..., Any], tmp_path: Path) -> None:
    manifest = make_visits(tmp_path, 3)
    out = tmp_path / "out"
    result = cli("perfusion", "batch", "--manifest", manifest, "--out", out)
    assert result.exit_code == 0, result.output
    assert "3 visits: 3 fitted, 0 skipped, 0 failed" in " ".join(result.output.split())
    images = tmp_path / "images" / "V002"
    single = tmp_path / "single"
    done = cli(
        "perfusion", "fit", "--dce", images / "dce.nii.gz", "--out", single, "--concentration",
        "--mask", images / "mask.nii.gz", "--roi", images / "mask.nii.gz", "--method", "linear",
        "--bolus-arrival", "30",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    for name in ("ktrans", "ve", "vp", "ok"):
        np.testing.assert_array_equal(_map(out / "V002", name), _map(single, name))
    assert (out / "V002" / "roi_summary.csv").read_text() == (
        single / "roi_summary.csv"
    ).read_text()
    assert (out / "V002" / "aif.csv").read_text() == (single / "aif.csv").read_text()
    statuses = _rows(out / "visits.csv")
    assert [(r["visit_id"], r["patient_id"], r["status"]) for r in statuses] == [
        ("V001", "P001", "fitted"), ("V002", "P001", "fitted"), ("V003", "P002", "fitted"),
    ]  # fmt: skip
    assert _rows(out / "failures.csv") == []
    cohort = _rows(out / "roi_summary.csv")
    assert {r["visit_id"] for r in cohort} == {"V001", "V002", "V003"}
    assert cohort[0]["patient_id"] == "P001"
    marker = json.loads((out / "V001" / MARKER).read_text())
    assert marker["visit_id"] == "V001"


def test_batch_on_a_cluster_reports_failures_and_resumes(
    cli: Callable[..., Any], dask_scheduler: str, tmp_path: Path
) -> None:
    manifest = make_visits(tmp_path, 5)
    broken = tmp_path / "images" / "V004" / "dce.nii.gz"
    good = broken.read_bytes()
    broken.write_bytes(b"not an image")
    out = tmp_path / "out"
    args = ["perfusion", "batch", "--manifest", manifest, "--out", out]
    first = cli(*args, "--scheduler", dask_scheduler)
    assert first.exit_code == 3, first.output
    text = " ".join(first.output.split())
    assert "4 fitted, 0 skipped, 1 failed" in text
    failures = _rows(out / "failures.csv")
    assert [(f["visit_id"], f["row"]) for f in failures] == [("V004", "5")]
    assert "dce.nii.gz" in failures[0]["error"]
    assert not (out / "V004" / MARKER).exists()
    assert all((out / v / MARKER).exists() for v in ("V001", "V002", "V003", "V005"))
    before = (out / "V001" / MARKER).read_bytes()
    # the failed visit is mended; a re-run fits it alone and keeps the finished ones
    broken.write_bytes(good)
    second = cli(*args, "--scheduler", dask_scheduler)
    assert second.exit_code == 0, second.output
    assert "1 fitted, 4 skipped, 0 failed" in " ".join(second.output.split())
    assert (out / "V001" / MARKER).read_bytes() == before
    assert [r["status"] for r in _rows(out / "visits.csv")] == [
        "skipped", "skipped", "skipped", "fitted", "skipped",
    ]  # fmt: skip
    assert _rows(out / "failures.csv") == []
    assert len({r["visit_id"] for r in _rows(out / "roi_summary.csv")}) == 5


def test_a_changed_row_is_fitted_again(cli: Callable[..., Any], tmp_path: Path) -> None:
    manifest = make_visits(tmp_path, 2)
    out = tmp_path / "out"
    assert cli("perfusion", "batch", "--manifest", manifest, "--out", out).exit_code == 0
    manifest.write_text(
        manifest.read_text()
        .replace("V002,P001,", "V002,P001,", 1)
        .replace(",30,linear\n", ",25,linear\n", 1)
    )  # V001's bolus arrival changes
    again = cli("perfusion", "batch", "--manifest", manifest, "--out", out)
    assert again.exit_code == 0, again.output
    assert [r["status"] for r in _rows(out / "visits.csv")] == ["fitted", "skipped"]


def test_the_manifest_is_checked_before_anything_is_fitted(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    make_visits(tmp_path, 1)
    manifest = tmp_path / "bad.csv"
    manifest.write_text(
        "visit_id,patient_id,dce,mask,concentration,flip_angle,colour\n"
        "V1,P1,images/V001/dce.nii.gz,images/V001/mask.nii.gz,yes,,red\n"
        "V1,P1,images/V001/dce.nii.gz,,yes,,red\n"
        "V 3,P2,missing.nii.gz,,no,abc,red\n"
    )
    out = tmp_path / "out"
    result = cli("perfusion", "batch", "--manifest", manifest, "--out", out)
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "unknown column(s) colour" in text
    assert "row 3, column 'visit_id': duplicate visit_id (first on row 2)" in text
    assert "row 4, column 'visit_id': visit_id is not usable as a folder name" in text
    assert "row 4, column 'dce': dce file not found" in text
    assert "row 4, column 'flip_angle': not a number" in text
    assert "row 4, column 'concentration': the options of this visit do not fit together" in text
    assert "give exactly one of t1 (T1 map) or t1_ms" in text
    assert not out.exists()


@pytest.mark.parametrize("column", ["visit_id", "dce"])
def test_a_missing_required_column_is_named(
    cli: Callable[..., Any], tmp_path: Path, column: str
) -> None:
    header = [c for c in ("visit_id", "patient_id", "dce") if c != column]
    manifest = tmp_path / "m.csv"
    manifest.write_text(",".join(header) + "\n" + ",".join("x" for _ in header) + "\n")
    result = cli("perfusion", "batch", "--manifest", manifest, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert f"required column '{column}' is missing" in " ".join(result.output.split())


def test_a_dicom_visit_takes_its_acquisition_from_the_headers(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    from tests.dicom_phantom import BOLUS_S, R1, T10_MS, write_dce_phantom

    phantom = write_dce_phantom(tmp_path / "series")
    manifest = tmp_path / "visits.csv"
    manifest.write_text(
        "visit_id,patient_id,dce,t1_ms,r1,baseline_frames,bolus_arrival,model,method\n"
        f"D1,P1,series,{T10_MS},{R1},4,{BOLUS_S},extended-tofts,linear\n"
    )
    out = tmp_path / "out"
    result = cli("perfusion", "batch", "--manifest", manifest, "--out", out)
    assert result.exit_code == 0, result.output
    single = tmp_path / "single"
    done = cli(
        "perfusion", "fit", "--dce", phantom.directory, "--out", single, "--t1-ms", str(T10_MS),
        "--r1", str(R1), "--baseline-frames", "4", "--bolus-arrival", str(BOLUS_S),
        "--model", "extended-tofts", "--method", "linear",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    for name in ("ktrans", "ve", "vp"):
        np.testing.assert_array_equal(_map(out / "D1", name), _map(single, name))
    settings = json.loads((out / "D1" / "fit.json").read_text())
    assert settings["flip_angle_deg"] is not None  # from the headers
    assert not (out / "D1" / "roi_summary.csv").exists()  # neither a mask nor an ROI
