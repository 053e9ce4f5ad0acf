"""Every file pseudoprog writes gets the mode the user's umask gives a new file.

0644 under umask 022, 0600 under 077, 0664 under 002 (and 0755, 0700, 0775 for directories),
whatever the command: the atomic helpers must not leave a temporary file's private mode on
the output, nor a staging directory's.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import typer
from typer.testing import CliRunner, Result

from pseudoprog.cli import assess, classify, perfusion, study
from pseudoprog.io.atomic import (
    atomic_directory,
    atomic_path,
    atomic_write_bytes,
    atomic_write_text,
)
from pseudoprog.perfusion import extended_tofts, parker_aif

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")

Invoke = Callable[..., Result]
UMASKS = [0o022, 0o077]


@pytest.fixture(params=UMASKS, ids=[f"umask{u:03o}" for u in UMASKS])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """Run the test under this umask; the previous one is restored afterwards."""
    old = os.umask(request.param)
    try:
        yield int(request.param)
    finally:
        os.umask(old)


@pytest.fixture(scope="module")
def invoke() -> Invoke:
    """Run ``pseudoprog ARGS...`` in-process, on an application of its own."""
    app = typer.Typer()
    for module in (classify, study, assess, perfusion):
        module.register(app)
    runner = CliRunner()

    def _invoke(*args: str | Path) -> Result:
        return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)

    return _invoke


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def file_mode(umask: int) -> int:
    return 0o666 & ~umask


def dir_mode(umask: int) -> int:
    return 0o777 & ~umask


def assert_tree(root: Path, umask: int, expected_files: set[str] | None = None) -> None:
    """Every file and directory under ``root`` (and ``root``) has the umask's mode."""
    assert mode(root) == dir_mode(umask), f"{root}: {mode(root):o}"
    files = set()
    for path in root.rglob("*"):
        name = path.relative_to(root).as_posix()
        assert not path.name.startswith(".staging-"), name
        assert ".tmp" not in path.name, name
        if path.is_dir():
            assert mode(path) == dir_mode(umask), f"{name}: {mode(path):o}"
        else:
            files.add(name)
            assert mode(path) == file_mode(umask), f"{name}: {mode(path):o}"
    assert files, f"nothing written in {root}"
    if expected_files is not None:
        assert files == expected_files


# ---- the atomic helpers ----------------------------------------------------------------------


