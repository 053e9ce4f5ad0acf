"""The column loader covers valid input and leaves everything else to ``load_cohort``; the
``classify`` command writes the reference output with either engine."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from pseudoprog.cli import _register, app
from pseudoprog.criteria.amini2016 import Amini2016Parameters
from pseudoprog.errors import InputValidationError
from pseudoprog.io.cohort import load_cohort
from pseudoprog.io.columnar_classify import classify_columnar
from pseudoprog.io.columnar_load import load_columns
from tests.columnar_registries import Registry, reference_text, seeded_registry

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "amini2016"


def small_registry() -> Registry:
    return seeded_registry(40, seed=3, events=False, odd_ids=False)


def with_column(text: str, name: str, value: str) -> str:
    header, *rows = text.splitlines()
    return "\n".join([f"{header},{name}", *(f"{row},{value}" for row in rows)]) + "\n"


def rewrite(path: Path, edit: Callable[[str], str]) -> None:
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")


@pytest.mark.parametrize(
    ("what", "edit"),
    [
        ("a size that is not a number", lambda t: t.replace(",T1,", ",T1,abc", 1)),
        ("an unknown lesion", lambda t: t + "NOPE,2012-01-01,T1,20\n"),
        ("an unknown sequence", lambda t: t + "L1,2012-01-01,FLAIR,20\n"),
        ("a date out of range", lambda t: t + "L1,1890-01-01,T1,20\n"),
        ("a size of zero", lambda t: t + "L1,2030-01-01,T1,0\n"),
    ],
)
def test_bad_measurements_are_left_to_the_reference_reader(
    tmp_path: Path, what: str, edit: Callable[[str], str]
) -> None:
    lesions, measurements, _ = small_registry().write(tmp_path)
    rewrite(measurements, edit)
    assert load_columns(lesions=lesions, measurements=measurements) is None, what
    with pytest.raises(InputValidationError):
        load_cohort(lesions=lesions, measurements=measurements)


def test_a_lesion_without_baseline_is_left_to_the_reference_reader(tmp_path: Path) -> None:
    registry = small_registry()
    first = registry.lesions[0]["lesion_id"]
    registry.measurements = [m for m in registry.measurements if m[0] != first or m[1] > "2030"]
    registry.measurements.append((first, "2031-01-01", "T1", "20"))
    lesions, measurements, _ = registry.write(tmp_path)
    assert load_columns(lesions=lesions, measurements=measurements) is None
    with pytest.raises(InputValidationError, match="no baseline"):
        load_cohort(lesions=lesions, measurements=measurements)


@pytest.mark.parametrize(
    ("what", "edit"),
    [
        ("a repeated study", lambda t: t + t.splitlines()[1] + "\n"),
        ("an extra column", lambda t: with_column(t, "reader", "x")),
        ("ids with spaces around them", lambda t: t.replace("\nL1,", "\n L1 ,")),
    ],
)
def test_input_the_reference_reader_changes_is_left_to_it(
    tmp_path: Path, what: str, edit: Callable[[str], str]
) -> None:
    lesions, measurements, _ = small_registry().write(tmp_path)
    rewrite(measurements, edit)
    assert load_columns(lesions=lesions, measurements=measurements) is None, what
    assert load_cohort(lesions=lesions, measurements=measurements).histories


def test_sequence_aliases_and_spaces_in_cells_are_read_as_the_reference_reads_them(
    tmp_path: Path,
) -> None:
    lesions, measurements, _ = small_registry().write(tmp_path)
    rewrite(
        measurements,
        lambda t: t.replace(",T2FS,", ", t2 fat sat ,").replace(",T1C,", ",T1+C,"),
    )
    cohort = load_columns(lesions=lesions, measurements=measurements)
    assert cohort is not None
    params = Amini2016Parameters()
    expected = reference_text(
        lesions, measurements, None, params=params, as_of=None, output_format="json"
    )
    assert b"".join(bytes(p) for p in classify_columnar(cohort, params=params)) == expected
    assert b'"T2FS":{' in expected


def test_parquet_measurements_are_read_as_the_reference_reads_them(tmp_path: Path) -> None:
    lesions, measurements, _ = small_registry().write(tmp_path)
    parquet = tmp_path / "measurements.parquet"
    pq.write_table(pacsv.read_csv(measurements), parquet)  # typed: dates, doubles
    cohort = load_columns(lesions=lesions, measurements=parquet)
    assert cohort is not None
    params = Amini2016Parameters()
    expected = reference_text(
        lesions, parquet, None, params=params, as_of=None, output_format="csv"
    )
    pieces = classify_columnar(cohort, params=params, output_format="csv")
    assert b"".join(bytes(p) for p in pieces) == expected


def test_notices_of_the_lesions_table_are_kept(tmp_path: Path) -> None:
    registry = small_registry()
    for row in registry.lesions:
        row["surgeon"] = "X"
    lesions, measurements, _ = registry.write(tmp_path)
    cohort = load_columns(lesions=lesions, measurements=measurements)
    assert cohort is not None
    assert cohort.notices == load_cohort(lesions=lesions, measurements=measurements).notices
    assert cohort.notices
    assert "surgeon" in cohort.notices[0]


# ---- the command ------------------------------------------------------------------------------


def classify(*args: str | Path) -> object:
    _register()
    return CliRunner().invoke(app, ["classify", *map(str, args)], catch_exceptions=False)


@pytest.mark.parametrize("output_format", ["json", "csv"])
@pytest.mark.parametrize(
    "options",
    [
        (),
        ("--as-of", "2010-06-01"),
        ("--set", "error_mm=1.5", "--primary-sequence", "T2FS"),
        ("--events", EXAMPLES / "events.csv", "--decline-window-days", "120"),
    ],
)
def test_both_engines_write_the_same_file(
    tmp_path: Path, output_format: str, options: tuple[str | Path, ...]
) -> None:
    files = ("--lesions", EXAMPLES / "lesions.csv", "--measurements", EXAMPLES / "measurements.csv")
    written = {}
    for engine in ("reference", "columnar"):
        out = tmp_path / f"{engine}.{output_format}"
        result = classify(
            *files, *options, "--format", output_format, "--output", out, "--engine", engine
        )
        assert getattr(result, "exit_code", None) == 0, getattr(result, "output", "")
        written[engine] = out.read_bytes()
    assert written["columnar"] == written["reference"]
    if output_format == "json":
        assert len(json.loads(written["columnar"])["lesions"]) == 37


def test_both_engines_write_the_same_parquet_folder(tmp_path: Path) -> None:
    files = ("--lesions", EXAMPLES / "lesions.csv", "--measurements", EXAMPLES / "measurements.csv")
    folders = {}
    for engine in ("reference", "columnar"):
        folders[engine] = tmp_path / engine
        result = classify(
            *files, "--format", "parquet", "--output", folders[engine], "--engine", engine
        )
        assert getattr(result, "exit_code", None) == 0, getattr(result, "output", "")
    reference, columnar = (pq.read_table(folders[e] / "part-00000.parquet") for e in folders)
    assert columnar.equals(reference)
    assert columnar.num_rows == 37
    meta = "_classification.json"
    assert (folders["columnar"] / meta).read_bytes() == (folders["reference"] / meta).read_bytes()


def test_the_column_engine_on_input_it_does_not_cover_says_so(tmp_path: Path) -> None:
    lesions, measurements, _ = small_registry().write(tmp_path)
    rewrite(measurements, lambda t: t + t.splitlines()[1] + "\n")  # a repeated study
    result = classify(
        "--lesions",
        lesions,
        "--measurements",
        measurements,
        "--format",
        "json",
        "--engine",
        "columnar",
    )
    assert getattr(result, "exit_code", None) != 0
    assert "--engine auto" in getattr(result, "output", "")


def test_auto_falls_back_to_the_reference_with_its_notice(tmp_path: Path) -> None:
    lesions, measurements, _ = small_registry().write(tmp_path)
    rewrite(measurements, lambda t: t + t.splitlines()[1] + "\n")  # merged, with a notice
    out = {}
    for engine in ("reference", "auto"):
        out[engine] = tmp_path / f"{engine}.json"
        result = classify(
            "--lesions",
            lesions,
            "--measurements",
            measurements,
            "--format",
            "json",
            "--output",
            out[engine],
            "--engine",
            engine,
        )
        assert getattr(result, "exit_code", None) == 0
    assert out["auto"].read_bytes() == out["reference"].read_bytes()
    assert json.loads(out["auto"].read_bytes())["notices"]


@pytest.mark.parametrize("output_format", ["json", "csv"])
def test_both_engines_write_the_same_text_to_standard_output(output_format: str) -> None:
    files = ("--lesions", EXAMPLES / "lesions.csv", "--measurements", EXAMPLES / "measurements.csv")
    written = {}
    for engine in ("reference", "columnar"):
        result = classify(*files, "--format", output_format, "--engine", engine)
        assert getattr(result, "exit_code", None) == 0
        written[engine] = getattr(result, "stdout_bytes", b"")
    assert written["columnar"] == written["reference"]
    assert written["columnar"].count(b"P01-L1") == 1


def test_a_file_that_is_not_utf8_is_left_to_the_reference_reader(tmp_path: Path) -> None:
    lesions, measurements, _ = small_registry().write(tmp_path)
    measurements.write_bytes(measurements.read_bytes().replace(b"L1,", "Lé1,".encode("latin-1")))
    assert load_columns(lesions=lesions, measurements=measurements) is None
    with pytest.raises(InputValidationError, match="UTF-8"):
        load_cohort(lesions=lesions, measurements=measurements)
