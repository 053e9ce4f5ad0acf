"""Synthetic DCE-MRI visits and their ``perfusion batch`` manifest (tests and benchmarks)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import nibabel as nib
import numpy as np

from pseudoprog.perfusion import extended_tofts, parker_aif

AFFINE = np.diag([1.5, 1.5, 4.0, 1.0])


def _save(data: np.ndarray, path: Path) -> None:
    nib.save(nib.Nifti1Image(data, AFFINE), str(path))  # type: ignore[no-untyped-call]


def make_visits(
    folder: Path,
    count: int,
    *,
    shape: tuple[int, int, int] = (8, 6, 2),
    frames: int = 40,
    method: str = "linear",
    seed: int = 0,
) -> Path:
    """Write ``count`` visits (concentration series, sidecar, mask) and a manifest; return it.

    Visit ``V001`` of patient ``P001`` and so on; two visits per patient. Each series holds
    extended Tofts curves of random parameters; the mask leaves out a one-voxel border in x, y.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(frames) * 5.0
    cp = parker_aif(t, delay_s=30.0)
    mask = np.zeros(shape, np.uint8)
    mask[1:-1, 1:-1, :] = 1
    rows = []
    for k in range(count):
        visit = f"V{k + 1:03d}"
        root = folder / "images" / visit
        root.mkdir(parents=True, exist_ok=True)
        ct = extended_tofts(
            t,
            cp,
            ktrans=rng.uniform(0.05, 0.3, shape),
            ve=rng.uniform(0.1, 0.5, shape),
            vp=rng.uniform(0.01, 0.08, shape),
        ) + rng.normal(0, 0.002, (*shape, frames))
        _save(ct.astype(np.float32), root / "dce.nii.gz")
        (root / "dce.json").write_text(json.dumps({"FrameTimes": t.tolist()}))
        _save(mask, root / "mask.nii.gz")
        rows.append(
            {
                "visit_id": visit,
                "patient_id": f"P{k // 2 + 1:03d}",
                "dce": f"images/{visit}/dce.nii.gz",
                "mask": f"images/{visit}/mask.nii.gz",
                "concentration": "yes",
                "aif": "parker",
                "bolus_arrival": "30",
                "method": method,
            }
        )
    manifest = folder / "visits.csv"
    with manifest.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return manifest
