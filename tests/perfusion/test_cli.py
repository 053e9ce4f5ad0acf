"""``pseudoprog perfusion fit`` and ``change`` end to end on small synthetic volumes."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
from typer.testing import Result

from pseudoprog.perfusion import extended_tofts, parker_aif, spgr_signal

AFFINE = np.diag([1.5, 1.5, 4.0, 1.0])
SHAPE = (8, 6, 2)
Invoke = Callable[..., Result]


@dataclass(frozen=True)
class Study:
    """Files of a small synthetic study and the truth behind them."""

    root: Path
    t: np.ndarray
    cp: np.ndarray
    truth: dict[str, np.ndarray]
    mask: np.ndarray


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Study:
    """A concentration series, the same as SPGR signal, a mask, labels and the truth."""
    root = tmp_path_factory.mktemp("dce")
    t = np.arange(60) * 5.0
    cp = parker_aif(t, delay_s=30.0)
    rng = np.random.default_rng(0)
    truth = {
        "ktrans": rng.uniform(0.05, 0.3, SHAPE),
        "ve": rng.uniform(0.1, 0.5, SHAPE),
        "vp": rng.uniform(0.01, 0.08, SHAPE),
    }
    ct = extended_tofts(t, cp, **truth)
    nib.save(nib.Nifti1Image(ct.astype(np.float32), AFFINE), str(root / "conc.nii.gz"))
    (root / "conc.json").write_text(json.dumps({"FrameTimes": t.tolist()}))
    signal = spgr_signal(ct, t10_s=1.2, flip_angle_deg=15.0, tr_s=0.005, r1_per_mM_s=4.5, s0=1000.0)
    nib.save(nib.Nifti1Image(signal.astype(np.float32), AFFINE), str(root / "signal.nii"))
    (root / "signal.json").write_text(json.dumps({"FrameInterval": 5.0}))
    mask = np.zeros(SHAPE, np.uint8)
    mask[1:7, 1:5, :] = 1
    nib.save(nib.Nifti1Image(mask, AFFINE), str(root / "mask.nii.gz"))
    labels = np.zeros(SHAPE, np.int16)
    labels[1:4, 1:5, :] = 1
    labels[4:7, 1:5, :] = 2
    nib.save(nib.Nifti1Image(labels, AFFINE), str(root / "labels.nii.gz"))
    nib.save(nib.Nifti1Image(np.full(SHAPE, 1200.0, np.float32), AFFINE), str(root / "t1.nii.gz"))
    nib.save(nib.Nifti1Image(np.zeros(SHAPE, np.int16), AFFINE), str(root / "empty.nii.gz"))
    return Study(root=root, t=t, cp=cp, truth=truth, mask=mask.astype(bool))


def _map(directory: Path, name: str) -> np.ndarray:
    return np.asarray(nib.load(str(directory / f"{name}.nii.gz")).get_fdata())


def test_fit_concentration_writes_maps_and_roi_summary(invoke: Invoke, study: Study) -> None:
    root = study.root
    out = root / "fit-conc"
    result = invoke(
        "fit",
        "--dce",
        root / "conc.nii.gz",
        "--concentration",
        "--mask",
        root / "mask.nii.gz",
        "--roi",
        root / "labels.nii.gz",
        "--bolus-arrival",
        "30",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    assert "Extended Tofts fit (exact), 48 voxels: 48 ok" in result.output
    mask = study.mask
    for name, values in study.truth.items():
        fitted = _map(out, name)
        np.testing.assert_allclose(fitted[mask], values[mask], rtol=1e-4)
        assert np.all(np.isnan(fitted[~mask]))
    assert nib.load(str(out / "vp.nii.gz")).shape == SHAPE
    np.testing.assert_allclose(nib.load(str(out / "vp.nii.gz")).affine, AFFINE)
    settings = json.loads((out / "fit.json").read_text())
    assert settings["model"] == "extended-tofts"
    assert settings["bolus_arrival_s"] == 30.0
    rows = list(csv.DictReader((out / "roi_summary.csv").open()))
    assert {(r["label"], r["parameter"]) for r in rows} >= {("1", "vp"), ("2", "ktrans")}
    assert (out / "aif.csv").read_text().startswith("time_s,cp_mM\n0,0\n")


def test_fit_signal_with_t1_map_and_estimated_arrival(invoke: Invoke, study: Study) -> None:
    root = study.root
    out = root / "fit-signal"
    result = invoke(
        "fit",
        "--dce",
        root / "signal.nii",
        "--t1",
        root / "t1.nii.gz",
        "--flip-angle",
        "15",
        "--tr-ms",
        "5",
        "--r1",
        "4.5",
        "--baseline-frames",
        "5",
        "--mask",
        root / "mask.nii.gz",
        "--model",
        "tofts",
        "--method",
        "linear",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    settings = json.loads((out / "fit.json").read_text())
    assert settings["bolus_arrival_s"] == 30.0
    assert settings["input"] == "signal"
    assert not (out / "vp.nii.gz").exists()
    assert np.isfinite(_map(out, "ktrans")[study.mask]).all()


def test_fit_with_measured_aif_csv_and_delay(invoke: Invoke, study: Study) -> None:
    root = study.root
    aif = root / "aif.csv"
    lines = ["time_s,cp_mM"] + [f"{t},{c}" for t, c in zip(study.t, study.cp, strict=True)]
    aif.write_text("\n".join(lines) + "\n")
    out = root / "fit-aif"
    result = invoke(
        "fit",
        "--dce",
        root / "conc.nii.gz",
        "--concentration",
        "--aif",
        aif,
        "--mask",
        root / "mask.nii.gz",
        "--fit-delay",
        "--delay-min",
        "0",
        "--delay-max",
        "5",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    mask = study.mask
    np.testing.assert_allclose(_map(out, "delay_s")[mask], 0.0)
    np.testing.assert_allclose(_map(out, "vp")[mask], study.truth["vp"][mask], rtol=1e-4)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--times", "bad.json"], "not strictly increasing"),
        (["--mask", "moved.nii.gz"], "not on the grid of the DCE series"),
        (["--frame-interval", "5", "--times", "bad.json"], "either --times or --frame-interval"),
        (["--t1-ms", "1000"], "--concentration says the data already are concentrations"),
        (["--aif", "nowhere.csv"], "neither a population AIF nor an existing file"),
        (["--roi", "empty.nii.gz"], "the ROI label image has no non-zero label"),
    ],
)
def test_fit_rejects_bad_input_without_output(
    invoke: Invoke, study: Study, extra: list[str], message: str
) -> None:
    root = study.root
    (root / "bad.json").write_text(json.dumps({"FrameTimes": [0.0] * 60}))
    nib.save(nib.Nifti1Image(np.ones(SHAPE, np.uint8), np.eye(4)), str(root / "moved.nii.gz"))
    out = root / f"rejected-{len(extra)}-{abs(hash(message)) % 1000}"
    args = ["fit", "--dce", root / "conc.nii.gz", "--concentration", "--out", out]
    args += [str(root / e) if e.endswith((".json", ".nii.gz", ".csv")) else e for e in extra]
    result = invoke(*args)
    assert result.exit_code == 2
    assert message in result.output.replace("\n", " ")
    assert "Traceback" not in result.output
    assert not out.exists()


def test_fit_reports_missing_sidecar_wrong_dimensions_and_nan(
    invoke: Invoke, study: Study, tmp_path: Path
) -> None:
    root = study.root
    lonely = tmp_path / "lonely.nii.gz"
    lonely.write_bytes((root / "conc.nii.gz").read_bytes())
    result = invoke("fit", "--dce", lonely, "--concentration", "--out", tmp_path / "o1")
    assert result.exit_code == 2
    assert "frame-time sidecar not found" in result.output
    result = invoke(
        "fit",
        "--dce",
        root / "mask.nii.gz",
        "--concentration",
        "--frame-interval",
        "5",
        "--out",
        tmp_path / "o2",
    )
    assert result.exit_code == 2
    assert "expected a 4-D image" in result.output
    data = np.asarray(nib.load(str(root / "conc.nii.gz")).get_fdata(), dtype=np.float32)
    data[2, 2, 0, 7] = np.nan
    nib.save(nib.Nifti1Image(data, AFFINE), str(tmp_path / "nan.nii.gz"))
    result = invoke(
        "fit",
        "--dce",
        tmp_path / "nan.nii.gz",
        "--concentration",
        "--frame-interval",
        "5",
        "--out",
        tmp_path / "o3",
    )
    assert result.exit_code == 2
    assert "NaN or infinite values inside the mask" in result.output
    assert not any((tmp_path / name).exists() for name in ("o1", "o2", "o3"))


def test_signal_mode_needs_its_parameters(invoke: Invoke, study: Study, tmp_path: Path) -> None:
    root = study.root
    result = invoke("fit", "--dce", root / "signal.nii", "--t1-ms", "1200", "--out", tmp_path)
    assert result.exit_code == 2
    assert "--flip-angle, --tr-ms, --r1, --baseline-frames" in result.output


def test_change_writes_an_evidence_row(invoke: Invoke, study: Study, tmp_path: Path) -> None:
    root = study.root
    before = root / "fit-conc"
    if not before.exists():
        invoke(
            "fit",
            "--dce",
            root / "conc.nii.gz",
            "--concentration",
            "--mask",
            root / "mask.nii.gz",
            "--bolus-arrival",
            "30",
            "--out",
            before,
        )
    vp = nib.load(str(before / "vp.nii.gz"))
    after = tmp_path / "vp_after.nii.gz"
    nib.save(
        nib.Nifti1Image(np.asarray(vp.get_fdata(), np.float32) * 1.5, vp.affine, vp.header),
        str(after),
    )
    evidence = tmp_path / "evidence.csv"
    args = [
        "change",
        "--before",
        before,
        "--after",
        after,
        "--roi",
        root / "labels.nii.gz",
        "--label",
        "1",
        "--lesion-id",
        "P01-L1",
        "--date",
        "2024-03-01",
        "--out",
        evidence,
    ]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(evidence.open()))
    assert len(rows) == 1
    assert rows[0]["kind"] == "dce_vp_change_pct"
    assert float(rows[0]["value"]) == pytest.approx(50)
    assert rows[0]["date"] == "2024-03-01"
    assert rows[0]["lesion_id"] == "P01-L1"
    again = invoke(*args)
    assert again.exit_code == 2
    assert "already has a row" in again.output
    assert invoke(*args, "--replace").exit_code == 0
    empty = invoke(*args[:-1], tmp_path / "e2.csv", "--label", "9")
    assert empty.exit_code == 2
    assert "selects no voxel with label 9" in empty.output
    assert not (tmp_path / "e2.csv").exists()
