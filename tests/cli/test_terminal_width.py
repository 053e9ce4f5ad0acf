"""Terminal output fits 80- and 120-column terminals: no cut values, a note on hidden columns."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner, Result

from pseudoprog.cli import _common, assess, classify, perfusion, study
from pseudoprog.cli._tables import ColumnSpec, fit_table, print_wrapped
from pseudoprog.perfusion import extended_tofts, parker_aif

Invoke = Callable[..., Result]
WIDTHS = (80, 120)
CLASSIFY_HEADERS = (
    "Patient",
    "Lesion",
    "Response",
    "T1",
    "T2FS",
    "T1C",
    "Peak wk",
    "Δ mm",
    "Back wk",
    "Decided by",
)
ASSESS_HEADERS = (
    "Lesion",
    "Fx",
    "Status",
    "P(pseudoprog.) (95% CI)",
    "Next MRI",
    "Evidence",
    "Notes",
)


@pytest.fixture(autouse=True)
def _width_at_print_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let COLUMNS decide the width of the shared console at print time.

    Rich fixes a console's width when COLUMNS is set while it is created (at import); a
    COLUMNS exported in the shell running the tests would otherwise win over ``env=``.
    """
    monkeypatch.setattr(_common.console, "_width", None)


@pytest.fixture(scope="module")
def invoke() -> Invoke:
    """Run a ``pseudoprog`` command in-process as if the terminal were ``width`` columns wide."""
    app = typer.Typer()
    for module in (classify, assess, study, perfusion):
        module.register(app)
    runner = CliRunner()

    def _invoke(width: int, *args: str | Path) -> Result:
        result = runner.invoke(
            app, [str(a) for a in args], env={"COLUMNS": str(width)}, catch_exceptions=False
        )
        assert result.exit_code == 0, result.output
        return result

    return _invoke


def tables(example_dir: Path) -> list[str]:
    return [
        "--lesions",
        str(example_dir / "lesions.csv"),
        "--measurements",
        str(example_dir / "measurements.csv"),
        "--events",
        str(example_dir / "events.csv"),
    ]


def check_fits(text: str, width: int) -> list[str]:
    """Every line within ``width`` cells and no value cut with an ellipsis."""
    lines = text.splitlines()
    assert lines
    too_long = [line for line in lines if len(line) > width]
    assert too_long == [], f"{len(too_long)} lines longer than {width}: {too_long[:3]}"
    assert "…" not in text
    return lines


def header_line(lines: list[str], first: str) -> str:
    return next(line for line in lines if line.startswith(first + " "))


def rows_by_id(lines: list[str], ids: list[str], column: int) -> dict[str, list[str]]:
    """The tokens of the row of each id (the id being the ``column``-th token)."""
    rows = {}
    for line in lines:
        tokens = line.split()
        if len(tokens) > column and tokens[column] in ids:
            rows[tokens[column]] = tokens
    return rows


def no_space(text: str) -> str:
    return "".join(text.split())


# ---- classify ------------------------------------------------------------------------------


def classified(invoke: Invoke, example_dir: Path, *extra: str) -> list[tuple[str, str, str]]:
    document = json.loads(
        invoke(120, "classify", *tables(example_dir), *extra, "--format", "json").stdout
    )
    return [(x["patient_id"], x["lesion_id"], x["response"]) for x in document["lesions"]]


@pytest.mark.parametrize("as_of", [(), ("--as-of", "2010-01-01")], ids=["complete", "as-of"])
def test_classify_at_80_columns_shows_every_id_and_response_whole(
    invoke: Invoke, example_dir: Path, as_of: tuple[str, ...]
) -> None:
    expected = classified(invoke, example_dir, *as_of)
    assert len(expected) == 37
    lines = check_fits(invoke(80, "classify", *tables(example_dir), *as_of).stdout, 80)
    rows = rows_by_id(lines, [lesion for _, lesion, _ in expected], column=1)
    assert {(r[0], r[1], r[2]) for r in rows.values()} == set(expected)
    if as_of:
        assert sum(r[2] == "INDETERMINATE" for r in rows.values()) == 8