@pytest.mark.parametrize("value", [0o022, 0o077, 0o002, 0o027], ids=lambda u: f"umask{u:03o}")
def test_atomic_helpers(tmp_path: Path, value: int) -> None:
    old = os.umask(value)
    try:
        atomic_write_text(tmp_path / "new" / "a.txt", "text")
        atomic_write_bytes(tmp_path / "b.bin", b"\x00")
        with atomic_path(tmp_path / "c.nii.gz") as tmp:
            assert mode(tmp) == file_mode(value)  # already there, as open() would make it
            with tmp.open("wb") as handle:  # a writer that truncates keeps the mode
                handle.write(b"data")
        with atomic_directory(tmp_path / "dir" / "deep") as staging:
            (staging / "sub" / "subsub").mkdir(parents=True)
            (staging / "top.txt").write_text("x")
            (staging / "sub" / "subsub" / "leaf.txt").write_text("y")
            atomic_write_text(staging / "sub" / "atomic.txt", "z")
    finally:
        os.umask(old)
    assert mode(tmp_path / "new") == dir_mode(value)
    for name in ("new/a.txt", "b.bin", "c.nii.gz"):
        assert mode(tmp_path / name) == file_mode(value), name
    assert mode(tmp_path / "dir") == dir_mode(value)
    assert_tree(
        tmp_path / "dir" / "deep",
        value,
        {"top.txt", "sub/subsub/leaf.txt", "sub/atomic.txt"},
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.bin", "c.nii.gz", "dir", "new"]


def test_replacing_a_private_file_gives_the_umask_mode(tmp_path: Path, umask: int) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    target.chmod(0o600)
    atomic_write_text(target, "new")
    assert target.read_text() == "new"
    assert mode(target) == file_mode(umask)


def _fail_in_file(target: Path) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError


def _fail_in_directory(target: Path) -> None:
    with atomic_directory(target) as staging:
        (staging / "f.txt").write_text("half")
        raise RuntimeError


def test_a_failed_write_leaves_nothing(tmp_path: Path, umask: int) -> None:
    with pytest.raises(RuntimeError):
        _fail_in_file(tmp_path / "x.csv")
    with pytest.raises(RuntimeError):
        _fail_in_directory(tmp_path / "d")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["d"]
    assert mode(tmp_path / "d") == dir_mode(umask)


# ---- classify, study, accuracy, assess -------------------------------------------------------


@pytest.fixture(scope="module")
def small_cohort(tmp_path_factory: pytest.TempPathFactory, example_dir: Path) -> Path:
    """Two lesions of the bundled example (fast to classify, assess and plot)."""
    root = tmp_path_factory.mktemp("cohort")
    for name, keep in (
        ("lesions.csv", ("1,", "4,")),
        ("measurements.csv", ("P01-L1,", "P04-T12,")),
    ):
        rows = (example_dir / name).read_text().splitlines()
        text = "\n".join([rows[0], *[r for r in rows if r.startswith(keep)]]) + "\n"
        (root / name).write_text(text)
    (root / "evidence.csv").write_text(
        "lesion_id,date,kind,value\nP04-T12,2009-05-21,dce_vp_change_pct,-45\n"
    )
    return root


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_classify_output(
    invoke: Invoke, small_cohort: Path, tmp_path: Path, umask: int, fmt: str
) -> None:
    out = tmp_path / "new" / "sub" / f"out.{fmt}"
    result = invoke(
        "classify",
        "--lesions",
        small_cohort / "lesions.csv",
        "--measurements",
        small_cohort / "measurements.csv",
        "--format",
        fmt,
        "--jobs",
        "1",
        "--output",
        out,
    )
    assert result.exit_code == 0, result.output
    assert out.read_text()
    assert_tree(tmp_path / "new", umask, {f"sub/out.{fmt}"})


def test_study_output(invoke: Invoke, example_dir: Path, tmp_path: Path, umask: int) -> None:
    out = tmp_path / "report"
    result = invoke(
        "study",
        "--lesions",
        example_dir / "lesions.csv",
        "--measurements",
        example_dir / "measurements.csv",
        "--events",
        example_dir / "events.csv",
        "--output",
        out,
    )
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert {"study.json", "report.html"} <= names
    assert any(n.endswith(".png") for n in names)
    assert_tree(out, umask, names)


def test_study_into_an_existing_directory(
    invoke: Invoke, example_dir: Path, tmp_path: Path, umask: int
) -> None:
    """A directory the user made keeps its mode; the files written get the umask's."""
    out = tmp_path / "mine"
    out.mkdir(mode=0o750)
    out.chmod(0o750)
    result = invoke("study", "--lesions", example_dir / "lesions.csv", "--output", out)
    assert result.exit_code == 0, result.output
    assert mode(out) == 0o750
    for path in out.iterdir():
        assert path.is_file()
        assert mode(path) == file_mode(umask), path.name


def test_accuracy_output_and_figure(invoke: Invoke, tmp_path: Path, umask: int) -> None:
    table = tmp_path / "dce.csv"
    values = [80, 95, 120, 60, 40, 75, 30, 150, 20, 88, -15, -40, 10, -60, 5, -20]
    table.write_text(
        "vp_change,outcome\n" + "".join(f"{v},{int(i < 8)}\n" for i, v in enumerate(values))
    )
    out = tmp_path / "out"
    result = invoke(
        "accuracy",
        "--table",
        table,
        "--marker",
        "vp_change",
        "--outcome",
        "outcome",
        "--format",
        "json",
        "--output",
        out / "acc.json",
        "--figure",
        out / "figures" / "roc.png",
    )
    assert result.exit_code == 0, result.output
    assert json.loads((out / "acc.json").read_text())
    assert_tree(out, umask, {"acc.json", "figures/roc.png"})


def test_assess_output_and_plots(
    invoke: Invoke, small_cohort: Path, tmp_path: Path, umask: int
) -> None:
    out = tmp_path / "out"
    result = invoke(
        "assess",
        "--lesions",
        small_cohort / "lesions.csv",
        "--measurements",
        small_cohort / "measurements.csv",
        "--evidence",
        small_cohort / "evidence.csv",
        "--as-of",
        "2009-05-25",
        "--plots",
        out / "plots",
        "--output",
        out / "text" / "assess.txt",
    )
    assert result.exit_code == 0, result.output
    assert_tree(out, umask, {"text/assess.txt", "plots/P01-L1.png", "plots/P04-T12.png"})


def test_assess_json_output(invoke: Invoke, small_cohort: Path, tmp_path: Path, umask: int) -> None:
    out = tmp_path / "out"
    result = invoke(
        "assess",
        "--lesions",
        small_cohort / "lesions.csv",
        "--measurements",
        small_cohort / "measurements.csv",
        "--format",
        "json",
        "--output",
        out / "assess.json",
    )
    assert result.exit_code == 0, result.output
    assert_tree(out, umask, {"assess.json"})


# ---- perfusion fit and change ----------------------------------------------------------------

AFFINE = np.diag([1.5, 1.5, 4.0, 1.0])
SHAPE = (4, 3, 2)


@pytest.fixture(scope="module")
def dce(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small concentration series with its frame times, a mask and an ROI label image."""
    root = tmp_path_factory.mktemp("dce")
    t = np.arange(40) * 5.0
    cp = parker_aif(t, delay_s=30.0)
    rng = np.random.default_rng(1)
    ct = extended_tofts(
        t,
        cp,
        ktrans=rng.uniform(0.05, 0.3, SHAPE),
        ve=rng.uniform(0.1, 0.5, SHAPE),
        vp=rng.uniform(0.01, 0.08, SHAPE),
    )
    nib.save(nib.Nifti1Image(ct.astype(np.float32), AFFINE), str(root / "conc.nii.gz"))
    (root / "conc.json").write_text(json.dumps({"FrameTimes": t.tolist()}))
    labels = np.zeros(SHAPE, np.int16)
    labels[1:3, 1:3, :] = 1
    nib.save(nib.Nifti1Image(labels, AFFINE), str(root / "labels.nii.gz"))
    return root


def fit(invoke: Invoke, dce: Path, out: Path) -> None:
    result = invoke(
        "perfusion",
        "fit",
        "--dce",
        dce / "conc.nii.gz",
        "--concentration",
        "--roi",
        dce / "labels.nii.gz",
        "--bolus-arrival",
        "30",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output


def test_perfusion_fit_output(invoke: Invoke, dce: Path, tmp_path: Path, umask: int) -> None:
    out = tmp_path / "fit" / "visit1"
    fit(invoke, dce, out)
    names = {p.name for p in out.iterdir()}
    assert {"vp.nii.gz", "ok.nii.gz", "summary.txt", "fit.json", "aif.csv"} <= names
    assert "roi_summary.csv" in names
    assert_tree(tmp_path / "fit", umask, {f"visit1/{n}" for n in names})


def test_perfusion_change_output(invoke: Invoke, dce: Path, tmp_path: Path, umask: int) -> None:
    before = tmp_path / "before"
    fit(invoke, dce, before)
    vp = nib.load(str(before / "vp.nii.gz"))
    after = tmp_path / "vp_after.nii.gz"
    data = np.asarray(vp.get_fdata(), np.float32) * 1.5
    nib.save(nib.Nifti1Image(data, vp.affine, vp.header), str(after))
    out = tmp_path / "evidence" / "evidence.csv"
    args = [
        "perfusion",
        "change",
        "--before",
        before,
        "--after",
        after,
        "--roi",
        dce / "labels.nii.gz",
        "--lesion-id",
        "P01-L1",
        "--date",
        "2024-03-01",
        "--out",
        out,
    ]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert_tree(tmp_path / "evidence", umask, {"evidence.csv"})
    out.chmod(0o600)  # appending (here: replacing the row) rewrites the file atomically
    result = invoke(*args, "--replace")
    assert result.exit_code == 0, result.output
    assert_tree(tmp_path / "evidence", umask, {"evidence.csv"})


def test_lesion_plot_api(small_cohort: Path, tmp_path: Path, umask: int) -> None:
    """``plot_lesion`` writes straight to its path: the mode of any new file."""
    from pseudoprog.evidence import assess_lesions
    from pseudoprog.io.cohort import load_cohort
    from pseudoprog.report.lesion_plot import plot_lesion

    cohort = load_cohort(
        lesions=small_cohort / "lesions.csv", measurements=small_cohort / "measurements.csv"
    )
    results = assess_lesions(cohort.histories)
    target = plot_lesion(results[0], cohort.histories[0], tmp_path / "plots" / "a" / "p.png")
    assert target.is_file()
    assert_tree(tmp_path / "plots", umask, {"a/p.png"})
