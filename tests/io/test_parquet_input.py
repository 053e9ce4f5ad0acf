"""Input tables as Parquet files and partitioned Parquet folders.

Parquet input must give exactly what the same table as CSV gives (the output of ``classify``
byte for byte) and, for bad cells, the same problems.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from pseudoprog.cli import _register, app
from pseudoprog.errors import InputValidationError, Problem
from pseudoprog.io.cohort import load_cohort

ROOT = Path(__file__).resolve().parents[2]
AMINI = ROOT / "examples" / "amini2016"
RECIST = ROOT / "examples" / "recist"
TABLES = ("lesions", "measurements", "events")


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    if not app.registered_commands:
        _register()
    return CliRunner()


def typed(path: Path) -> pa.Table:
    """The CSV file as Arrow infers it: integers, floats, dates, booleans, text."""
    return pacsv.read_csv(path)


def classify(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, ["classify", *args, "--format", "csv"])
    assert result.exit_code == 0, result.output
    return result.output


def table_args(paths: dict[str, Path]) -> list[str]:
    return [arg for name, path in paths.items() for arg in (f"--{name}", str(path))]


@pytest.mark.parametrize("example", [AMINI, RECIST], ids=["amini2016", "recist"])
def test_parquet_files_classify_as_the_csv_files(
    example: Path, tmp_path: Path, runner: CliRunner
) -> None:
    csv_paths = {n: example / f"{n}.csv" for n in TABLES if (example / f"{n}.csv").exists()}
    parquet_paths = {}
    for name, path in csv_paths.items():
        parquet_paths[name] = tmp_path / f"{name}.parquet"
        pq.write_table(typed(path), parquet_paths[name])
    criteria = [] if example == AMINI else ["--criteria", "recist1.1"]
    expected = classify(runner, *table_args(csv_paths), *criteria)
    assert classify(runner, *table_args(parquet_paths), *criteria) == expected


def test_a_partitioned_folder_classifies_as_the_csv_files(
    tmp_path: Path, runner: CliRunner
) -> None:
    csv_paths = {n: AMINI / f"{n}.csv" for n in TABLES}
    measurements = typed(csv_paths["measurements"])
    folder = tmp_path / "measurements"
    # Partitioned by lesion: the key comes back as a column, from the folder names.
    ds.write_dataset(
        measurements,
        folder,
        format="parquet",
        partitioning=ds.partitioning(pa.schema([("lesion_id", pa.string())]), flavor="hive"),
    )
    assert len(list(folder.rglob("*.parquet"))) == len(set(measurements["lesion_id"].to_pylist()))
    expected = classify(runner, *table_args(csv_paths))
    got = classify(runner, *table_args({**csv_paths, "measurements": folder}))
    assert got == expected


def test_typed_cells_become_the_text_a_csv_file_holds(tmp_path: Path) -> None:
    lesions = tmp_path / "lesions.parquet"
    pq.write_table(
        pa.table(
            {
                "patient_id": pa.array([7], pa.int64()),
                "lesion_id": pa.array(["L1"]).dictionary_encode(),
                "treatment_date": pa.array([datetime(2010, 1, 10)], pa.timestamp("us")),
                "dose_gy": pa.array([24.0]),
                "fractions": pa.array([1], pa.int32()),
                "in_vertebral_body": pa.array([True]),
                "histology": pa.array([None], pa.string()),
            }
        ),
        lesions,
    )
    measurements = tmp_path / "measurements.parquet"
    pq.write_table(
        pa.table(
            {
                "lesion_id": ["L1", "L1"],
                "date": pa.array([date(2010, 1, 1), date(2010, 4, 1)], pa.date32()),
                "sequence": ["T1", "T1"],
                "size_mm": pa.array([20.0, 26.5]),
            }
        ),
        measurements,
    )
    cohort = load_cohort(lesions=lesions, measurements=measurements)
    (lesion,) = cohort.lesions
    assert lesion.patient_id == "7"
    assert lesion.treatment.date == date(2010, 1, 10)
    assert lesion.treatment.dose_gy == 24.0
    assert lesion.treatment.fractions == 1
    assert lesion.in_vertebral_body is True
    assert lesion.histology is None
    (history,) = cohort.histories
    (series,) = history.series.values()
    assert series.dates == (date(2010, 1, 1), date(2010, 4, 1))
    assert series.sizes_mm == (20.0, 26.5)


def problems_of(**tables: Path) -> list[Problem]:
    with pytest.raises(InputValidationError) as caught:
        load_cohort(**tables)  # type: ignore[arg-type]
    return list(caught.value.problems)


def _message_without_file(problem: Problem) -> tuple[object, ...]:
    return (problem.row, problem.column, problem.message, problem.expected)


@pytest.mark.parametrize(
    ("column", "cells", "arrow_type"),
    [
        ("size_mm", ["20", "-3"], pa.float64()),
        ("size_mm", ["20", "nan"], pa.float64()),
        ("size_mm", ["20", "1e400"], pa.float64()),
        ("date", ["2010-01-01", "1850-01-01"], pa.date32()),
        ("sequence", ["T1", "T9"], pa.string()),
    ],
)
def test_bad_cells_give_the_problems_csv_gives(
    column: str, cells: list[str], arrow_type: pa.DataType, tmp_path: Path
) -> None:
    rows = {
        "lesion_id": ["L1", "L1"],
        "date": ["2010-01-01", "2010-04-01"],
        "sequence": ["T1", "T1"],
        "size_mm": ["20", "26"],
    }
    rows[column] = cells
    header = list(rows)
    text = ",".join(header) + "\n"
    text += "".join(",".join(rows[c][i] for c in header) + "\n" for i in range(2))
    lesions = tmp_path / "lesions.csv"
    lesions.write_text(
        "patient_id,lesion_id,treatment_date,dose_gy,fractions\nP1,L1,2010-01-10,24,1\n"
    )
    as_csv = tmp_path / "measurements.csv"
    as_csv.write_text(text)
    as_parquet = tmp_path / "measurements.parquet"
    arrays = {}
    for name, values in rows.items():
        kind = arrow_type if name == column else pa.string()
        if kind == pa.float64():
            arrays[name] = pa.array([float(v) for v in values], kind)
        elif kind == pa.date32():
            arrays[name] = pa.array([date.fromisoformat(v) for v in values], kind)
        else:
            arrays[name] = pa.array(values, kind)
    pq.write_table(pa.table(arrays), as_parquet)
    from_csv = problems_of(lesions=lesions, measurements=as_csv)
    from_parquet = problems_of(lesions=lesions, measurements=as_parquet)
    assert [_message_without_file(p) for p in from_parquet] == [
        _message_without_file(p) for p in from_csv
    ]
    assert all(str(as_parquet) in p.source and "measurements" in p.source for p in from_parquet)
    assert from_parquet[0].row == 3  # the second record, numbered as in the CSV file


def test_a_timestamp_with_a_time_is_not_a_date(tmp_path: Path) -> None:
    lesions = tmp_path / "lesions.parquet"
    stamp = datetime(2010, 1, 10, 14, 30, tzinfo=UTC)
    pq.write_table(
        pa.table(
            {
                "patient_id": ["P1"],
                "lesion_id": ["L1"],
                "treatment_date": pa.array([stamp], pa.timestamp("us", tz="UTC")),
                "dose_gy": [24.0],
                "fractions": [1],
            }
        ),
        lesions,
    )
    measurements = tmp_path / "m.csv"
    measurements.write_text("lesion_id,date,sequence,size_mm\nL1,2010-01-01,T1,20\n")
    (problem,) = problems_of(lesions=lesions, measurements=measurements)
    assert (problem.row, problem.column) == (2, "treatment_date")
    assert problem.message == "not a valid date"


def test_nested_columns_are_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "lesions.parquet"
    pq.write_table(
        pa.table({"patient_id": ["P1"], "lesion_id": ["L1"], "sizes": [[1.0, 2.0]]}), path
    )
    (problem,) = problems_of(lesions=path, measurements=path)[:1]
    assert "lesions table" in problem.source
    assert "column 'sizes' holds nested values (list<" in problem.message
    assert "flatten nested columns" in problem.expected


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("lesions.parquet", b"patient_id,lesion_id\n", "not a Parquet file"),
        ("lesions.parquet", b"PAR1 truncated", "cannot be read as Parquet"),
        ("lesions.csv", None, "not a CSV file: it holds a Parquet file"),
    ],
)
def test_files_that_are_not_what_their_name_says(
    name: str, content: bytes | None, message: str, tmp_path: Path, runner: CliRunner
) -> None:
    path = tmp_path / name
    if content is None:
        pq.write_table(pa.table({"patient_id": ["P1"]}), path)
    else:
        path.write_bytes(content)
    output = tmp_path / "out" / "result.json"
    result = runner.invoke(
        app,
        [
            "classify",
            "--lesions",
            str(path),
            "--measurements",
            str(AMINI / "measurements.csv"),
            "--format",
            "json",
            "--output",
            str(output),
        ],
    )
    assert result.exit_code == 2
    assert message in result.output
    assert f"lesions table {path}" in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not output.exists()


def test_an_empty_parquet_file_names_the_columns_it_needs(tmp_path: Path) -> None:
    path = tmp_path / "lesions.parquet"
    pq.write_table(pa.table({"patient_id": pa.array([], pa.string())}), path)
    problems = problems_of(lesions=path, measurements=AMINI / "measurements.csv")
    assert any(
        p.message == "the file has a header row but no data rows" and str(path) in p.source
        for p in problems
    )