def test_classify_at_80_columns_names_the_hidden_columns(invoke: Invoke, example_dir: Path) -> None:
    text = invoke(80, "classify", *tables(example_dir)).stdout
    lines = check_fits(text, 80)
    header = header_line(lines, "Patient").split()
    assert "T2FS" not in header
    assert "T1C" not in header
    assert {"Patient", "Lesion", "Response", "T1", "Decided"} <= set(header)
    match = re.search(
        r"T2FS and T1C are hidden at this width: widen the terminal to at least (\d+) columns, "
        r"or use --format csv/json or --output FILE\.",
        " ".join(text.split()),
    )
    assert match is not None, text
    # The width the note asks for shows every column.
    wider = int(match.group(1))
    assert 80 < wider <= 120
    text = invoke(wider, "classify", *tables(example_dir)).stdout
    lines = check_fits(text, wider)
    assert "hidden" not in text
    assert {"T2FS", "T1C", "Decided"} <= set(header_line(lines, "Patient").split())


def test_classify_at_120_columns_shows_the_full_table(invoke: Invoke, example_dir: Path) -> None:
    text = invoke(120, "classify", *tables(example_dir)).stdout
    lines = check_fits(text, 120)
    header = header_line(lines, "Patient")
    for name in CLASSIFY_HEADERS:
        assert name in header
    assert "hidden" not in text
    assert "37 lesions: PR 11  SD 12  PD 9  OPP 5  INDETERMINATE 0" in text
    p01 = rows_by_id(lines, ["P01-L1"], column=1)["P01-L1"]
    assert p01 == ["1", "P01-L1", "OPP", "OPP", "OPP", "OPP", "9.7", "+4.0", "23.1", "decline"]


def test_classify_output_file_keeps_the_full_table(
    invoke: Invoke, example_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "table.txt"
    invoke(80, "classify", *tables(example_dir), "--output", out)
    text = out.read_text(encoding="utf-8")
    lines = check_fits(text, 200)
    header = header_line(lines, "Patient")
    for name in CLASSIFY_HEADERS:
        assert name in header
    assert "hidden" not in text
    assert "other bone lesions enlarged" in text  # the longest reason, on one line


def test_classify_reads_columns_in_a_real_process(example_dir: Path) -> None:
    exe = Path(sys.executable).with_name("pseudoprog")
    done = subprocess.run(
        [str(exe), "classify", *tables(example_dir)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "80"},
    )
    assert done.returncode == 0, done.stderr
    check_fits(done.stdout, 80)
    assert "T2FS and T1C are hidden at this width" in " ".join(done.stdout.split())


# ---- assess --------------------------------------------------------------------------------


@pytest.fixture
def evidence_file(tmp_path: Path) -> Path:
    path = tmp_path / "evidence.csv"
    path.write_text(
        "lesion_id,date,kind,value\n"
        "P04-T12,2009-05-21,dce_vp_change_pct,-45\n"
        "P04-T12,2009-05-21,growth_within_80pct_isodose,no\n"
        "P01-L1,2009-03-18,t2_signal_ratio_change_pct,30\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("width", WIDTHS)
def test_assess_rows_are_whole(
    invoke: Invoke, example_dir: Path, evidence_file: Path, width: int
) -> None:
    args = ["assess", *tables(example_dir), "--evidence", evidence_file, "--as-of", "2009-05-25"]
    document = json.loads(invoke(width, *args, "--format", "json").stdout)
    text = invoke(width, *args).stdout
    lines = check_fits(text, width)
    rows = rows_by_id(lines, [x["lesion_id"] for x in document["lesions"]], column=0)
    assert len(rows) == 37
    for lesion in document["lesions"]:
        tokens = rows[lesion["lesion_id"]]
        status = lesion["status"]
        row = " ".join(tokens)
        assert status in tokens or (status == "INDETERMINATE" and " no follow-up " in row)
        assert lesion["next_mri_due"] in tokens
    assert sum("INDETERMINATE" in r for r in rows.values()) >= 2
    flat = " ".join(text.split())
    assert "MRI overdue 1089 d" in flat
    assert "Evidence table: spine_ssrs (packaged:spine_ssrs.yaml)." in flat
    assert "Lesion P04-T12 (patient 4)" in text  # the details of enlarging lesions
    if width == 80:
        assert "Fx" not in header_line(lines, "Lesion").split()
        assert "Fx and Evidence are hidden at this width: widen the terminal to at least " in flat
        assert "columns, or use --format json or --output FILE." in flat
    else:
        assert "hidden" not in text
        assert "vp change -45% (LR 9.55)" in flat


@pytest.mark.parametrize("width", WIDTHS)
def test_assess_example_shows_every_column(invoke: Invoke, example_dir: Path, width: int) -> None:
    text = invoke(width, "assess", *tables(example_dir)).stdout
    lines = check_fits(text, width)
    assert "hidden" not in text  # without evidence its column is narrow
    rows = rows_by_id(lines, ["P01-L1", "P45-T6"], column=0)
    assert rows["P01-L1"][:3] == ["P01-L1", "1", "OPP"]
    assert "decided by serial MRI" in " ".join(text.split())
    if width == 120:
        header = header_line(lines, "Lesion")
        for name in ASSESS_HEADERS:
            assert name in header


# ---- study ---------------------------------------------------------------------------------


def test_study_summary_wraps_at_80_columns(
    invoke: Invoke, example_dir: Path, tmp_path: Path
) -> None:
    texts = {
        width: invoke(width, "study", *tables(example_dir), "-o", tmp_path / str(width)).stdout
        for width in WIDTHS
    }
    lines = {width: check_fits(text, width) for width, text in texts.items()}
    assert " ".join(texts[80].split()) == " ".join(texts[120].split())
    assert len(lines[80]) > len(lines[120])
    flat = " ".join(texts[80].split())
    assert "OPP overall 5/37 (14%; 95% CI 6-28%, Wilson)" in flat
    assert "responses assigned by the Amini 2016 criteria from the measurements" in flat
    assert "no finite estimate (it tends to infinity)" in flat
    # A wrapped line continues indented, so that each result starts at the margin.
    cox = next(i for i, line in enumerate(lines[80]) if line.startswith("Cox, single"))
    assert lines[80][cox + 1].startswith("  ")


# ---- perfusion -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dce(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny concentration series with its frame times and a mask."""
    root = tmp_path_factory.mktemp("dce")
    shape, affine = (4, 3, 2), np.diag([1.5, 1.5, 4.0, 1.0])
    t = np.arange(40) * 5.0
    rng = np.random.default_rng(1)
    params = {
        "ktrans": rng.uniform(0.05, 0.3, shape),
        "ve": rng.uniform(0.1, 0.5, shape),
        "vp": rng.uniform(0.01, 0.08, shape),
    }
    ct = extended_tofts(t, parker_aif(t, delay_s=30.0), **params)
    nib.save(nib.Nifti1Image(ct.astype(np.float32), affine), str(root / "conc.nii.gz"))
    (root / "conc.json").write_text(json.dumps({"FrameTimes": t.tolist()}))
    nib.save(nib.Nifti1Image(np.ones(shape, np.int16), affine), str(root / "roi.nii.gz"))
    return root


@pytest.mark.parametrize("width", WIDTHS)
def test_perfusion_output_fits(invoke: Invoke, dce: Path, tmp_path: Path, width: int) -> None:
    out = tmp_path / ("maps-in-a-directory-with-a-rather-long-name-" + "x" * 40)
    fit = invoke(
        width,
        "perfusion",
        "fit",
        "--dce",
        dce / "conc.nii.gz",
        "--concentration",
        "--bolus-arrival",
        "30",
        "--out",
        out,
    ).stdout
    check_fits(fit, width)
    assert "Extended Tofts fit (exact), 24 voxels: 24 ok (100.0%)" in fit
    assert re.search(r"^  vp: median \S+ \(IQR \S+\)$", fit, re.M)
    assert no_space(f"Maps written to {out}") in no_space(fit)
    evidence = tmp_path / "evidence.csv"
    change = invoke(
        width,
        "perfusion",
        "change",
        "--before",
        out,
        "--after",
        out,
        "--roi",
        dce / "roi.nii.gz",
        "--lesion-id",
        "P01-L1",
        "--date",
        "2009-05-21",
        "--out",
        evidence,
    ).stdout
    check_fits(change, width)
    assert "= +0.0% (dce_vp_change_pct)" in change
    assert no_space(f"Evidence table {evidence}: 1 rows") in no_space(change)


# ---- the helper ----------------------------------------------------------------------------


def render(renderable: object, width: int) -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


COLUMNS = [
    ColumnSpec("Patient", min_width=6),
    ColumnSpec("Response"),
    ColumnSpec("Sum mm", justify="right", level=1),
    ColumnSpec("Δ nadir %", justify="right", level=2),
    ColumnSpec("Reason", wrap=True, min_width=10),
]
ROWS = [
    ["PATIENT-0001-LONG-ID", "INDETERMINATE", "123.4", "+12.5", "no follow-up study yet"],
    ["2", "[red]PD[/]", "88.0", "+25.0", "growth"],
]


def test_fit_table_hides_whole_levels_highest_first() -> None:
    full = fit_table(COLUMNS, ROWS, width=120, title="Patients", hint="use --format csv")
    assert full.hidden == ()
    assert full.note is None
    assert full.shown == ("Patient", "Response", "Sum mm", "Δ nadir %", "Reason")
    text = render(full, 120)
    assert "PATIENT-0001-LONG-ID  INDETERMINATE" in text
    assert "no follow-up study yet" in text

    narrow = fit_table(COLUMNS, ROWS, width=full.full_width - 1, hint="use --format csv")
    assert narrow.hidden == ("Δ nadir %",)
    assert narrow.note == (
        f"Δ nadir % is hidden at this width: widen the terminal to at least {full.full_width} "
        "columns, or use --format csv."
    )
    at_full = fit_table(COLUMNS, ROWS, width=full.full_width)
    assert at_full.hidden == ()
    assert max(map(len, render(at_full, full.full_width).splitlines())) <= full.full_width

    least = fit_table(COLUMNS, ROWS, width=40)
    assert least.hidden == ("Sum mm", "Δ nadir %")
    text = render(least, 40)
    assert "…" not in text
    assert max(map(len, text.splitlines())) <= 40
    assert "INDETERMINATE" in text  # codes stay whole, long ids fold
    patient = least.table.columns[0].width
    assert patient == 7
    first_row = text.splitlines()[2:5]
    assert [line[:patient] for line in first_row] == ["PATIENT", "-0001-L", "ONG-ID "]
    assert "Sum mm and Δ nadir % are hidden" in " ".join(text.split())


def test_fit_table_never_cuts_values_even_below_the_narrowest_layout() -> None:
    text = render(fit_table(COLUMNS, ROWS, width=20), 20)
    assert "…" not in text
    assert max(map(len, text.splitlines())) <= 20
    codes = fit_table([ColumnSpec("Response")], [["INDETERMINATE"]], width=8)
    assert codes.table.columns[0].width == 13
    text = render(codes.table, 8)
    assert [line.rstrip() for line in text.splitlines()[2:]] == ["INDETERM", "INATE"]


def test_fit_table_checks_row_lengths() -> None:
    with pytest.raises(ValueError, match="a row has 2 cells for 5 columns"):
        fit_table(COLUMNS, [["1", "PD"]], width=80)


def test_print_wrapped_indents_continuation_lines() -> None:
    console = Console(width=30, record=True, file=io.StringIO())
    print_wrapped(console, "Heading\n  - an item long enough to wrap onto a second line\n")
    assert console.export_text().splitlines() == [
        "Heading",
        "  - an item long enough to",
        "    wrap onto a second line",
        "",
    ]
